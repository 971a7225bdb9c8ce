"""`meson install` puts the tools, headers and udpkit.pc in place, and a program built only
from the installed files (through pkg-config) links and runs."""
import glob
import os
import subprocess
import tempfile

from harness import case, run, run_tool

BUILD = os.environ["UDPKIT_BUILD"]
TOOLS = os.environ.get("UDPKIT_INSTALLED_TOOLS", "sticky-packets").split()

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


@case
def install_then_build_against_udpkit_pc():
    with tempfile.TemporaryDirectory() as dest:
        r = run_tool(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild",
                      "--quiet"], timeout=120)
        assert r.returncode == 0, r.stderr
        for name in TOOLS:
            found = glob.glob(os.path.join(dest, "**", "bin", name), recursive=True)
            assert found and os.access(found[0], os.X_OK), f"{name} not installed"
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
