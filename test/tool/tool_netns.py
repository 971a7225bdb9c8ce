#!/usr/bin/env python3
"""Multi-host tests: three hosts in network namespaces that this test creates (root, iproute2),
joined by a bridge, addressed from the documentation ranges 192.0.2.0/24 and 2001:db8::/64.
Skipped, with the reason, only where namespaces cannot be created.

udp-chat: three peers with one directory. udp-echo on h1 with udp-send from h2 and h3 (a probe
burst, examples/echo-smoke.udps), its privileged-port refusal across hosts, and a full send
buffer: h1's link rate-limited (tc tbf), so that replies queue in udp-echo's socket buffer until
sends fail with EAGAIN; on loopback a sent datagram leaves the buffer at once, so this cannot
be provoked there. UDP GSO across the link, and the kernel refusing it (a segment over the
link's MTU) with the fallback losing nothing."""
import json
import os
import signal
import subprocess
import sys
import tempfile

import harness
from echo_counters import adds_up, parse_stats, peak_rss_bound_kb, status_kb
from harness import case, spawn, start_echo, tool, unused_port, wait_until
from netns import run_or_skip, testnet

CHAT = tool("udp-chat")
ECHO = tool("udp-echo")  # for its peak RSS bound; harness.start_echo runs it
SEND = tool("udp-send")
EXAMPLES = os.path.join(os.environ.get("UDPKIT_SOURCE", os.path.join(os.path.dirname(__file__),
                                                                      "..", "..")), "examples")
NAMES = ["alice", "bob", "carol"]


def write_directory(path, addresses):
    with open(path, "w", encoding="utf-8") as f:
        for name, address in zip(NAMES, addresses):
            f.write(f'[peers.{name}]\naddress = "{address}"\n')


def chat_ring(net, hosts):
    """alice -> bob -> carol -> alice, one udp-chat per host (at `hosts`: h1..h3's addresses,
    IPv6 in brackets) with one shared directory. A directory names its ports: each from
    unused_port(), new ones if a peer finds its port taken."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "peers.toml")
        for _attempt in range(5):
            addresses = [f"{host}:{unused_port()}" for host in hosts]
            write_directory(directory, addresses)
            procs = []
            for i, name in enumerate(NAMES):
                to = NAMES[(i + 1) % 3]
                p = spawn(net.cmd(i, [CHAT, "--directory", directory, "--as", name, "--to", to,
                                      "--linger", "2"]), stdin=subprocess.PIPE)
                procs.append(p)
            taken = False
            for p, address in zip(procs, addresses):
                try:
                    line = p.readline(5)
                except AssertionError:
                    p.wait(5)
                    if "EADDRINUSE" not in p.stderr():
                        raise
                    taken = True
                    continue
                assert line == f"listening on {address}", line
            if not taken:
                break
            for p in procs:
                if p.p.poll() is None:
                    p.p.kill()
        else:
            raise AssertionError("a peer's port was taken in each of 5 attempts")
        # Everyone listens before anyone speaks, so no first message meets a closed port.
        for p, name in zip(procs, NAMES):
            p.p.stdin.write(f"hello from {name} 你好\nsecond line from {name}\n".encode())
            p.p.stdin.close()
        for i, p in enumerate(procs):
            code, out, err = p.wait(15)
            assert code == 0, (NAMES[i], code, err)
            sender = NAMES[(i - 1) % 3]
            lines = [l.split("] ", 1)[1] for l in out.splitlines()]
            # Across a network UDP keeps boundaries, not order (the first datagram can wait for
            # neighbour discovery): each message once, whole, under the right name.
            assert sorted(lines) == sorted([f"{sender}: hello from {sender} 你好",
                                            f"{sender}: second line from {sender}"]), (NAMES[i], out)


@case
def three_hosts_chat_by_name_over_ipv4():
    with testnet(3) as net:
        chat_ring(net, net.v4)


@case
def three_hosts_chat_by_name_over_ipv6():
    with testnet(3) as net:
        chat_ring(net, [f"[{a}]" for a in net.v6])


def echo_on_h1(net, host, *args):
    """udp-echo on h1, bound to `host` (h1's own address, IPv6 in brackets) and port 0; returns
    (process, the port it got)."""
    proc, (bound, port) = start_echo(*args, bind=f"{host}:0", prefix=net.cmd(0, []))
    assert bound == host.strip("[]"), (bound, host)
    return proc, port


def stats(proc, sig=signal.SIGUSR1):
    proc.signal(sig)
    return parse_stats(proc.readline(10))


def burst_and_script_across_hosts(net, echo_host):
    echo, port = echo_on_h1(net, echo_host)
    echo_address = f"{echo_host}:{port}"
    r = harness.run_tool(net.cmd(1, [SEND, "--burst", "2000", "--size", "100", "--json",
                                     echo_address]), timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    for key, want in (("sent", 2000), ("received", 2000), ("lost", 0), ("truncated", 0),
                      ("duplicated", 0), ("size", 100)):
        assert report[key] == want, (key, report)
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "peers.toml")
        with open(directory, "w", encoding="utf-8") as f:
            f.write(f'[peers.echo]\naddress = "{echo_address}"\n')
        r = harness.run_tool(net.cmd(2, [SEND, "--script", os.path.join(EXAMPLES,
                                         "echo-smoke.udps"), "--directory", directory]),
                             timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.rstrip().endswith("PASS: 30 of 30 expectations held"), r.stdout
    s = stats(echo, signal.SIGTERM)
    # 2000 probes + 29 script sends, each answered once.
    assert s["received"] == s["replied"] == 2029 and adds_up(s), s


@case
def echo_answers_a_burst_and_a_script_from_other_hosts_over_ipv4():
    with testnet(3) as net:
        burst_and_script_across_hosts(net, net.v4[0])


@case
def echo_answers_a_burst_and_a_script_from_other_hosts_over_ipv6():
    with testnet(3) as net:
        burst_and_script_across_hosts(net, f"[{net.v6[0]}]")


@case
def echo_refuses_privileged_source_ports_from_another_host_unless_allowed():
    with testnet(2) as net:
        for echo_host, sender_host in ((net.v4[0], net.v4[1]),
                                       (f"[{net.v6[0]}]", f"[{net.v6[1]}]")):
            strict, strict_port = echo_on_h1(net, echo_host, "--log")
            lenient, lenient_port = echo_on_h1(net, echo_host, "--allow-privileged-ports")
            # h2 is a namespace this test made: nothing else can hold the port there.
            low = f"{sender_host}:{unused_port(privileged=True)}"
            r = harness.run_tool(net.cmd(1, [SEND, "--bind", low, f"{echo_host}:{strict_port}",
                                             "loop?", "--wait-reply", "--timeout", "300"]))
            assert r.returncode == 1, r.stdout + r.stderr
            line = strict.readline(5)
            assert line.endswith(f" {low} 5 refused-privileged-port"), line
            s = stats(strict)
            assert s["refused_privileged_port"] == 1 and s["replied"] == 0 and adds_up(s), s
            r = harness.run_tool(net.cmd(1, [SEND, "--bind", low, f"{echo_host}:{lenient_port}",
                                             "allowed", "--wait-reply", "--timeout", "2000"]))
            assert r.returncode == 0 and "allowed" in r.stdout, r.stdout + r.stderr
            for proc in (strict, lenient):
                stats(proc, signal.SIGTERM)


@case
def gso_crosses_a_link_and_a_refused_gso_falls_back_without_loss():
    """GSO over a real link (veth, 1500-byte MTU): 1400-byte probes leave in GSO sends and all
    come back. 2000-byte probes cannot be segments on that link: the kernel refuses the GSO
    send (EMSGSIZE, EINVAL on older kernels), and both tools count the refusal, turn GSO off
    and send those datagrams plainly (IP fragments them): none is lost."""
    with testnet(2) as net:
        echo, port = echo_on_h1(net, net.v4[0], "--max-message", "4000")
        target = f"{net.v4[0]}:{port}"
        reports = []
        for size, count in ((1400, 1000), (2000, 300)):
            r = harness.run_tool(net.cmd(1, [SEND, "--burst", count, "--size", size,
                                             "--max-message", "4000", "--json", target]),
                                 timeout=30)
            assert r.returncode == 0, r.stdout + r.stderr
            report = json.loads(r.stdout)
            for key, want in (("sent", count), ("received", count), ("lost", 0),
                              ("corrupt", 0), ("truncated", 0)):
                assert report[key] == want, (size, key, report)
            assert report["reply_bytes"] == {"min": size, "max": size}, report
            reports.append(report["offload"])
        fits, too_large = reports
        assert fits["gso"] and fits["gso_sends"] > 0 and fits["gso_refusals"] == 0, fits
        assert not too_large["gso"] and too_large["gso_refusals"] == 1, too_large
        assert too_large["gso_sends"] == 0, too_large
        s = stats(echo, signal.SIGTERM)
        assert s["received"] == s["replied"] == 1300 and adds_up(s), s
        assert s["gso_refusals"] == 1 and not s["gso"], s  # its 2000-byte replies, once


# Run inside h2: floods udp-echo with 1400-byte datagrams from 8 sockets that never read, so
# replies pile up behind h1's slow link; prints how many datagrams the kernel accepted.
NEVER_READ_CLIENTS = """
import socket, sys
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
sent = 0
for i in range(int(sys.argv[2])):
    socks[i % 8].sendto(b"x" * 1400, (sys.argv[1], int(sys.argv[3])))
    sent += 1
print(sent)
"""


def udp_row(net, host_index, local):
    """(tx_queue, rx_queue, drops) of the socket bound to `local` ("HEXIP:HEXPORT") on a host."""
    table = subprocess.run(net.cmd(host_index, ["cat", "/proc/net/udp"]), capture_output=True,
                           text=True, timeout=10, check=True).stdout
    for line in table.splitlines()[1:]:
        fields = line.split()
        if fields[1] == local:
            tx, rx = (int(x, 16) for x in fields[4].split(":"))
            return tx, rx, int(fields[12])
    raise AssertionError(f"no socket {local} in h{host_index + 1}'s /proc/net/udp")


@case
def full_send_buffer_drops_and_counts_replies_and_memory_stays_flat():
    with testnet(3) as net:
        # h1 sends at 4 Mbit/s with a deep queue: replies wait in udp-echo's socket buffer
        # (about 200 kB) until it is full, and then sends fail with EAGAIN.
        subprocess.run(net.cmd(0, ["tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate",
                                   "4mbit", "burst", "16kb", "limit", "16mb"]),
                       check=True, capture_output=True, timeout=10)
        echo, port = echo_on_h1(net, net.v4[0])
        # /proc/net/udp's form of the address: the IPv4 address as a little-endian word.
        local = "".join(f"{int(b):02X}" for b in reversed(net.v4[0].split("."))) + f":{port:04X}"
        r = harness.run_tool(net.cmd(1, [sys.executable, "-c", NEVER_READ_CLIENTS, net.v4[0],
                                         "3000", port]), timeout=30)
        assert r.returncode == 0, r.stderr
        sent = int(r.stdout)
        wait_until(lambda: udp_row(net, 0, local)[1] == 0, 10, "udp-echo to read its queue")
        drops = udp_row(net, 0, local)[2]
        s = stats(echo)
        assert adds_up(s) and s["received"] + drops == sent, (s, drops, sent)
        assert s["send_errors"] > 0 and s["replied"] > 0, s
        assert "socket buffer full, reply dropped" in echo.stderr(), echo.stderr()
        peak_kb = status_kb(echo.p.pid, "VmHWM")
        assert peak_kb < peak_rss_bound_kb(ECHO), f"peak RSS {peak_kb} kB"
        # Once the link has drained the buffer, a client on another host is answered again.
        wait_until(lambda: udp_row(net, 0, local)[0] == 0, 10, "the send buffer to drain")
        r = harness.run_tool(net.cmd(2, [SEND, f"{net.v4[0]}:{port}", "still there?",
                                         "--wait-reply", "--timeout", "2000"]))
        assert r.returncode == 0 and "still there?" in r.stdout, r.stdout + r.stderr
        final = stats(echo, signal.SIGTERM)
        assert adds_up(final) and final["replied"] == s["replied"] + 1, final
        print(f"full send buffer: {sent} datagrams of 1400 bytes, {s['received']} received, "
              f"{drops} kernel drops, {s['replied']} replied, {s['send_errors']} send errors "
              f"(EAGAIN), peak RSS {peak_kb} kB")


if __name__ == "__main__":
    run_or_skip()
