"""A small harness for tool tests written in Python (spawned binaries, nc, tmux).

Each test is a function decorated with @case; run() executes them all and prints doctest's
summary line, which scripts/count_tests.py reads, then exits 1 if any case failed.
Every process started through spawn() is ended by its PID when the case finishes, and every
wait has a timeout, so a broken tool fails a case instead of hanging CI.
"""
import os
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
        """Reads the 'listening on ADDR' first line and returns (host, port)."""
        line = self.readline(timeout)
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


def unused_port():
    """A loopback UDP port that was free a moment ago and has nothing bound to it now: a target
    that answers with ICMP port unreachable, or a fixed port for a peer directory (the caller
    retries if another process takes it in between)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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
    passed = failed = 0
    for fn in _cases:
        if only and fn.__name__ not in only:
            continue
        start = time.monotonic()
        try:
            fn()
            passed += 1
            print(f"ok   {fn.__name__} ({time.monotonic() - start:.2f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}", flush=True)
            traceback.print_exc(file=sys.stdout)
        finally:
            _end_all()
    print(f"[doctest] test cases: {passed + failed} | {passed} passed | {failed} failed | 0 skipped")
    sys.exit(1 if failed else 0)
