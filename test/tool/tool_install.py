"""`meson install` puts the tools, their man pages and bash completion, the service unit, the
headers and udpkit.pc in place; a program built only from the installed files (through
pkg-config) links and runs; the installed completion completes options and directory names."""
import glob
import os
import re
import shutil
import subprocess
import tempfile

from harness import case, run, run_tool, skip

BUILD = os.environ["UDPKIT_BUILD"]
SOURCE = os.environ["UDPKIT_SOURCE"]
TOOLS = os.environ["UDPKIT_INSTALLED_TOOLS"].split()

CONSUMER = r"""
#include <udpkit/peer_directory.hpp>
#include <udpkit/io/udp_socket.hpp>
#include <cstdio>
int main() {
    auto dir = udpkit::peer_directory::parse("[peers.a]\naddress = \"127.0.0.1:9\"\n", "x");
    udpkit::event_loop loop;
    {
        auto s = udpkit::udp_socket::bind(loop, *udpkit::ip_endpoint::parse("127.0.0.1:0"));
        if (!dir || !s) return 1;
        std::printf("%s %d\n", dir->find("a")->address.to_string().c_str(),
                    (*s)->local_address().port() != 0);
    }
    return loop.close() ? 0 : 1;
}
"""


def install(dest):
    r = run_tool(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"],
                 timeout=120)
    assert r.returncode == 0, r.stderr


def installed(dest, pattern):
    """The one installed file matching `pattern` (a glob under any folder of dest)."""
    found = glob.glob(os.path.join(dest, "**", pattern), recursive=True)
    assert len(found) == 1, (pattern, found)
    return found[0]


@case
def install_puts_tools_pages_completion_and_unit_in_place():
    with tempfile.TemporaryDirectory() as dest:
        install(dest)
        for name in TOOLS:
            assert os.access(installed(dest, f"bin/{name}"), os.X_OK), f"{name} not executable"
            installed(dest, f"share/man/man1/{name}.1")
            installed(dest, f"bash-completion/completions/{name}")
        for source in glob.glob(os.path.join(SOURCE, "man", "*.5.scd")):
            installed(dest, "share/man/man5/" + os.path.basename(source)[:-len(".scd")])
        assert os.access(installed(dest, "bin/udpkit-sticky-packets"), os.X_OK)
        installed(dest, "share/man/man1/udpkit-sticky-packets.1")
        assert not glob.glob(os.path.join(dest, "**", "bin", "sticky-packets"), recursive=True)
        with open(installed(dest, "lib/systemd/system/udp-echo@.service")) as f:
            unit = f.read()
        assert "DynamicUser=yes" in unit and "\nCapabilityBoundingSet=\n" in unit, unit
        exec_start = [line for line in unit.split("\n") if line.startswith("ExecStart=")]
        assert exec_start[0].endswith("/bin/udp-echo --bind %I"), exec_start


@case
def the_units_security_score_is_no_worse_than_the_readmes():
    # README: systemd-analyze security --offline=yes rates the unit 1.1 (0 best, 10 worst).
    if shutil.which("systemd-analyze") is None:
        skip("no systemd-analyze")
    r = run_tool(["systemd-analyze", "security", "--offline=yes",
                  os.path.join(BUILD, "systemd", "udp-echo@.service")], timeout=60)
    assert r.returncode == 0, r.stderr
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d)", r.stdout)
    assert score, r.stdout[-500:]
    assert float(score.group(1)) <= 1.1, f"the unit scores {score.group(1)}, README says 1.1"


def complete(dest, line):
    """What the installed bash completion offers for the command line `line` (cursor at the end)."""
    bin_dir = os.path.dirname(installed(dest, "bin/udp-echo"))
    script = installed(dest, "bash-completion/completions/udp-echo")
    words = line.split(" ")
    program = (f". /usr/share/bash-completion/bash_completion; . '{script}'; "
               f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
               f"COMP_LINE={line!r}; COMP_POINT={len(line)}; _udpkit; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"]),
                       cwd=SOURCE)
    assert r.returncode == 0, r.stderr
    return sorted(filter(None, r.stdout.split("\n")))


@case
def installed_completion_offers_options_choices_and_directory_names():
    with tempfile.TemporaryDirectory() as dest:
        install(dest)
        assert complete(dest, "udp-echo --rate-l") == ["--rate-limit", "--rate-limit-log-only"]
        assert complete(dest, "udp-echo --mode ") == ["echo", "reply", "sink", "upper"]
        assert complete(dest, "udp-chat --directory examples/peers.toml --as ") == \
            ["alice", "bob", "carol", "echo"]
        assert complete(dest, "udp-chat --directory examples/peers.toml --as alice --to b") == \
            ["bob"]
        assert complete(dest, "udp-send --directory examples/peers.toml --burst 10 e") == ["echo"]
        assert "--linger" in complete(dest, "udp-chat --directory examples/peers.toml ")
        # Groups are names after --to too (a room for udp-chat, a target for udp-send).
        rooms = os.path.join(dest, "rooms.toml")
        with open(rooms, "w", encoding="utf-8") as f:
            f.write('[peers.alice]\naddress = "127.0.0.1:9001"\n[peers.tom]\n'
                    'address = "127.0.0.1:9002"\n[groups.team]\naddress = "239.77.0.2:9200"\n')
        assert complete(dest, f"udp-chat --directory {rooms} --as alice --to t") == \
            ["team", "tom"]
        assert complete(dest, f"udp-chat --directory {rooms} --as ") == ["alice", "tom"]
        # udp-send's group options, group names as targets, and interfaces by name.
        assert complete(dest, "udp-send --expect-r") == ["--expect-responders"]
        assert complete(dest, "udp-send --no-l") == ["--no-loop"]
        assert "lo" in complete(dest, "udp-send --interface l")
        groups = os.path.join(dest, "groups.toml")
        with open(groups, "w", encoding="utf-8") as f:
            f.write('[peers.alice]\naddress = "127.0.0.1:9001"\n'
                    '[groups.team]\naddress = "239.1.2.3:9100"\n'
                    '[groups.lan]\naddress = "192.0.2.255:9300"\nbroadcast = true\n')
        # --join takes a group, never a peer.
        assert complete(dest, f"udp-echo --directory {groups} --join ") == ["lan", "team"]
        assert complete(dest, f"udp-send --directory {groups} --broadcast ") == \
            ["alice", "lan", "team"]
        assert complete(dest, f"udp-send --directory {groups} --ttl 2 t") == ["team"]


@case
def install_then_build_against_udpkit_pc():
    with tempfile.TemporaryDirectory() as dest:
        install(dest)
        headers = glob.glob(os.path.join(dest, "**", "include", "udpkit", "**", "*.hpp"),
                            recursive=True)
        assert any(h.endswith("udpkit/peer_directory.hpp") for h in headers), headers
        assert any(h.endswith("udpkit/io/udp_socket.hpp") for h in headers), headers
        pcs = glob.glob(os.path.join(dest, "**", "pkgconfig", "udpkit.pc"), recursive=True)
        assert len(pcs) == 1, pcs
        core_pcs = glob.glob(os.path.join(dest, "**", "pkgconfig", "udpkit-core.pc"), recursive=True)
        assert len(core_pcs) == 1, core_pcs

        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]), PKG_CONFIG_SYSROOT_DIR=dest)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "udpkit"],
                               capture_output=True, text=True, env=env, timeout=30)
        assert flags.returncode == 0, flags.stderr
        src = os.path.join(dest, "consumer.cpp")
        exe = os.path.join(dest, "consumer")
        with open(src, "w") as f:
            f.write(CONSUMER)
        # A sanitizer build installs instrumented libraries: the consumer needs the same runtime.
        sanitize = os.environ.get("UDPKIT_SANITIZE", "none")
        extra = [] if sanitize == "none" else [f"-fsanitize={sanitize}"]
        cc = subprocess.run(["c++", "-std=c++20", *extra, src, "-o", exe, *flags.stdout.split()],
                            capture_output=True, text=True, timeout=300)
        assert cc.returncode == 0, cc.stderr[-2000:]
        out = run_tool([exe])
        assert out.returncode == 0 and out.stdout == "127.0.0.1:9 1\n", (out.returncode, out.stdout)


if __name__ == "__main__":
    run()
