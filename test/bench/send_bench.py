#!/usr/bin/env python3
"""Benchmark of udp-send --burst on loopback (not a test: run by hand, prints figures).

    python3 test/bench/send_bench.py [BUILD_DIR]

1. The highest send rate: unpaced bursts of 64-byte probes with several windows.
2. --rate accuracy: requested vs achieved probes per second.

The echo responder is udp-echo on a free loopback port; set ECHO='path args...' to use another
one that prints `listening on ADDR` first.
"""
import json
import os
import shlex
import subprocess
import sys

build = sys.argv[1] if len(sys.argv) > 1 else "build"
send = os.path.join(build, "tools", "udp-send", "udp-send")
default_echo = os.path.join(build, "tools", "udp-echo", "udp-echo") + " --bind 127.0.0.1:0"
echo_cmd = shlex.split(os.environ.get("ECHO", default_echo))

echo = subprocess.Popen(echo_cmd, stdout=subprocess.PIPE, text=True)
try:
    first = echo.stdout.readline().strip()
    assert first.startswith("listening on "), first
    target = first[len("listening on "):]

    def burst(*args):
        out = subprocess.run([send, "--burst", *args, "--json", target], capture_output=True,
                             text=True, timeout=300)
        return json.loads(out.stdout), out.returncode

    print(f"udp-send burst benchmark against {' '.join(echo_cmd)} at {target}, "
          f"{os.cpu_count()} CPUs")
    print("\n1. highest send rate (64-byte probes, no --rate)")
    print(f"{'probes':>8} {'window':>7} {'sent/s':>10} {'lost':>6} {'p50 us':>8} "
          f"{'p99 us':>8} {'exit':>4}")
    for window in ("16", "64", "256", "1024", "0"):
        for _ in range(3):
            # --window-bytes 0: the window alone limits (0: nothing does).
            r, rc = burst("200000", "--size", "64", "--window", window, "--window-bytes", "0",
                          "--timeout", "500")
            print(f"{r['sent']:>8} {window:>7} {r['rate_pps']:>10.0f} {r['lost']:>6} "
                  f"{r['rtt_us']['p50']:>8.1f} {r['rtt_us']['p99']:>8.1f} {rc:>4}")

    print("\n2. --rate accuracy (64-byte probes, window 0, about 2 s each)")
    print(f"{'requested':>10} {'achieved':>10} {'error':>8} {'lost':>6} {'exit':>4}")
    for rate in (1000, 10000, 50000, 100000):
        r, rc = burst(str(rate * 2), "--size", "64", "--rate", str(rate), "--window", "0",
                      "--window-bytes", "0")
        err = 100.0 * (r["rate_pps"] - rate) / rate
        print(f"{rate:>10} {r['rate_pps']:>10.1f} {err:>7.2f}% {r['lost']:>6} {rc:>4}")
finally:
    echo.terminate()
    echo.wait(10)
