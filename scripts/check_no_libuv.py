#!/usr/bin/env python3
"""Fails if any file under the given folder (the tools: tools/) mentions libuv directly.

The tools are thin mains on the io layer (include/udpkit/io/): a tool that needs a libuv call the
io layer lacks adds it to the io layer. Textually, no file under the folder may contain `uv_`
(a call, type or macro), `UV_` (a constant), or include `uv.h` / `uv/...`, comments included.

Usage: check_no_libuv.py FOLDER      scan FOLDER, print what was scanned, exit 1 naming each hit
       check_no_libuv.py --self-test  check that the scanner finds planted hits and passes clean files
"""
import os
import re
import sys
import tempfile

PATTERNS = [
    ("uv_", re.compile(r"uv_")),
    ("UV_", re.compile(r"UV_")),
    ("<uv.h>", re.compile(r"[<\"]uv(\.h|/)")),
]


def scan(folder):
    """(files scanned, [(path, line number, what, line)] hits)."""
    scanned = 0
    hits = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            scanned += 1
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), start=1):
                for what, pattern in PATTERNS:
                    if pattern.search(line):
                        hits.append((path, number, what, line.strip()))
    return scanned, hits


def check(folder):
    if not os.path.isdir(folder):
        print(f"check_no_libuv: {folder}: not a folder", file=sys.stderr)
        return 1
    scanned, hits = scan(folder)
    print(f"check_no_libuv: scanned {scanned} files under {folder}")
    if scanned == 0:
        print(f"check_no_libuv: no files under {folder}: nothing was checked", file=sys.stderr)
        return 1
    for path, number, what, line in hits:
        print(f"{path}:{number}: {what} in a tool (use the io layer): {line}", file=sys.stderr)
    if hits:
        print(f"check_no_libuv: {len(hits)} libuv mention(s) in {folder}", file=sys.stderr)
        return 1
    print("check_no_libuv: no libuv call, constant or header")
    return 0


def self_test():
    cases = {
        "clean.cpp": ("#include \"udpkit/io/timer.hpp\"\n// the libuv loop, via the io layer\n", 0),
        "call.cpp": ("int main() {\n    uv_run(loop, 0);\n}\n", 1),
        "constant.cpp": ("if (code == UV_EAGAIN) {}\n", 1),
        "header.hpp": ("#pragma once\n#include <uv.h>\n", 1),
        "quoted.hpp": ("#include \"uv/unix.h\"\n", 1),
    }
    failures = 0
    for name, (text, expected_hits) in cases.items():
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, name), "w") as f:
                f.write(text)
            scanned, hits = scan(folder)
            lines = sorted({number for _, number, _, _ in hits})
            ok = scanned == 1 and len(lines) == expected_hits
            if hits and ok:
                # The hit names the right line.
                want = next(i for i, l in enumerate(text.splitlines(), 1)
                            if any(p.search(l) for _, p in PATTERNS))
                ok = lines == [want]
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(hits)} hit(s) at lines {lines}")
            failures += not ok
    with tempfile.TemporaryDirectory() as folder:
        empty_fails = check(folder) == 1
        print(f"{'ok  ' if empty_fails else 'FAIL'} an empty folder fails the check")
        failures += not empty_fails
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        sys.exit(self_test())
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(sys.argv[1]))
