#!/usr/bin/env python3
"""udp-echo under load and faults (issue 7), on loopback, driven by test/support/flood_gen.

- A flood of UDPKIT_FLOOD_SECONDS (default 60) from two generator processes at the highest rate
  the kernel takes: udp-echo's memory stays flat, and every datagram the generators sent is
  accounted for: received by udp-echo (and then replied, truncated, refused, rate-limited or a
  send error) or dropped by the kernel because udp-echo's receive buffer was full.
- Senders that vanish (replies meet closed ports, ICMP errors come back), SIGINT mid-flood, and a
  restart on the same port while the flood goes on.

The suite runs alone (is_parallel: false): the flood wants the whole machine. Figures are printed
(datagrams/s, drops, peak RSS); only correctness and memory bounds are asserted, never speed.
A full send buffer (EAGAIN) cannot happen on loopback, where a sent datagram leaves the sender's
buffer at once: it is tested across a rate-limited link in tool_netns.py.
"""
import os
import signal
import socket
import sys
import time

from echo_counters import (adds_up, backlog_drops, parse_stats, peak_rss_bound_kb,  # noqa: E402
                           status_kb)
from harness import BUILD, case, run, spawn, start_echo, tool, udp_client, wait_until  # noqa: E402

ECHO = tool("udp-echo")
FLOOD_GEN = os.path.join(BUILD, "test", "flood_gen")
FLOOD_SECONDS = int(os.environ.get("UDPKIT_FLOOD_SECONDS", "60"))
GROWTH_MARGIN_KB = 512


def stop(proc, sig=signal.SIGTERM):
    """Signals udp-echo, expects exit 0 and returns its last counters."""
    proc.signal(sig)
    code, out, err = proc.wait(15)
    assert code == 0, (code, err)
    return parse_stats(out.strip().splitlines()[-1])


def udp_socket_row(port):
    """(rx_queue bytes, drops) of the IPv4 UDP socket bound to 127.0.0.1:port (/proc/net/udp)."""
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == f"0100007F:{port:04X}":
                return int(fields[4].split(":")[1], 16), int(fields[12])
    raise AssertionError(f"no socket on 127.0.0.1:{port} in /proc/net/udp")


def settled_drops(port, timeout=10.0):
    """The kernel's drop count for the socket once its receive queue is empty (all read)."""
    row = [None]

    def queue_empty():
        row[0] = udp_socket_row(port)
        return row[0][0] == 0

    wait_until(queue_empty, timeout,
               lambda: f"udp-echo to read its queue ({row[0][0]} bytes still queued)")
    return row[0][1]


def flood(port, seconds, *extra, sockets=2):
    return spawn([FLOOD_GEN, f"127.0.0.1:{port}", seconds, "--sockets", sockets, *extra])


def generator_sent(gen, timeout):
    code, out, err = gen.wait(timeout)
    assert code == 0, (code, err)
    words = out.split()
    assert words[0] == "sent" and words[2] == "datagrams", out
    return int(words[1])


def ask_until_answered(client, server, payload, timeout=20.0):
    """Under a flood the request itself may be dropped with the rest: asks again (0.2 s each)."""
    client.settimeout(0.2)

    def answered():
        client.sendto(payload, server)
        try:
            data, source = client.recvfrom(70000)
        except socket.timeout:
            return False
        assert source == server and data == payload, (source, data)
        return True

    wait_until(answered, timeout, f"a reply from {server}", interval=0)


@case
def flood_keeps_memory_flat_and_accounts_for_every_datagram():
    proc, (host, port) = start_echo()
    pid = proc.p.pid
    backlog_before = backlog_drops()
    # Two processes, two sockets each: one source port below 1024 (refused), and every 16th
    # datagram 1500 bytes, over the default 1472 limit (truncated): every counter moves.
    mix = ["--big-every", "16", "--big-size", "1500"]
    gens = [flood(port, FLOOD_SECONDS, *mix, "--privileged"), flood(port, FLOOD_SECONDS, *mix)]
    start = time.monotonic()
    samples = []  # (seconds since start, VmRSS kB)
    mid_flood = None
    while any(g.p.poll() is None for g in gens):
        elapsed = time.monotonic() - start
        assert elapsed < FLOOD_SECONDS + 30, "the generators did not stop"
        samples.append((elapsed, status_kb(pid, "VmRSS")))
        if mid_flood is None and elapsed >= FLOOD_SECONDS / 2:
            proc.signal(signal.SIGUSR1)  # counters read under full load must add up too
            mid_flood = parse_stats(proc.readline(10))
        time.sleep(0.25)
    sent = sum(generator_sent(g, 10) for g in gens)
    drops = settled_drops(port)
    peak_kb = status_kb(pid, "VmHWM")
    s = stop(proc)
    backlog = backlog_drops() - backlog_before

    assert mid_flood is not None and adds_up(mid_flood) and mid_flood["received"] > 0, mid_flood
    assert adds_up(s), s
    assert s["replied"] > 0 and s["truncated"] > 0 and s["refused_privileged_port"] > 0, s
    assert s["send_errors"] == 0 and s["rate_limited"] == 0, s
    # udp-echo's own count of the kernel's drops (SO_MEMINFO on its socket) is the kernel's.
    assert s["kernel_drops"] == drops, (s["kernel_drops"], drops)
    # Every datagram sent was received or dropped by the kernel at udp-echo's socket; the only
    # other loss on loopback is the input backlog, counted machine-wide (usually 0).
    unaccounted = sent - s["received"] - drops
    assert 0 <= unaccounted <= backlog, (sent, s["received"], drops, backlog)

    half = FLOOD_SECONDS / 2
    first = max(kb for t, kb in samples if t < half)
    second = max(kb for t, kb in samples if t >= half)
    assert peak_kb < peak_rss_bound_kb(ECHO), f"peak RSS {peak_kb} kB"
    assert second <= first + GROWTH_MARGIN_KB, f"RSS grew from {first} kB to {second} kB"
    print(f"flood: {FLOOD_SECONDS} s, sent {sent} ({sent / FLOOD_SECONDS:.0f}/s), received "
          f"{s['received']} ({s['received'] / FLOOD_SECONDS:.0f}/s), kernel drops {drops}, "
          f"backlog drops {backlog}, unaccounted {unaccounted}; replied {s['replied']}, "
          f"truncated {s['truncated']}, refused {s['refused']}; RSS max {first} kB (first half) "
          f"{second} kB (second half), peak (VmHWM) {peak_kb} kB")


def icmp_out_dest_unreachs():
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Icmp:")]
    return int(rows[1][rows[0].index("OutDestUnreachs")])


@case
def senders_that_vanish_do_not_disturb_a_live_client():
    proc, server = start_echo()
    live = udp_client()
    icmp_before = icmp_out_dest_unreachs()
    sent = 0
    for round_ in range(50):
        # Twenty clients send five datagrams each and close at once: the replies meet closed
        # ports and the kernel answers them with ICMP port unreachable.
        for _ in range(20):
            gone = udp_client()
            for i in range(5):
                gone.sendto(b"gone %d" % i, server)
            gone.close()
            sent += 5
        live.sendto(b"live %d" % round_, server)
        assert live.recv(100) == b"live %d" % round_
        sent += 1
    drops = settled_drops(server[1])
    s = stop(proc)
    assert adds_up(s) and s["received"] + drops == sent, (s, drops, sent)
    assert s["replied"] == s["received"], s  # a reply to a closed port still leaves udp-echo
    assert icmp_out_dest_unreachs() > icmp_before, "no ICMP port unreachable was generated"
    print(f"vanishing senders: {sent} datagrams, {s['replied']} replies, {drops} kernel drops, "
          f"50 of 50 live requests answered")


@case
def sigint_mid_flood_exits_0_and_the_port_can_be_bound_again_at_once():
    proc, (host, port) = start_echo("--rate-limit", "20000", "--burst", "2000")
    gen = flood(port, 20, "--big-every", "16", "--big-size", "1500", "--privileged")
    received = [0]

    def busy():  # mid-flood: wait until udp-echo is busy
        proc.signal(signal.SIGUSR1)
        received[0] = parse_stats(proc.readline(10))["received"]
        return received[0] >= 50000

    wait_until(busy, 10, lambda: f"udp-echo to receive 50000 datagrams (it has {received[0]})",
               interval=0.1)
    s = stop(proc, signal.SIGINT)
    assert adds_up(s), s
    for counter in ("replied", "truncated", "rate_limited", "refused"):
        assert s[counter] > 0, (counter, s)
    # The same port at once, with the flood still going (no SO_REUSEADDR: UDP needs none).
    again, address = start_echo(bind=f"127.0.0.1:{port}")
    assert address == (host, port), address
    client = udp_client()
    ask_until_answered(client, address, b"after the restart")
    gen.signal(signal.SIGTERM)
    gen.wait(10)
    s2 = stop(again)
    assert adds_up(s2) and s2["received"] > 0, s2
    print(f"SIGINT after {s['received']} datagrams (replied {s['replied']}, rate-limited "
          f"{s['rate_limited']}, truncated {s['truncated']}, refused {s['refused']}); restarted "
          f"on port {port} under the flood, then received {s2['received']}")


run()
