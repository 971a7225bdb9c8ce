#!/usr/bin/env python3
"""udp-chat rooms across hosts: four hosts in network namespaces that this test creates (root,
iproute2; see netns.py), one udp-chat each, one directory. alice, bob and carol are the members
of the room "team" (an IPv4 multicast group, or an IPv6 one on eth0), dave is a peer but not a
member. Skipped, with the reason, only where namespaces cannot be created.

What a room must do: a message to it reaches every member, labelled with the sender's peer name
and the room, once (the sender does not see it come back), and not dave; anyone may send to it;
/leave stops delivery and /join brings it back (bob on a terminal: a pty); a room's ttl and loop
take effect, and two members on one host share a room."""
import fcntl
import json
import os
import re
import signal
import struct
import subprocess
import tempfile
import termios
import time

from harness import case, spawn, tool, unused_port, wait_until
from netns import run_or_skip, testnet

CHAT = tool("udp-chat")
NAMES = ["alice", "bob", "carol", "dave"]
STAMP = r"\[\d\d:\d\d:\d\d\]"


def write_rooms(path, hosts, room):
    """The directory: one peer per host (at `hosts`, IPv6 in brackets) and the room "team" at
    `room` (a group address with its port, and its other keys), members alice, bob, carol."""
    with open(path, "w", encoding="utf-8") as f:
        for name, host in zip(NAMES, hosts):
            f.write(f'[peers.{name}]\naddress = "{host}:{unused_port()}"\n')
        f.write(f'[groups.team]\n{room}\nmembers = ["alice", "bob", "carol"]\n')


def start_chats(net, directory, extra):
    """udp-chat --as NAME on host h<i> for each name, with extra[name] arguments; returns {name:
    Proc} once every one prints "listening on" (rooms are joined before that line)."""
    procs = {name: spawn(net.cmd(i, [CHAT, "--directory", directory, "--as", name,
                                     *extra.get(name, [])]), stdin=subprocess.PIPE)
             for i, name in enumerate(NAMES)}
    for name, p in procs.items():
        line = p.readline(5)
        assert line.startswith("listening on "), (name, line, p.stderr())
    return procs


def say(proc, text):
    proc.p.stdin.write(text.encode() + b"\n")
    proc.p.stdin.flush()


def end_all(procs):
    results = {}
    for name, p in procs.items():
        p.signal(signal.SIGTERM)
        results[name] = p.wait(5)
    return results


def room_reaches_members_not_others(hosts, room, family):
    with testnet(4) as net, tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "peers.toml")
        write_rooms(directory, hosts(net), room)
        forever = ["--linger", "forever"]
        procs = start_chats(net, directory, {
            "alice": ["--to", "team", *forever], "bob": forever,
            "carol": ["--format", "json", *forever], "dave": ["--to", "team", *forever]})
        say(procs["alice"], "hi team, 你好")
        seen = {"bob": [procs["bob"].readline(5)], "carol": [procs["carol"].readline(5)]}
        assert re.fullmatch(STAMP + r" \[team\] alice: hi team, 你好", seen["bob"][0]), seen
        msg = json.loads(seen["carol"][0])
        assert (msg["peer"], msg["group"], msg["text"]) == ("alice", "team", "hi team, 你好"), msg
        # A non-member may send to the room (multicast needs no membership to send); the members
        # see him by his peer name.
        say(procs["dave"], "a word from outside")
        seen["bob"].append(procs["bob"].readline(5))
        seen["carol"].append(procs["carol"].readline(5))
        assert re.fullmatch(STAMP + r" \[team\] dave: a word from outside", seen["bob"][1])
        assert json.loads(seen["carol"][1])["peer"] == "dave"
        assert re.fullmatch(STAMP + r" \[team\] dave: a word from outside",
                            procs["alice"].readline(5))
        results = end_all(procs)
        for name, (code, out, err) in results.items():
            assert code == 0, (name, code, err)
            assert out == "", (name, out)  # nothing more than what was read above
            if name != "dave":
                assert "udp-chat: in room team at " in err, (name, err)
        # alice heard dave and not her own message back (loop is on: it came back and was
        # dropped as hers); dave, not a member, received nothing at all, his own included.
        assert harness_counts(results["alice"][2])[:3] == (2, 1, 1), results["alice"][2]
        assert harness_counts(results["dave"][2])[:3] == (0, 0, 0), results["dave"][2]
        assert harness_counts(results["bob"][2])[:3] == (2, 2, 0), results["bob"][2]
        print(f"{family} room: alice and dave wrote to team; bob, carol and alice saw it, "
              f"dave (not a member) saw nothing. bob's stdout, then carol's (--format json):")
        print("\n".join(seen["bob"] + seen["carol"]))
        print("alice's stderr:\n" + results["alice"][2])


def harness_counts(stderr):
    """(received, shown, own) from udp-chat's exit summary."""
    line = [l for l in stderr.splitlines() if l.startswith("udp-chat: received ")][-1]
    m = re.match(r"udp-chat: received (\d+), shown (\d+), dropped \d+ \(known-only \d+, over "
                 r"display rate \d+, own (\d+)\)", line)
    assert m, line
    return tuple(int(g) for g in m.groups())


@case
def ipv4_room_reaches_every_member_labelled_and_not_a_non_member():
    room_reaches_members_not_others(lambda net: net.v4, 'address = "239.77.0.2:%d"'
                                    % unused_port(), "IPv4")


@case
def ipv6_room_on_an_interface_reaches_every_member_and_not_a_non_member():
    room_reaches_members_not_others(lambda net: [f"[{a}]" for a in net.v6],
                                    'address = "[ff15::77]:%d"\ninterface = "eth0"'
                                    % unused_port(), "IPv6")


class terminal:
    """A command on a pseudo-terminal (stdin and stdout), so that udp-chat is interactive; its
    output is kept as text with the terminal's escape sequences taken out. Ended by its PID."""

    def __init__(self, args):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
        env = dict(os.environ, TERM="dumb", LANG="C.UTF-8")
        self.p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=subprocess.PIPE,
                                  env=env, start_new_session=True)
        os.close(slave)
        self.master = master
        os.set_blocking(master, False)
        self.raw = b""

    def text(self):
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            self.raw += chunk
        text = self.raw.decode("utf-8", "replace")
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", text)

    def wait_for(self, pattern, timeout=5):
        return wait_until(lambda: re.search(pattern, self.text()), timeout,
                          lambda: f"{pattern!r} on the terminal; it shows {self.text()!r}")

    def type(self, line):
        os.write(self.master, line.encode() + b"\r")

    def end(self, timeout=5):
        """Waits for exit (after /quit); returns (code, stderr)."""
        try:
            self.p.wait(timeout)
            self.text()  # what it wrote before it exited
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
            os.close(self.master)
        return self.p.returncode, self.p.stderr.read().decode("utf-8", "replace")


@case
def leave_stops_delivery_and_join_brings_it_back():
    with testnet(4) as net, tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "peers.toml")
        write_rooms(directory, net.v4, 'address = "239.77.0.2:%d"' % unused_port())
        forever = ["--linger", "forever"]
        procs = {}
        procs["alice"] = spawn(net.cmd(0, [CHAT, "--directory", directory, "--as", "alice",
                                           "--to", "team", *forever]), stdin=subprocess.PIPE)
        procs["carol"] = spawn(net.cmd(2, [CHAT, "--directory", directory, "--as", "carol",
                                           *forever]), stdin=subprocess.PIPE)
        for p in procs.values():
            assert p.readline(5).startswith("listening on "), p.stderr()
        bob = terminal(net.cmd(1, [CHAT, "--directory", directory, "--as", "bob", "--to",
                                   "alice"]))
        try:
            bob.wait_for(r"in room team at 239\.77\.0\.2:\d+ with alice, bob, carol")
            bob.wait_for(r"\[to alice\]> $")
            say(procs["alice"], "before leave")
            bob.wait_for(STAMP + r" \[team\] alice: before leave")
            assert re.fullmatch(STAMP + r" \[team\] alice: before leave",
                                procs["carol"].readline(5))

            bob.type("/leave team")
            bob.wait_for(r"left room team at 239\.77\.0\.2:\d+")
            say(procs["alice"], "while bob is away")
            # carol got it, so it crossed the bridge to every host: bob's host too.
            assert re.fullmatch(STAMP + r" \[team\] alice: while bob is away",
                                procs["carol"].readline(5))
            time.sleep(0.3)
            assert "while bob is away" not in bob.text(), bob.text()

            bob.type("/join team")
            bob.wait_for(r"in room team at 239\.77\.0\.2:\d+ with alice, bob, carol\n.*"
                         r"\[to alice\]> ")
            bob.type("/who")
            bob.wait_for(r"groups in .*peers\.toml:\n  team +239\.77\.0\.2:\d+ +max 1472 bytes  "
                         r"members alice, bob, carol  \(in room\)")
            say(procs["alice"], "welcome back")
            bob.wait_for(STAMP + r" \[team\] alice: welcome back")
            bob.type("/join kitchen")
            bob.wait_for(r'no group named "kitchen"; known groups: team')
            bob.type("/to team")
            bob.wait_for(r"\[to team\]> $")
            bob.type("thanks, all")
            assert re.fullmatch(STAMP + r" \[team\] bob: thanks, all", procs["alice"].readline(5))
            procs["carol"].readline(5)  # "welcome back"
            assert re.fullmatch(STAMP + r" \[team\] bob: thanks, all", procs["carol"].readline(5))
            bob.type("/quit")
            code, err = bob.end()
            assert code == 0, err
            # bob received "before leave", "welcome back" and his own "thanks, all" (dropped);
            # nothing while he was away.
            assert harness_counts(err) == (3, 2, 1), err
            print("bob's terminal (TERM=dumb: readline leaves each prompt in place):\n" +
                  bob.text())
        finally:
            if bob.p.poll() is None:
                bob.p.kill()
                bob.p.wait()
        end_all(procs)


@case
def ttl_and_loop_of_a_room_take_effect_and_members_on_one_host_share_it():
    """alice and erin on h1, bob on h2, all members of two rooms: "near" with ttl = 0 (its
    datagrams never leave the host) and "quiet" with loop = false (they never come back to the
    sender's host); alice and bob of "lan", the subnet's broadcast address. alice writes to each
    from a terminal."""
    with testnet(2) as net, tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "peers.toml")
        with open(directory, "w", encoding="utf-8") as f:
            for name, host in (("alice", net.v4[0]), ("erin", net.v4[0]), ("bob", net.v4[1])):
                f.write(f'[peers.{name}]\naddress = "{host}:{unused_port()}"\n')
            f.write(f'[groups.near]\naddress = "239.77.0.4:{unused_port()}"\nttl = 0\n'
                    f'[groups.quiet]\naddress = "239.77.0.5:{unused_port()}"\nloop = false\n'
                    f'[groups.lan]\naddress = "192.0.2.255:{unused_port()}"\nbroadcast = true\n'
                    f'members = ["alice", "bob"]\n')
        forever = ["--linger", "forever"]
        erin = spawn(net.cmd(0, [CHAT, "--directory", directory, "--as", "erin", *forever]),
                     stdin=subprocess.PIPE)
        bob = spawn(net.cmd(1, [CHAT, "--directory", directory, "--as", "bob", *forever]),
                    stdin=subprocess.PIPE)
        for p in (erin, bob):
            assert p.readline(5).startswith("listening on "), p.stderr()
        alice = terminal(net.cmd(0, [CHAT, "--directory", directory, "--as", "alice"]))
        try:
            alice.wait_for(r"in room quiet at .*\n.*\[/to PEER\]> $")
            for room in ("near", "quiet", "lan"):
                alice.type(f"/to {room}")
                alice.wait_for(rf"\[to {room}\]> $")
                alice.type(f"hello {room}")
            # erin shares near with alice on h1 (both rooms' sockets on one address and port)
            # and hears it by loop; quiet does not loop back, so its datagram never reaches h1's
            # sockets.
            assert re.fullmatch(STAMP + r" \[near\] alice: hello near", erin.readline(5))
            time.sleep(0.2)  # time for what must not come, to show up if it did
            # bob is on another host: near (ttl 0) never reached him, quiet did.
            assert re.fullmatch(STAMP + r" \[quiet\] alice: hello quiet", bob.readline(5))
            # The subnet's broadcast room: bob is a member, erin (on alice's host) is not.
            assert re.fullmatch(STAMP + r" \[lan\] alice: hello lan", bob.readline(5))
            alice.type("/quit")
            code, err = alice.end()
            assert code == 0, err
            # alice got her own "hello near" (loop) and "hello lan" (a broadcast always comes
            # back) and showed neither; nothing of quiet.
            assert harness_counts(err) == (2, 0, 2), err
        finally:
            if alice.p.poll() is None:
                alice.p.kill()
                alice.p.wait()
        results = end_all({"erin": erin, "bob": bob})
        for name, (code, out, err) in results.items():
            assert (code, out) == (0, ""), (name, code, out, err)
            assert harness_counts(err) == {"erin": (1, 1, 0), "bob": (2, 2, 0)}[name], (name, err)


if __name__ == "__main__":
    run_or_skip()
