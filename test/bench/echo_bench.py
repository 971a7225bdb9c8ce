#!/usr/bin/env python3
"""Benchmark udp-echo against reference responders (run by hand; not part of the test suite).

    python3 test/bench/echo_bench.py [--build build-bench] [--seconds 5] [--rounds 3] [--pin]

Builds what it needs (a release build in --build), then for each round runs every responder in
turn with the same load generator and settings: a flood of 64-byte and of 1024-byte datagrams
with 64 in flight for --seconds each (sendmmsg/recvmmsg), the 64-byte flood again from a client
that sends and receives one datagram per call (send/recv, the usual client), and a one-at-a-time
ping-pong of 64-byte datagrams. Rounds
interleave the responders so that a noisy spell on the machine hits all of them; each figure is
the median over the rounds. The responder's CPU time per echoed datagram (from /proc/PID/stat)
is shown too: on a shared machine it varies far less than the rates do. Against udp-echo,
udp-send's own ping-pong (a burst with --window 1, RTTs from kernel receive timestamps) runs in
the same rounds beside the load generator's, and udp-send's own flood: a 1,000,000-probe burst
of 64-byte probes with UDP GSO/GRO (256 in flight: four GSO sends of 64) and with --no-offload
on both sides (udp-send and a udp-echo started with --no-offload; 64 in flight, as the load
generator keeps). Rates are shown as a ratio of the recvmmsg/sendmmsg
batch loop with the load generator (the batch-loop pair), the ping-pong median RTT as a ratio of
the blocking loop. Where sockperf is installed (Debian's package), its server `sockperf sr` is
measured in the same rounds with its own clients, `sockperf pp` (round trips, as fast as they
go) and `sockperf tp` (one way: the rate its client sends at). udp-echo's peak RSS (VmHWM) is read after
its floods, and once more after a flood of 65507-byte datagrams (--max-message 65507), the worst
case for its buffers and send queue.

Not pinned by default: the scheduler places generator and responder as it likes, the same way
for every responder. With --pin the responder runs on CPU 1 and the generator on CPU 0; on a
2-vCPU virtual machine that makes every round trip cross CPUs (a wake-up across vCPUs costs as
much as the rest of the round trip) and ties each side to whatever else runs on its CPU.
"""
import argparse
import json
import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def build(build_dir):
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        subprocess.run(["meson", "setup", build_dir, "--buildtype=release"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", build_dir, "bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def pinned(cpu, args, pin):
    return (["taskset", "-c", str(cpu)] if pin else []) + args


class Responder:
    def __init__(self, args, pin):
        self.p = subprocess.Popen(pinned(1, args, pin), stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        # Every responder prints 'listening on ADDR' first.
        ready, _, _ = select.select([self.p.stdout], [], [], 10)
        line = self.p.stdout.readline() if ready else ""
        if not line.startswith("listening on "):
            self.stop()
            raise SystemExit(f"{args[0]} did not start: {line!r}")
        self.address = line.split()[-1]

    def cpu_seconds(self):
        """User + system CPU time so far (utime and stime of /proc/PID/stat)."""
        with open(f"/proc/{self.p.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_kb(self):
        with open(f"/proc/{self.p.pid}/status") as status:
            return int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1))

    def stop(self):
        self.p.kill()
        self.p.wait()


def flood(build_dir, responder, size, seconds, pin, mode="flood"):
    """The flood's figures, plus the responder's CPU microseconds per datagram it echoed.
    mode: load_gen's flood (sendmmsg/recvmmsg) or flood1 (one datagram per call)."""
    before = responder.cpu_seconds()
    f = generate(build_dir, mode, responder.address, size, seconds, pin)
    f["cpu_us"] = (responder.cpu_seconds() - before) * 1e6 / max(f["total"], 1)
    return f


def generate(build_dir, mode, address, size, seconds, pin):
    out = subprocess.run(pinned(0, [os.path.join(build_dir, "test", "bench", "load_gen"), mode,
                                    address, str(size), str(seconds)], pin),
                         capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise SystemExit(f"load_gen {mode} failed: {out.stdout}{out.stderr}")
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", out.stdout)}


def send_pingpong(build_dir, address, seconds, pin):
    """udp-send's own ping-pong: a burst with one probe in flight, RTTs from kernel receive
    timestamps. About 40,000 round trips a second fit on loopback; the count is sized to last
    about `seconds`."""
    probes = int(max(seconds, 1) * 30000)
    out = subprocess.run(pinned(0, [os.path.join(build_dir, "tools", "udp-send", "udp-send"),
                                    "--burst", str(probes), "--window", "1", "--size", "64",
                                    "--json", address], pin),
                         capture_output=True, text=True, timeout=seconds * 10 + 60)
    if out.returncode != 0:
        raise SystemExit(f"udp-send ping-pong failed: {out.stdout}{out.stderr}")
    report = json.loads(out.stdout)
    return {"median_us": report["rtt_us"]["p50"], "p99_us": report["rtt_us"]["p99"]}


def send_flood(build_dir, address, offload, seconds, pin):
    """udp-send's own flood against `address`: datagrams/s received (probes answered per second
    of the burst), with the burst's loss and reply sizes, which must be clean."""
    probes = 1_000_000
    window = ["--window", "256", "--window-bytes", "0"] if offload else ["--window", "64"]
    out = subprocess.run(pinned(0, [os.path.join(build_dir, "tools", "udp-send", "udp-send"),
                                    "--burst", str(probes), "--size", "64", *window, "--json",
                                    "--max-loss", "100",
                                    *([] if offload else ["--no-offload"]), address], pin),
                         capture_output=True, text=True, timeout=seconds * 20 + 120)
    if out.returncode != 0:
        raise SystemExit(f"udp-send flood failed: {out.stdout}{out.stderr}")
    r = json.loads(out.stdout)
    return {"rate": r["received"] / max(r["duration_ms"] / 1000, 1e-9), "lost": r["lost"],
            "sizes_ok": r["reply_bytes"] == {"min": 64, "max": 64}, "offload": r["offload"]}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sockperf_round(seconds, pin):
    """sockperf sr with sockperf pp (round trips per second, median latency) and sockperf tp
    (datagrams per second its client sends), 64-byte messages."""
    port = free_port()
    server = subprocess.Popen(pinned(1, ["sockperf", "sr", "-i", "127.0.0.1", "-p", str(port)],
                                     pin), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run(["sleep", "0.5"], check=True)
        common = ["-i", "127.0.0.1", "-p", str(port), "-m", "64", "-t", str(max(1, int(seconds))),
                  "--mps", "max"]
        pp = subprocess.run(pinned(0, ["sockperf", "pp", *common], pin), capture_output=True,
                            text=True, timeout=seconds + 60).stdout
        tp = subprocess.run(pinned(0, ["sockperf", "tp", *common], pin), capture_output=True,
                            text=True, timeout=seconds + 60).stdout
    finally:
        server.kill()
        server.wait()
    clean = re.sub(r"\x1b\[[0-9;]*m", "", pp + tp)
    observations = int(re.search(r"Total (\d+) observations", clean).group(1))
    run_s = float(re.search(r"\[Valid Duration\] RunTime=([\d.]+) sec", clean).group(1))
    median = float(re.search(r"percentile 50\.000 =\s+([\d.]+)", clean).group(1))
    rate = float(re.search(r"Message Rate is (\d+)", clean).group(1))
    return {"pp": observations / run_s, "pp_median_us": median, "tp": rate}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pin", action="store_true")
    ap.add_argument("--baseline", metavar="UDP_ECHO",
                    help="another udp-echo binary (e.g. a build of an earlier commit) measured "
                         "in the same rounds, to compare a change side by side")
    a = ap.parse_args()
    build_dir = os.path.join(ROOT, a.build)
    build(build_dir)
    bench = os.path.join(build_dir, "test", "bench")
    responders = {
        "batch loop (recvmmsg/sendmmsg)": [os.path.join(bench, "batch_echo")],
        "blocking loop (recvfrom/sendto)": [os.path.join(bench, "blocking_echo")],
        "udp-echo": [os.path.join(build_dir, "tools", "udp-echo", "udp-echo"), "--bind", "0"],
        "python asyncio": [sys.executable, os.path.join(ROOT, "test", "bench", "asyncio_echo.py")],
    }
    if a.baseline:
        responders["udp-echo (baseline)"] = [os.path.abspath(a.baseline), "--bind", "0"]
    results = {name: {"r64": [], "r1024": [], "r64one": [], "rtt": [], "p99": [], "cpu64": [],
                      "cpu1024": []} for name in responders}
    rss = []
    send_rtt, load_gen_rtt = [], []  # ping-pong against udp-echo, same rounds
    floods = {True: [], False: []}   # udp-send's flood against udp-echo: offload on / both off
    sockperf = [] if shutil.which("sockperf") else None
    print(f"{a.rounds} round(s), {a.seconds:g} s per measurement, 64 in flight, "
          f"{'pinned: responder CPU 1, generator CPU 0' if a.pin else 'not pinned'}",
          flush=True)
    for round_no in range(a.rounds):
        for name, args in responders.items():
            r = Responder(args, a.pin)
            try:
                f64 = flood(build_dir, r, 64, a.seconds, a.pin)
                f1024 = flood(build_dir, r, 1024, a.seconds, a.pin)
                f64one = flood(build_dir, r, 64, a.seconds, a.pin, mode="flood1")
                pp = generate(build_dir, "pingpong", r.address, 64, a.seconds, a.pin)
                if name == "udp-echo":
                    rss.append(r.peak_rss_kb())
                    sp = send_pingpong(build_dir, r.address, a.seconds, a.pin)
                    send_rtt.append(sp["median_us"])
                    load_gen_rtt.append(pp["median_us"])
                    print(f"  round {round_no + 1} udp-send --window 1 against udp-echo: median "
                          f"{sp['median_us']:.1f} us (load_gen ping-pong {pp['median_us']:.1f} "
                          f"us)", flush=True)
                    for offload in (True, False):
                        # Without offload on both sides: a udp-echo of its own, --no-offload.
                        plain = None if offload else Responder(args + ["--no-offload"], a.pin)
                        try:
                            fl = send_flood(build_dir, (plain or r).address, offload, a.seconds,
                                            a.pin)
                        finally:
                            if plain:
                                plain.stop()
                        floods[offload].append(fl)
                        print(f"  round {round_no + 1} udp-send --burst 1000000 against udp-echo "
                              f"{'with GSO/GRO' if offload else '--no-offload on both'}: "
                              f"{fl['rate']:.0f} /s, lost {fl['lost']}, replies 64 bytes: "
                              f"{fl['sizes_ok']}", flush=True)
                    rss.append(r.peak_rss_kb())
            finally:
                r.stop()
            results[name]["r64"].append(f64["rate"])
            results[name]["r1024"].append(f1024["rate"])
            results[name]["r64one"].append(f64one["rate"])
            results[name]["rtt"].append(pp["median_us"])
            results[name]["p99"].append(pp["p99_us"])
            results[name]["cpu64"].append(f64["cpu_us"])
            results[name]["cpu1024"].append(f1024["cpu_us"])
            print(f"  round {round_no + 1} {name}: {f64['rate']:.0f} /s (64 B), "
                  f"{f1024['rate']:.0f} /s (1024 B), {f64one['rate']:.0f} /s (64 B, one per "
                  f"call), ping-pong median {pp['median_us']:.1f} us, "
                  f"CPU {f64['cpu_us']:.1f}/{f1024['cpu_us']:.1f} us per datagram", flush=True)
        if sockperf is not None:
            sp = sockperf_round(a.seconds, a.pin)
            sockperf.append(sp)
            print(f"  round {round_no + 1} sockperf sr: pp {sp['pp']:.0f} round trips/s (median "
                  f"{sp['pp_median_us']:.1f} us), tp {sp['tp']:.0f} /s sent", flush=True)

    # The worst case for memory: the largest datagrams, as fast as they come.
    big = Responder(responders["udp-echo"] + ["--max-message", "65507"], a.pin)
    try:
        fbig = flood(build_dir, big, 65507, min(a.seconds, 3), a.pin)
        big_rss = big.peak_rss_kb()
    finally:
        big.stop()

    med = {n: {k: statistics.median(v) for k, v in m.items()} for n, m in results.items()}
    batch = med["batch loop (recvmmsg/sendmmsg)"]
    blocking = med["blocking loop (recvfrom/sendto)"]
    print()
    print("| responder | 64 B /s | x batch | 1024 B /s | x batch | 64 B, one per call /s "
          "| x batch | ping-pong median us | x blocking | p99 us | CPU us/datagram 64 B, 1024 B |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, m in med.items():
        print(f"| {name} | {m['r64']:.0f} | {m['r64'] / batch['r64']:.2f} | {m['r1024']:.0f} | "
              f"{m['r1024'] / batch['r1024']:.2f} | {m['r64one']:.0f} | "
              f"{m['r64one'] / batch['r64one']:.2f} | {m['rtt']:.1f} | "
              f"{m['rtt'] / blocking['rtt']:.2f} | {m['p99']:.0f} | "
              f"{m['cpu64']:.1f}, {m['cpu1024']:.1f} |")
    echo = med["udp-echo"]
    flood_rate = {k: statistics.median(f["rate"] for f in v) for k, v in floods.items()}
    print()
    print("| udp-send --burst 1000000 --size 64 against udp-echo | /s | x batch-loop pair |")
    print("|---|---:|---:|")
    for offload, label in ((True, "GSO/GRO, 256 in flight"),
                           (False, "--no-offload on both sides, 64 in flight")):
        print(f"| {label} | {flood_rate[offload]:.0f} | {flood_rate[offload] / batch['r64']:.2f} |")
    if sockperf:
        sp = {k: statistics.median(r[k] for r in sockperf) for k in ("pp", "pp_median_us", "tp")}
        print(f"| sockperf pp against sockperf sr (round trips, one at a time) | {sp['pp']:.0f} | "
              f"{sp['pp'] / batch['r64']:.2f} |")
        print(f"| sockperf tp against sockperf sr (one way, client's send rate) | {sp['tp']:.0f} | "
              f"{sp['tp'] / batch['r64']:.2f} |")
        print(f"sockperf pp median latency (one way, half the round trip): "
              f"{sp['pp_median_us']:.1f} us")
    else:
        print("(sockperf is not installed: apt-get install sockperf adds its rows)")
    print()
    print(f"udp-echo vs blocking loop: {echo['r64'] / blocking['r64']:.2f}x (64 B), "
          f"{echo['r1024'] / blocking['r1024']:.2f}x (1024 B)")
    print(f"udp-echo peak RSS (VmHWM) after its floods (load generator, udp-send with GSO/GRO): "
          f"{max(rss) / 1024:.1f} MiB (max over rounds)")
    print(f"udp-echo peak RSS after a 65507-byte flood ({fbig['rate']:.0f} /s, --max-message "
          f"65507): {big_rss / 1024:.1f} MiB")
    print(f"ping-pong against udp-echo, median: udp-send --window 1 "
          f"{statistics.median(send_rtt):.1f} us, load_gen {statistics.median(load_gen_rtt):.1f} us "
          f"({statistics.median(send_rtt) / statistics.median(load_gen_rtt):.2f}x)")
    print()
    clean_floods = all(f["lost"] == 0 and f["sizes_ok"] for f in floods[True])
    targets = [
        ("udp-send with udp-echo (GSO/GRO) >= 5x the batch-loop pair (64 B)",
         flood_rate[True] / batch["r64"] >= 5),
        ("  ... with 0 lost and every reply the probe's size, every round", clean_floods),
        ("echo rate >= 1.0x batch loop, plain load generator (64 B)",
         echo["r64"] / batch["r64"] >= 1.0),
        ("echo rate >= 1.0x batch loop, plain load generator (1024 B)",
         echo["r1024"] / batch["r1024"] >= 1.0),
        ("echo rate >= 1.0x batch loop, a client sending one datagram per call (64 B)",
         echo["r64one"] / batch["r64one"] >= 1.0),
        ("echo rate >= 2x blocking loop (64 B)", echo["r64"] / blocking["r64"] >= 2),
        ("echo rate >= 2x blocking loop (1024 B)", echo["r1024"] / blocking["r1024"] >= 2),
        ("ping-pong median <= 1.15x blocking loop", echo["rtt"] / blocking["rtt"] <= 1.15),
        ("peak RSS < 8 MB", max(rss + [big_rss]) * 1024 < 8e6),
        ("udp-send ping-pong median <= load_gen's against udp-echo",
         statistics.median(send_rtt) <= statistics.median(load_gen_rtt)),
    ]
    for what, met in targets:
        print(f"{'met    ' if met else 'MISSED '} {what}")


if __name__ == "__main__":
    main()
