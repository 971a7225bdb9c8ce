#include <doctest/doctest.h>
#include <uv.h>

#include <csignal>
#include <string>
#include <vector>

#include "net_support.hpp"
#include "udpkit/io/resolve.hpp"
#include "udpkit/io/signal.hpp"
#include "udpkit/io/udp_socket.hpp"

using namespace udpkit;

namespace {

struct received {
    std::string payload;
    std::size_t size;
    std::string from;
    bool truncated;
};

std::unique_ptr<udp_socket> bind_or_fail(event_loop& loop, const char* address,
                                         socket_options options = {}) {
    auto s = udp_socket::bind(loop, *ip_endpoint::parse(address), options);
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    return std::move(s).value();
}

// Sends each payload from a client socket to a server socket and collects what arrives.
std::vector<received> round_trip(const char* address, const std::vector<std::string>& payloads,
                                 socket_options server_options = {}) {
    event_loop loop;
    std::vector<received> got;
    {
        test::watchdog guard(loop, 5000);
        socket_options client_options;
        const auto family = ip_endpoint::parse(address)->family();
        client_options.limit = *message_limit::make(max_payload(family), family);
        auto server = bind_or_fail(loop, address, server_options);
        auto client = bind_or_fail(loop, address, client_options);
        REQUIRE(server->local_address().port() != 0);
        // Back-to-back sends with at most 64 datagrams in flight: a socket's default receive
        // buffer (rmem_default, ~208 KiB) holds a few hundred small datagrams, and UDP drops
        // beyond it; the window keeps the test about boundaries, not about buffer sizes.
        std::size_t next = 0;
        auto top_up = [&] {
            while (next < payloads.size() && next < got.size() + 64) {
                auto sent = client->send(payloads[next++], server->local_address());
                CHECK_MESSAGE(sent, (sent ? "" : sent.error().message));
            }
        };
        REQUIRE(server->start_receive([&](const datagram& d) {
            got.push_back({std::string(d.payload), d.size, d.from.to_string(), d.truncated});
            if (got.size() == payloads.size())
                loop.stop();
            top_up();
        }));
        top_up();
        loop.run();
        REQUIRE_FALSE(guard.fired());
        for (const auto& r : got)
            CHECK(r.from == client->local_address().to_string());
    }
    REQUIRE(loop.close());
    return got;
}

} // namespace

TEST_SUITE("net") {
TEST_CASE("datagrams of 0, 1, 1472 and 65507 bytes round-trip whole") {
    socket_options server;
    server.limit = *message_limit::make(65507);
    const std::vector<std::string> payloads = {"", "x", std::string(1472, 'a'),
                                               std::string(65507, 'b')};
    auto got = round_trip("127.0.0.1:0", payloads, server);
    REQUIRE(got.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        CHECK(got[i].payload == payloads[i]);
        CHECK(got[i].size == payloads[i].size());
        CHECK_FALSE(got[i].truncated);
    }
}

TEST_CASE("an empty datagram is delivered as an empty message") {
    auto got = round_trip("127.0.0.1:0", {""});
    REQUIRE(got.size() == 1);
    CHECK(got[0].payload.empty());
    CHECK(got[0].size == 0);
}

TEST_CASE("a datagram over the receiver's limit is reported truncated with its real size") {
    for (bool batch : {true, false}) {
        CAPTURE(batch);
        socket_options server;
        server.limit = *message_limit::make(100);
        server.batch_receive = batch;
        auto got =
            round_trip("127.0.0.1:0", {std::string(100, 'k'), std::string(5000, 'z')}, server);
        REQUIRE(got.size() == 2);
        CHECK_FALSE(got[0].truncated);
        CHECK(got[0].payload.size() == 100);
        CHECK(got[1].truncated);
        CHECK(got[1].size == 5000);
        CHECK(got[1].payload.size() == 100); // never more than the limit is passed on
    }
}

TEST_CASE("1000 back-to-back sends (64 in flight) arrive as 1000 datagrams with their boundaries") {
    std::vector<std::string> payloads;
    for (int i = 0; i < 1000; ++i)
        payloads.push_back("msg-" + std::to_string(i) +
                           std::string(static_cast<std::size_t>(i % 7), '.'));
    auto got = round_trip("127.0.0.1:0", payloads);
    REQUIRE(got.size() == 1000);
    for (std::size_t i = 0; i < 1000; ++i)
        CHECK(got[i].payload == payloads[i]); // loopback keeps order; each boundary intact
}

TEST_CASE("IPv6 on ::1") {
    socket_options server;
    server.limit = *message_limit::make(65527, ip_family::v6);
    auto got = round_trip("[::1]:0", {"hello over v6", std::string(65527, 'v')}, server);
    REQUIRE(got.size() == 2);
    CHECK(got[0].payload == "hello over v6");
    CHECK(got[0].from.rfind("[::1]:", 0) == 0);
    CHECK(got[1].size == 65527);
}

TEST_CASE("a message over the sender's limit is refused before sending") {
    event_loop loop;
    {
        auto s = bind_or_fail(loop, "127.0.0.1:0");
        auto r = s->send(std::string(1473, 'x'), s->local_address());
        REQUIRE_FALSE(r);
        CHECK(r.error().code == UV_EMSGSIZE);
        CHECK(r.error().message.find("message of 1473 bytes exceeds the limit of 1472 bytes") !=
              std::string::npos);
        CHECK(s->counters().sent == 0);
    }
    REQUIRE(loop.close());
}

TEST_CASE("binding a used port names the address and the libuv error") {
    event_loop loop;
    {
        auto first = bind_or_fail(loop, "127.0.0.1:0");
        auto second = udp_socket::bind(loop, first->local_address());
        REQUIRE_FALSE(second);
        CHECK(second.error().message == "bind " + first->local_address().to_string() +
                                            ": EADDRINUSE (address already in use)");
        CHECK(second.error().code == UV_EADDRINUSE);
    }
    REQUIRE(loop.close());
}

TEST_CASE("ICMP port unreachable is reported with the destination") {
    event_loop loop;
    std::vector<socket_error> errors;
    {
        test::watchdog guard(loop, 5000);
        // Learn a port with nothing listening: bind, read it back, close.
        ip_endpoint closed_port = bind_or_fail(loop, "127.0.0.1:0")->local_address();
        socket_options options;
        options.report_unreachable = true;
        auto s = bind_or_fail(loop, "127.0.0.1:0", options);
        REQUIRE(s->start_receive([](const datagram&) {},
                                 [&](const socket_error& e) {
                                     errors.push_back(e);
                                     loop.stop();
                                 }));
        REQUIRE(s->send("anyone?", closed_port));
        loop.run();
        REQUIRE_FALSE(guard.fired());
        REQUIRE(errors.size() >= 1);
        CHECK(errors[0].error.code == UV_ECONNREFUSED);
        REQUIRE(errors[0].destination);
        CHECK(*errors[0].destination == closed_port);
        CHECK(errors[0].error.message ==
              "send to " + closed_port.to_string() + ": ECONNREFUSED (connection refused)");
    }
    REQUIRE(loop.close());
}

TEST_CASE("without report_unreachable, ICMP errors do not disturb receiving") {
    event_loop loop;
    int errors = 0;
    std::vector<std::string> got;
    {
        test::watchdog guard(loop, 5000);
        ip_endpoint closed_port = bind_or_fail(loop, "127.0.0.1:0")->local_address();
        auto s = bind_or_fail(loop, "127.0.0.1:0");
        REQUIRE(s->start_receive(
            [&](const datagram& d) {
                got.emplace_back(d.payload);
                loop.stop();
            },
            [&](const socket_error&) { ++errors; }));
        for (int i = 0; i < 10; ++i)
            REQUIRE(s->send("x", closed_port));
        REQUIRE(s->send("to myself", s->local_address()));
        loop.run();
        REQUIRE_FALSE(guard.fired());
    }
    REQUIRE(loop.close());
    CHECK(errors == 0);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == "to myself");
}

TEST_CASE("the send queue is bounded and drains in order") {
    event_loop loop;
    std::vector<std::string> got;
    int drained = 0;
    {
        test::watchdog guard(loop, 10000);
        socket_options server_options;
        server_options.limit = *message_limit::make(65507);
        auto server = bind_or_fail(loop, "127.0.0.1:0", server_options);
        socket_options client_options;
        client_options.limit = *message_limit::make(65507);
        client_options.max_queued_sends = 8;
        auto client = bind_or_fail(loop, "127.0.0.1:0", client_options);
        REQUIRE(client->set_buffer_sizes(0, 4096)); // tiny send buffer: forces queueing
        REQUIRE(server->set_buffer_sizes(8 * 1024 * 1024, 0));
        client->on_drained([&] { ++drained; });
        int sent = 0, queued = 0, dropped = 0;
        for (int i = 0; i < 200; ++i) {
            auto r = client->send(std::string(60000, static_cast<char>('a' + i % 26)),
                                  server->local_address());
            REQUIRE(r);
            sent += *r == send_status::sent;
            queued += *r == send_status::queued;
            dropped += *r == send_status::dropped;
        }
        CHECK(sent + queued + dropped == 200);
        CHECK(queued <= 8);
        CHECK(client->queued_sends() <= 8);
        CHECK(client->counters().dropped == static_cast<std::uint64_t>(dropped));
        REQUIRE(server->start_receive([&](const datagram& d) { got.emplace_back(d.payload); }));
        timer done(loop);
        done.start(300, 0, [&] { loop.stop(); });
        loop.run();
        REQUIRE_FALSE(guard.fired());
        CHECK(client->queued_sends() == 0);
        if (queued > 0)
            CHECK(drained >= 1);
        CHECK(client->counters().sent == static_cast<std::uint64_t>(sent + queued));
    }
    REQUIRE(loop.close());
    for (const auto& g : got)
        CHECK(g.size() == 60000); // whatever arrived arrived whole
}

TEST_CASE("the receive buffer reads back as the kernel set it (doubled), 0 once closed") {
    event_loop loop;
    {
        auto s = bind_or_fail(loop, "127.0.0.1:0");
        REQUIRE(s->set_buffer_sizes(64 * 1024, 0));
        CHECK(s->receive_buffer_bytes() == 2 * 64 * 1024); // far below any rmem_max
        REQUIRE(s->set_buffer_sizes(256 * 1024, 0));
        CHECK(s->receive_buffer_bytes() >= 256 * 1024); // capped at 2 * rmem_max at most
        s->close();
        CHECK(s->receive_buffer_bytes() == 0);
    }
    REQUIRE(loop.close());
}

TEST_CASE("resolve handles literals and localhost") {
    event_loop loop;
    auto literal = resolve_now(loop, "127.0.0.1:80");
    REQUIRE(literal);
    CHECK(literal->to_string() == "127.0.0.1:80");
    auto name = resolve_now(loop, "localhost:9000");
    REQUIRE_MESSAGE(name, (name ? "" : name.error().message));
    CHECK(name->is_loopback());
    CHECK(name->port() == 9000);
    auto bad = resolve_now(loop, "no-such-host.invalid:1");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.rfind("resolve \"no-such-host.invalid\": ", 0) == 0);
    auto syntax = resolve_now(loop, "nope");
    REQUIRE_FALSE(syntax);
    REQUIRE(loop.close());
}

TEST_CASE("timers fire and signals arrive through the loop") {
    event_loop loop;
    int ticks = 0;
    int signal_seen = 0;
    {
        test::watchdog guard(loop, 5000);
        timer tick(loop);
        tick.start(1, 1, [&] {
            if (++ticks == 3) {
                tick.stop();
                std::raise(SIGUSR1);
            }
        });
        signal_watcher usr1(loop);
        REQUIRE(usr1.start(SIGUSR1, [&](int s) {
            signal_seen = s;
            loop.stop();
        }));
        loop.run();
        REQUIRE_FALSE(guard.fired());
    }
    REQUIRE(loop.close());
    CHECK(ticks == 3);
    CHECK(signal_seen == SIGUSR1);
}

TEST_CASE("the loop refuses to close while a handle is open, and closes once it is gone") {
    event_loop loop;
    auto s = bind_or_fail(loop, "127.0.0.1:0");
    auto busy = loop.close();
    REQUIRE_FALSE(busy);
    // A socket is two handles: its poll watcher and the idle handle that delivers errors.
    CHECK(busy.error().message.find("2 handle(s) still open") != std::string::npos);
    s.reset();
    CHECK(loop.close());
}
} // TEST_SUITE("net")
