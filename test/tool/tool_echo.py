"""udp-echo, spawned: modes, sizes, safety refusals, rate limiting, counters, signals, options.

A datagram that must NOT be answered is checked without sleeping: the client sends it, then a
sentinel that is answered, and the first reply to arrive must be the sentinel's (the responder
handles one socket's datagrams in order).
"""
import errno
import json
import os
import re
import signal
import socket
import struct
import sys
import tempfile

from echo_counters import adds_up, counts, parse_stats  # noqa: E402
from harness import (case, run, run_tool, start_echo, tool, udp_client, unused_port,  # noqa: E402
                     wait_until)

ECHO = tool("udp-echo")


def ask(client, server, payload, bufsize=70000):
    client.sendto(payload, server)
    data, source = client.recvfrom(bufsize)
    assert source == server, f"reply from {source}, expected {server}"
    return data


def refused(client, server, payload, sentinel=b"sentinel", answer=None):
    """Sends `payload`, then `sentinel`; the first reply must be the sentinel's `answer` (by
    default the sentinel itself, as an echo)."""
    client.sendto(payload, server)
    expected = sentinel if answer is None else answer
    assert ask(client, server, sentinel) == expected, "the refused datagram was answered"


def assert_no_reply(sock, what):
    """Nothing more arrives on `sock` within 0.3 s (used after the last expected reply)."""
    sock.settimeout(0.3)
    try:
        data = sock.recv(70000)
    except socket.timeout:
        return
    raise AssertionError(f"{what}: {data!r}")


def stats(proc, sig=signal.SIGUSR1):
    """Signals the responder and parses the stats line it prints."""
    proc.signal(sig)
    return parse_stats(proc.readline())


@case
def echo_mode_returns_every_size_byte_for_byte():
    proc, server = start_echo("--max-message", "65507")
    client = udp_client()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    payloads = [b"", b"x", bytes(range(256)) * 5 + b"\x00\xff" * 96, os.urandom(65507)]
    assert len(payloads[2]) == 1472
    for p in payloads:
        assert ask(client, server, p) == p, f"{len(p)}-byte datagram not echoed whole"
    s = stats(proc)
    assert s["received"] == 4 and s["replied"] == 4, s
    assert s["bytes_in"] == s["bytes_out"] == sum(map(len, payloads)), s


@case
def default_limit_is_1472_and_longer_datagrams_are_counted_not_echoed():
    proc, server = start_echo()
    client = udp_client()
    assert ask(client, server, b"a" * 1472) == b"a" * 1472
    refused(client, server, b"b" * 1473)
    refused(client, server, b"c" * 65507)
    s = stats(proc)
    assert s["truncated"] == 2 and s["replied"] == 3 and s["received"] == 5, s
    assert s["bytes_in"] == 1472 + 1473 + 65507 + 2 * len(b"sentinel"), s


@case
def upper_mode_uppercases_ascii_only():
    proc, server = start_echo("--mode", "upper")
    client = udp_client()
    assert ask(client, server, b"hello, World! \xc3\xa9\xff") == b"HELLO, WORLD! \xc3\xa9\xff"
    assert ask(client, server, b"") == b""


@case
def reply_mode_fixed_text():
    proc, server = start_echo("--mode", "reply", "--reply", "ok")
    client = udp_client()
    assert ask(client, server, b"anything") == b"ok"
    assert ask(client, server, b"\x00\x01") == b"ok"


@case
def reply_mode_rules_in_order_and_no_match_refused():
    proc, server = start_echo("--match", "^PING", "--reply", "PONG", "--match", "(?i)time",
                              "--reply", "never", "--allow-amplification")
    client = udp_client()
    assert ask(client, server, b"PING") == b"PONG"
    assert ask(client, server, b"PING at time") == b"PONG"
    assert ask(client, server, b"what TIME?") == b"never"
    refused(client, server, b"nothing matches", b"PING?", b"PONG")
    s = stats(proc)
    assert s["refused_no_match"] == 1 and s["refused"] == 1, s
    proc2, server2 = start_echo("--match", "^PING", "--reply", "PONG", "--reply", "??")
    assert ask(client, server2, b"xyz") == b"??"


@case
def amplification_refused_unless_allowed():
    proc, server = start_echo("--reply", "a reply much longer than the request")
    client = udp_client()
    refused(client, server, b"hi", b"y" * 40, b"a reply much longer than the request")
    assert ask(client, server, b"x" * 40) == b"a reply much longer than the request"
    s = stats(proc)
    assert s["refused_amplification"] == 1 and s["replied"] == 2, s
    proc2, server2 = start_echo("--reply", "a reply much longer than the request",
                                "--allow-amplification")
    assert ask(client, server2, b"hi") == b"a reply much longer than the request"


def privileged_client():
    """A client bound to a free port below 1024 (the tests run as root); another process may
    take the port between unused_port() and bind(): then it tries another."""
    for _attempt in range(5):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", unused_port(privileged=True)))
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRINUSE:
                raise AssertionError(f"cannot bind a port below 1024 ({e}): are the tests "
                                     "running as root?") from e
            continue
        s.settimeout(2.0)
        return s
    raise AssertionError("every port below 1024 tried was taken in the meantime (5 attempts)")


@case
def privileged_source_port_refused_unless_allowed():
    proc, server = start_echo("--log")
    low = privileged_client()
    low.sendto(b"loop?", server)
    line = proc.readline()
    assert line.endswith(f" 127.0.0.1:{low.getsockname()[1]} 5 refused-privileged-port"), line
    s = stats(proc)
    assert s["refused_privileged_port"] == 1 and s["replied"] == 0, s
    assert_no_reply(low, "a privileged port got a reply")
    proc2, server2 = start_echo("--allow-privileged-ports")
    low.settimeout(2.0)
    assert ask(low, server2, b"allowed") == b"allowed"


def spoofed_udp(src, dst, payload):
    """An IPv4 header + UDP datagram from `src` to `dst` (UDP checksum 0: none, valid in v4)."""
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP,
                         0, socket.inet_aton(src[0]), socket.inet_aton(dst[0]))
    return header + udp


@case
def own_address_refused():
    # Nothing else can bind the responder's own address, so a raw socket (root) forges it.
    proc, server = start_echo("--log")
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(spoofed_udp(server, server, b"me to me"), server)
    line = proc.readline()
    assert line.endswith(f" 127.0.0.1:{server[1]} 8 refused-own-address"), line
    s = stats(proc)
    assert s["refused_own_address"] == 1 and s["replied"] == 0 and adds_up(s), s


@case
def send_errors_are_counted_and_reported():
    # A forged broadcast source: the reply to 255.255.255.255 is refused by the kernel (EACCES,
    # no SO_BROADCAST), a deterministic send error. (Real interfaces drop such martian sources.)
    proc, server = start_echo("--log")
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(spoofed_udp(("255.255.255.255", 5000), server, b"bcast"), server)
    assert proc.readline().endswith(" 255.255.255.255:5000 5 send-error")
    client = udp_client()
    assert ask(client, server, b"fine") == b"fine"
    assert proc.readline().endswith(" 4 replied")
    s = stats(proc)
    assert s["send_errors"] == 1 and s["replied"] == 1 and s["bytes_out"] == 4 and adds_up(s), s
    assert "udp-echo: send to 255.255.255.255:5000: EACCES" in proc.stderr()


@case
def rate_limit_drops_the_excess_and_logs():
    # One token per 100 s, burst 3: the test never lasts long enough for a token to come back.
    proc, server = start_echo("--rate-limit", "0.01", "--burst", "3", "--log")
    client = udp_client()
    for i in range(3):
        assert ask(client, server, b"n%d" % i) == b"n%d" % i
    for i in range(3, 10):
        client.sendto(b"n%d" % i, server)
    actions = [proc.readline().rsplit(" ", 1)[1] for _ in range(10)]
    assert actions == ["replied"] * 3 + ["rate-limited"] * 7, actions
    s = stats(proc)
    assert s["rate_limited"] == 7 and s["replied"] == 3 and adds_up(s), s
    err = proc.stderr()
    assert "udp-echo: rate limit: 127.0.0.1 is over 0.01/s, burst 3 (dropping)" in err, err
    assert err.count("rate limit:") == 1, err  # once per episode, not per datagram
    assert_no_reply(client, "a rate-limited datagram was answered")


@case
def rate_limit_is_per_source_address():
    # 127.0.0.1 spends its whole burst; 127.0.0.2 (another source, same loopback) is unaffected.
    proc, server = start_echo("--rate-limit", "0.01", "--burst", "2")
    first = udp_client()
    for i in range(2):
        assert ask(first, server, b"a%d" % i) == b"a%d" % i
    second = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    second.bind(("127.0.0.2", 0))
    second.settimeout(2.0)
    first.sendto(b"a2", server)
    for i in range(2):
        assert ask(second, server, b"b%d" % i) == b"b%d" % i
    s = stats(proc)
    assert s["rate_limited"] == 1 and s["replied"] == 4 and adds_up(s), s
    assert_no_reply(first, "the source over its limit was answered")


@case
def rate_limit_ends_an_echo_loop_between_two_responders():
    # A datagram forged to come from responder A, sent to responder B: without a rate limit the
    # two would answer each other forever. With a burst of 100 and no refill during the test,
    # each answers 100 times, then B drops the next one and the loop is over. (The loop breaker,
    # on by default, would end it too, later: it is off here so that the rate limit is tested.)
    a, server_a = start_echo("--rate-limit", "0.01", "--burst", "100", "--no-loop-breaker")
    b, server_b = start_echo("--rate-limit", "0.01", "--burst", "100", "--no-loop-breaker")
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(spoofed_udp(server_a, server_b, b"loop?"), server_b)
    seen = {}

    def b_dropped_one():
        seen.update(stats(b))
        return dict(seen) if seen["rate_limited"] >= 1 else None

    sb = wait_until(b_dropped_one, 10, lambda: f"responder B to drop a datagram (stats {seen})")
    sa = stats(a)
    assert (sb["received"], sb["replied"], sb["rate_limited"]) == (101, 100, 1), sb
    assert (sa["received"], sa["replied"], sa["rate_limited"]) == (100, 100, 0), sa
    assert counts(stats(a)) == counts(sa) and counts(stats(b)) == counts(sb), "the loop went on"


@case
def rate_limit_log_only_still_replies():
    proc, server = start_echo("--rate-limit", "0.01", "--burst", "2", "--rate-limit-log-only")
    client = udp_client()
    for i in range(6):
        assert ask(client, server, b"m%d" % i) == b"m%d" % i
    s = stats(proc)
    assert s["replied"] == 6 and s["rate_limited"] == 0 and s["over_rate_limit"] == 4, s
    assert "(log only: still replying)" in proc.stderr()


@case
def counters_add_up_after_a_mixed_run():
    proc, server = start_echo("--max-message", "100", "--match", "^ping", "--reply", "pong",
                              "--match", "^big", "--reply", "a much bigger reply than asked",
                              "--rate-limit", "0.01", "--burst", "3", "--log")
    client = udp_client()
    low = privileged_client()
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    assert ask(client, server, b"ping1") == b"pong"
    client.sendto(b"x" * 101, server)
    client.sendto(b"big", server)
    client.sendto(b"nothing matches", server)
    low.sendto(b"ping from a low port", server)
    raw.sendto(spoofed_udp(server, server, b"ping from myself"), server)
    assert ask(client, server, b"ping2") == b"pong"
    assert ask(client, server, b"ping3") == b"pong"
    client.sendto(b"ping4", server)
    client.sendto(b"ping5", server)
    # Every datagram gets one --log line: reading ten means all ten were handled.
    actions = [proc.readline().rsplit(" ", 1)[1] for _ in range(10)]
    assert actions == ["replied", "truncated", "refused-amplification", "refused-no-match",
                       "refused-privileged-port", "refused-own-address", "replied", "replied",
                       "rate-limited", "rate-limited"], actions
    s = stats(proc)
    assert s["received"] == 10 and adds_up(s), s
    assert (s["replied"], s["truncated"], s["rate_limited"], s["refused"], s["send_errors"]) == \
        (3, 1, 2, 4, 0), s
    for reason in ("privileged_port", "own_address", "amplification", "no_match"):
        assert s["refused_" + reason] == 1, s
    assert_no_reply(client, "an extra reply arrived")


@case
def counters_add_up_after_a_flood():
    # 5000 datagrams as fast as Python sends them, replies left unread: some may be lost on the
    # way (UDP), but every datagram udp-echo received is accounted for exactly once.
    proc, server = start_echo()
    client = udp_client()
    for i in range(5000):
        client.sendto(b"%d" % i, server)
    quiet = udp_client(timeout=0.2)

    def sentinel_answered():
        try:
            return ask(quiet, server, b"after the flood") == b"after the flood"
        except socket.timeout:
            return False  # the flood may have filled the receive buffer: send it again

    wait_until(sentinel_answered, 10, "a reply to the sentinel sent after the flood", interval=0)
    s = stats(proc)
    assert s["received"] > 1 and adds_up(s), s
    assert s["truncated"] == s["refused"] == s["rate_limited"] == 0, s


@case
def sigterm_sigint_and_sighup_print_the_counters_and_exit_0():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        proc, server = start_echo()
        client = udp_client()
        assert ask(client, server, b"one") == b"one"
        proc.signal(sig)
        code, out, err = proc.wait()
        assert code == 0, (sig, code, err)
        s = parse_stats(out.strip().splitlines()[-1])
        assert s["received"] == 1 and s["replied"] == 1 and s["bytes_out"] == 3, s
        assert err == "", err


@case
def a_signal_right_after_the_listening_line_still_prints_the_counters():
    # The handlers exist before "listening on" is printed: a script that stops udp-echo as soon
    # as it has read that line never kills it without its counters.
    for sig in (signal.SIGINT, signal.SIGTERM):
        for _ in range(5):
            proc, _ = start_echo()
            proc.signal(sig)
            code, out, err = proc.wait()
            assert code == 0, (sig, code, err)
            assert parse_stats(out.strip().splitlines()[-1])["received"] == 0, out


@case
def with_json_every_stdout_line_is_json_and_stats_say_when_and_why():
    proc, server = start_echo("--json", "--log", "--stats-interval", "0.2")  # listening: JSON
    client = udp_client()
    assert ask(client, server, b"js") == b"js"
    log = json.loads(proc.readline())
    assert (log["action"], log["size"]) == ("replied", 2), log
    assert log["from"] == "127.0.0.1:%d" % client.getsockname()[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", log["time"]), log
    interval = json.loads(proc.readline())
    assert interval["reason"] == "interval" and interval["received"] == 1, interval
    proc.signal(signal.SIGUSR1)
    reasons = set()
    wait_until(lambda: reasons.add(json.loads(proc.readline())["reason"]) or "SIGUSR1" in reasons,
               3, "the SIGUSR1 stats line")
    proc.signal(signal.SIGTERM)
    code, out, _ = proc.wait()
    assert code == 0
    lines = out.strip().splitlines()
    assert json.loads(lines[-1])["reason"] == "final", lines
    for line in lines:
        json.loads(line)  # every line, JSON
    # Text stats lines carry the same time and reason.
    proc, server = start_echo()
    s = stats(proc)
    assert s["reason"] == "SIGUSR1" and s["time"].endswith("Z"), s


@case
def rate_limit_log_only_logs_over_limit_datagrams_as_such():
    proc, server = start_echo("--rate-limit", "0.001", "--burst", "1", "--rate-limit-log-only",
                              "--log")
    client = udp_client()
    assert ask(client, server, b"a") == b"a"
    assert ask(client, server, b"b") == b"b"  # over the limit, still answered
    assert proc.readline().endswith(" 1 replied")
    assert proc.readline().endswith(" 1 replied-over-rate-limit")


@case
def sink_mode_replies_to_nothing_and_logs_each_datagram_as_text_or_hex():
    proc, server = start_echo("--mode", "sink", "--log", "--log-payload", "text")
    client = udp_client(timeout=0.3)
    for payload in (b'hi "x"\x1b[2J', b"", b"two\nlines"):
        client.sendto(payload, server)
    assert proc.readline().endswith(' 10 sunk: "hi \\"x\\"\\x1b[2J"')
    assert proc.readline().endswith(' 0 sunk: ""')
    assert proc.readline().endswith(' 9 sunk: "two\\nlines"')  # one datagram, one line
    assert_no_reply(client, "a reply in sink mode")
    s = stats(proc)
    assert s["sunk"] == 3 and s["replied"] == 0 and adds_up(s), s
    proc, server = start_echo("--mode", "sink", "--log", "--log-payload", "hex", "--json")
    client.sendto(b"\x00\xff", server)
    line = json.loads(proc.readline())
    assert (line["action"], line["hex"]) == ("sunk", "00ff"), line
    r = run_tool([tool("udp-echo"), "--log", "--log-payload", "text"])
    assert r.returncode == 2 and "--log-payload needs --mode sink" in r.stderr, r.stderr


@case
def sigusr1_prints_and_keeps_running():
    proc, server = start_echo()
    client = udp_client()
    assert stats(proc)["received"] == 0
    assert ask(client, server, b"still here") == b"still here"
    assert stats(proc)["received"] == 1
    assert proc.p.poll() is None


@case
def stats_interval_and_json():
    proc, server = start_echo("--stats-interval", "0.05", "--json")
    client = udp_client()
    assert ask(client, server, b"js") == b"js"
    s = {}

    def counted():  # the periodic lines come by themselves; one must count the datagram
        s.update(json.loads(proc.readline()))
        return s["received"] == 1

    wait_until(counted, 3, lambda: f"a stats line that counts the datagram (last: {s})", 0)
    assert s["replied"] == 1 and s["refused"] == 0 and s["bytes_in"] == 2, s
    proc.signal(signal.SIGTERM)
    code, out, _ = proc.wait()
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1])["received"] == 1


@case
def log_line_format():
    proc, server = start_echo("--log")
    client = udp_client()
    assert ask(client, server, b"12345") == b"12345"
    line = proc.readline()
    port = client.getsockname()[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1:%d 5 replied" % port,
                        line), line


@case
def ipv6_loopback():
    proc, (host, port) = start_echo("--mode", "upper", bind="[::1]:0")
    assert host == "::1"
    client = udp_client(socket.AF_INET6)
    client.sendto(b"v6", ("::1", port))
    assert client.recv(100) == b"V6"


@case
def directory_peer_gives_address_and_limit():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "peers.toml")
        # A directory names its port: a new one if another process took it in the meantime.
        for _attempt in range(5):
            port = unused_port()
            with open(path, "w") as f:
                f.write(f'[peers.echo]\naddress = "127.0.0.1:{port}"\nmax_message = 10\n')
            try:
                proc, (host, bound) = start_echo("--directory", path, "--as", "echo", bind=None)
                break
            except AssertionError as e:
                assert "EADDRINUSE" in str(e), e
        else:
            raise AssertionError("the directory's port was taken in each of 5 attempts")
        assert (host, bound) == ("127.0.0.1", port)
        client = udp_client()
        assert ask(client, (host, bound), b"0123456789") == b"0123456789"
        refused(client, (host, bound), b"01234567890", b"s")  # 11 bytes: over the peer's limit
        # One rule in every tool: --max-message, when given, is the limit, also over a peer's.
        proc.signal(signal.SIGTERM)
        assert proc.wait()[0] == 0
        start_echo("--directory", path, "--as", "echo", "--max-message", "20", bind=None)
        assert ask(client, (host, bound), b"x" * 20) == b"x" * 20
        refused(client, (host, bound), b"x" * 21, b"s")
        r = run_tool([ECHO, "--directory", path, "--as", "nobody"])
        assert r.returncode == 2 and "no peer named \"nobody\"" in r.stderr, r.stderr


@case
def bad_options_and_config_exit_2_and_bind_failure_exits_1():
    cases = [
        (["--mode", "shout"], "shout"),
        (["--match", "a(b", "--reply", "x"], 'bad regular expression "a(b": missing ): a(b'),
        (["--match", "^x"], "has no --reply"),
        (["--rate-limit", "-1"], "--rate-limit"),
        (["--burst", "3"], "--rate-limit"),
        (["--bind", "127.0.0.1"], "has no port"),
        (["--directory", "/nonexistent/peers.toml", "--as", "echo"], "/nonexistent/peers.toml"),
        (["--max-message", "65508"], "65508 is out of range; expected 1 to 65507 (IPv4)"),
        (["--max-message", "4", "--reply", "12345"], "message of 5 bytes exceeds the limit of 4"),
    ]
    for args, says in cases:
        r = run_tool([ECHO, *args])
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.startswith("udp-echo: ") and says in r.stderr, (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)
    proc, server = start_echo()
    r = run_tool([ECHO, "--bind", f"127.0.0.1:{server[1]}"])
    assert r.returncode == 1 and "EADDRINUSE" in r.stderr, r.stderr


run()
