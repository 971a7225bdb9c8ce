#!/usr/bin/env python3
"""Prints 'N passed, N failed' from meson's testlog.json, counting the test cases each runner
reports: a doctest executable (or a Python tool test using test/support/harness.py) prints
'[doctest] test cases: T | P passed | F failed | S skipped'; any other test counts as one case.
A test that crashed or timed out after printing its counts adds one failure for the crash."""
import json
import re
import sys

SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed(?: \|\s*(\d+) skipped)?")

passed = failed = skipped = 0
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        test = json.loads(line)
        ok = test["result"] in ("OK", "EXPECTEDFAIL")
        if test["result"] == "SKIP":
            skipped += 1
            continue
        counts = SUMMARY.findall(test.get("stdout", "") or "")
        if counts:
            _, p, f, s = counts[-1]
            passed += int(p)
            failed += int(f)
            skipped += int(s or 0)
            if not ok and int(f) == 0:
                failed += 1  # crashed, timed out or exited non-zero after its last case
        elif ok:
            passed += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
