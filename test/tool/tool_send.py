"""Tool tests of udp-send against udp-echo on loopback, and against a test-only lossy echo
(test/support/echo_stub.cpp --drop-every N) where a burst must see loss.

Run by meson (suite 'tool'); `python3 test/tool/tool_send.py CASE...` runs some cases only.
"""
import json
import os
import socket
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

from harness import BUILD, case, run, run_tool, spawn, start_echo, tool, udp_client, unused_port

SOURCE = os.environ.get("UDPKIT_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(SOURCE, "examples")
SEND = tool("udp-send")
ECHO_STUB = os.path.join(BUILD, "test", "echo_stub")


def lossy_echo(drop_every):
    """Starts the test echo that drops every Nth datagram; returns (process, port)."""
    proc = spawn([ECHO_STUB, "--drop-every", str(drop_every)])
    _, port = proc.listening()
    return proc, port


def directory(port):
    """A peer directory naming the echo responder `echo`, as examples/peers.toml does."""
    f = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    f.write(f'[peers.echo]\naddress = "127.0.0.1:{port}"\n')
    f.close()
    return f.name


def burst(port, *extra, timeout=60):
    r = run_tool([SEND, "--burst", *extra, "--json", f"127.0.0.1:{port}"], timeout=timeout)
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {r.stdout!r} / {r.stderr!r}"
    return r, json.loads(lines[0])


@case
def burst_of_10000_probes_comes_back_whole():
    _, (_, port) = start_echo()
    r, report = burst(port, "10000", "--size", "64")
    assert r.returncode == 0, r.stderr
    for key, want in (("sent", 10000), ("received", 10000), ("lost", 0), ("truncated", 0),
                      ("duplicated", 0), ("invalid", 0), ("size", 64)):
        assert report[key] == want, (key, report)
    # Every reply was exactly 64 bytes: the smallest and the largest.
    assert report["reply_bytes"] == {"min": 64, "max": 64}, report
    assert report["error"] is None
    assert report["rate_pps"] > 0
    assert set(report["rtt_us"]) == {"p50", "p90", "p99", "max"}
    assert 0 < report["rtt_us"]["p50"] <= report["rtt_us"]["p90"] <= report["rtt_us"]["p99"] \
        <= report["rtt_us"]["max"], report["rtt_us"]


@case
def burst_text_report_when_piped_has_no_progress_line():
    _, (_, port) = start_echo()
    r = run_tool([SEND, "--burst", "200", "--size", "100", "--rate", "20000",
                  f"127.0.0.1:{port}"])
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stdout and "\x1b" not in r.stdout, repr(r.stdout)
    assert f"burst to 127.0.0.1:{port}: 200 probes of 100 bytes" in r.stdout
    assert "sent 200, received 200, lost 0 (0.00%)" in r.stdout, r.stdout


@case
def burst_of_10_byte_probes_for_the_sticky_packet_demo():
    _, (_, port) = start_echo()
    r, report = burst(port, "1000", "--size", "10")
    assert r.returncode == 0, r.stderr
    assert (report["sent"], report["received"], report["lost"]) == (1000, 1000, 0), report
    assert report["reply_bytes"] == {"min": 10, "max": 10}, report


@case
def burst_to_a_port_with_nothing_listening_fails_with_exit_1():
    port = unused_port()
    r, report = burst(port, "10000", "--size", "64")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert report["received"] == 0
    assert report["error"] == f"target 127.0.0.1:{port} is not listening (ICMP port unreachable)"
    assert f"udp-send: burst failed: target 127.0.0.1:{port} is not listening" in r.stderr


@case
def burst_loss_fails_unless_within_max_loss():
    _, port = lossy_echo(10)
    r, report = burst(port, "1000", "--size", "32", "--timeout", "200")
    assert r.returncode == 1, r.stderr
    assert (report["sent"], report["received"], report["lost"]) == (1000, 900, 100), report
    assert "lost 100 of 1000 probes (10.00%), more than the allowed 0.00%" in r.stderr
    r, report = burst(port, "1000", "--size", "32", "--timeout", "200", "--max-loss", "10")
    assert r.returncode == 0, r.stderr
    assert report["lost"] == 100 and report["error"] is None, report


@case
def script_that_passes_exits_0_and_writes_junit_with_one_case_per_expectation():
    _, (_, port) = start_echo()
    junit = tempfile.mktemp(suffix=".xml")
    r = run_tool([SEND, "--script", os.path.join(EXAMPLES, "echo-smoke.udps"),
                  "--directory", directory(port), "--junit", junit])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.rstrip().endswith("PASS: 30 of 30 expectations held"), r.stdout
    root = ElementTree.parse(junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 30 == int(root.get("tests")), len(cases)
    assert root.get("failures") == "0"
    assert not root.findall(".//failure")
    # One line per step: 30 expects and 29 sends.
    lines = r.stdout.splitlines()
    assert sum(line.startswith("PASS ") for line in lines) == 30, r.stdout
    assert sum(line.startswith("  ok ") for line in lines) == 29, r.stdout


@case
def script_for_upper_mode_passes_against_an_upper_casing_echo():
    _, (_, port) = start_echo("--mode", "upper")
    r = run_tool([SEND, "--script", os.path.join(EXAMPLES, "echo-upper.udps"),
                  "--directory", directory(port)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS: 4 of 4 expectations held" in r.stdout


@case
def script_that_fails_exits_1_and_reports_each_failure():
    _, (_, port) = start_echo()
    junit = tempfile.mktemp(suffix=".xml")
    r = run_tool([SEND, "--script", os.path.join(EXAMPLES, "fails-on-purpose.udps"),
                  "--directory", directory(port), "--junit", junit])
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    fails = [line for line in lines if line.startswith("FAIL ")]
    assert len(fails) == 3, r.stdout
    assert fails[0].endswith(':12:1 expect "HELLO": got "hello" (5 bytes) after '
                             + fails[0].split(" after ")[1].split(",")[0]
                             + ', expected "HELLO" (5 bytes)'), fails[0]
    assert "expect none within 200ms: got \"ping\" (4 bytes), expected none" in fails[1]
    assert fails[2].endswith("no reply within 200.0 ms")
    assert lines[-1] == "FAIL: 1 of 4 expectations held"
    root = ElementTree.parse(junit).getroot()
    assert len(root.findall("./testsuite/testcase")) == 4
    assert len(root.findall(".//failure")) == 3
    assert root.get("failures") == "3"


@case
def script_against_a_port_with_nothing_listening_fails_with_the_cause():
    port = unused_port()
    f = tempfile.NamedTemporaryFile("w", suffix=".udps", delete=False)
    f.write(f'target 127.0.0.1:{port}\nsend "anyone?"\nexpect "anyone?" within 2s\n')
    f.close()
    r = run_tool([SEND, "--script", f.name])
    assert r.returncode == 1, r.stdout + r.stderr
    assert (f'FAIL {f.name}:3:1 expect "anyone?" within 2s: target 127.0.0.1:{port} is not '
            "listening (ICMP port unreachable)") in r.stdout, r.stdout


@case
def invalid_scripts_exit_2_naming_file_line_and_column():
    rows = [
        ('target 127.0.0.1:9\nsend "x"\nexpect regex "(a"\n', "3:14: invalid regular expression"),
        ('target 127.0.0.1:9\nsend "unterminated\n', "2:6: unterminated string"),
        ('target 127.0.0.1:9\nsnd "x"\n', '2:1: unknown command "snd"'),
        ('target 127.0.0.1:9\nrepeat 99999999 {\n}\n',
         '2:8: repeat count "99999999" is out of range; expected a whole number from 0 to 1000000'),
        ('target 127.0.0.1:9\nrate nan\n', '2:6: rate "nan" is not a number'),
        ('target 127.0.0.1:9\nsleep -infs\n', '2:7: duration "-infs" is infinite'),
        ('target 127.0.0.1:9\nsleep 5 minutes\n', "2:7: bad duration"),
        ('target 127.0.0.1:9\nsend hex "0g"\n', "2:12: bad hex digit"),
        ('target 127.0.0.1:9\nsend "${nope}"\n', "2:7: unknown variable ${nope}"),
    ]
    for text, says in rows:
        f = tempfile.NamedTemporaryFile("w", suffix=".udps", delete=False)
        f.write(text)
        f.close()
        r = run_tool([SEND, "--script", f.name])
        assert r.returncode == 2, (text, r.returncode, r.stderr)
        assert r.stderr.startswith(f"udp-send: {f.name}:{says}"), (says, r.stderr)
        assert r.stdout == ""


@case
def one_shot_wait_reply_prints_the_reply_and_exits_0():
    _, (_, port) = start_echo()
    r = run_tool([SEND, f"127.0.0.1:{port}", "hello\x1b[2J", "--wait-reply"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\\x1b[2J\n"  # rendered terminal-safe, one record
    r = run_tool([SEND, f"127.0.0.1:{port}", "--hex", "00ff", "--wait-reply", "--json",
                  "--count", "3", "--interval", "5"])
    assert r.returncode == 0, r.stderr
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(records) == 3
    for rec in records:
        assert rec["source"] == f"127.0.0.1:{port}" and rec["size"] == 2, rec
        assert rec["hex"] == "00 ff" and rec["rtt_us"] > 0, rec


@case
def one_shot_without_a_reply_or_listener_exits_1():
    silent = udp_client(timeout=2.0)
    port = silent.getsockname()[1]
    r = run_tool([SEND, f"127.0.0.1:{port}", "anyone?", "--wait-reply", "--timeout", "200"])
    assert r.returncode == 1, r.stderr
    assert f"no reply from 127.0.0.1:{port} within 200 ms to 1 of 1 sends" in r.stderr
    assert silent.recv(2048) == b"anyone?"
    # Without --wait-reply a send that left is a success...
    r = run_tool([SEND, f"127.0.0.1:{port}", "fire and forget"])
    assert r.returncode == 0, r.stderr
    assert silent.recv(2048) == b"fire and forget"
    # ...unless the target is not listening at all.
    closed = unused_port()
    for extra in ([], ["--wait-reply"]):
        r = run_tool([SEND, f"127.0.0.1:{closed}", "x", *extra])
        assert r.returncode == 1, (extra, r.stderr)
        assert f"target 127.0.0.1:{closed} is not listening (ICMP port unreachable)" in r.stderr


@case
def stdin_is_one_datagram_and_over_the_limit_is_refused_with_nothing_sent():
    silent = udp_client(timeout=0.5)
    port = silent.getsockname()[1]
    r = run_tool([SEND, f"127.0.0.1:{port}"], input="line 1\nline 2\n" + "x" * 1458)
    assert r.returncode == 0, r.stderr
    assert silent.recv(4096) == ("line 1\nline 2\n" + "x" * 1458).encode()  # 1472 bytes, whole
    r = run_tool([SEND, f"127.0.0.1:{port}"], input="y" * 1473)
    assert r.returncode == 2, r.stderr
    assert "stdin holds more than 1472 bytes" in r.stderr and "nothing was sent" in r.stderr
    r = run_tool([SEND, f"127.0.0.1:{port}", "--max-message", "4000"], input="z" * 3000)
    assert r.returncode == 0, r.stderr
    assert silent.recv(8192) == b"z" * 3000
    try:
        got = silent.recv(8192)
        raise AssertionError(f"something was sent after the refusal: {len(got)} bytes")
    except socket.timeout:
        pass


def script_file(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".udps", delete=False, encoding="utf-8")
    f.write(text)
    f.close()
    return f.name


@case
def script_lines_and_payloads_are_escaped_once_and_junit_holds_what_the_terminal_showed():
    _, (_, port) = start_echo()
    path = script_file(f'target 127.0.0.1:{port}\nsend "esc: \\n \\"q\\" \\xe2\\x80\\x8e"\n'
                       'expect "nothing like it" within 300ms\n')
    junit = tempfile.mktemp(suffix=".xml")
    r = run_tool([SEND, "--script", path, "--junit", junit])
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    # the line as written; the payload once, with its quote escaped and the LRM visible
    assert lines[0] == (f'  ok {path}:2:1 send "esc: \\n \\"q\\" \\xe2\\x80\\x8e": sent '
                        f'"esc: \\n \\"q\\" \\u{{200e}}" (14 bytes) to 127.0.0.1:{port}'), lines[0]
    fail = lines[1]
    assert fail.startswith(f"FAIL {path}:3:1 "), fail
    case_ = ElementTree.parse(junit).getroot().find("./testsuite/testcase")
    shown_name, shown_detail = fail[len(f"FAIL {path}:"):].split(": ", 1)
    assert case_.get("name") == shown_name, (case_.get("name"), shown_name)
    assert case_.find("failure").get("message") == shown_detail


@case
def one_shot_reply_text_escapes_invisible_and_bidi_characters():
    _, (_, port) = start_echo()
    for c in ["\u200e", "\u200f", "\u061c", "\u200b", "\ufeff", "\u2028", "\u2029", "\U000e0041"]:
        r = run_tool([SEND, f"127.0.0.1:{port}", f"a{c}b", "--wait-reply"])
        assert r.returncode == 0, r.stderr
        assert r.stdout == "a\\u{%x}b\n" % ord(c), (c, r.stdout)
    r = run_tool([SEND, f"127.0.0.1:{port}", "--hex", "de ad", "--wait-reply"])
    assert r.stdout == "\\u{7ad}\n", r.stdout  # a lone combining mark


def nothing_arrives(sock):
    try:
        got = sock.recv(65535)
        raise AssertionError(f"something was sent: {len(got)} bytes")
    except socket.timeout:
        pass


@case
def max_message_65508_to_an_ipv4_target_is_a_usage_error_with_nothing_sent():
    silent = udp_client(timeout=0.3)
    port = silent.getsockname()[1]
    for extra in (["x"], ["--burst", "1", "--size", "8"]):
        r = run_tool([SEND, f"127.0.0.1:{port}", "--max-message", "65508", *extra])
        assert r.returncode == 2, (extra, r.returncode, r.stderr)
        assert "65508 is out of range; expected 1 to 65507 (IPv4)" in r.stderr, r.stderr
    path = script_file(f'target 127.0.0.1:{port}\nsend "x"\n')
    r = run_tool([SEND, "--script", path, "--max-message", "65508"])
    assert r.returncode == 2 and "(IPv4)" in r.stderr, (r.returncode, r.stderr)
    nothing_arrives(silent)


@case
def max_message_is_every_targets_limit_peers_too():
    silent = udp_client(timeout=0.3)
    port = silent.getsockname()[1]
    peers = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    peers.write(f'[peers.small]\naddress = "127.0.0.1:{port}"\nmax_message = 4\n')
    peers.close()
    r = run_tool([SEND, "--directory", peers.name, "small", "hello"])
    assert r.returncode == 2 and "the limit for small" in r.stderr, r.stderr  # the peer's own
    r = run_tool([SEND, "--directory", peers.name, "small", "hello", "--max-message", "5"])
    assert r.returncode == 0, r.stderr  # --max-message wins, as in udp-echo
    assert silent.recv(100) == b"hello"


@case
def junit_into_a_missing_directory_fails_before_anything_is_sent():
    silent = udp_client(timeout=0.3)
    port = silent.getsockname()[1]
    path = script_file(f'target 127.0.0.1:{port}\nsend "x"\n')
    junit = os.path.join(tempfile.mkdtemp(), "no", "such", "report.xml")
    r = run_tool([SEND, "--script", path, "--junit", junit])
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr == (f"udp-send: --junit {junit}: cannot write the report: No such file or "
                        "directory; nothing was sent\n"), r.stderr
    assert r.stdout == ""
    nothing_arrives(silent)


@case
def invalid_script_with_junit_writes_a_report_with_one_error_test_case():
    path = script_file('target 127.0.0.1:9\nexpect regex "^h(i"\n')
    junit = tempfile.mktemp(suffix=".xml")
    r = run_tool([SEND, "--script", path, "--junit", junit])
    assert r.returncode == 2, r.stderr
    root = ElementTree.parse(junit).getroot()
    assert (root.get("tests"), root.get("errors"), root.get("failures")) == ("1", "1", "0")
    error = root.find("./testsuite/testcase/error")
    assert error.get("message") == f"{path}:2:14: invalid regular expression: missing ): ^h(i"
    assert r.stderr == f"udp-send: {error.get('message')}\n", r.stderr


@case
def a_script_stopped_before_it_runs_still_writes_a_junit_report_saying_why():
    # Not only a parse error: a bad directory, a message limit over IPv4's, an unknown
    # interface. The report holds one error test case with the message stderr showed.
    path = script_file('target 127.0.0.1:9\nsend "x"\n')
    bad_directory = script_file('[peers.a]\naddress = "nowhere"\n')
    for extra in (["--directory", bad_directory], ["--max-message", "65508"]):
        junit = tempfile.mktemp(suffix=".xml")
        r = run_tool([SEND, "--script", path, "--junit", junit, *extra])
        assert r.returncode == 2, (extra, r.stderr)
        root = ElementTree.parse(junit).getroot()
        assert (root.get("tests"), root.get("errors")) == ("1", "1"), (extra, root.attrib)
        error = root.find("./testsuite/testcase/error")
        assert r.stderr == f"udp-send: {error.get('message')}\n", (r.stderr, error.attrib)


@case
def file_that_is_a_directory_is_a_usage_error_with_nothing_sent():
    silent = udp_client(timeout=0.3)
    port = silent.getsockname()[1]
    folder = tempfile.mkdtemp()
    r = run_tool([SEND, f"127.0.0.1:{port}", "--file", folder])
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert f"--file {folder}: cannot read: Is a directory; nothing was sent" in r.stderr
    nothing_arrives(silent)


# A responder on loopback's broadcast address that echoes every datagram and, after the first,
# sends one stray datagram from another address (127.0.0.3) to the same client. Prints its port.
ECHO_AND_STRAY = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.255.255.255", 0))
print(s.getsockname()[1], flush=True)
stray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
stray.bind(("127.0.0.3", 0))
seen = 0
while True:
    data, source = s.recvfrom(2000)
    s.sendto(data, source)
    seen += 1
    if seen == 1:
        stray.sendto(b"not a probe", source)
"""


@case
def a_stray_datagram_during_a_group_burst_is_foreign_not_a_responder():
    """In a burst to a group or broadcast address any source may answer, but a source becomes a
    responder only with a reply to one of this run's probes: a stray or forged datagram is
    counted as foreign, and adds no responder that lost every probe."""
    responder = spawn([sys.executable, "-c", ECHO_AND_STRAY])
    port = int(responder.readline(5))
    r = run_tool([SEND, "--broadcast", "--burst", "200", "--size", "32", "--timeout", "300",
                  "--json", "--expect-responders", "1", f"127.255.255.255:{port}"])
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    report = json.loads(r.stdout)
    assert [x["address"] for x in report["responders"]] == [f"127.0.0.1:{port}"], report
    assert report["responders"][0]["received"] == 200, report
    assert len(report["foreign"]) == 1 and report["foreign"][0]["address"].startswith(
        "127.0.0.3:") and report["foreign"][0]["datagrams"] == 1, report


# A responder at 127.0.0.1 that answers every datagram from another address, 127.0.0.3: what a
# multihomed host without IP_PKTINFO does. Prints its port.
ANSWER_FROM_ELSEWHERE = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
other.bind(("127.0.0.3", 0))
while True:
    data, source = s.recvfrom(2000)
    other.sendto(data, source)
"""


@case
def broadcast_does_not_make_a_directory_peer_answerable_from_anywhere():
    """--broadcast lets an IPv4 address be a subnet's broadcast, but a directory peer is one host:
    in a script run with --broadcast, a reply to alice from another address is still foreign."""
    responder = spawn([sys.executable, "-c", ANSWER_FROM_ELSEWHERE])
    port = int(responder.readline(5))
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "peers.toml")
        with open(directory, "w", encoding="utf-8") as f:
            f.write(f'[peers.alice]\naddress = "127.0.0.1:{port}"\n')
        script = os.path.join(tmp, "alice.udps")
        with open(script, "w", encoding="utf-8") as f:
            f.write('target alice\nsend "ping"\nexpect "ping" within 300ms\n')
        r = run_tool([SEND, "--broadcast", "--directory", directory, "--script", script])
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "from 127.0.0.3:" in r.stdout + r.stderr, (r.stdout, r.stderr)


@case
def loopback_broadcast_needs_broadcast_then_collects_every_reply():
    """127.255.255.255 is loopback's broadcast address: a udp-echo bound to 0.0.0.0 with
    --allow-broadcast receives it. Without --broadcast the kernel refuses the send (EACCES): a
    usage error, and the responder received nothing."""
    proc, (_, port) = start_echo("--allow-broadcast", bind="127.255.255.255:0")
    target = f"127.255.255.255:{port}"
    r = run_tool([SEND, target, "hi", "--wait-reply", "--timeout", "300"])
    assert r.returncode == 2 and r.stdout == "", (r.returncode, r.stdout, r.stderr)
    assert r.stderr == (f"udp-send: send to {target}: permission denied: it is a broadcast "
                        "address; add --broadcast to send to every host of the subnet (nothing "
                        "was sent)\n"), r.stderr
    # 255.255.255.255 is known to be a broadcast address before anything is sent.
    r = run_tool([SEND, f"255.255.255.255:{port}", "hi"])
    assert r.returncode == 2 and "is a broadcast address: add --broadcast" in r.stderr, r.stderr
    r = run_tool([SEND, "--broadcast", target, "hi", "--wait-reply", "--timeout", "300",
                  "--count", "2", "--json"])
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    records = [json.loads(line) for line in r.stdout.splitlines()]
    # Each send waited its whole timeout and took the reply from the responder's own address.
    assert [(x["source"], x["text"]) for x in records[:2]] == [(f"127.0.0.1:{port}", "hi")] * 2, \
        records
    assert records[2] == {"responders": [{"address": f"127.0.0.1:{port}", "peer": None,
                                          "replies": 2}], "unnamed_replies": 0}, records
    r = run_tool([SEND, "--broadcast", target, "hi", "--wait-reply", "--timeout", "300",
                  "--expect-responders", "2"])
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert (f"udp-send: 1 of the 2 expected responders answered (--expect-responders): "
            f"127.0.0.1:{port}\n") in r.stderr, r.stderr
    # A burst to the broadcast address: one responder with its own counts.
    r = run_tool([SEND, "--broadcast", "--burst", "500", "--size", "64", target, "--timeout",
                  "300", "--json"])
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    report = json.loads(r.stdout)
    assert report["sent"] == 500 and len(report["responders"]) == 1, report
    only = report["responders"][0]
    assert only["address"] == f"127.0.0.1:{port}" and only["received"] == 500, only
    assert only["lost"] == only["duplicated"] == only["corrupt"] == 0, only
    # A script: the expect after a send to the broadcast address takes the responder's reply.
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "all.udps")
        with open(script, "w", encoding="utf-8") as f:
            f.write(f'target {target}\nsend "all"\nexpect "all" within 500ms\n'
                    f'send "again"\nexpect "again" from 127.0.0.1:{port} within 500ms\n')
        r = run_tool([SEND, "--script", script, "--broadcast"])
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        assert f"from 127.0.0.1:{port}\n" in r.stdout and r.stdout.endswith(
            "PASS: 2 of 2 expectations held\n"), r.stdout
        # Without --broadcast the address is a single host's: `from` is an error at its place.
        r = run_tool([SEND, "--script", script])
        assert r.returncode == 2 and r.stderr.startswith(
            f"udp-send: {script}:5:16: `from` picks one member's reply after a send to a group, "
            f"but {target} is a single host"), (r.returncode, r.stderr)
        # ... and the kernel refuses the send: the step says what to add.
        with open(script, "w", encoding="utf-8") as f:
            f.write(f'target {target}\nsend "all"\nexpect "all" within 200ms\n')
        r = run_tool([SEND, "--script", script])
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert (f"FAIL {script}:2:1 send \"all\": not sent: send to {target}: permission "
                "denied: it is a broadcast address; add --broadcast") in r.stdout, r.stdout
    proc.signal(15)
    proc.wait(5)


@case
def group_flags_that_do_not_fit_the_target_are_usage_errors():
    r = run_tool([SEND, "127.0.0.1:9", "hi", "--ttl", "2"])
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.startswith("udp-send: --ttl sets how datagrams to a multicast group travel, "
                               "but 127.0.0.1:9 is a single host"), r.stderr
    r = run_tool([SEND, "127.0.0.1:9", "hi", "--wait-reply", "--expect-responders", "2"])
    assert r.returncode == 2 and "--expect-responders counts the hosts" in r.stderr, r.stderr
    r = run_tool([SEND, "239.1.2.3:9", "hi", "--ttl", "256"])
    assert r.returncode == 2 and "--ttl: \"256\" is out of range" in r.stderr, r.stderr
    r = run_tool([SEND, "239.1.2.3:9", "hi", "--interface", "no-such-if0"])
    assert r.returncode == 2 and r.stderr.startswith("udp-send: --interface: "), r.stderr


run()
