#!/usr/bin/env python3
"""Prints 'N passed, N failed' from meson's testlog.json, counting the test cases each runner
reports in its own words:
- a doctest executable prints '[doctest] test cases: T | P passed | F failed | S skipped';
- a Python tool test (test/support/harness.py) prints
  '[harness] T cases: P passed, F failed, S skipped';
- any other test counts as one case.
A test that crashed, timed out or exited non-zero after printing counts with no failure in them
adds one failure for that; a test meson skipped counts as one skipped."""
import json
import re
import sys

SUMMARIES = [
    # doctest's own summary line (it pads the numbers to line them up).
    re.compile(r"\[doctest\] test cases:\s*(?P<total>\d+) \|\s*(?P<passed>\d+) passed \|"
               r"\s*(?P<failed>\d+) failed(?: \|\s*(?P<skipped>\d+) skipped)?"),
    # harness.run()'s line (a case that cannot run here is skipped, never counted as passed).
    re.compile(r"^\[harness\] (?P<total>\d+) cases?: (?P<passed>\d+) passed, "
               r"(?P<failed>\d+) failed, (?P<skipped>\d+) skipped$", re.MULTILINE),
]


def last_summary(stdout):
    """(passed, failed, skipped) from the last summary line in `stdout`, or None."""
    found = [m for pattern in SUMMARIES for m in pattern.finditer(stdout)]
    if not found:
        return None
    last = max(found, key=lambda m: m.start()).groupdict()
    return int(last["passed"]), int(last["failed"]), int(last.get("skipped") or 0)


passed = failed = skipped = 0
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        test = json.loads(line)
        ok = test["result"] in ("OK", "EXPECTEDFAIL")
        if test["result"] == "SKIP":
            skipped += 1
            continue
        counts = last_summary(test.get("stdout", "") or "")
        if counts:
            p, f, s = counts
            passed += p
            failed += f
            skipped += s
            if not ok and f == 0:
                failed += 1  # crashed, timed out or exited non-zero after its last case
        elif ok:
            passed += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
