"""udp-echo's loop breaker, spawned (issue 15, item 3).

- Two default udp-echo on 127.0.0.1 port 0 and ONE datagram forged from a raw socket (root) to
  come from echo A and go to echo B: without the breaker the two answer each other for ever; with
  it the bouncing stops within 1 s, and the refusal is counted (refused_loop) and noticed.
- The same with --no-loop-breaker on both: the loop goes on (the off switch works).
- A legitimate client at full speed loses nothing: a 1,000,000-probe `udp-send --burst` (distinct
  payloads: probes carry sequence numbers) and 2000 identical requests one at a time
  (`--count 2000 --interval 0 --wait-reply`).
- Where the line is: a client that sends the same bytes again the instant each reply comes, for
  over 0.5 s and 4096 times, is refused until it pauses, and answered after the pause.
"""
import json
import os
import signal
import socket
import struct
import time

from echo_counters import adds_up, counts, parse_stats  # noqa: E402
from harness import case, run, run_tool, skip, start_echo, tool  # noqa: E402

SEND = tool("udp-send")


def stats(proc):
    """Signals the responder (SIGUSR1) and parses the stats line it prints."""
    proc.signal(signal.SIGUSR1)
    return parse_stats(proc.readline(10))


def spoofed_udp(src, dst, payload):
    """An IPv4 header + UDP datagram from `src` to `dst` (UDP checksum 0: none, valid in v4)."""
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP,
                         0, socket.inet_aton(src[0]), socket.inet_aton(dst[0]))
    return header + udp


def raw_socket():
    """A raw IPv4 socket that sends whole IP packets (IPPROTO_RAW: IP_HDRINCL), or None and why
    not (it needs root, or CAP_NET_RAW)."""
    if os.geteuid() != 0:
        return None, "forging echo A's source address needs a raw socket: run as root"
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW), None
    except PermissionError as e:
        return None, f"no raw socket even as root ({e}): CAP_NET_RAW is missing"


def start_loop(*options):
    """Two udp-echo with `options` and one datagram forged from A to B. Returns (a, b, the time
    it was sent); skips the case where no raw socket can forge the datagram."""
    raw, why = raw_socket()
    if raw is None:
        skip(why)
    a, server_a = start_echo(*options)
    b, server_b = start_echo(*options)
    with raw:
        raw.sendto(spoofed_udp(server_a, server_b, b"loop?"), server_b)
        return a, b, time.monotonic()


@case
def forged_datagram_between_two_default_responders_stops_within_1_s():
    a, b, sent_at = start_loop()
    # Watch it during the first second (both received counters every 50 ms)...
    samples = []
    while time.monotonic() - sent_at < 1.0:
        time.sleep(0.05)
        samples.append((time.monotonic() - sent_at, stats(a)["received"] + stats(b)["received"]))
    # ...then, 1 s after the forged datagram, the counters must have stopped growing.
    first = (counts(stats(a)), counts(stats(b)))
    time.sleep(1.0)
    second = (counts(stats(a)), counts(stats(b)))
    assert first == second, f"the loop went on after 1 s: {first} then {second}"
    sa, sb = second
    assert adds_up(sa) and adds_up(sb), (sa, sb)
    # One datagram was in flight: exactly one refusal ended it, on one side or the other, and
    # everything else each side received, the other one had replied (B also got the forgery).
    assert sa["refused_loop"] + sb["refused_loop"] == 1, (sa, sb)
    assert sa["refused"] == sa["refused_loop"] and sb["refused"] == sb["refused_loop"], (sa, sb)
    assert sa["received"] == sb["replied"] and sb["received"] == sa["replied"] + 1, (sa, sb)
    notices = a.stderr() + b.stderr()
    assert "udp-echo: loop breaker: 127.0.0.1:" in notices, notices
    assert notices.count("loop breaker:") == 1, notices
    total = sa["received"] + sb["received"]
    stopped_by = next(t for t, n in samples if n == total)
    before = [(t, n) for t, n in samples if n < total]
    last_growing = before[-1][0] if before else 0.0
    print(f"loop of two default udp-echo: {total} datagrams received in all, stopped between "
          f"{last_growing:.2f} s and {stopped_by:.2f} s after the forged one "
          f"(~{total / stopped_by:.0f} datagrams/s for the two while it ran); refused_loop A "
          f"{sa['refused_loop']}, B {sb['refused_loop']}; notice: {notices.strip()}")


@case
def no_loop_breaker_lets_the_loop_go_on():
    a, b, sent_at = start_loop("--no-loop-breaker")
    time.sleep(max(0.0, 1.5 - (time.monotonic() - sent_at)))
    first = stats(b)["received"]
    time.sleep(0.2)
    then = stats(b)["received"]
    assert then > first > 0, f"without the breaker the loop should still run: {first}, {then}"
    assert stats(a)["refused"] == 0 and stats(b)["refused"] == 0
    print(f"--no-loop-breaker: still bouncing 1.5 s later ({then - first} datagrams at B in "
          f"0.2 s); the processes are ended by the harness")


@case
def burst_of_1000000_probes_loses_nothing():
    echo, (host, port) = start_echo()
    r = run_tool([SEND, "--burst", "1000000", "--size", "64", "--json", f"{host}:{port}"],
                 timeout=240)
    assert r.returncode == 0, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert (report["sent"], report["received"], report["lost"]) == (1000000, 1000000, 0), report
    s = stats(echo)
    assert s["received"] == s["replied"] == 1000000 and s["refused"] == 0 and adds_up(s), s
    print(f"burst: 1000000 probes of 64 bytes, lost {report['lost']}, rate "
          f"{report['rate_pps']:.0f} pps in {report['duration_ms'] / 1000:.2f} s; udp-echo "
          f"replied {s['replied']}, refused_loop {s['refused_loop']}")


@case
def identical_requests_one_at_a_time_are_all_answered():
    # At the line on purpose: 4096 identical requests (4095 repeats), each sent the instant the
    # previous reply came but paced to about 6600 a second, so that the run lasts past the 0.5 s
    # the breaker needs. One repeat fewer than a loop: every one is answered.
    echo, server = start_echo()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.connect(server)
    client.settimeout(1.0)
    start = time.monotonic()
    for i in range(4096):
        while time.monotonic() < start + i * 150e-6:
            pass
        client.send(b"same")
        assert client.recv(100) == b"same", f"request {i + 1} was not answered"
    took = time.monotonic() - start
    s = stats(echo)
    assert s["received"] == s["replied"] == 4096 and s["refused_loop"] == 0 and adds_up(s), s
    assert took >= 0.55, f"the run lasted {took:.2f} s, too short to reach the breaker's 0.5 s"
    print(f"4096 identical requests one at a time in {took:.2f} s: {s['replied']} replied, "
          f"{s['refused']} refused")


@case
def a_client_repeating_itself_past_the_line_is_refused_until_it_pauses():
    # Past the line on purpose: the same bytes again the instant each reply comes, for up to
    # 5 s. The breaker refuses once that has lasted 0.5 s and counted 4096 repeats; after a pause
    # of more than 50 ms the same bytes are answered again.
    echo, server = start_echo()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.connect(server)
    client.settimeout(0.5)
    answered = 0
    start = time.monotonic()
    refused_at = None
    while time.monotonic() - start < 5.0:
        client.send(b"same")
        try:
            assert client.recv(100) == b"same"
        except socket.timeout:
            refused_at = time.monotonic() - start
            break
        answered += 1
    assert refused_at is not None, f"{answered} identical requests in 5 s were all answered"
    assert answered >= 4097 and refused_at >= 0.5, (answered, refused_at)
    time.sleep(0.1)  # the pause (the 0.5 s timeout was one already)
    client.send(b"same")
    assert client.recv(100) == b"same"
    s = stats(echo)
    assert s["refused_loop"] == 1 and s["replied"] == answered + 1 and adds_up(s), s
    assert "loop breaker: 127.0.0.1:" in echo.stderr(), echo.stderr()
    client.close()
    print(f"past the line: {answered} identical requests answered, the next refused at "
          f"{refused_at:.2f} s (0.5 s timeout included); answered again after a pause")


if __name__ == "__main__":
    run()
