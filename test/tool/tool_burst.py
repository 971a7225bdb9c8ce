"""Tool tests of udp-send --burst's counters and reports, through a deterministic relay
(test/support/pattern_relay.py) that drops, swaps, flips, duplicates, lengthens, delays or
misdirects given replies of a real udp-echo, so every counter has an exact expected value.
Also: --expect-echo (one-shot and `expect echo` in scripts), the histogram and interval
reports, Ctrl-C mid-burst, and large probes with the default window.

Run by meson (suite 'tool'); `python3 test/tool/tool_burst.py CASE...` runs some cases only.
"""
import json
import os
import re
import signal
import sys
import tempfile

from harness import case, run, run_tool, spawn, start_echo, tool

SEND = tool("udp-send")
RELAY = os.path.join(os.path.dirname(__file__), "..", "support", "pattern_relay.py")


def relay(upstream_port, pattern, *extra):
    """Starts a pattern relay in front of udp-echo on 127.0.0.1:upstream_port; (Proc, port)."""
    proc = spawn([sys.executable, RELAY, "--upstream", f"127.0.0.1:{upstream_port}",
                  "--pattern", pattern, *extra])
    _, port = proc.listening()
    return proc, port


def echo_behind_relay(pattern, *extra):
    _, (_, echo_port) = start_echo()
    return relay(echo_port, pattern, *extra)


def burst_json(port, *extra, host="127.0.0.1", timeout=60):
    r = run_tool([SEND, "--burst", *extra, "--json", f"{host}:{port}"], timeout=timeout)
    lines = r.stdout.strip().splitlines()
    assert lines, f"no output; stderr: {r.stderr}"
    return r, [json.loads(line) for line in lines]


def expected_counts(pattern, probes):
    """What udp-send must count for a pattern of single indexes, as the README defines it."""
    ops = {}
    for item in pattern.split(","):
        op, _, index = item.partition("@")
        ops[int(index)] = op
    assert max(ops) < probes - 1, "keep the last probe clean (a swap needs a next reply)"
    never_whole = sum(op in ("drop", "flip", "lengthen") for op in ops.values())
    return {"sent": probes, "received": probes - never_whole, "lost": never_whole,
            "late": 0, "in_flight": 0,
            "reordered": sum(op == "swap" for op in ops.values()),
            "duplicated": sum(op == "dup" for op in ops.values()),
            "corrupt": sum(op in ("flip", "lengthen") for op in ops.values()),
            "truncated": 0, "invalid": 0}


@case
def relay_without_a_pattern_changes_nothing():
    _, port = echo_behind_relay("")
    r, (report,) = burst_json(port, "500", "--size", "64")
    assert r.returncode == 0, r.stderr
    for key in ("lost", "late", "in_flight", "reordered", "duplicated", "corrupt", "truncated",
                "invalid"):
        assert report[key] == 0, (key, report)
    assert (report["sent"], report["received"], report["error"]) == (500, 500, None), report
    assert report["first_corrupt"] is None and report["jitter_us"] is not None, report


@case
def counters_through_the_relay_equal_the_pattern_exactly():
    pattern = "drop@5,swap@10,flip@20,dup@30,lengthen@40,drop@55,swap@60,dup@70,flip@80"
    _, port = echo_behind_relay(pattern)
    r, (report,) = burst_json(port, "100", "--size", "64", "--timeout", "500")
    assert r.returncode == 1, (r.returncode, r.stderr)
    want = expected_counts(pattern, 100)
    assert want == {"sent": 100, "received": 95, "lost": 5, "late": 0, "in_flight": 0,
                    "reordered": 2, "duplicated": 2, "corrupt": 3, "truncated": 0,
                    "invalid": 0}, want
    got = {key: report[key] for key in want}
    assert got == want, (got, want)
    assert re.fullmatch(r"probe 20: byte 8 is 0x[0-9a-f]{2} instead of 0x[0-9a-f]{2}",
                        report["first_corrupt"]), report
    assert report["error"].startswith("lost 5 of 100 probes (5.00%), more than the allowed "
                                      "0.00% (--max-loss); 3 replies were corrupt (not the "
                                      "probe byte for byte; first: probe 20: byte 8 is "), report
    assert "udp-send: burst failed: lost 5 of 100 probes" in r.stderr, r.stderr
    # The text report says the same (a new relay: its reply indexes start at 0 again).
    _, port = echo_behind_relay(pattern)
    r = run_tool([SEND, "--burst", "100", "--size", "64", "--timeout", "500",
                  f"127.0.0.1:{port}"])
    assert r.returncode == 1, r.stderr
    assert ("sent 100, received 95, lost 5 (5.00%), late 0, in flight 0, reordered 2, "
            "duplicated 2, corrupt 3, truncated 0, invalid 0\n") in r.stdout, r.stdout
    assert re.search(r"^first corrupt reply: probe 20: byte 8 is 0x", r.stdout, re.M), r.stdout


@case
def a_longer_reply_is_corrupt_even_when_every_probe_byte_matches():
    _, port = echo_behind_relay("lengthen@3")
    r, (report,) = burst_json(port, "10", "--size", "100", "--timeout", "300",
                              "--max-loss", "10")
    assert r.returncode == 1, r.stderr
    assert (report["received"], report["lost"], report["corrupt"]) == (9, 1, 1), report
    assert report["first_corrupt"] == "probe 3: 105 bytes instead of 100", report
    assert report["reply_bytes"] == {"min": 100, "max": 100}, report
    assert report["error"] == ("1 reply was corrupt (not the probe byte for byte; first: "
                               "probe 3: 105 bytes instead of 100)"), report


@case
def nothing_valid_back_gives_null_rtt_and_says_what_came_back():
    _, port = echo_behind_relay("flip@0-")
    r, (report,) = burst_json(port, "20", "--size", "32", "--timeout", "300")
    assert r.returncode == 1, r.stderr
    assert (report["received"], report["lost"], report["corrupt"]) == (0, 20, 20), report
    assert report["rtt_us"] is None and report["jitter_us"] is None, report
    assert report["reply_bytes"] is None, report
    assert report["error"].startswith("no valid reply to any of the 20 probes; what came back: "
                                      "20 corrupt; first corrupt: probe 0: byte 8 is 0x"), report
    r = run_tool([SEND, "--burst", "20", "--size", "32", "--timeout", "300",
                  f"127.0.0.1:{port}"])
    assert r.returncode == 1
    assert "\nrtt p50 -, p90 -, p99 -, max -; jitter -\n" in r.stdout, r.stdout
    assert "; replies -; kernel drops 0\n" in r.stdout, r.stdout
    # Misdirected and corrupt replies together: both named.
    _, port = echo_behind_relay("flip@0-9,foreign@10-")
    r, (report,) = burst_json(port, "20", "--size", "32", "--timeout", "300")
    assert r.returncode == 1
    assert report["error"].startswith(
        "no valid reply to any of the 20 probes; what came back: 10 corrupt, 10 foreign (from "
        "other addresses, not replies); first corrupt: probe 0: "), report
    assert report["foreign"][0]["datagrams"] == 10, report


@case
def a_reply_after_its_timeout_is_late_not_lost_and_not_received():
    _, port = echo_behind_relay("delay:700@5")
    # 100 probes at 50 per second: the burst still runs when the delayed reply comes.
    r, (report,) = burst_json(port, "100", "--size", "32", "--rate", "50", "--timeout", "300")
    assert r.returncode == 1, r.stderr
    got = {key: report[key] for key in ("received", "lost", "late", "in_flight")}
    assert got == {"received": 99, "lost": 0, "late": 1, "in_flight": 0}, report
    assert report["error"] == ("lost 0 and late 1 of 100 probes (1.00%), more than the allowed "
                               "0.00% (--max-loss)"), report
    _, port = echo_behind_relay("delay:700@5")
    r, (report,) = burst_json(port, "100", "--size", "32", "--rate", "50", "--timeout", "300",
                              "--max-loss", "1")
    assert r.returncode == 0, r.stderr
    assert report["late"] == 1 and report["error"] is None, report


@case
def histogram_in_the_terminal_and_in_json():
    _, (_, port) = start_echo()
    r = run_tool([SEND, "--burst", "1000", "--size", "64", "--histogram", f"127.0.0.1:{port}"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    title = lines.index("rtt histogram (1000 replies):")
    rows = lines[title + 1:]
    assert rows, r.stdout
    total, widest = 0, 0
    for row in rows:
        m = re.fullmatch(r"  +(\d+(?:us|ms|s)) \.\. (\d+(?:us|ms|s)) +(\d+)(?:  (#+))?", row)
        assert m, (row, r.stdout)
        total += int(m.group(3))
        bar = len(m.group(4) or "")
        assert (bar > 0) == (int(m.group(3)) > 0), row
        widest = max(widest, bar)
    assert total == 1000 and widest == 40, r.stdout
    r, (report,) = burst_json(port, "500", "--size", "64", "--histogram")
    assert r.returncode == 0, r.stderr
    buckets = report["rtt_histogram"]
    assert sum(b["count"] for b in buckets) == 500, buckets
    assert all(b["from_us"] < b["to_us"] for b in buckets), buckets
    assert all(a["to_us"] == b["from_us"] for a, b in zip(buckets, buckets[1:])), buckets
    # Without --histogram the key is not there.
    _, (report,) = burst_json(port, "10", "--size", "64")
    assert "rtt_histogram" not in report, report


@case
def report_interval_prints_a_line_per_interval():
    _, (_, port) = start_echo()
    r = run_tool([SEND, "--burst", "40", "--size", "64", "--rate", "20", "--report-interval",
                  "0.5", f"127.0.0.1:{port}"])
    assert r.returncode == 0, r.stderr
    pattern = re.compile(r"\[ *(\d+\.\d\d)- *(\d+\.\d\d) s\] sent (\d+), received (\d+), lost 0, "
                         r"late 0, in flight (\d+), reordered 0, duplicated 0, corrupt 0, "
                         r"truncated 0, invalid 0; rtt (p50 [\d.]+ us, max [\d.]+ us|p50 -, "
                         r"max -); jitter ([\d.]+ us|-)")
    intervals = [pattern.fullmatch(line) for line in r.stdout.splitlines()
                 if line.startswith("[")]
    assert len(intervals) >= 4 and all(intervals), r.stdout
    # Reports come at 0.5 s, 1 s, ... after the start (a timer may run a little late).
    assert intervals[0].group(1) == "0.00", r.stdout
    for k, m in enumerate(intervals[:-1]):
        assert 0.5 * (k + 1) <= float(m.group(2)) < 0.5 * (k + 1) + 0.1, r.stdout
    for a, b in zip(intervals, intervals[1:]):
        assert a.group(2) == b.group(1), r.stdout  # back to back
    assert sum(int(m.group(3)) for m in intervals) == 40, r.stdout
    assert sum(int(m.group(4)) for m in intervals) == 40, r.stdout
    # The final report follows the intervals.
    assert r.stdout.index("burst to 127.0.0.1") > r.stdout.rindex("] sent "), r.stdout


@case
def report_interval_with_json_prints_an_object_per_interval_then_the_report():
    _, (_, port) = start_echo()
    r, objects = burst_json(port, "40", "--size", "64", "--rate", "20", "--report-interval",
                            "0.5")
    assert r.returncode == 0, r.stderr
    *intervals, final = objects
    assert len(intervals) >= 4, objects
    assert all(set(i) == {"interval", "sent", "received", "lost", "late", "in_flight",
                          "reordered", "duplicated", "corrupt", "truncated", "invalid", "rtt_us",
                          "jitter_us"} for i in intervals), intervals
    assert intervals[0]["interval"]["start_s"] == 0.0, intervals[0]
    for k, i in enumerate(intervals[:-1]):
        assert 0.5 * (k + 1) <= i["interval"]["end_s"] < 0.5 * (k + 1) + 0.1, intervals
    assert sum(i["sent"] for i in intervals) == 40 == final["sent"], objects
    assert sum(i["received"] for i in intervals) == 40 == final["received"], objects
    assert "interval" not in final and final["error"] is None, final


@case
def ctrl_c_mid_burst_reports_probes_in_flight_not_lost():
    # Replies 0-4 and every reply from 60 on are dropped. With 20 probes a second and a 2 s
    # timeout, probes 0-4 have timed out (lost) when SIGINT comes just after probe 61 went
    # through the relay, and probes 60 and later are still in flight.
    relay_proc, port = echo_behind_relay("drop@0-4,drop@60-", "--log")
    p = spawn([SEND, "--burst", "1000", "--size", "64", "--rate", "20", "--timeout", "2000",
               "--json", f"127.0.0.1:{port}"])
    while relay_proc.readline(timeout=20) != "61 drop":
        pass
    p.signal(signal.SIGINT)
    code, out, err = p.wait(10)
    assert code == 1, (code, out, err)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["error"] == "interrupted", report
    assert report["lost"] == 5, report
    assert report["in_flight"] == report["sent"] - 60 >= 2, report
    assert report["received"] == 55 and report["late"] == 0, report
    assert "udp-send: burst failed: interrupted" in err, err


@case
def expect_echo_in_one_shot_mode_names_the_difference():
    _, (_, port) = start_echo()
    r = run_tool([SEND, "--wait-reply", "--expect-echo", f"127.0.0.1:{port}", "hello"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n", r.stdout
    _, port = echo_behind_relay("lengthen@0,flip@1")
    r = run_tool([SEND, "--wait-reply", "--expect-echo", "--count", "3", f"127.0.0.1:{port}",
                  "hello"])
    assert r.returncode == 1, r.stderr
    assert (f"udp-send: reply 1 from 127.0.0.1:{port} is not what was sent: 10 bytes instead of "
            "5\n") in r.stderr, r.stderr
    assert (f"udp-send: reply 2 from 127.0.0.1:{port} is not what was sent: byte 4 is 0x90 "
            "instead of 0x6f\n") in r.stderr, r.stderr
    assert "reply 3 from" not in r.stderr, r.stderr
    assert r.stderr.endswith("udp-send: 2 of 3 replies were not the echo of what was sent "
                             "(--expect-echo)\n"), r.stderr
    # An upper-casing responder is no echo.
    _, (_, port) = start_echo("--mode", "upper")
    r = run_tool([SEND, "--wait-reply", "--expect-echo", f"127.0.0.1:{port}", "hello"])
    assert r.returncode == 1
    assert "is not what was sent: byte 0 is 0x48 instead of 0x68 and 4 more bytes differ" \
        in r.stderr, r.stderr
    r = run_tool([SEND, "--expect-echo", f"127.0.0.1:{port}", "hello"])
    assert r.returncode == 2 and "add --wait-reply" in r.stderr, r.stderr


@case
def expect_echo_in_a_script_checks_the_latest_send_whole():
    script = tempfile.NamedTemporaryFile("w", suffix=".udps", delete=False)
    script.write('send "hello"\nexpect echo\nsend hex "00 01 02"\nexpect echo within 500ms\n')
    script.close()
    _, (_, port) = start_echo()
    r = run_tool([SEND, "--script", script.name, f"127.0.0.1:{port}"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.rstrip().endswith("PASS: 2 of 2 expectations held"), r.stdout
    _, port = echo_behind_relay("lengthen@1")
    r = run_tool([SEND, "--script", script.name, f"127.0.0.1:{port}"])
    assert r.returncode == 1, r.stdout + r.stderr
    fails = [line for line in r.stdout.splitlines() if line.startswith("FAIL ")]
    assert len(fails) == 1, r.stdout
    assert fails[0].endswith('expect echo within 500ms: got "\\0\\x01\\x02\\0\\x01\\x02\\x03\\x04" '
                             '(8 bytes) after ' + fails[0].split(" after ")[1].split(",")[0] +
                             ', expected the echo of the latest send, "\\0\\x01\\x02" (3 bytes): '
                             '8 bytes instead of 3'), fails[0]
    assert r.stdout.rstrip().endswith("FAIL: 1 of 2 expectations held"), r.stdout
    r = run_tool([SEND, "--script", script.name, "--expect-echo", f"127.0.0.1:{port}"])
    assert r.returncode == 2 and "write `expect echo`" in r.stderr, r.stderr


@case
def large_probes_with_the_default_window_lose_nothing_on_loopback():
    # The default --window-bytes keeps what is in flight within a responder's default receive
    # buffer at every size (the kernel charges up to about twice a datagram's size).
    runs = [("::1", 65527, [65527]),
            ("127.0.0.1", 65507, [64, 1472, 2100, 4100, 8000, 16000, 32000, 65507])]
    for host, limit, sizes in runs:
        _, (_, port) = start_echo("--max-message", str(limit),
                                  bind=f"[{host}]:0" if ":" in host else f"{host}:0")
        for size in sizes:
            r, (report,) = burst_json(port, "1000", "--size", str(size), "--max-message",
                                      str(limit), host=f"[{host}]" if ":" in host else host)
            assert r.returncode == 0, (host, size, r.stderr)
            got = (report["received"], report["lost"], report["kernel_drops"])
            assert got == (1000, 0, 0), (host, size, report)
            assert report["window"] == min(64, max(1, 65536 // size)), report


run()
