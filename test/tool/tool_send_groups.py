#!/usr/bin/env python3
"""udp-send to multicast groups and broadcast addresses, across hosts in network namespaces that
this test creates (root, iproute2; skipped, with the reason, where they cannot be made): two
udp-echo members of a group answer a third host's one-shot and burst, each listed with its own
counts; --expect-responders; an IPv6 group out of eth0; --ttl and --loop/--no-loop taking effect;
a subnet broadcast refused without --broadcast (nothing sent) and answered with it; a script
whose target is a directory group, with `expect ... from PEER`."""
import json
import os
import signal
import sys
import tempfile

import harness
from echo_counters import parse_stats
from harness import case, spawn, tool, unused_port
from netns import testnet, unavailable

ECHO = tool("udp-echo")
SEND = tool("udp-send")
GROUP = "239.77.0.5"


def echo_on(net, host_index, *args):
    """udp-echo on host h<host_index+1>, after its `listening` and `joined` lines."""
    proc = spawn(net.cmd(host_index, [ECHO, *args]))
    proc.listening(5)
    if "--join" in args:
        joined = proc.readline(5)
        assert joined.startswith("joined "), joined
    return proc


def members(net, group, port, hosts=(0, 1), extra=()):
    bracketed = f"[{group}]" if ":" in group else group
    return [echo_on(net, i, "--join", f"{bracketed}:{port}", *extra) for i in hosts]


def send(net, host_index, *args, timeout=20):
    return harness.run_tool(net.cmd(host_index, [SEND, *args]), timeout=timeout)


def stats(proc):
    """udp-echo's counters at SIGTERM (it exits)."""
    proc.signal(signal.SIGTERM)
    while True:
        line = proc.readline(10)
        if line.startswith("stats: "):
            return parse_stats(line)


def write_directory(path, net, port, group_lines=""):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'[peers.alice]\naddress = "{net.v4[0]}:{port}"\n'
                f'[peers.bob]\naddress = "{net.v4[1]}:{port}"\n'
                f'[peers.carol]\naddress = "{net.v4[2]}:{port}"\n'
                f'[groups.team]\naddress = "{GROUP}:{port}"\nmembers = ["alice", "bob"]\n'
                f'{group_lines}')


def small_directory(tmp, net, port, group_toml):
    """A directory of one peer, h1, and the group tables `group_toml`; returns its path."""
    path = os.path.join(tmp, "peers.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'[peers.h1]\naddress = "{net.v4[0]}:{port}"\n{group_toml}')
    return path


@case
def two_members_answer_a_one_shot_from_a_third_host_each_listed_with_its_source():
    with testnet(3) as net:
        port = unused_port()
        echoes = members(net, GROUP, port)
        r = send(net, 2, f"{GROUP}:{port}", "hello", "--wait-reply", "--timeout", "500",
                 "--expect-responders", "2")
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        lines = r.stdout.splitlines()
        # One reply per member, each with its own unicast address (not the group's).
        assert sorted(lines[:2]) == [f"{net.v4[0]}:{port}: hello", f"{net.v4[1]}:{port}: hello"], \
            lines
        assert lines[2] == (f"2 responders answered: {net.v4[0]}:{port} 1 reply, "
                            f"{net.v4[1]}:{port} 1 reply"), lines
        for proc in echoes:
            s = stats(proc)
            assert s["to_group"] == s["replied"] == 1, s


@case
def a_directory_group_by_name_names_the_peers_in_text_and_json():
    with testnet(3) as net, tempfile.TemporaryDirectory() as tmp:
        port = unused_port()
        directory = os.path.join(tmp, "peers.toml")
        write_directory(directory, net, port)
        members(net, GROUP, port)
        r = send(net, 2, "--directory", directory, "team", "hi", "--wait-reply", "--json",
                 "--timeout", "500")
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        records = [json.loads(line) for line in r.stdout.splitlines()]
        replies = sorted((rec["source"], rec["peer"], rec["text"]) for rec in records[:2])
        assert replies == [(f"{net.v4[0]}:{port}", "alice", "hi"),
                           (f"{net.v4[1]}:{port}", "bob", "hi")], records
        assert records[2] == {"responders": [
            {"address": f"{net.v4[0]}:{port}", "peer": "alice", "replies": 1},
            {"address": f"{net.v4[1]}:{port}", "peer": "bob", "replies": 1}],
            "unnamed_replies": 0}, records[2]


@case
def expect_responders_3_fails_with_2_and_names_who_answered():
    with testnet(3) as net, tempfile.TemporaryDirectory() as tmp:
        port = unused_port()
        directory = os.path.join(tmp, "peers.toml")
        write_directory(directory, net, port)
        members(net, GROUP, port)
        r = send(net, 2, "--directory", directory, "team", "hi", "--wait-reply", "--timeout",
                 "500", "--expect-responders", "3")
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert (f"udp-send: 2 of the 3 expected responders answered (--expect-responders): "
                f"{net.v4[0]}:{port} (alice), {net.v4[1]}:{port} (bob)") in r.stderr, r.stderr
        # The burst checks the same.
        r = send(net, 2, "--directory", directory, "--burst", "50", "--size", "64", "team",
                 "--timeout", "500", "--expect-responders", "3")
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert "2 of the 3 expected responders answered" in r.stderr, r.stderr


@case
def a_burst_to_the_group_reports_each_responder_with_its_own_counts():
    """h2's member is rate-limited (a token bucket per source) so that the two members' counts
    differ: each line and JSON entry is that responder's own, and --max-loss applies to each."""
    with testnet(3) as net, tempfile.TemporaryDirectory() as tmp:
        port = unused_port()
        directory = os.path.join(tmp, "peers.toml")
        write_directory(directory, net, port)
        members(net, GROUP, port, hosts=(0,))
        members(net, GROUP, port, hosts=(1,), extra=("--rate-limit", "100", "--burst", "20"))
        r = send(net, 2, "--directory", directory, "--burst", "300", "--size", "64", "--rate",
                 "1000", "team", "--timeout", "500", "--json", "--max-loss", "100")
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        report = json.loads(r.stdout)
        assert report["sent"] == 300, report
        responders = report["responders"]
        assert [(x["address"], x["peer"]) for x in responders] == \
            [(f"{net.v4[0]}:{port}", "alice"), (f"{net.v4[1]}:{port}", "bob")], responders
        alice, bob = responders
        assert alice["sent"] == bob["sent"] == 300, responders
        assert alice["received"] == 300 and alice["lost"] == 0, alice
        # 0.3 s at 100 per second plus the bucket of 20: about 50 answered (more if the sender
        # is slowed down), the rest lost.
        assert 20 <= bob["received"] <= 200 and bob["lost"] == 300 - bob["received"], bob
        for x in responders:
            assert x["duplicated"] == x["corrupt"] == x["reordered"] == 0, x
            assert x["rtt_us"]["p50"] > 0 and x["rtt_us"]["max"] >= x["rtt_us"]["p99"], x
        # Text: one line per responder sorted by address; --max-loss 0 fails on bob alone.
        r = send(net, 2, "--directory", directory, "--burst", "300", "--size", "64", "--rate",
                 "1000", "team", "--timeout", "500")
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        lines = r.stdout.splitlines()
        assert lines[0] == (f"burst to team ({GROUP}:{port}): 300 probes of 64 bytes, at most "
                            "64 in flight; 2 responders"), lines
        assert lines[1].startswith(f"{net.v4[0]}:{port} (alice): sent 300, received 300, lost 0 "
                                   "(0.00%)"), lines
        assert lines[2].startswith(f"{net.v4[1]}:{port} (bob): sent 300, received "), lines
        assert "rtt p50 " in lines[1] and ", p90 " in lines[1] and ", p99 " in lines[1], lines
        assert f"burst failed: {net.v4[1]}:{port} (bob): lost " in r.stderr, r.stderr
        assert "(alice)" not in r.stderr, r.stderr


@case
def an_ipv6_group_out_of_eth0():
    with testnet(3) as net:
        port = unused_port()
        members(net, "ff15::77", port, extra=("--interface", "eth0"))
        r = send(net, 2, f"[ff15::77]:{port}", "six", "--wait-reply", "--timeout", "500",
                 "--interface", "eth0", "--expect-responders", "2")
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        assert sorted(r.stdout.splitlines()[:2]) == [f"[{net.v6[0]}]:{port}: six",
                                                    f"[{net.v6[1]}]:{port}: six"], r.stdout
        r = send(net, 2, "--burst", "100", "--size", "64", f"[ff15::77]:{port}", "--interface",
                 "eth0", "--timeout", "500", "--json", "--expect-responders", "2")
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        responders = json.loads(r.stdout)["responders"]
        assert [(x["address"], x["received"]) for x in responders] == \
            [(f"[{net.v6[0]}]:{port}", 100), (f"[{net.v6[1]}]:{port}", 100)], responders
        # An interface by its address, and an IPv4 group out of the interface with that index.
        r = send(net, 2, f"[ff15::77]:{port}", "by address", "--wait-reply", "--timeout", "500",
                 "--interface", net.v6[2], "--expect-responders", "2")
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        index = harness.run_tool(net.cmd(2, ["cat", "/sys/class/net/eth0/ifindex"])).stdout.strip()
        v4_port = unused_port()  # the IPv6 members' [::] sockets are dual-stack on `port`
        members(net, GROUP, v4_port)
        r = send(net, 2, f"{GROUP}:{v4_port}", "by index", "--wait-reply", "--timeout", "500",
                 "--interface", index, "--expect-responders", "2")
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        # An interface that does not exist is a usage error that lists the ones there are.
        r = send(net, 2, f"[ff15::77]:{port}", "six", "--interface", "eth9")
        assert r.returncode == 2 and "--interface: " in r.stderr and "eth9" in r.stderr, r.stderr


# Joins a group on a host and prints, as JSON lines, the TTL (IPv6: hop limit) the kernel saw on
# each datagram that arrives within the wait: [payload, ttl].
TTL_LISTENER = r"""
import json, socket, struct, sys, time
group, port, wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
six = ":" in group
s = socket.socket(socket.AF_INET6 if six else socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("::" if six else "0.0.0.0", port))
if six:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                 socket.inet_pton(socket.AF_INET6, group) +
                 struct.pack("@I", socket.if_nametoindex("eth0")))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(group) + socket.inet_aton("0.0.0.0"))
    s.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL (Linux), not in the socket module
print("ready", flush=True)
deadline = time.monotonic() + wait
while (left := deadline - time.monotonic()) > 0:
    s.settimeout(left)
    try:
        data, ancillary, _, _ = s.recvmsg(2000, 64)
    except socket.timeout:
        break
    ttl = [struct.unpack("@i", d[:4])[0] for _, _, d in ancillary]
    print(json.dumps([data.decode("latin-1"), ttl[0] if ttl else None]), flush=True)
"""


def ttls_seen(net, group, port, sends):
    """Runs a TTL listener on h1 and each of `sends` (udp-send argument lists) on h2; returns
    the [payload, ttl] pairs h1 saw."""
    listener = spawn(net.cmd(0, [sys.executable, "-c", TTL_LISTENER, group, port, 3]))
    assert listener.readline(5) == "ready"
    for args in sends:
        r = send(net, 1, *args)
        # Nobody answers here: a burst fails for that (exit 1), a one-shot only sends.
        assert r.returncode == (1 if "--burst" in args else 0), (args, r.returncode, r.stderr)
    code, out, err = listener.wait(10)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


@case
def ttl_takes_effect_from_the_flag_and_from_the_directory_group():
    """The TTL each datagram left with, as the receiving host's kernel reports it (IP_RECVTTL,
    IPV6_RECVHOPLIMIT). The received TTL is the evidence, not whether a datagram arrives: on
    this test's bridge even a one-shot sent with --ttl 0 was seen on the other host (with TTL 0,
    on Debian 12's kernel), while udp-chat's ttl = 0 room stayed on its host
    (tool_netns_chat), so no case here rests on where a TTL of 0 stops."""
    with testnet(2) as net, tempfile.TemporaryDirectory() as tmp:
        port = unused_port()
        directory = small_directory(tmp, net, port,
                                    f'[groups.far]\naddress = "{GROUP}:{port}"\nttl = 7\n')
        seen = ttls_seen(net, GROUP, port, [
            [f"{GROUP}:{port}", "default"],
            [f"{GROUP}:{port}", "ttl5", "--ttl", "5"],
            ["--directory", directory, "far", "group7"],
            ["--directory", directory, "far", "flag2", "--ttl", "2"],
            ["--burst", "3", "--size", "8", "--timeout", "100", "--ttl", "9", "--max-loss",
             "100", f"{GROUP}:{port}"],
        ])
        assert seen[:4] == [["default", 1], ["ttl5", 5], ["group7", 7], ["flag2", 2]], seen
        assert [ttl for _, ttl in seen[4:]] == [9, 9, 9], seen  # the burst's probes
        six = ttls_seen(net, "ff15::77", port, [
            [f"[ff15::77]:{port}", "hop4", "--interface", "eth0", "--ttl", "4"]])
        assert six == [["hop4", 4]], six


@case
def no_loop_sender_does_not_hear_a_member_on_its_own_host_while_loop_does():
    with testnet(2) as net:
        port = unused_port()
        members(net, GROUP, port)  # h1 and h2; the sender runs on h1

        def sources(*flags):
            r = send(net, 0, f"{GROUP}:{port}", "loop?", "--wait-reply", "--timeout", "400",
                     *flags)
            assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
            return sorted(line.split(": ")[0] for line in r.stdout.splitlines()[:-1])

        assert sources("--no-loop") == [f"{net.v4[1]}:{port}"]
        assert sources("--loop") == [f"{net.v4[0]}:{port}", f"{net.v4[1]}:{port}"]
        assert sources() == [f"{net.v4[0]}:{port}", f"{net.v4[1]}:{port}"]  # on by default
        # A directory group's loop = false is the default; --loop overrides it.
        with tempfile.TemporaryDirectory() as tmp:
            directory = small_directory(
                tmp, net, port, f'[groups.quiet]\naddress = "{GROUP}:{port}"\nloop = false\n')

            def by_name(*flags):
                r = send(net, 0, "--directory", directory, "quiet", "loop?", "--wait-reply",
                         "--timeout", "400", *flags)
                assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
                return sorted(line.split(": ")[0] for line in r.stdout.splitlines()[:-1])

            assert by_name() == [f"{net.v4[1]}:{port}"]
            assert by_name("--loop") == [f"{net.v4[0]}:{port} (h1)", f"{net.v4[1]}:{port}"]


@case
def a_subnet_broadcast_needs_broadcast_and_reaches_an_echo_that_allows_it():
    with testnet(3) as net:
        port = unused_port()
        lenient = echo_on(net, 0, "--bind", f"0.0.0.0:{port}", "--allow-broadcast")
        r = send(net, 2, f"192.0.2.255:{port}", "all?", "--wait-reply", "--timeout", "300")
        assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
        assert r.stdout == "", r.stdout
        assert r.stderr.splitlines()[0] == (
            f"udp-send: send to 192.0.2.255:{port}: permission denied: it is a broadcast "
            "address; add --broadcast to send to every host of the subnet (nothing was sent)"), \
            r.stderr
        r = send(net, 2, "--burst", "10", "--size", "64", f"192.0.2.255:{port}")
        assert r.returncode == 2 and "add --broadcast" in r.stderr and r.stdout == "", \
            (r.returncode, r.stdout, r.stderr)
        strict = echo_on(net, 1, "--bind", f"0.0.0.0:{port}")
        r = send(net, 2, "--broadcast", f"192.0.2.255:{port}", "all?", "--wait-reply",
                 "--timeout", "300")
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        assert r.stdout.splitlines() == [f"{net.v4[0]}:{port}: all?",
                                         f"1 responder answered: {net.v4[0]}:{port} 1 reply"], \
            r.stdout
        s = stats(lenient)
        assert s["received"] == s["to_broadcast"] == s["replied"] == 1, s  # the refused sent none
        s = stats(strict)
        assert s["to_broadcast"] == s["refused_broadcast"] == 1, s


@case
def a_script_to_a_directory_group_takes_any_member_or_the_one_from_names():
    with testnet(3) as net, tempfile.TemporaryDirectory() as tmp:
        port = unused_port()
        directory = os.path.join(tmp, "peers.toml")
        write_directory(directory, net, port)
        members(net, GROUP, port)
        script = os.path.join(tmp, "team.udps")
        with open(script, "w", encoding="utf-8") as f:
            # The sleeps let the other member's answer come: a send to the group drops what
            # came before it, so that answer is not taken for the reply to the next send.
            f.write('target team\ntimeout 500ms\nsend "one"\nexpect "one" from bob\n'
                    'sleep 200ms\nsend "two"\nexpect "two"\nsleep 200ms\n'
                    'send "three"\nexpect "three" from carol\n')
        r = send(net, 2, "--script", script, "--directory", directory)
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        lines = r.stdout.splitlines()
        assert lines[1].startswith(f"PASS {script}:4:1 expect \"one\" from bob: got \"one\"") and \
            lines[1].endswith(f" from {net.v4[1]}:{port} (bob)"), lines
        assert lines[4].startswith(f"PASS {script}:7:1 expect \"two\": got \"two\""), lines
        assert (f" from {net.v4[0]}:{port} (alice)" in lines[4]
                or f" from {net.v4[1]}:{port} (bob)" in lines[4]), lines
        # carol is no member: nobody answers from her address.
        assert lines[7].startswith(f"FAIL {script}:10:1 expect \"three\" from carol: no reply "
                                   "within 500.0 ms"), lines
        assert lines[-1] == "FAIL: 2 of 3 expectations held", lines
        assert "foreign" not in r.stderr and "ignored" not in r.stderr, r.stderr


if __name__ == "__main__":
    reason = unavailable()
    if reason:
        print(f"skipped: {reason}")
        sys.exit(77)
    harness.run()
