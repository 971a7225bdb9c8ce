"""The datagram engine seen from the tools (issue 10): replies from the address a request reached
on a wildcard socket (IPv4 on loopback, IPv6 in a namespace with two addresses on lo), udp-send
naming datagrams from foreign addresses, kernel drops that account for every datagram, and a
[::] socket that is dual-stack unless --ipv6-only."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

from echo_counters import adds_up, backlog_drops, parse_stats
from harness import (BUILD, case, run, run_tool, skip, spawn, start_echo, tool, udp_client,
                     unused_port, wait_until)
from netns import lone_host, unavailable

SEND = tool("udp-send")
FLOOD_GEN = os.path.join(BUILD, "test", "flood_gen")


def stats_of(echo):
    """udp-echo's counters now (SIGUSR1 prints a stats line)."""
    echo.signal(signal.SIGUSR1)
    return parse_stats(echo.readline(5))


@case
def wildcard_echo_answers_each_address_from_that_address():
    echo, (_, port) = start_echo(bind="0.0.0.0:0")
    for host in ("127.0.0.2", "127.0.0.3", "127.0.0.1"):
        c = udp_client()
        c.sendto(b"which address?", (host, port))
        data, source = c.recvfrom(2048)
        c.close()
        assert data == b"which address?", data
        assert source == (host, port), (host, source)
    s = stats_of(echo)
    assert s["received"] == 3 and s["replied"] == 3 and adds_up(s), s


@case
def nc_connected_to_a_secondary_address_gets_its_reply():
    echo, (_, port) = start_echo(bind="0.0.0.0:0")
    # nc -u connects its socket: the kernel drops a reply from any other source address.
    r = subprocess.run(["nc", "-u", "-w", "1", "127.0.0.2", str(port)], input=b"hello nc\n",
                       capture_output=True, timeout=10)
    assert r.stdout == b"hello nc\n", (r.returncode, r.stdout, r.stderr)


@case
def burst_to_a_secondary_address_of_a_wildcard_echo_loses_nothing():
    echo, (_, port) = start_echo(bind="0.0.0.0:0")
    r = run_tool([SEND, "--burst", "100", "--size", "32", "--json", f"127.0.0.2:{port}"])
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    report = json.loads(r.stdout)
    assert report["sent"] == 100 and report["received"] == 100 and report["lost"] == 0, report
    assert report["foreign"] == [], report
    s = stats_of(echo)
    assert s["replied"] == 100 and adds_up(s), s


@case
def ipv6_wildcard_echo_answers_from_each_of_two_addresses_in_a_namespace():
    why = unavailable()
    if why:
        skip(why)
    with lone_host("v6", ("fd00:77::2/128", "fd00:77::3/128")) as inside:
        echo, (_, port) = start_echo(bind="[::]:0", prefix=inside)
        client = (
            "import socket, sys\n"
            "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
            "s.settimeout(3)\n"
            "s.sendto(b'v6?', (sys.argv[1], int(sys.argv[2])))\n"
            "data, src = s.recvfrom(100)\n"
            "print(data.decode(), src[0], src[1])\n")
        for host in ("fd00:77::2", "fd00:77::3"):
            r = run_tool([*inside, "python3", "-c", client, host, port])
            assert r.returncode == 0, r.stderr
            assert r.stdout.split() == ["v6?", host, str(port)], (host, r.stdout)
            burst = run_tool([*inside, SEND, "--burst", "50", "--size", "16", f"[{host}]:{port}"])
            assert burst.returncode == 0, (burst.stdout, burst.stderr)
        s = stats_of(echo)
        assert s["replied"] == 102 and adds_up(s), s
        echo.signal(signal.SIGTERM)
        echo.wait(5)


# One datagram to HOST:PORT from a socket of HOST's family; prints the reply's payload and source
# address, or "none" when nothing comes within half a second.
ONE_REQUEST = (
    "import socket, sys\n"
    "family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n"
    "s = socket.socket(family, socket.SOCK_DGRAM)\n"
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)\n"
    "s.settimeout(0.5)\n"
    "s.sendto(b'hi', (sys.argv[1], int(sys.argv[2])))\n"
    "try:\n"
    "    data, src = s.recvfrom(100)\n"
    "    print(data.decode(), src[0])\n"
    "except socket.timeout:\n"
    "    print('none')\n")


@case
def ipv6_wildcard_echo_is_dual_stack_by_default_and_ipv6_only_on_request():
    """--bind [::] answers IPv4 clients too, from the IPv4 address each request reached, and still
    refuses a broadcast; it says so on start. --ipv6-only takes IPv6 alone."""
    why = unavailable()
    if why:
        skip(why)
    with lone_host("ds") as inside:
        def ask(host, port):
            r = run_tool([*inside, "python3", "-c", ONE_REQUEST, host, port])
            assert r.returncode == 0, r.stderr
            return r.stdout.split()

        echo, (_, port) = start_echo(bind="[::]:0", prefix=inside)
        assert ask("127.0.0.2", port) == ["hi", "127.0.0.2"]
        assert ask("::1", port) == ["hi", "::1"]
        assert ask("127.255.255.255", port) == ["none"]
        s = stats_of(echo)
        assert s["replied"] == 2 and s["refused_broadcast"] == s["to_broadcast"] == 1, s
        assert adds_up(s), s
        echo.signal(signal.SIGTERM)
        echo.wait(5)
        assert "[::] is dual-stack: IPv4 clients are answered too" in echo.stderr(), echo.stderr()

        only = spawn([*inside, tool("udp-echo"), "--bind", "[::]:0", "--ipv6-only", "--json"])
        listening = json.loads(only.readline(5))
        assert listening["dual_stack"] is False, listening
        port = int(listening["listening"].rpartition(":")[2])
        assert ask("127.0.0.1", port) == ["none"]
        assert ask("::1", port) == ["hi", "::1"]
        only.signal(signal.SIGTERM)
        s = json.loads(only.readline(5))
        assert s["received"] == s["replied"] == 1, s
        only.wait(5)


@case
def wildcard_chat_answers_a_peer_from_the_address_it_wrote_to():
    bob = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bob.bind(("127.0.0.1", 0))
    bob.settimeout(5)
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "peers.toml")
        for attempt in range(5):  # the port may be taken between unused_port() and the bind
            port = unused_port()
            with open(directory, "w") as f:
                f.write(f'[peers.alice]\naddress = "127.0.0.1:{port}"\n'
                        f'[peers.bob]\naddress = "127.0.0.1:{bob.getsockname()[1]}"\n')
            # The directory names where alice is reached; --bind puts her on every address.
            alice = spawn([tool("udp-chat"), "--directory", directory, "--as", "alice", "--to",
                           "bob", "--bind", f"0.0.0.0:{port}"], stdin=subprocess.PIPE)
            try:
                alice.listening()
                break
            except AssertionError:
                if attempt == 4 or "EADDRINUSE" not in alice.stderr():
                    raise
        # bob writes to one of the host's other addresses; alice's answer must come from it.
        bob.sendto(b"hi alice", ("127.0.0.2", port))
        assert alice.readline(5).endswith("bob: hi alice")
        alice.p.stdin.write(b"hello bob\n")
        alice.p.stdin.flush()
        data, source = bob.recvfrom(2048)
        assert data == b"hello bob" and source == ("127.0.0.2", port), (data, source)
        alice.p.stdin.close()
        code, _, err = alice.wait(10)
        assert code == 0, (code, err)
    bob.close()


def misdirected_responder():
    """A responder that answers each request from another socket (another port): the reply of a
    server that does not send from the address it was asked on. Returns (asked, answering)."""
    asked = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    asked.bind(("127.0.0.1", 0))
    asked.setblocking(False)
    answering = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    answering.bind(("127.0.0.1", 0))
    return asked, answering


def serve_misdirected(asked, answering, until):
    """Answers what `asked` received from `answering`, until `until()` is true (bounded)."""
    deadline = time.monotonic() + 15
    while not until() and time.monotonic() < deadline:
        try:
            data, source = asked.recvfrom(65535)
            answering.sendto(data, source)
        except BlockingIOError:
            time.sleep(0.001)


@case
def udp_send_names_a_reply_from_a_foreign_address_and_fails():
    asked, answering = misdirected_responder()
    target = f"127.0.0.1:{asked.getsockname()[1]}"
    foreign = f"127.0.0.1:{answering.getsockname()[1]}"
    try:
        for mode in (["--wait-reply", "--timeout", "300", target, "hi"],
                     ["--wait-reply", "--timeout", "300", "--json", target, "hi"],
                     ["--burst", "10", "--size", "16", "--timeout", "300", target],
                     ["--burst", "10", "--size", "16", "--timeout", "300", "--json", target]):
            p = spawn([SEND, *mode])
            serve_misdirected(asked, answering, lambda: p.p.poll() is not None)
            code, out, err = p.wait(10)
            assert code == 1, (mode, code, out, err)
            if "--burst" in mode:
                expected = f"10 datagrams from {foreign}, not the target {target}, ignored"
            else:
                expected = f"1 datagram from {foreign}, not the target {target}, ignored"
            if "--json" in mode:
                record = json.loads(out.strip().splitlines()[-1])
                assert record["foreign"] == [{"address": foreign,
                                              "datagrams": 10 if "--burst" in mode else 1}], out
            else:
                assert expected in out + err, (mode, out, err)
    finally:
        asked.close()
        answering.close()


@case
def a_script_names_a_reply_from_a_foreign_address():
    asked, answering = misdirected_responder()
    target = f"127.0.0.1:{asked.getsockname()[1]}"
    foreign = f"127.0.0.1:{answering.getsockname()[1]}"
    script = os.path.join(BUILD, f"foreign-{os.getpid()}.udps")
    with open(script, "w") as f:
        f.write(f'target {target}\nsend "ping"\nexpect "ping" within 300ms\n')
    try:
        p = spawn([SEND, "--script", script])
        serve_misdirected(asked, answering, lambda: p.p.poll() is not None)
        code, out, err = p.wait(10)
        assert code == 1, (code, out, err)
        assert f"1 datagram from {foreign}, not the target {target}, ignored" in err, (out, err)
    finally:
        os.unlink(script)
        asked.close()
        answering.close()


@case
def flood_sent_equals_received_plus_kernel_drops_reported_by_udp_echo():
    echo, (_, port) = start_echo()
    # Stopped, udp-echo reads nothing: its receive buffer fills and the kernel drops the rest,
    # counting each drop on udp-echo's socket.
    echo.signal(signal.SIGSTOP)
    backlog_before = backlog_drops()
    try:
        gen = spawn([FLOOD_GEN, f"127.0.0.1:{port}", "1", "--sockets", "1", "--size", "200"])
        code, out, err = gen.wait(20)
        assert code == 0, (code, err)
        sent = int(out.split()[1])
    finally:
        echo.signal(signal.SIGCONT)
    backlog = backlog_drops() - backlog_before

    def settled():
        s = stats_of(echo)
        return s if s["received"] + s["kernel_drops"] + backlog >= sent else None

    s = wait_until(settled, 10, "udp-echo to read what its buffer held")
    print(f"flood: sent {sent}, received {s['received']}, kernel drops {s['kernel_drops']}, "
          f"backlog drops {backlog}")
    assert s["kernel_drops"] > 0, s
    assert s["received"] + s["kernel_drops"] + backlog == sent, (sent, backlog, s)
    assert adds_up(s), s


if __name__ == "__main__":
    run()
