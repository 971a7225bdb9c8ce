#!/usr/bin/env python3
"""Tool tests of UDP GSO and GRO in udp-send bursts and udp-echo over loopback: the same counts
with offload on and off, every reply the probe's size; --no-offload turns both paths off in
both tools and the reports say so; a coalesced buffer is split before udp-echo's limits and
rate limits see it, so they count datagrams, never buffers. (The kernel refusing GSO, and GSO
across a real link, are in tool_netns.)

Run by meson (suite 'tool'); `python3 test/tool/tool_offload.py CASE...` runs some cases only.
"""
import json
import signal

from echo_counters import adds_up, parse_stats
from harness import case, run, run_tool, start_echo, tool

SEND = tool("udp-send")
PROBES = 3000


def burst(port, size, *extra):
    """A burst with the default window (what udp-echo's receive buffer holds without offload)."""
    r = run_tool([SEND, "--burst", str(PROBES), "--size", str(size), "--json", *extra,
                  f"127.0.0.1:{port}"], timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def final_stats(echo):
    echo.signal(signal.SIGTERM)
    return parse_stats(echo.readline(10))


COUNTS = ("sent", "received", "lost", "late", "in_flight", "reordered", "duplicated", "corrupt",
          "truncated", "invalid")


@case
def bursts_of_64_and_1200_byte_probes_count_the_same_with_offload_on_and_off():
    for size in (64, 1200):
        echo, (_, port) = start_echo("--max-message", "1472")
        on = burst(port, size)
        off = burst(port, size, "--no-offload")
        s = final_stats(echo)
        clean = {k: 0 for k in COUNTS} | {"sent": PROBES, "received": PROBES}
        for report in (on, off):
            assert {k: report[k] for k in COUNTS} == clean, (size, report)
            assert report["reply_bytes"] == {"min": size, "max": size}, report
        # With offload the probes left in GSO sends and the replies came back in GRO buffers;
        # each datagram of them was still one probe, one reply.
        assert on["offload"]["gso"] and on["offload"]["gro"], on["offload"]
        assert on["offload"]["gso_sends"] > 0 and on["offload"]["gro_buffers"] > 0, on
        assert on["offload"]["gso_datagrams"] <= PROBES, on["offload"]
        assert on["offload"]["gro_datagrams"] <= PROBES, on["offload"]
        assert off["offload"] == {"gro": False, "gso": False, "gro_buffers": 0,
                                  "gro_datagrams": 0, "gso_sends": 0, "gso_datagrams": 0,
                                  "gso_refusals": 0}, off["offload"]
        assert s["received"] == s["replied"] == 2 * PROBES and adds_up(s), s
        assert s["gro"] and s["gso"] and s["gro_buffers"] > 0 and s["gso_sends"] > 0, s
        assert s["gso_refusals"] == 0, s


@case
def no_offload_on_udp_echo_reads_and_answers_one_datagram_per_call():
    echo, (_, port) = start_echo("--no-offload")
    report = burst(port, 64)
    s = final_stats(echo)
    assert report["received"] == PROBES and report["lost"] == 0, report
    assert not s["gro"] and not s["gso"], s
    assert s["gro_buffers"] == s["gso_sends"] == 0, s
    # udp-echo answered one by one, so nothing came back to udp-send as one buffer.
    assert report["offload"]["gro_buffers"] == 0, report["offload"]


@case
def the_text_report_says_which_path_ran():
    echo, (_, port) = start_echo()
    for extra, want in (((), "offload: GSO on ("), (("--no-offload",), "offload: off (")):
        r = run_tool([SEND, "--burst", "200", "--size", "64", *extra, f"127.0.0.1:{port}"])
        assert r.returncode == 0, r.stdout + r.stderr
        assert want in r.stdout, r.stdout
    final_stats(echo)


@case
def a_gro_buffer_is_split_before_limits_see_it():
    # 64 probes of 200 bytes leave in one GSO send and reach udp-echo as one buffer: its
    # 100-byte limit sees 64 datagrams too large, not one buffer of 12800 bytes.
    echo, (_, port) = start_echo("--max-message", "100")
    r = run_tool([SEND, "--burst", "64", "--size", "200", "--window", "64", "--max-message",
                  "200", "--timeout", "300", "--json", f"127.0.0.1:{port}"])
    assert r.returncode == 1, r.stdout + r.stderr  # no replies: the burst fails
    assert json.loads(r.stdout)["offload"]["gso_sends"] == 1, r.stdout
    s = final_stats(echo)
    assert s["received"] == 64 and s["truncated"] == 64 and s["replied"] == 0, s
    assert s["gro_buffers"] == 1 and s["gro_datagrams"] == 64 and adds_up(s), s


@case
def a_gro_buffer_is_split_before_the_rate_limit_sees_it():
    # A burst of 10 tokens and one more a second: of 64 datagrams that came as one buffer, 10
    # (or 11, if a second passed) are answered and the rest counted as rate-limited, each.
    echo, (_, port) = start_echo("--rate-limit", "1", "--burst", "10")
    r = run_tool([SEND, "--burst", "64", "--size", "64", "--window", "64", "--timeout", "300",
                  "--max-loss", "100", "--json", f"127.0.0.1:{port}"])
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    s = final_stats(echo)
    assert s["gro_buffers"] == 1 and s["gro_datagrams"] == 64, s
    assert s["received"] == 64 and s["replied"] in (10, 11), s
    assert s["rate_limited"] == 64 - s["replied"] and adds_up(s), s
    assert report["received"] == s["replied"], report


if __name__ == "__main__":
    run()
