// The datagram engine's control messages over real loopback sockets: the local address each
// datagram reached and replies from it, kernel receive times, kernel drop counts, and errors
// found by send() delivered only after send() returned.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <uv.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net_support.hpp"
#include "udpkit/io/send_batch.hpp"
#include "udpkit/io/udp_socket.hpp"

using namespace udpkit;

namespace {

std::unique_ptr<udp_socket> bind_or_fail(event_loop& loop, const std::string& address,
                                         socket_options options = {}) {
    auto s = udp_socket::bind(loop, *ip_endpoint::parse(address), options);
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    return std::move(s).value();
}

ip_endpoint with_port(const std::string& host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos;
    auto e = *ip_endpoint::parse(v6 ? "[" + host + "]:0" : host + ":0");
    e.set_port(port);
    return e;
}

struct exchange {
    std::string to;           // the local address the request reached, seen by the server
    bool had_reply_from;      // the server was told where to answer from
    std::string reply_source; // where the client saw the reply come from
};

// A client on `client_address` sends one request to `server_host` on the server's port; the
// server answers with send(..., d.reply_from); both sides record what they saw.
exchange ask(event_loop& loop, udp_socket& server, const std::string& client_address,
             const std::string& server_host) {
    exchange seen{};
    auto client = bind_or_fail(loop, client_address);
    REQUIRE(server.start_receive([&](const datagram& d) {
        seen.to = d.to.to_string();
        seen.had_reply_from = d.reply_from != nullptr;
        CHECK(server.send("pong", d.from, d.reply_from));
    }));
    REQUIRE(client->start_receive([&](const datagram& d) {
        seen.reply_source = d.from.to_string();
        loop.stop();
    }));
    REQUIRE(client->send("ping", with_port(server_host, server.local_address().port())));
    test::watchdog guard(loop, 5000);
    loop.run();
    REQUIRE_FALSE(guard.fired());
    server.stop_receive();
    return seen;
}

} // namespace

TEST_SUITE("net") {
TEST_CASE("a wildcard socket learns each datagram's local address and answers from it") {
    event_loop loop;
    {
        auto server = bind_or_fail(loop, "0.0.0.0:0");
        CHECK(server->is_wildcard());
        const auto port = std::to_string(server->local_address().port());
        // 127.0.0.0/8 is all local: 127.0.0.2 and .3 reach the same wildcard socket. Without
        // IP_PKTINFO on send, the reply would leave from 127.0.0.1 and a connected client
        // (nc -u 127.0.0.2 P) would drop it.
        for (const std::string host : {"127.0.0.2", "127.0.0.3", "127.0.0.1"}) {
            CAPTURE(host);
            const exchange e = ask(loop, *server, "127.0.0.1:0", host);
            CHECK(e.to == host + ":" + port);
            CHECK(e.had_reply_from);
            CHECK(e.reply_source == host + ":" + port);
        }
    }
    REQUIRE(loop.close());
}

TEST_CASE("a socket bound to one address reports it and needs no reply source") {
    event_loop loop;
    {
        auto server = bind_or_fail(loop, "127.0.0.1:0");
        CHECK_FALSE(server->is_wildcard());
        const exchange e = ask(loop, *server, "127.0.0.1:0", "127.0.0.1");
        CHECK(e.to == server->local_address().to_string());
        CHECK_FALSE(e.had_reply_from);
        CHECK(e.reply_source == server->local_address().to_string());
    }
    REQUIRE(loop.close());
}

TEST_CASE("IPv6 wildcard: the local address is reported and answered from") {
    event_loop loop;
    {
        auto server = bind_or_fail(loop, "[::]:0");
        CHECK(server->is_wildcard());
        const exchange e = ask(loop, *server, "[::1]:0", "::1");
        const auto expected = "[::1]:" + std::to_string(server->local_address().port());
        CHECK(e.to == expected);
        CHECK(e.had_reply_from);
        CHECK(e.reply_source == expected);
    }
    REQUIRE(loop.close());
}

TEST_CASE("send_batch replies leave from each request's local address") {
    event_loop loop;
    std::vector<std::string> sources;
    {
        auto server = bind_or_fail(loop, "0.0.0.0:0");
        auto client = bind_or_fail(loop, "127.0.0.1:0");
        const auto port = server->local_address().port();
        send_batch batch(8, 4096);
        int requests = 0;
        REQUIRE(server->start_receive([&](const datagram& d) {
            CHECK(batch.add(d.payload, d.from, d.reply_from));
            if (++requests == 3) {
                for (int r : server->send_now(batch))
                    CHECK(r == 0);
                batch.clear();
            }
        }));
        REQUIRE(client->start_receive([&](const datagram& d) {
            sources.push_back(d.from.host() + " " + std::string(d.payload));
            if (sources.size() == 3)
                loop.stop();
        }));
        for (const char* host : {"127.0.0.2", "127.0.0.3", "127.0.0.4"})
            REQUIRE(client->send(host, with_port(host, port)));
        test::watchdog guard(loop, 5000);
        loop.run();
        REQUIRE_FALSE(guard.fired());
        CHECK(server->counters().sent == 3);
    }
    REQUIRE(loop.close());
    CHECK(sources == std::vector<std::string>{"127.0.0.2 127.0.0.2", "127.0.0.3 127.0.0.3",
                                              "127.0.0.4 127.0.0.4"});
}

TEST_CASE("the batch-end hook follows each batch that one recvmmsg read") {
    event_loop loop;
    std::string events; // 'd' per datagram, 'e' per batch end
    {
        auto server = bind_or_fail(loop, "127.0.0.1:0");
        auto client = bind_or_fail(loop, "127.0.0.1:0");
        for (int i = 0; i < 10; ++i) // all queued before the first read: one batch
            REQUIRE(client->send("queued", server->local_address()));
        server->on_receive_batch_end([&] {
            events += 'e';
            if (events.size() == 11)
                CHECK(client->send("lone", server->local_address()));
            else
                loop.stop();
        });
        REQUIRE(server->start_receive([&](const datagram&) { events += 'd'; }));
        test::watchdog guard(loop, 5000);
        loop.run();
        REQUIRE_FALSE(guard.fired());
    }
    REQUIRE(loop.close());
    CHECK(events == "dddddddddde"
                    "de");
}

TEST_CASE("the receive time is the kernel's, not the time the loop got round to it") {
    event_loop loop;
    std::uint64_t received_ns = 0, handled_ns = 0;
    std::uint64_t before_send = 0;
    {
        auto server = bind_or_fail(loop, "127.0.0.1:0");
        auto client = bind_or_fail(loop, "127.0.0.1:0");
        // The kernel turns receive timestamping on for the whole system lazily (a deferred
        // work item after the first socket asks for it); until then it stamps a datagram when
        // it is read. Give it that moment, as a long-running tool has.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        before_send = event_loop::now_ns();
        REQUIRE(client->send("stamp me", server->local_address()));
        // The datagram waits in the kernel while the loop is busy elsewhere.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        REQUIRE(server->start_receive([&](const datagram& d) {
            received_ns = d.received_ns;
            handled_ns = event_loop::now_ns();
            loop.stop();
        }));
        test::watchdog guard(loop, 5000);
        loop.run();
        REQUIRE_FALSE(guard.fired());
    }
    REQUIRE(loop.close());
    // The kernel stamps in CLOCK_REALTIME, mapped onto the loop's monotonic clock by one pair of
    // readings per batch: a realtime adjustment (NTP) in between shifts it a little (a flake of
    // 0.46 ms was seen on a shared machine), so the lower bound has a few milliseconds of slack.
    constexpr std::uint64_t clock_slack_ns = 5'000'000;
    CHECK(received_ns + clock_slack_ns >= before_send);
    CHECK(received_ns <= handled_ns);
    // Stamped on arrival, about 100 ms before it was read (allow for a slow, shared machine).
    CHECK(handled_ns - received_ns >= 80'000'000);
}

TEST_CASE("kernel drops: sent = received + kernel drops, and each datagram carries the count") {
    constexpr int total = 2000;
    event_loop loop;
    int received = 0;
    std::uint64_t last_carried = 0, drops = 0;
    {
        auto server = bind_or_fail(loop, "127.0.0.1:0");
        auto client = bind_or_fail(loop, "127.0.0.1:0");
        REQUIRE(server->set_buffer_sizes(4096, 0)); // the kernel's minimum: most are dropped
        const std::string payload(1000, 'd');
        // Nothing reads while these go: loopback delivers each send into the server's queue at
        // once, or drops it there and counts the drop on the server's socket.
        for (int i = 0; i < total; ++i) {
            auto sent = client->send(payload, server->local_address());
            REQUIRE(sent);
            REQUIRE(*sent == send_status::sent);
        }
        drops = server->kernel_drops();
        CHECK(drops > 0);
        REQUIRE(server->start_receive([&](const datagram& d) {
            ++received;
            last_carried = d.kernel_drops;
            if (std::string(d.payload) == "after") // sent once the queue had room again
                loop.stop();
        }));
        timer later(loop);
        later.start(100, 0, [&] { CHECK(client->send("after", server->local_address())); });
        test::watchdog guard(loop, 5000);
        loop.run();
        REQUIRE_FALSE(guard.fired());
        CHECK(server->counters().received == static_cast<std::uint64_t>(received));
        CHECK(server->kernel_drops() == drops);
    }
    REQUIRE(loop.close());
    CHECK(static_cast<std::uint64_t>(total) == (received - 1) + drops); // "after" not counted
    CHECK(last_carried == drops); // SO_RXQ_OVFL on the datagram after the drops
}

TEST_CASE("an error that send() finds reaches the handler only after send() returned") {
    event_loop loop;
    bool inside_send = false;
    std::vector<socket_error> errors;
    bool error_during_send = false;
    std::vector<std::string> got;
    {
        ip_endpoint closed_port = bind_or_fail(loop, "127.0.0.1:0")->local_address();
        auto server = bind_or_fail(loop, "127.0.0.1:0");
        socket_options options;
        options.report_unreachable = true;
        auto client = bind_or_fail(loop, "127.0.0.1:0", options);
        REQUIRE(client->start_receive([](const datagram&) {},
                                      [&](const socket_error& e) {
                                          error_during_send = error_during_send || inside_send;
                                          errors.push_back(e);
                                          if (!got.empty())
                                              loop.stop();
                                      }));
        REQUIRE(server->start_receive([&](const datagram& d) {
            got.emplace_back(d.payload);
            if (!errors.empty())
                loop.stop();
        }));
        // On loopback the ICMP error is queued during the first send; the kernel hands it to
        // the next send, which the engine then repeats.
        inside_send = true;
        auto first = client->send("to nobody", closed_port);
        auto second = client->send("to the server", server->local_address());
        inside_send = false;
        REQUIRE(first);
        REQUIRE_MESSAGE(second, (second ? "" : second.error().message));
        CHECK(*second == send_status::sent);
        CHECK(errors.empty()); // nothing yet: delivered on a later loop turn
        test::watchdog guard(loop, 5000);
        loop.run();
        REQUIRE_FALSE(guard.fired());
    }
    REQUIRE(loop.close());
    CHECK_FALSE(error_during_send);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].error.code == UV_ECONNREFUSED);
    REQUIRE(errors[0].destination);
    CHECK(got == std::vector<std::string>{"to the server"});
}
} // TEST_SUITE("net")
