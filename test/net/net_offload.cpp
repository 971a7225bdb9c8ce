// UDP GSO and GRO through the engine over real loopback sockets: a run of same-size datagrams
// leaves as one send and arrives as one buffer, and the receive handler still gets every
// datagram on its own, with its exact size and bytes, in order.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "net_support.hpp"
#include "udpkit/io/send_batch.hpp"
#include "udpkit/io/udp_socket.hpp"

using namespace udpkit;

namespace {

std::unique_ptr<udp_socket> bind_or_fail(event_loop& loop, const std::string& address,
                                         socket_options options) {
    auto s = udp_socket::bind(loop, *ip_endpoint::parse(address), options);
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    return std::move(s).value();
}

// Datagram i: its number, then filler up to `size` bytes, so that any merge, split or swap
// shows.
std::string numbered(std::size_t i, std::size_t size) {
    std::string d = std::to_string(i) + ":";
    d.resize(size, static_cast<char>('a' + i % 26));
    return d;
}

struct outcome {
    std::vector<std::string> received;
    offload_counters sender, receiver;
};

// Sends `payloads` with one send_now from a socket on `host` to another, and reads until all
// arrived (or 5 s passed).
outcome send_and_receive(const std::vector<std::string>& payloads, bool sender_offload,
                         bool receiver_offload, const std::string& host = "127.0.0.1") {
    event_loop loop;
    outcome seen;
    {
        socket_options o;
        o.limit = *message_limit::make(65507);
        o.offload = receiver_offload;
        const std::string any =
            host.find(':') != std::string::npos ? "[" + host + "]:0" : host + ":0";
        auto receiver = bind_or_fail(loop, any, o);
        o.offload = sender_offload;
        auto sender = bind_or_fail(loop, any, o);
        REQUIRE(receiver->start_receive([&](const datagram& d) {
            CHECK_FALSE(d.truncated);
            CHECK(d.size == d.payload.size());
            seen.received.emplace_back(d.payload);
            if (seen.received.size() == payloads.size())
                loop.stop();
        }));
        send_batch batch(payloads.size(), 64 * 65536);
        for (const auto& p : payloads)
            REQUIRE(batch.add(p, receiver->local_address()));
        for (int r : sender->send_now(batch))
            CHECK(r == 0);
        test::watchdog guard(loop, 5000);
        loop.run();
        CHECK_FALSE(guard.fired());
        seen.sender = sender->offload();
        seen.receiver = receiver->offload();
    }
    REQUIRE(loop.close());
    return seen;
}

} // namespace

TEST_SUITE("net") {
TEST_CASE("GSO and GRO: 64 equal datagrams and a shorter last one keep every boundary") {
    std::vector<std::string> payloads;
    for (std::size_t i = 0; i < 63; ++i)
        payloads.push_back(numbered(i, 100));
    payloads.push_back(numbered(63, 37)); // ends the run: still one send
    payloads.push_back(numbered(64, 100));
    const outcome o = send_and_receive(payloads, true, true);
    CHECK(o.received == payloads);
    CHECK(o.sender.gso);
    CHECK(o.sender.gso_sends == 1);
    CHECK(o.sender.gso_datagrams == 64);
    REQUIRE(o.receiver.gro);
    // Loopback hands a GSO send to a GRO socket as the one buffer it was sent as.
    CHECK(o.receiver.gro_buffers == 1);
    CHECK(o.receiver.gro_datagrams == 64);
}

TEST_CASE("GSO to a socket without GRO: the kernel splits, every datagram arrives alone") {
    std::vector<std::string> payloads;
    for (std::size_t i = 0; i < 10; ++i)
        payloads.push_back(numbered(i, 1200));
    const outcome o = send_and_receive(payloads, true, false);
    CHECK(o.received == payloads);
    CHECK(o.sender.gso_sends == 1);
    CHECK_FALSE(o.receiver.gro);
    CHECK(o.receiver.gro_buffers == 0);
}

TEST_CASE("without offload: one datagram per message and per buffer") {
    std::vector<std::string> payloads;
    for (std::size_t i = 0; i < 10; ++i)
        payloads.push_back(numbered(i, 64));
    const outcome o = send_and_receive(payloads, false, false);
    CHECK(o.received == payloads);
    CHECK_FALSE(o.sender.gso);
    CHECK(o.sender.gso_sends == 0);
    CHECK(o.receiver.gro_buffers == 0);
}

TEST_CASE("GRO: a single datagram, a 65507-byte one and empty ones come through whole") {
    const std::vector<std::string> payloads = {numbered(0, 65507), "", numbered(2, 65507), "", "x"};
    const outcome o = send_and_receive(payloads, true, true);
    CHECK(o.received == payloads);
    CHECK(o.sender.gso_sends == 0); // two of 65507 bytes would exceed one send
}

TEST_CASE("IPv6: GSO and GRO keep the boundaries too") {
    std::vector<std::string> payloads;
    for (std::size_t i = 0; i < 20; ++i)
        payloads.push_back(numbered(i, 1000));
    const outcome o = send_and_receive(payloads, true, true, "::1");
    CHECK(o.received == payloads);
    CHECK(o.sender.gso_sends == 1);
    CHECK(o.receiver.gro_datagrams == 20);
}
} // TEST_SUITE("net")
