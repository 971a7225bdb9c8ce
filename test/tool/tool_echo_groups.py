#!/usr/bin/env python3
"""udp-echo as a member of multicast groups and behind broadcast addresses, across hosts in
network namespaces that this test creates (root, iproute2; skipped, with the reason, where they
cannot be made). The senders are plain Python sockets run inside a host, so that only
udp-echo is under test here: who answers a group or a broadcast, from which address, and how
the counters name each destination kind."""
import json
import os
import signal
import sys
import tempfile
from types import SimpleNamespace

import harness
from echo_counters import adds_up, parse_stats
from harness import case, spawn, tool, unused_port
from netns import lone_host, run_or_skip, testnet

ECHO = tool("udp-echo")

# Sends one datagram from a host and prints every reply that comes within the wait, as JSON
# lines [source address, source port, payload].
ASK = r"""
import json, socket, sys, time
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
if family == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("eth0"))
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
deadline = time.monotonic() + float(sys.argv[4])
while (left := deadline - time.monotonic()) > 0:
    s.settimeout(left)
    try:
        data, source = s.recvfrom(2000)
    except socket.timeout:
        break
    print(json.dumps([source[0], source[1], data.decode()]), flush=True)
"""


def ask(net, host_index, address, port, payload, wait=1.0):
    """The replies to one datagram sent from host h<host_index+1>: sorted [(source, port,
    payload)]."""
    r = harness.run_tool(net.cmd(host_index, [sys.executable, "-c", ASK, address, port, payload,
                                              wait]), timeout=10)
    assert r.returncode == 0, r.stderr
    return sorted(tuple(json.loads(line)) for line in r.stdout.splitlines())


def echo_on(net, host_index, *args):
    """udp-echo on host h<host_index+1>; returns (process, (host, port) of its listening
    line)."""
    proc = spawn(net.cmd(host_index, [ECHO, *args]))
    host, port = proc.listening(5)
    return proc, (host, port)


def stats(proc, sig=signal.SIGUSR1):
    proc.signal(sig)
    while True:
        line = proc.readline(10)
        if line.startswith("stats: "):
            return parse_stats(line)


def two_members_answer(net, group, interface_args=()):
    port = unused_port()
    members = []
    for i in (0, 1):
        proc, (host, bound_port) = echo_on(net, i, "--join", f"{group}:{port}" if ":" not in group
                                           else f"[{group}]:{port}", *interface_args)
        assert bound_port == port and host in ("0.0.0.0", "::"), (host, bound_port)
        joined = proc.readline(5)
        assert joined.startswith("joined ") and group in joined, joined
        members.append(proc)
    replies = ask(net, 2, group, port, "who is there?")
    own = net.v6 if ":" in group else net.v4
    # One reply from each member, unicast from its own address (never from the group's), on
    # the group's port.
    assert replies == [(own[0], port, "who is there?"), (own[1], port, "who is there?")], replies
    for proc in members:
        s = stats(proc, signal.SIGTERM)
        assert s["received"] == s["to_group"] == s["replied"] == 1 and adds_up(s), s
        assert s["to_unicast"] == s["to_broadcast"] == 0, s


@case
def two_echo_members_of_an_ipv4_group_each_answer_a_third_host_from_their_own_address():
    with testnet(3) as net:
        two_members_answer(net, "239.77.0.1")


@case
def two_echo_members_of_an_ipv6_group_joined_on_eth0_each_answer():
    with testnet(3) as net:
        two_members_answer(net, "ff15::77", ("--interface", "eth0"))


@case
def a_datagram_to_a_group_echo_did_not_join_gets_no_answer():
    with testnet(2) as net:
        port = unused_port()
        proc, _ = echo_on(net, 0, "--join", f"239.77.0.1:{port}")
        proc.readline(5)
        assert ask(net, 1, "239.77.0.2", port, "other group", wait=0.5) == []
        # Unicast to the member's own address still works: the wildcard socket serves both.
        assert ask(net, 1, net.v4[0], port, "direct") == [(net.v4[0], port, "direct")]
        s = stats(proc, signal.SIGTERM)
        assert s["received"] == s["to_unicast"] == 1 and s["to_group"] == 0 and adds_up(s), s


@case
def groups_the_host_is_always_in_are_not_answered_by_a_wildcard_echo():
    """Every host is in 224.0.0.1 and ff02::1: a wildcard udp-echo that did not join them must
    not answer them (one forged request would make every responder of the link answer its
    victim). Neither does a dual-stack [::] member of an IPv6 group answer 224.0.0.1."""
    with testnet(2) as net:
        for args in (("--bind", "0.0.0.0:{port}"), ("--bind", "[::]:{port}"),
                     ("--join", "[ff15::77]:{port}")):
            port = unused_port()
            proc, _ = echo_on(net, 0, *[a.format(port=port) for a in args])
            if args[0] == "--join":
                proc.readline(5)
            assert ask(net, 1, "224.0.0.1", port, "all hosts?", wait=0.5) == [], args
            assert ask(net, 1, "ff02::1", port, "all nodes?", wait=0.5) == [], args
            assert ask(net, 1, net.v4[0], port, "unicast") == [(net.v4[0], port, "unicast")], args
            s = stats(proc, signal.SIGTERM)
            assert s["received"] == s["to_unicast"] == 1 and s["to_group"] == 0, (args, s)


@case
def a_directory_group_is_joined_by_name_on_its_interface():
    with testnet(2) as net, tempfile.TemporaryDirectory() as tmp:
        port = unused_port()
        directory = os.path.join(tmp, "peers.toml")
        with open(directory, "w", encoding="utf-8") as f:
            f.write(f'[peers.h1]\naddress = "{net.v4[0]}:{port}"\n'
                    f'[groups.team]\naddress = "239.77.0.3:{port}"\ninterface = "eth0"\n')
        proc, (host, bound) = echo_on(net, 0, "--directory", directory, "--join", "team", "--json")
        assert (host, bound) == ("0.0.0.0", port)
        assert json.loads(proc.readline(5)) == {"joined": f"team (239.77.0.3:{port})",
                                                "interface": "eth0"}
        assert ask(net, 1, "239.77.0.3", port, "by name") == [(net.v4[0], port, "by name")]
        proc.signal(signal.SIGTERM)
        s = json.loads(proc.readline(10))
        assert s["to_group"] == s["replied"] == 1, s


@case
def a_broadcast_is_refused_by_default_and_answered_with_allow_broadcast():
    """A forged broadcast must not make every responder of the subnet answer its victim: only
    the udp-echo given --allow-broadcast answers. Both count the datagram as to_broadcast; a
    unicast request to the strict one is still answered."""
    with testnet(3) as net:
        port = unused_port()
        strict, _ = echo_on(net, 0, "--bind", f"0.0.0.0:{port}", "--log")
        lenient, _ = echo_on(net, 1, "--bind", f"0.0.0.0:{port}", "--allow-broadcast")
        assert ask(net, 2, "192.0.2.255", port, "anyone?") == [(net.v4[1], port, "anyone?")]
        fields = strict.readline(5).split()  # TIME SOURCE SIZE ACTION
        assert fields[1].startswith(f"{net.v4[2]}:") and fields[2:] == ["7", "refused-broadcast"], \
            fields
        assert ask(net, 2, net.v4[0], port, "just you") == [(net.v4[0], port, "just you")]
        s = stats(strict, signal.SIGTERM)
        assert s["to_broadcast"] == s["refused_broadcast"] == 1 and s["to_unicast"] == 1, s
        assert s["replied"] == 1 and adds_up(s), s
        s = stats(lenient, signal.SIGTERM)
        assert s["to_broadcast"] == s["replied"] == 1 and s["refused_broadcast"] == 0, s
        assert adds_up(s), s


@case
def an_echo_bound_to_a_broadcast_address_still_refuses_broadcasts_unless_allowed():
    """Bound to loopback's broadcast address 127.255.255.255 rather than a wildcard, udp-echo
    receives only broadcasts: they are still refused by default. Bound to 127.0.0.2 (local, but
    no interface's address) its requests are unicast."""
    with lone_host("bc") as inside:
        host = SimpleNamespace(cmd=lambda _i, args: [*inside, *[str(a) for a in args]])
        for args, answered in (((), False), (("--allow-broadcast",), True)):
            port = unused_port()
            proc, _ = echo_on(host, 0, "--bind", f"127.255.255.255:{port}", *args)
            replies = ask(host, 0, "127.255.255.255", port, "all of lo?")
            assert replies == ([("127.0.0.1", port, "all of lo?")] if answered else []), replies
            s = stats(proc, signal.SIGTERM)
            assert s["to_broadcast"] == 1 and s["replied"] == int(answered) and adds_up(s), s
        port = unused_port()
        proc, _ = echo_on(host, 0, "--bind", f"127.0.0.2:{port}")
        assert ask(host, 0, "127.0.0.2", port, "one") == [("127.0.0.2", port, "one")]
        s = stats(proc, signal.SIGTERM)
        assert s["to_unicast"] == s["replied"] == 1 and adds_up(s), s


@case
def a_join_that_cannot_work_is_an_error_before_listening():
    with testnet(1) as net:
        port = unused_port()
        r = harness.run_tool(net.cmd(0, [ECHO, "--join", f"239.77.0.1:{port}", "--interface",
                                          "nosuch0"]))
        assert r.returncode == 2 and r.stdout == "", (r.returncode, r.stdout)  # configuration
        assert 'no interface "nosuch0"' in r.stderr and "eth0" in r.stderr, r.stderr
        r = harness.run_tool(net.cmd(0, [ECHO, "--join", f"239.77.0.1:{port}", "--bind",
                                          f"{net.v4[0]}:{port}"]))
        assert r.returncode == 2 and "would receive no group datagrams" in r.stderr, r.stderr


if __name__ == "__main__":
    run_or_skip()
