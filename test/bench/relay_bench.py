#!/usr/bin/env python3
"""Benchmark udp-relay's throughput without impairments (run by hand; not part of the suite).

    python3 test/bench/relay_bench.py [--build build] [--seconds 3] [--rounds 3] [--size 64]

Builds what it needs (ninja -C BUILD bench), then in each round floods udp-echo directly and
then through `udp-relay --to ECHO` with the same load generator (test/bench/load_gen: 64
datagrams in flight, recvmmsg/sendmmsg) for --seconds each, and prints the echoed datagrams per
second of both and their ratio. Rounds interleave the two so that a noisy spell on the machine
hits both; the figures are the medians over the rounds. Through the relay each round trip
crosses two more sockets (client -> relay -> echo -> relay -> client), so the ratio is well
below 1 by construction: it is the cost of the relay in the same run, on the same machine.
"""
import argparse
import os
import re
import statistics
import subprocess

from echo_bench import Responder  # the same "listening on ADDR" start-up, unpinned

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def flood(build_dir, address, size, seconds):
    out = subprocess.run([os.path.join(build_dir, "test", "bench", "load_gen"), "flood", address,
                          str(size), str(seconds)],
                         capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise SystemExit(f"load_gen failed: {out.stdout}{out.stderr}")
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", out.stdout)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=64)
    a = ap.parse_args()
    subprocess.run(["ninja", "-C", a.build, "bench"], check=True, stdout=subprocess.DEVNULL)
    tools = os.path.join(a.build, "tools")
    direct, relayed = [], []
    for r in range(a.rounds):
        echo = Responder([os.path.join(tools, "udp-echo", "udp-echo"), "--bind", "127.0.0.1:0"], False)
        try:
            d = flood(a.build, echo.address, a.size, a.seconds)
            relay = Responder([os.path.join(tools, "udp-relay", "udp-relay"), "--listen",
                            "127.0.0.1:0", "--to", echo.address, "--seed", "1"], False)
            try:
                t = flood(a.build, relay.address, a.size, a.seconds)
            finally:
                relay.stop()
        finally:
            echo.stop()
        direct.append(d["rate"])
        relayed.append(t["rate"])
        print(f"round {r + 1}: udp-echo direct {d['rate']:.0f}/s (lost {d['lost']:.0f}), "
              f"through udp-relay {t['rate']:.0f}/s (lost {t['lost']:.0f}), "
              f"ratio {t['rate'] / d['rate']:.2f}", flush=True)
    md, mr = statistics.median(direct), statistics.median(relayed)
    print(f"median over {a.rounds} rounds, {a.size}-byte datagrams, 64 in flight: udp-echo "
          f"direct {md:.0f}/s, through udp-relay {mr:.0f}/s, ratio {mr / md:.2f}")


if __name__ == "__main__":
    main()
