"""The sticky-packet example's measured claims (issue 6)."""
import json
import os

from harness import case, run, run_tool

EXE = os.path.join(os.environ.get("UDPKIT_BUILD", "build"), "examples", "sticky-packets")


def measure(*args):
    r = run_tool([EXE, "--json", *args], timeout=30)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return json.loads(r.stdout)


@case
def udp_recovers_every_message_with_its_size():
    for count in (10, 200):
        m = measure("--count", str(count))
        udp = m["udp"]
        assert udp["sends"] == count and udp["reads"] == count, udp
        assert udp["recovered"] == count, udp
        assert udp["truncated"] == 0
        # Every datagram has the size of the message sent at that place.
        expected = [len(f"message {i}: ") + 3 + (i * 7) % 23 for i in range(count)]
        assert udp["read_sizes"] == expected, (udp["read_sizes"][:5], expected[:5])


@case
def a_gso_send_read_through_gro_gives_back_every_boundary():
    for count in (10, 200):  # the offload case always sends 200
        m = measure("--count", str(count))
        gso = m["udp_gso_gro"]
        n = 200
        assert gso["sends"] == n and gso["recovered"] == n, gso
        assert gso["read_sizes"] == [100] * n, gso["read_sizes"][:5]
        # 64 datagrams per GSO send; loopback hands each to the GRO socket as one buffer.
        assert gso["kernel_sends"] == (n + 63) // 64, gso
        assert gso["kernel_reads"] < n, gso
        assert m["ok"], m
    text = run_tool([EXE], timeout=30).stdout
    assert "200 datagrams of 100 B left in 4 send(s) and came in as" in text, text
    assert "the segment size gave back every boundary" in text, text


@case
def tcp_raw_needs_the_header_and_says_honestly_what_happened():
    m = measure()
    raw, framed = m["tcp_raw"], m["tcp_header"]
    assert raw["sends"] == 10 and framed["sends"] == 10
    assert sum(raw["read_sizes"]) == sum(len(f"message {i}: ") + 3 + (i * 7) % 23 for i in range(10))
    # The header always recovers all messages, whatever the reads were.
    assert framed["recovered"] == 10, framed
    # "merged" is derived from the measured reads, never assumed.
    assert m["tcp_merged"] == (raw["reads"] < raw["sends"]), m
    if m["tcp_merged"]:
        assert raw["recovered"] < 10, raw
    else:
        assert raw["recovered"] == 10, raw
    text = run_tool([EXE], timeout=30).stdout
    assert ("merged:" in text) == m["tcp_merged"], text
    assert ("not merged in this run" in text) == (not m["tcp_merged"]), text


@case
def a_large_tcp_message_is_split_and_counted():
    m = measure("--large", "300000")
    large = m["tcp_large"]
    assert sum(large["read_sizes"]) == 300000, large
    assert m["tcp_split"] == (large["reads"] > 1)
    assert large["recovered"] == (1 if large["reads"] == 1 else 0)


@case
def an_oversized_datagram_is_reported_truncated_not_passed_on():
    over = measure()["udp_over_limit"]
    assert over["truncated"] == 1 and over["recovered"] == 0, over
    assert over["read_sizes"] == [1500], over


@case
def bad_options_exit_2():
    for args in (["--count", "0"], ["--count", "x"], ["--large", "5"], ["--nope"]):
        r = run_tool([EXE, *args])
        assert r.returncode == 2, (args, r.returncode)
        assert r.stderr.startswith("sticky-packets: "), r.stderr


if __name__ == "__main__":
    run()
