"""udp-echo's counters and memory as the tool tests read them (tool_echo, tool_flood, tool_netns).
"""

# Under AddressSanitizer the shadow memory and allocator metadata add tens of MB that do not grow
# with load: the tight bound is for the real build.
PEAK_RSS_BOUND_KB = 16 * 1024
SANITIZED_PEAK_RSS_BOUND_KB = 128 * 1024


def parse_stats(line):
    """The counters of a `stats: key=value ...` line, as ints (the offload paths gro and gso as
    True or False; time and reason as text)."""
    assert line.startswith("stats: "), f"not a stats line: {line!r}"
    flags = {"on": True, "off": False}
    fields = dict(f.split("=") for f in line[len("stats: "):].split())
    return {k: v if k in ("time", "reason") else flags[v] if v in flags else int(v)
            for k, v in fields.items()}


def counts(s):
    """The counters of a parsed stats line, without its time and reason."""
    return {k: v for k, v in s.items() if k not in ("time", "reason")}


def adds_up(s):
    """The invariants: every datagram received was replied, truncated, rate-limited, refused or
    a send error, exactly once; and was sent to a unicast, a group or a broadcast address."""
    return (s["received"] == s["replied"] + s["sunk"] + s["truncated"] + s["rate_limited"] +
            s["refused"] + s["send_errors"] and
            s["received"] == s["to_unicast"] + s["to_group"] + s["to_broadcast"])


def backlog_drops():
    """Packets every CPU's input backlog dropped (/proc/net/softnet_stat, 2nd column): on
    loopback the one place besides the socket where a sent datagram can be lost."""
    with open("/proc/net/softnet_stat") as f:
        return sum(int(line.split()[1], 16) for line in f)


def status_kb(pid, field):
    """A kB figure of /proc/PID/status: VmRSS (now) or VmHWM (peak)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def peak_rss_bound_kb(binary):
    """The bound on udp-echo's peak RSS: 16 MB, more in a sanitizer build of `binary`."""
    with open(binary, "rb") as f:
        sanitized = b"__asan_init" in f.read()
    return SANITIZED_PEAK_RSS_BOUND_KB if sanitized else PEAK_RSS_BOUND_KB
