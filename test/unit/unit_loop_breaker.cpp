// The echo-loop breaker (udpkit/loop_breaker.hpp), driven by hand: sources, payloads and times
// are made up, no socket is touched.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "echo_options.hpp"
#include "udpkit/loop_breaker.hpp"

using namespace udpkit;

namespace {
constexpr std::uint64_t us = 1000; // nanoseconds
constexpr std::uint64_t ms = 1000 * us;
constexpr std::uint64_t second = 1000 * ms;

ip_endpoint at(const std::string& text) {
    return *ip_endpoint::parse(text);
}

/// What a run of identical datagrams from one source, one every `gap_ns` from `start_ns`, did.
struct run_result {
    std::uint64_t answered = 0;
    std::uint64_t refused = 0;
    std::uint64_t first_refused_at = 0; ///< ns since the first datagram; 0: none refused
    std::uint32_t repeats_then = 0;     ///< the decision's repeats at the first refusal
    int notices = 0;                    ///< decisions with `started`
};

run_result send_same(loop_breaker& b, const ip_endpoint& from, std::string_view payload,
                     std::uint64_t count, std::uint64_t gap_ns, std::uint64_t start_ns = 0) {
    run_result r;
    for (std::uint64_t i = 0; i < count; ++i) {
        const loop_decision d = b.check(from, payload, start_ns + i * gap_ns);
        if (d.started)
            ++r.notices;
        if (!d.refused) {
            ++r.answered;
            continue;
        }
        if (r.refused++ == 0) {
            r.first_refused_at = i * gap_ns;
            r.repeats_then = d.repeats;
        }
    }
    return r;
}

/// A udp-send probe: an 8-byte sequence number, then padding, `size` bytes in all.
std::string probe(std::uint64_t seq, std::size_t size = 64) {
    std::string p(size, '\0');
    std::memcpy(p.data(), &seq, sizeof seq);
    return p;
}
} // namespace

TEST_SUITE("unit") {
TEST_CASE("loop breaker: a fast loop is refused after 0.5 s, once the run has 4096 repeats") {
    // Two echo responders on loopback bounce one datagram about 80,000 times a second: each
    // sees the same bytes from the other every 12.5 us.
    loop_breaker b;
    const auto peer = at("127.0.0.1:40000");
    const run_result r = send_same(b, peer, "loop?", 80'000, 12'500);
    // The first datagram is new; the run starts with the first repeat (12.5 us) and is refused
    // once it has lasted 0.5 s: in a real loop nothing would come after that one.
    CHECK(r.first_refused_at == 500 * ms + 12'500);
    CHECK(r.repeats_then == 40'001);
    CHECK(r.answered == 40'001);
    CHECK(r.notices == 1); // one notice per run, not one per datagram
    CHECK(r.refused == 80'000 - 40'001);
}

TEST_CASE("loop breaker: a slower loop needs 4096 repeats; one slower than 1000/s is kept") {
    SUBCASE("a LAN loop, 200 us round trip: refused at the 4096th repeat, 0.82 s") {
        loop_breaker b;
        const run_result r = send_same(b, at("192.0.2.7:7777"), "ping", 10'000, 200 * us);
        CHECK(r.repeats_then == 4096);
        CHECK(r.first_refused_at == 4096 * 200 * us);
        CHECK(r.answered == 4096);
    }
    SUBCASE("900 us round trip (1111/s): still a run, refused at 3.7 s") {
        loop_breaker b;
        const run_result r = send_same(b, at("192.0.2.7:7777"), "ping", 6000, 900 * us);
        CHECK(r.repeats_then == 4096);
        CHECK(r.answered == 4096);
    }
    SUBCASE("the line: 1.1 ms round trip (909/s) is never a run") {
        loop_breaker b;
        const run_result r = send_same(b, at("192.0.2.7:7777"), "ping", 20'000, 1100 * us);
        CHECK(r.refused == 0);
    }
}

TEST_CASE("loop breaker: several datagrams bouncing at once are one run of their source") {
    // An attacker forges 100 different datagrams: each payload comes back only 1250 times a
    // second, but the source repeats itself 80,000 times a second.
    loop_breaker b(loop_rule{}, 4096, 1 << 20); // a large cache: no two of them share a slot
    const auto peer = at("127.0.0.1:40000");
    std::vector<std::string> forged;
    for (int i = 0; i < 100; ++i)
        forged.push_back("forged " + std::to_string(i));
    std::uint64_t first_refused = 0;
    std::uint64_t refused = 0;
    for (std::uint64_t i = 0; i < 80'000; ++i) {
        const auto d = b.check(peer, forged[i % forged.size()], i * 12'500);
        if (d.refused && refused++ == 0)
            first_refused = i * 12'500;
    }
    // The first copy of each is not a repeat: the run starts with copy 100.
    CHECK(first_refused == 100 * 12'500 + 500 * ms);
    CHECK(refused == 80'000 - 40'100);
}

TEST_CASE("loop breaker: distinct payloads are never refused (a 1,000,000-probe burst)") {
    loop_breaker b;
    const auto client = at("127.0.0.1:50000");
    std::uint64_t refused = 0;
    std::uint64_t repeats = 0;
    for (std::uint64_t seq = 0; seq < 1'000'000; ++seq) { // 1,000,000 a second
        const auto d = b.check(client, probe(seq), seq * us);
        refused += d.refused;
        repeats += d.repeats > 0;
    }
    CHECK(refused == 0);
    CHECK(repeats == 0);
    CHECK(b.tracked() == 0); // distinct payloads never even take a source slot
}

TEST_CASE("loop breaker: identical payloads one at a time, where the line is") {
    const auto client = at("127.0.0.1:50000");
    SUBCASE("4096 repeats at loop speed are always answered, however fast") {
        loop_breaker b;
        CHECK(send_same(b, client, "same", 4097, 1 * us).refused == 0);
        CHECK(send_same(b, client, "same", 4097, 0, 1 * second).refused == 0); // same instant
    }
    SUBCASE("udp-send --count 2000 --interval 0 --wait-reply: answered, whatever the speed") {
        for (const std::uint64_t rtt : {5 * us, 30 * us, 250 * us, 900 * us}) {
            loop_breaker b;
            CHECK(send_same(b, client, "same", 2000, rtt).refused == 0);
        }
    }
    SUBCASE("under 0.5 s of repetition is always answered, however many repeats") {
        loop_breaker b;
        CHECK(send_same(b, client, "same", 49'999, 10 * us).refused == 0); // 0.49999 s
    }
    SUBCASE("a pause after each reply of 1 ms or more: answered for ever") {
        loop_breaker b;
        const run_result r = send_same(b, client, "same", 100'000, 1 * ms + 30 * us); // 103 s
        CHECK(r.refused == 0);
    }
    SUBCASE("over the line: refused from 0.5 s on, answered again after a 50 ms pause") {
        loop_breaker b;
        const run_result r = send_same(b, client, "same", 100'000, 10 * us); // 1 s
        CHECK(r.first_refused_at == 500 * ms + 10 * us);
        CHECK(r.answered == 50'001);
        // A new payload from the same source is still answered...
        CHECK_FALSE(b.check(client, "different", 1 * second).refused);
        // ...its repeats are not (the source's run is a loop)...
        CHECK(b.check(client, "different", 1 * second + 10 * us).refused);
        // ...and a pause of 50 ms ends the run: the same bytes are answered again.
        CHECK_FALSE(b.check(client, "same", 1 * second + 60 * ms).refused);
        CHECK_FALSE(b.check(client, "same", 1 * second + 60 * ms + 10 * us).refused);
    }
    SUBCASE("a pause shorter than 50 ms does not end a run") {
        loop_breaker b;
        CHECK(send_same(b, client, "same", 60'000, 10 * us).refused > 0);
        CHECK(b.check(client, "same", 600 * ms + 40 * ms).refused);
    }
}

TEST_CASE("loop breaker: sources are address and port, each with its own run") {
    loop_breaker b;
    const auto a = at("127.0.0.1:40000");
    CHECK(send_same(b, a, "loop?", 60'000, 10 * us).refused > 0);
    // The same bytes from another port, another address or over IPv6: not that run.
    CHECK(send_same(b, at("127.0.0.1:40001"), "loop?", 1000, 10 * us, 600 * ms).refused == 0);
    CHECK(send_same(b, at("127.0.0.2:40000"), "loop?", 1000, 10 * us, 600 * ms).refused == 0);
    CHECK(send_same(b, at("[::1]:40000"), "loop?", 1000, 10 * us, 600 * ms).refused == 0);
    CHECK(b.check(a, "loop?", 600 * ms).refused);
}

TEST_CASE("loop breaker: a full table fails open and frees slots whose runs are over") {
    // Room for one set of 4 sources; five loop at once for a second.
    loop_breaker b(loop_rule{}, 4, 16384, 1);
    REQUIRE(b.capacity() == 4);
    std::vector<ip_endpoint> sources;
    for (unsigned i = 1; i <= 5; ++i)
        sources.push_back(at("10.0.0." + std::to_string(i) + ":5000"));
    std::uint64_t refused[5] = {};
    for (std::uint64_t i = 0; i < 100'000; ++i)
        for (std::size_t s = 0; s < sources.size(); ++s)
            refused[s] += b.check(sources[s], "x", i * 10 * us).refused;
    CHECK(b.tracked() == 4);
    for (std::size_t s = 0; s < 4; ++s)
        CHECK(refused[s] == 100'000 - 50'001);
    // The fifth source's repeats found every slot in a run: not tracked, answered (fails open).
    CHECK(refused[4] == 0);
    CHECK(b.untracked() == 99'999);
    // Later the four runs are over (a run ends 50 ms after its last repeat): the fifth source
    // takes the slot of one of them at its next repeat, and its loop is refused.
    const run_result r = send_same(b, sources[4], "y", 100'000, 10 * us, 2 * second);
    CHECK(r.first_refused_at == 500 * ms + 10 * us);
    CHECK(b.tracked() == 4);
    CHECK(b.untracked() == 99'999);
}

TEST_CASE("loop breaker: large payloads are compared whole, cheaply") {
    const auto peer = at("127.0.0.1:40000");
    SUBCASE("identical 64 KiB datagrams loop like small ones") {
        loop_breaker b;
        const std::string big(65507, 'L');
        const run_result r = send_same(b, peer, big, 60'000, 12'500);
        CHECK(r.first_refused_at == 500 * ms + 12'500);
    }
    SUBCASE("payloads that differ only in the middle: at most one repeat, never a run") {
        loop_breaker b;
        std::string p(1000, 'm');
        std::uint64_t repeats = 0;
        std::uint64_t refused = 0;
        for (std::uint64_t i = 0; i < 100'000; ++i) {
            std::memcpy(p.data() + 500, &i, sizeof i);
            const auto d = b.check(peer, p, i * 10 * us);
            repeats += d.repeats > 0;
            refused += d.refused;
        }
        // The second datagram matches the first one's length and ends, the only comparison
        // made then; from the third on each is hashed whole and differs.
        CHECK(repeats == 1);
        CHECK(refused == 0);
    }
    SUBCASE("a middle byte that changes back and forth is seen") {
        loop_breaker b;
        std::string p(1000, 'm');
        std::uint64_t refused = 0;
        for (std::uint64_t i = 0; i < 100'000; ++i) {
            p[500] = i % 2 ? 'a' : 'b';
            refused += b.check(peer, p, i * 10 * us).refused;
        }
        CHECK(refused == 0);
    }
}

TEST_CASE("loop breaker: a datagram pushed out of the recent cache is simply new") {
    // One slot for recent datagrams: two payloads alternating push each other out, so neither
    // is ever a repeat (the cache only forgets; it never makes a repeat up).
    loop_breaker b(loop_rule{}, 4096, 1, 1);
    const auto peer = at("127.0.0.1:40000");
    std::uint64_t refused = 0;
    std::uint64_t repeats = 0;
    for (std::uint64_t i = 0; i < 100'000; ++i) {
        const auto d = b.check(peer, i % 2 ? "ping" : "pong", i * 10 * us);
        refused += d.refused;
        repeats += d.repeats > 0;
    }
    CHECK(refused == 0);
    CHECK(repeats == 0);
}

TEST_CASE("loop breaker: a clock that goes backwards neither crashes nor trips early") {
    loop_breaker b;
    const auto peer = at("127.0.0.1:40000");
    CHECK_FALSE(b.check(peer, "x", 10 * second).refused);
    CHECK_FALSE(b.check(peer, "x", 5 * second).refused);
    const auto d = b.check(peer, "x", 1 * second);
    CHECK_FALSE(d.refused);
    CHECK(d.run_ns == 0);
}

TEST_CASE("loop breaker: other thresholds") {
    loop_rule rule;
    rule.min_duration_ns = 10 * ms;
    rule.min_repeats = 10;
    loop_breaker b(rule);
    const run_result r = send_same(b, at("127.0.0.1:40000"), "x", 10'000, 100 * us);
    CHECK(r.first_refused_at == 10 * ms + 100 * us);
    CHECK(r.repeats_then == 101);
}

TEST_CASE("payload hash: every byte, the length and the seed count") {
    const std::string base(100, 'a');
    const std::uint64_t h = payload_hash(base, 7);
    CHECK(payload_hash(base, 7) == h);
    CHECK(payload_hash(base, 8) != h);
    for (std::size_t i = 0; i < base.size(); ++i) {
        std::string other = base;
        other[i] = 'b';
        CHECK(payload_hash(other, 7) != h);
    }
    for (std::size_t n = 0; n < base.size(); ++n)
        CHECK(payload_hash(std::string_view(base).substr(0, n), 7) != h);
    CHECK(payload_hash("", 7) != payload_hash(std::string(1, '\0'), 7));
    CHECK(payload_hash(std::string(8, '\0'), 7) != payload_hash(std::string(9, '\0'), 7));
}

TEST_CASE("echo options: the loop breaker is on by default; --no-loop-breaker turns it off") {
    auto parsed = parse_echo_options({});
    REQUIRE(std::holds_alternative<echo_options>(parsed));
    CHECK(std::get<echo_options>(parsed).loop_breaker);
    parsed = parse_echo_options({"--no-loop-breaker"});
    REQUIRE(std::holds_alternative<echo_options>(parsed));
    CHECK_FALSE(std::get<echo_options>(parsed).loop_breaker);
    parsed = parse_echo_options({"--help"});
    REQUIRE(std::holds_alternative<cli::exit_now>(parsed));
    const std::string help = std::get<cli::exit_now>(parsed).out;
    CHECK(help.find("--no-loop-breaker") != std::string::npos);
    CHECK(help.find("no echo loops") != std::string::npos);
}
} // TEST_SUITE("unit")
