#!/usr/bin/env python3
"""Multi-host tests: three hosts in network namespaces that this test creates (root, iproute2),
joined by a bridge, addressed from the documentation ranges 192.0.2.0/24 and 2001:db8::/64.
Skipped, with the reason, only where namespaces cannot be created."""
import os
import subprocess
import sys
import tempfile

import harness
from harness import case, spawn, tool
from netns import testnet, unavailable

CHAT = tool("udp-chat")
NAMES = ["alice", "bob", "carol"]


def write_directory(path, addresses):
    with open(path, "w", encoding="utf-8") as f:
        for name, address in zip(NAMES, addresses):
            f.write(f'[peers.{name}]\naddress = "{address}"\n')


def chat_ring(net, addresses):
    """alice -> bob -> carol -> alice, one udp-chat per host with one shared directory."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "peers.toml")
        write_directory(directory, addresses)
        procs = []
        for i, name in enumerate(NAMES):
            to = NAMES[(i + 1) % 3]
            p = spawn(net.cmd(i, [CHAT, "--directory", directory, "--as", name, "--to", to,
                                  "--linger", "2"]), stdin=subprocess.PIPE)
            procs.append(p)
        for p, address in zip(procs, addresses):
            assert p.readline(5) == f"listening on {address}"
        # Everyone listens before anyone speaks, so no first message meets a closed port.
        for p, name in zip(procs, NAMES):
            p.p.stdin.write(f"hello from {name} 你好\nsecond line from {name}\n".encode())
            p.p.stdin.close()
        for i, p in enumerate(procs):
            code, out, err = p.wait(15)
            assert code == 0, (NAMES[i], code, err)
            sender = NAMES[(i - 1) % 3]
            lines = [l.split("] ", 1)[1] for l in out.splitlines()]
            assert lines == [f"{sender}: hello from {sender} 你好",
                             f"{sender}: second line from {sender}"], (NAMES[i], out)


@case
def three_hosts_chat_by_name_over_ipv4():
    with testnet(3) as net:
        chat_ring(net, [f"{a}:9001" for a in net.v4])


@case
def three_hosts_chat_by_name_over_ipv6():
    with testnet(3) as net:
        chat_ring(net, [f"[{a}]:9001" for a in net.v6])


if __name__ == "__main__":
    reason = unavailable()
    if reason:
        print(f"skipped: {reason}")
        sys.exit(77)  # meson's exit code for a skipped test
    harness.run()
