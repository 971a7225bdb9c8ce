"""Test hosts in network namespaces that the test creates itself (root, iproute2).

testnet(n) builds n hosts h1..hn joined by a bridge in a switch namespace, each with one veth
interface addressed from the documentation ranges 192.0.2.0/24 and 2001:db8::/64 (never a real
network), and removes everything on exit. The hosts route IPv4 multicast (224.0.0.0/4) out of
eth0, as a host with a default route would, and the bridge floods multicast to every port (no
IGMP/MLD snooping), so group tests do not wait on membership reports. unavailable() says why namespaces cannot be made here,
so a test can skip with a clear message instead of failing on a machine that cannot.
"""
import contextlib
import os
import subprocess

from harness import wait_until


def _ip(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + ["ip", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=check)


def unavailable():
    """None when namespaces can be created here, else the reason."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"udpkit-probe-{os.getpid()}"
    try:
        r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, timeout=10)
    except FileNotFoundError:
        return "the ip command (iproute2) is not installed"
    if r.returncode != 0:
        return "cannot create a network namespace: " + r.stderr.strip()
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=10)
    return None


@contextlib.contextmanager
def lone_host(tag, addresses=()):
    """One namespace with only its loopback (up, with `addresses` added, no DAD); yields the
    `ip netns exec NS` prefix that runs a command inside, and removes the namespace after."""
    ns = f"uk{os.getpid() % 100000}-{tag}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=10, capture_output=True)
    try:
        _ip("link", "set", "lo", "up", ns=ns)
        for address in addresses:
            _ip("addr", "add", address, "dev", "lo", "nodad", ns=ns)
        yield ["ip", "netns", "exec", ns]
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


class testnet:
    def __init__(self, hosts=3):
        tag = f"{os.getpid() % 100000}"
        self.switch = f"uk{tag}-sw"
        self.hosts = [f"uk{tag}-h{i}" for i in range(1, hosts + 1)]
        self.v4 = [f"192.0.2.{i}" for i in range(1, hosts + 1)]
        self.v6 = [f"2001:db8::{i}" for i in range(1, hosts + 1)]

    def __enter__(self):
        try:
            subprocess.run(["ip", "netns", "add", self.switch], check=True, timeout=10,
                           capture_output=True)
            _ip("link", "add", "br0", "type", "bridge", "mcast_snooping", "0", ns=self.switch)
            _ip("link", "set", "br0", "up", ns=self.switch)
            for i, host in enumerate(self.hosts):
                subprocess.run(["ip", "netns", "add", host], check=True, timeout=10,
                               capture_output=True)
                # Create the pair inside the switch, then move one end to the host.
                _ip("link", "add", f"p{i}", "type", "veth", "peer", "name", f"e{i}", ns=self.switch)
                _ip("link", "set", f"e{i}", "netns", host, ns=self.switch)
                _ip("link", "set", f"p{i}", "master", "br0", ns=self.switch)
                _ip("link", "set", f"p{i}", "up", ns=self.switch)
                _ip("link", "set", "lo", "up", ns=host)
                _ip("link", "set", f"e{i}", "name", "eth0", ns=host)
                _ip("addr", "add", f"{self.v4[i]}/24", "dev", "eth0", ns=host)
                _ip("addr", "add", f"{self.v6[i]}/64", "dev", "eth0", "nodad", ns=host)
                _ip("link", "set", "eth0", "up", ns=host)
                _ip("route", "add", "224.0.0.0/4", "dev", "eth0", ns=host)
            self._wait_ipv6_ready()
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ipv6_ready(self):
        # With nodad the addresses are usable at once; the link itself may take a moment.
        wait_until(lambda: all("LOWER_UP" in _ip("-o", "link", "show", "eth0", ns=h).stdout
                               for h in self.hosts), 5, "the veth links to come up")

    def cmd(self, host_index, args):
        """The command line that runs `args` inside host h<host_index+1>."""
        return ["ip", "netns", "exec", self.hosts[host_index], *[str(a) for a in args]]

    def __exit__(self, *exc):
        for ns in [*self.hosts, self.switch]:
            # Any process still inside is killed first, so the namespace can go.
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True,
                                  timeout=10).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        return False
