"""udp-relay, spawned between clients (Python sockets, udp-send) and udp-echo: byte-for-byte
forwarding of every size, each impairment against its counters per direction, udp-send's own
loss/duplicate/reorder counts equal to the relay's, the same seed giving the same run, two
clients at once, the client table's bound and expiry, the safety refusals, signals and --json.

A datagram that must NOT come back is checked without sleeping where a sentinel can follow it:
the relay handles one client's datagrams in order.
"""
import json
import os
import signal
import socket
import tempfile

from echo_counters import backlog_drops
from harness import (case, run, run_tool, skip, spawn, start_echo, tool, udp_client,
                     unused_port, wait_until)

RELAY = tool("udp-relay")
SEND = tool("udp-send")


def start_relay(upstream, *args, listen="127.0.0.1:0"):
    """Spawns udp-relay in front of `upstream` (host, port); returns (Proc, (host, port), seed)
    after its two first lines."""
    proc = spawn([RELAY, "--listen", listen, "--to", f"{upstream[0]}:{upstream[1]}", *args])
    where = proc.listening()
    second = proc.readline()
    assert second.startswith("relaying to "), f"second line was {second!r}"
    seed = int(second.split("seed ")[1].split()[0])
    return proc, where, seed


def stats(proc, sig=signal.SIGUSR1):
    """Signals the relay and parses the stats line: {'seed': N, ..., 'forward': {...},
    'back': {...}} whether the line is text or JSON."""
    proc.signal(sig)
    return parse(proc.readline())


def parse(line):
    if line.startswith("{"):
        return json.loads(line)
    assert line.startswith("stats: "), f"not a stats line: {line!r}"
    out = {"forward": {}, "back": {}}
    for field in line[len("stats: "):].split():
        key, value = field.split("=")
        direction, _, name = key.rpartition(".")
        (out[direction] if direction else out)[name] = int(value)
    return out


def adds_up(s):
    """received + duplicated == forwarded + dropped + pending, and dropped is the sum of its
    causes, in both directions."""
    for d in (s["forward"], s["back"]):
        causes = sum(v for k, v in d.items() if k.startswith("dropped_"))
        if d["dropped"] != causes:
            return False
        if d["received"] + d["duplicated"] != d["forwarded"] + d["dropped"] + d["pending"]:
            return False
    return True


def burst(target, count, size=100, *args):
    """udp-send --burst through the relay; returns its JSON report."""
    result = run_tool([SEND, "--burst", count, "--size", size, "--max-loss", "100", "--json",
                       *args, f"{target[0]}:{target[1]}"], timeout=60)
    assert result.stdout.strip(), f"no report; stderr: {result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def ask(client, server, payload, bufsize=70000):
    client.sendto(payload, server)
    data, source = client.recvfrom(bufsize)
    assert source == server, f"reply from {source}, expected {server}"
    return data


def assert_silent(sock, what, timeout=0.3):
    sock.settimeout(timeout)
    try:
        data = sock.recv(70000)
    except socket.timeout:
        return
    raise AssertionError(f"{what}: {data!r}")


@case
def every_size_passes_byte_for_byte_including_empty_and_65507():
    echo, upstream = start_echo("--max-message", "65507")
    relay, server, _ = start_relay(upstream, "--max-message", "65507")
    client = udp_client()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    payloads = [b"", b"x", bytes(range(256)) * 5, b"\x00\xff\r\n\x1b[2J", os.urandom(65507)]
    for p in payloads:
        assert ask(client, server, p) == p, f"{len(p)} bytes changed on the way"
    s = stats(relay)
    n = len(payloads)
    assert s["forward"]["received"] == n and s["forward"]["forwarded"] == n, s
    assert s["back"]["received"] == n and s["back"]["forwarded"] == n, s
    assert s["clients"] == 1 and adds_up(s), s


@case
def oversize_datagrams_are_dropped_and_counted_never_cut():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--max-message", "100")
    client = udp_client()
    client.sendto(b"y" * 101, server)
    assert ask(client, server, b"sentinel") == b"sentinel"
    s = stats(relay)
    assert s["forward"]["dropped_oversize"] == 1 and s["forward"]["forwarded"] == 1, s
    assert "over the limit of 100 bytes" in relay.stderr()
    assert adds_up(s)


@case
def loss_per_direction():
    echo, upstream = start_echo()
    for direction in ("forward", "back"):
        relay, server, _ = start_relay(upstream, "--loss", f"{direction}:100%")
        client = udp_client()
        for i in range(20):
            client.sendto(b"%d" % i, server)
        assert_silent(client, f"--loss {direction}:100% let a datagram through")
        s = wait_until(lambda: (lambda s: s if s["back"]["received"] + s["forward"][
            "dropped_loss"] == 20 else None)(stats(relay)), 5, "the relay's counts")
        other = "back" if direction == "forward" else "forward"
        assert s[direction]["dropped_loss"] == 20, s
        assert s[other]["dropped_loss"] == 0, s
        assert adds_up(s), s
        relay.signal(signal.SIGTERM)
        code, _, _ = relay.wait()
        assert code == 0


# Every impairment, applied to one direction at a time: (options with DIR for the direction,
# the counters it must move there). 200 probes of 100 bytes, 64 in flight.
EVERY_IMPAIRMENT = [
    (["--loss", "DIR:20%"], ["dropped_loss"]),
    (["--loss-burst", "DIR:20%:4"], ["dropped_burst_loss"]),
    (["--duplicate", "DIR:20%"], ["duplicated"]),
    (["--reorder", "DIR:20%"], ["reordered"]),
    (["--reorder", "DIR:20%", "--reorder-gap", "DIR:3"], ["reordered"]),
    (["--corrupt", "DIR:20%"], ["corrupted"]),
    (["--truncate", "DIR:50"], ["truncated"]),
    (["--mtu", "DIR:50"], ["dropped_mtu"]),
    (["--delay", "DIR:5"], ["delayed"]),
    (["--delay", "DIR:10", "--jitter", "DIR:5"], ["delayed"]),
    (["--rate", "DIR:5000", "--queue", "DIR:10"], ["queued", "dropped_queue_full"]),
    (["--bandwidth", "DIR:2000000", "--queue", "DIR:10"], ["queued", "dropped_queue_full"]),
]


@case
def every_impairment_in_either_direction_moves_only_that_directions_counters():
    echo, upstream = start_echo()
    for options, counters in EVERY_IMPAIRMENT:
        for direction, other in (("forward", "back"), ("back", "forward")):
            args = [o.replace("DIR", direction) for o in options]
            relay, server, _ = start_relay(upstream, *args, "--seed", "3")
            burst(server, 200, 100, "--timeout", "300")
            s = wait_until(lambda: (lambda s: s if s["forward"]["pending"] + s["back"]["pending"]
                                    == 0 else None)(stats(relay)), 5, "nothing left pending")
            for counter in counters:
                assert s[direction][counter] > 0, (args, counter, s)
                assert s[other][counter] == 0, (args, counter, s)
            assert adds_up(s), (args, s)
            relay.signal(signal.SIGTERM)
            assert relay.wait()[0] == 0


@case
def duplicate_back_sends_every_reply_twice():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--duplicate", "back:100%")
    client = udp_client()
    for i in range(10):
        client.sendto(b"m%d" % i, server)
        assert client.recv(100) == b"m%d" % i
        assert client.recv(100) == b"m%d" % i
    s = stats(relay)
    assert s["back"]["duplicated"] == 10 and s["back"]["forwarded"] == 20, s
    assert s["forward"]["duplicated"] == 0 and s["forward"]["forwarded"] == 10, s
    assert adds_up(s)


@case
def corrupt_changes_one_byte_truncate_cuts_mtu_drops():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--corrupt", "forward:100%", "--truncate",
                                   "back:10", "--mtu", "forward:300")
    client = udp_client()
    payload = bytes(range(200))
    reply = ask(client, server, payload)
    assert len(reply) == 10, reply
    # corrupted on the way out, then cut on the way back: at most one of the first 10 differs
    diff = sum(1 for a, b in zip(reply, payload[:10]) if a != b)
    assert diff <= 1
    client.sendto(b"z" * 301, server)  # over --mtu: dropped
    assert len(ask(client, server, b"s" * 20)) == 10
    s = stats(relay)
    assert s["forward"]["corrupted"] == 2 and s["forward"]["dropped_mtu"] == 1, s
    assert s["back"]["truncated"] == 2 and s["back"]["corrupted"] == 0, s
    assert adds_up(s)


@case
def corrupt_forward_seen_by_udp_send():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--corrupt", "forward:10%", "--seed", "3")
    report = burst(server, 500)
    s = stats(relay)
    # a changed byte in the probe's header makes the reply invalid (no probe), else corrupt
    assert report["corrupt"] + report["invalid"] == s["forward"]["corrupted"] > 0, (report, s)
    assert report["lost"] == s["forward"]["corrupted"], (report, s)
    assert report["reply_bytes"] == {"min": 100, "max": 100}, report


@case
def delay_back_and_rate_forward():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--delay", "back:100")
    client = udp_client()
    report = burst(server, 20)
    assert report["rtt_us"]["p50"] >= 100000, report
    s = stats(relay)
    assert s["back"]["delayed"] == 20 and s["forward"]["delayed"] == 0, s
    relay.signal(signal.SIGTERM)
    relay.wait()

    relay, server, _ = start_relay(upstream, "--rate", "forward:20", "--queue", "forward:3")
    for i in range(10):
        client.sendto(b"r%d" % i, server)
    got = []
    wait_until(lambda: got.append(client.recv(100)) or len(got) == 4, 5, "4 replies")
    assert got == [b"r0", b"r1", b"r2", b"r3"], got
    assert_silent(client, "more than the rate's queue came through")
    s = stats(relay)
    f = s["forward"]
    assert f["queued"] == 3 and f["dropped_queue_full"] == 6 and f["forwarded"] == 4, s
    assert adds_up(s)


@case
def udp_send_counts_equal_the_relays_one_direction_at_a_time():
    echo, upstream = start_echo()
    for direction, other in (("forward", "back"), ("back", "forward")):
        relay, server, seed = start_relay(upstream, "--direction", direction, "--loss", "5%",
                                          "--duplicate", "2%", "--reorder", "5%")
        report = burst(server, 3000)
        s = stats(relay, signal.SIGTERM)
        assert relay.wait()[0] == 0
        d = s[direction]
        assert report["lost"] == d["dropped_loss"] > 0, (direction, report, d, seed)
        assert report["duplicated"] == d["duplicated"] > 0, (direction, report, d, seed)
        assert report["reordered"] == d["reordered"] > 0, (direction, report, d, seed)
        assert report["reply_bytes"] == {"min": 100, "max": 100}, report
        assert s[other]["dropped"] == 0 and s[other]["duplicated"] == 0, s
        assert adds_up(s)


@case
def burst_loss_is_counted_in_its_own_cause():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--loss-burst", "forward:10%:5", "--seed", "9")
    report = burst(server, 3000)
    f = stats(relay)["forward"]
    assert report["lost"] == f["dropped_burst_loss"] > 0, (report, f)
    assert f["dropped_loss"] == 0


@case
def the_same_seed_gives_the_same_run():
    echo, upstream = start_echo()
    runs = []
    for _ in range(2):
        relay, server, seed = start_relay(upstream, "--seed", "12345", "--loss", "forward:5%",
                                          "--duplicate", "forward:3%", "--reorder",
                                          "forward:4%", "--corrupt", "forward:1%")
        assert seed == 12345
        report = burst(server, 2000)
        s = stats(relay, signal.SIGTERM)
        assert relay.wait()[0] == 0
        runs.append(({k: report[k] for k in ("lost", "duplicated", "reordered", "corrupt")},
                     s["forward"]))
    assert runs[0] == runs[1], runs


@case
def a_seed_is_chosen_and_printed_when_not_given():
    echo, upstream = start_echo()
    a = start_relay(upstream)[2]
    b = start_relay(upstream)[2]
    assert a != b


@case
def two_clients_at_once_replies_not_crossed():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--duplicate", "5%", "--seed", "2")
    one, two = udp_client(), udp_client()
    seen = {b"one": [], b"two": []}
    # in rounds, so that no socket buffer on the way overflows
    for round in range(8):
        for i in range(25 * round, 25 * (round + 1)):
            one.sendto(b"one %d" % i, server)
            two.sendto(b"two %d" % i, server)
        for sock, name in ((one, b"one"), (two, b"two")):
            while len(set(seen[name])) < 25 * (round + 1):
                data = sock.recv(100)
                assert data.startswith(name + b" "), f"{name!r} got {data!r}"
                seen[name].append(data)
    for sock, name in ((one, b"one"), (two, b"two")):
        sock.settimeout(0.3)
        try:
            while True:
                data = sock.recv(100)
                assert data.startswith(name + b" "), f"{name!r} got {data!r}"
                seen[name].append(data)
        except socket.timeout:
            pass
        assert set(seen[name]) == {name + b" %d" % i for i in range(200)}
    s = stats(relay)
    assert s["clients"] == 2, s
    assert len(seen[b"one"]) + len(seen[b"two"]) == 400 + s["back"]["duplicated"] + s[
        "forward"]["duplicated"], s
    assert adds_up(s)


@case
def the_client_table_is_bounded_fails_closed_and_expires_idle_clients():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--max-clients", "1", "--idle", "0.5")
    first, second = udp_client(), udp_client()
    assert ask(first, server, b"first") == b"first"
    second.sendto(b"refused", server)
    assert_silent(second, "a client beyond --max-clients was relayed", timeout=0.2)
    s = stats(relay)
    assert s["forward"]["dropped_table_full"] == 1 and s["clients"] == 1, s
    assert "client table full" in relay.stderr()
    # once the first client has been quiet for --idle, the second one gets its place
    second.settimeout(0.2)

    def second_relayed():
        second.sendto(b"second", server)
        try:
            return second.recv(100) == b"second"
        except socket.timeout:
            return False

    wait_until(second_relayed, 5, "the idle client to expire")
    s = stats(relay)
    assert s["clients_expired"] >= 1 and s["clients"] == 1, s
    assert adds_up(s)


@case
def a_reply_held_past_its_clients_expiry_is_dropped_as_expired():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--delay", "back:400", "--idle", "0.1")
    client = udp_client()
    client.sendto(b"late", server)
    assert_silent(client, "a reply for an expired client was sent", timeout=0.8)
    s = stats(relay)
    assert s["back"]["dropped_expired"] == 1 and s["clients_expired"] == 1, s
    assert s["back"]["pending"] == 0 and adds_up(s), s


@case
def safety_refusals_exit_2():
    for args, text in (
            (["--to", "127.0.0.1:53"], "port 53 is below 1024"),
            (["--to", "0.0.0.0:9007"], "a wildcard address is no upstream"),
            (["--to", "9007", "--loss", "5"], 'has no % sign'),
            (["--to", "9007", "--delay", "1", "--jitter", "2"], "larger than --delay"),
            ([], "--to is required")):
        result = run_tool([RELAY, *args])
        assert result.returncode == 2, (args, result)
        assert result.stderr.startswith("udp-relay: ") and text in result.stderr, result.stderr


@case
def an_upstream_that_reaches_the_relays_own_socket_is_refused():
    # Relayed to itself, each datagram would come back as a new client for ever (doubling with
    # --duplicate): the relay's own address, or any local address of a wildcard bind's port.
    port = unused_port()
    own = [(f"127.0.0.1:{port}", f"127.0.0.1:{port}"),
           (f"0.0.0.0:{port}", f"127.0.0.1:{port}"),
           (f"0.0.0.0:{port}", f"127.0.0.2:{port}")]
    if socket.has_ipv6:
        own += [(f"[::]:{port}", f"[::1]:{port}")]
    for listen, to in own:
        result = run_tool([RELAY, "--listen", listen, "--to", to])
        assert result.returncode == 2, (listen, to, result)
        assert "reaches the relay's own socket" in result.stderr, result.stderr
    # The same port on another address of a specific bind is another socket: relayed.
    echo, upstream = start_echo(bind="127.0.0.2:0")
    relay, server, _ = start_relay(upstream, listen=f"127.0.0.1:{upstream[1]}")
    assert ask(udp_client(), server, b"next door") == b"next door"


@case
def a_signal_right_after_the_listening_line_prints_the_counters_and_exits_0():
    # The signal handlers exist before "listening on" is printed, so a script that stops the
    # relay as soon as it has read that line never kills it without its counters.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        for _ in range(5):
            proc = spawn([RELAY, "--to", "127.0.0.1:9007", "--listen", "127.0.0.1:0"])
            proc.listening()
            proc.signal(sig)
            code, rest, _ = proc.wait()
            assert code == 0, (sig, code, rest)
            assert "stats: seed=" in rest, rest


@case
def kernel_drops_are_counted_so_that_sent_is_received_plus_kernel_drops():
    # A stopped relay reads nothing: a flood fills its listening socket's buffer and the
    # kernel drops the rest, which the relay reports as forward.kernel_drops once it runs again.
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream)
    client = udp_client()
    relay.signal(signal.SIGSTOP)
    before = backlog_drops()
    sent = 20000
    try:
        for _ in range(sent):
            client.sendto(b"k" * 200, server)
    finally:
        relay.signal(signal.SIGCONT)
    backlog = backlog_drops() - before  # loopback's one other place to lose a datagram
    s = wait_until(lambda: (lambda s: s if s["forward"]["received"] + s["forward"]["kernel_drops"]
                            + backlog >= sent else None)(stats(relay)), 10,
                   "every datagram received or counted as dropped by the kernel")
    assert s["forward"]["kernel_drops"] > 0, s
    assert s["forward"]["received"] + s["forward"]["kernel_drops"] + backlog == sent, (backlog, s)
    assert s["back"]["kernel_drops"] == 0 and adds_up(s), s


@case
def privileged_client_ports_are_refused():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        client.bind(("127.0.0.1", unused_port(privileged=True)))
    except PermissionError:
        skip("binding a port below 1024 needs root")
    client.sendto(b"from a system port", server)
    s = wait_until(lambda: (lambda s: s if s["forward"]["received"] else None)(stats(relay)), 5,
                   "the datagram to be counted")
    assert s["forward"]["dropped_privileged_port"] == 1 and s["clients"] == 0, s


@case
def directory_names_the_listen_address_limit_and_upstream():
    echo, upstream = start_echo("--max-message", "2000")
    port = unused_port()
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(f'[peers.relay]\naddress = "127.0.0.1:{port}"\nmax_message = 2000\n'
                f'[peers.echo]\naddress = "127.0.0.1:{upstream[1]}"\n')
    try:
        proc = spawn([RELAY, "--directory", f.name, "--as", "relay", "--to", "echo"])
        assert proc.listening() == ("127.0.0.1", port)
        assert proc.readline().startswith(f"relaying to 127.0.0.1:{upstream[1]}, seed ")
        client = udp_client()
        big = os.urandom(2000)
        assert ask(client, ("127.0.0.1", port), big) == big  # the peer's limit, not 1472
        bad = run_tool([RELAY, "--directory", f.name, "--as", "relay", "--to", "nobody"])
        assert bad.returncode == 2 and "nor is it a peer of" in bad.stderr, bad.stderr
        # One rule in every tool: --max-message, when given, is the limit, also over a peer's.
        proc.signal(signal.SIGTERM)
        assert proc.wait()[0] == 0
        proc = spawn([RELAY, "--directory", f.name, "--as", "relay", "--to", "echo",
                      "--max-message", "1000"])
        assert proc.listening() == ("127.0.0.1", port)
        proc.readline()  # relaying to ...
        assert ask(client, ("127.0.0.1", port), big[:1000]) == big[:1000]
        client.sendto(big[:1001], ("127.0.0.1", port))
        assert_silent(client, "a datagram over --max-message was relayed")
        assert stats(proc)["forward"]["dropped_oversize"] == 1
    finally:
        os.unlink(f.name)


@case
def json_stats_interval_and_sigterm():
    echo, upstream = start_echo()
    relay, server, _ = start_relay(upstream, "--json", "--stats-interval", "0.1", "--loss",
                                   "forward:50%", "--seed", "1")
    client = udp_client()
    for i in range(100):
        client.sendto(b"j", server)
    line = json.loads(relay.readline())  # an interval report
    assert set(line) == {"seed", "clients", "clients_expired", "forward", "back"}, line
    relay.signal(signal.SIGTERM)
    code, rest, _ = relay.wait()
    assert code == 0
    last = json.loads(rest.strip().splitlines()[-1])
    assert last["seed"] == 1 and adds_up(last), last
    assert last["forward"]["received"] == 100, last


if __name__ == "__main__":
    run()
