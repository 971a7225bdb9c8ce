"""The helper module of the tool tests written in Python (spawned binaries, nc, tmux): the one
place for cases, spawned processes, wait_until, start_echo and unused_port. (echo_counters.py
reads udp-echo's counters; netns.py makes test hosts in network namespaces.)

Each test is a function decorated with @case; run() executes them all (or those named on the
command line), prints one line per case and then its own summary line

    [harness] N cases: P passed, F failed

which scripts/count_tests.py reads, and exits 1 if any case failed.
Every process started through spawn() is ended by its PID when the case finishes, and every
wait has a timeout (wait_until, Proc.readline, Proc.wait), so a broken tool fails a case instead
of hanging CI. Servers bind port 0 and report the port they got (start_echo); unused_port() is
only for what must name a port in advance (a peer directory, a target nothing listens on).
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import traceback

BUILD = os.environ.get("UDPKIT_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
_cases = []
_procs = []


def case(fn):
    _cases.append(fn)
    return fn


class Skipped(Exception):
    """Raised by skip(): the case could not run here; counted as skipped, never as passed."""


def skip(reason):
    """Ends the running case as skipped, with the reason (e.g. no root for a namespace)."""
    raise Skipped(reason)


def tool(name):
    """Path of a built tool, e.g. tool('udp-echo'), from UDPKIT_BUILD (set by meson)."""
    return os.path.join(BUILD, "tools", name, name)


class Proc:
    """A spawned process whose stdout is read line by line with timeouts."""

    def __init__(self, args, stdin=subprocess.DEVNULL, env=None, **kw):
        self.args = args
        self.p = subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, **kw)
        os.set_blocking(self.p.stdout.fileno(), False)
        os.set_blocking(self.p.stderr.fileno(), False)
        self._out = b""
        self._err = b""

    def _pump(self):
        for stream, attr in ((self.p.stdout, "_out"), (self.p.stderr, "_err")):
            try:
                chunk = stream.read()
            except (BlockingIOError, ValueError):
                chunk = None
            if chunk:
                setattr(self, attr, getattr(self, attr) + chunk)

    def readline(self, timeout=5.0):
        """The next stdout line (without newline); raises AssertionError on timeout or EOF."""
        deadline = time.monotonic() + timeout
        while True:
            self._pump()
            if b"\n" in self._out:
                line, self._out = self._out.split(b"\n", 1)
                return line.decode("utf-8", "replace")
            if self.p.poll() is not None:
                self._pump()
                if b"\n" not in self._out:
                    raise AssertionError(f"{self.args[0]} exited ({self.p.returncode}) before a "
                                         f"line; stderr: {self.stderr()}")
                continue
            if time.monotonic() > deadline:
                raise AssertionError(f"no line from {self.args[0]} within {timeout}s; "
                                     f"stderr: {self.stderr()}")
            time.sleep(0.01)

    def listening(self, timeout=5.0):
        """Reads the 'listening on ADDR' first line (or, with --json, {"listening": ADDR}) and
        returns (host, port)."""
        line = self.readline(timeout)
        if line.startswith("{"):
            addr = json.loads(line)["listening"]
        else:
            assert line.startswith("listening on "), f"first line was {line!r}"
            addr = line[len("listening on "):].strip()
        host, _, port = addr.rpartition(":")
        return host.strip("[]"), int(port)

    def signal(self, sig):
        self.p.send_signal(sig)

    def wait(self, timeout=10.0):
        """Waits for exit; returns (code, stdout rest, stderr). Kills on timeout and fails."""
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise AssertionError(f"{self.args[0]} did not exit within {timeout}s")
        self._pump()
        out, self._out = self._out, b""
        return self.p.returncode, out.decode("utf-8", "replace"), self.stderr()

    def stderr(self):
        self._pump()
        return self._err.decode("utf-8", "replace")


def spawn(args, **kw):
    proc = Proc([str(a) for a in args], **kw)
    _procs.append(proc)
    return proc


def run_tool(args, timeout=20.0, input=None):
    """Runs a command to completion; returns CompletedProcess (text). Fails on timeout."""
    return subprocess.run([str(a) for a in args], input=input, capture_output=True, text=True,
                          timeout=timeout)


def start_echo(*args, bind="127.0.0.1:0", prefix=(), timeout=5.0):
    """Spawns the build's udp-echo with `--bind BIND` (port 0 by default: the kernel picks a free
    port) and the extra `args`, reads its first line `listening on ADDR` and returns
    (Proc, (host, port)). bind=None leaves the address to `args` (--directory/--as); `prefix` is
    a command to run it under (e.g. `ip netns exec HOST`). Fails with udp-echo's stderr if it
    exits or prints something else first."""
    binding = [] if bind is None else ["--bind", bind]
    proc = spawn([*prefix, tool("udp-echo"), *binding, *args])
    return proc, proc.listening(timeout)


def unused_port(privileged=False):
    """A UDP port that has nothing bound to it now: a target that answers with ICMP port
    unreachable, or a port that must be named in advance (a peer directory). The kernel picks it
    (bind to port 0, close). privileged=True: a port below 1024 (from 600 to 1023, like glibc's
    bindresvport) that /proc/net/udp and /proc/net/udp6 show unbound, for a source port that
    udp-echo must refuse (binding it needs root). Another process may take the port before the
    caller binds it: a caller retries with a new port on EADDRINUSE."""
    if privileged:
        bound = set()
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            with open(table, encoding="ascii") as f:
                for line in f.readlines()[1:]:
                    bound.add(int(line.split()[1].rsplit(":", 1)[1], 16))
        free = [port for port in range(600, 1024) if port not in bound]
        assert free, "every UDP port from 600 to 1023 is bound"
        return random.choice(free)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(predicate, timeout, what, interval=0.05):
    """Calls `predicate` every `interval` seconds until it returns a true value, and returns that
    value; fails with "timed out after T s waiting for WHAT" if `timeout` seconds pass first.
    `what` is a text or a function returning one (called on timeout, to say what was seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for "
                                 f"{what() if callable(what) else what}")
        time.sleep(interval)


def udp_client(family=socket.AF_INET, timeout=2.0):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
    s.settimeout(timeout)
    return s


def _end_all():
    while _procs:
        proc = _procs.pop()
        if proc.p.poll() is None:
            proc.p.send_signal(signal.SIGKILL)
            proc.p.wait()
        for stream in (proc.p.stdout, proc.p.stderr):
            stream.close()


def run():
    only = sys.argv[1:]
    unknown = set(only) - {fn.__name__ for fn in _cases}
    if unknown:
        print(f"no such case: {', '.join(sorted(unknown))}", file=sys.stderr)
        sys.exit(2)
    passed = failed = skipped = 0
    for fn in _cases:
        if only and fn.__name__ not in only:
            continue
        start = time.monotonic()
        try:
            fn()
            passed += 1
            print(f"ok   {fn.__name__} ({time.monotonic() - start:.2f}s)", flush=True)
        except Skipped as why:
            skipped += 1
            print(f"SKIP {fn.__name__}: {why}", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}", flush=True)
            traceback.print_exc(file=sys.stdout)
        finally:
            _end_all()
    # The harness's own summary (scripts/count_tests.py reads it), not an imitation of doctest's.
    print(f"[harness] {passed + failed + skipped} cases: {passed} passed, {failed} failed, "
          f"{skipped} skipped", flush=True)
    sys.exit(1 if failed else 0)
