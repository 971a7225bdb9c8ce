// A test-only lossy echo responder: `echo_stub --drop-every N` binds 127.0.0.1:0, prints
// `listening on ADDR` and sends every datagram back except every Nth, so udp-send's tests can
// check how a burst reports loss (udp-echo itself never drops on purpose). Exits 0 on
// SIGTERM/SIGINT.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "udpkit/io/signal.hpp"
#include "udpkit/io/udp_socket.hpp"

using namespace udpkit;

int main(int argc, char** argv) {
    unsigned long drop_every = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--drop-every" && i + 1 < argc)
            drop_every = std::strtoul(argv[++i], nullptr, 10);
        else
            return std::fprintf(stderr, "echo_stub: unknown argument %s\n", argv[i]), 2;
    }
    event_loop loop;
    {
        socket_options options;
        options.limit = *message_limit::make(max_payload_ipv4);
        auto s = udp_socket::bind(loop, *ip_endpoint::parse("127.0.0.1:0"), options);
        if (!s)
            return std::fprintf(stderr, "echo_stub: %s\n", s.error().message.c_str()), 1;
        auto& sock = **s;
        // Large buffers: bursts in the tests must not be dropped by the kernel here.
        (void)sock.set_buffer_sizes(4 << 20, 4 << 20);
        std::printf("listening on %s\n", sock.local_address().to_string().c_str());
        std::fflush(stdout);
        unsigned long seen = 0;
        auto started = sock.start_receive([&](const datagram& d) {
            if (drop_every != 0 && ++seen % drop_every == 0)
                return;
            (void)sock.send(d.payload, d.from);
        });
        if (!started)
            return std::fprintf(stderr, "echo_stub: %s\n", started.error().message.c_str()), 1;
        stop_signals signals(loop, [&](int) { loop.stop(); });
        loop.run();
    }
    return loop.close() ? 0 : 1;
}
