#include <doctest/doctest.h>

#include <string>

#include "udpkit/rate_limiter.hpp"

using namespace udpkit;

namespace {
constexpr std::uint64_t ms = 1'000'000; // nanoseconds
constexpr std::uint64_t second = 1000 * ms;

ip_endpoint at(const std::string& text) {
    return *ip_endpoint::parse(text);
}

// The IPv4 address 10.0.x.y for source number i.
ip_endpoint source(unsigned i) {
    return at("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":5000");
}
} // namespace

TEST_SUITE("unit") {
TEST_CASE("token bucket: starts full, refills at its rate, never above the burst") {
    const bucket_rate rate{10, 3}; // 10 per second, burst 3
    token_bucket b(0);
    CHECK(b.try_take(rate, 0));
    CHECK(b.try_take(rate, 0));
    CHECK(b.try_take(rate, 0));
    CHECK_FALSE(b.try_take(rate, 0));
    CHECK_FALSE(b.try_take(rate, 99 * ms)); // 0.99 tokens after 99 ms: not yet
    CHECK(b.try_take(rate, 100 * ms));      // one token per 100 ms
    CHECK_FALSE(b.try_take(rate, 100 * ms));
    // A long quiet spell refills to the burst, not beyond.
    const std::uint64_t later = 100 * second;
    for (int i = 0; i < 3; ++i)
        CHECK(b.try_take(rate, later));
    CHECK_FALSE(b.try_take(rate, later));
    // A clock that goes backwards adds nothing.
    CHECK_FALSE(b.try_take(rate, later - second));
    CHECK_FALSE(b.full(later));
    CHECK(b.full(later + 300 * ms));
}

TEST_CASE("token bucket: slow rates over many small steps lose nothing to rounding") {
    const bucket_rate rate{0.5, 1}; // one token every two seconds
    token_bucket b(0);
    CHECK(b.try_take(rate, 0));
    int taken = 0;
    for (std::uint64_t t = ms; t <= 10 * second; t += ms)
        taken += b.try_take(rate, t) ? 1 : 0;
    CHECK(taken == 5);
}

TEST_CASE("rate limiter: each source has its own bucket; the port does not matter") {
    rate_limiter limiter({5, 2}, 16);
    const auto a1 = at("192.0.2.1:4000");
    const auto a2 = at("192.0.2.1:4001"); // same host, another port: same bucket
    const auto b = at("192.0.2.2:4000");
    CHECK(limiter.check(a1, 0).allowed());
    CHECK(limiter.check(a2, 0).allowed());
    const auto third = limiter.check(a1, 0);
    CHECK(third.verdict == rate_verdict::limited);
    CHECK(third.started); // the first refusal is the one to log
    const auto fourth = limiter.check(a2, 0);
    CHECK(fourth.verdict == rate_verdict::limited);
    CHECK_FALSE(fourth.started); // still over: not logged again
    CHECK(limiter.check(b, 0).allowed());
    CHECK(limiter.tracked() == 2);
    // 200 ms later a1's bucket holds one token again; after it is spent, refusals start anew.
    CHECK(limiter.check(a1, 200 * ms).allowed());
    const auto again = limiter.check(a1, 200 * ms);
    CHECK(again.verdict == rate_verdict::limited);
    CHECK(again.started);
}

TEST_CASE("rate limiter: IPv4 and IPv6 sources are kept apart") {
    rate_limiter limiter({1, 1}, 4);
    CHECK(limiter.check(at("[::1]:9000"), 0).allowed());
    CHECK(limiter.check(at("127.0.0.1:9000"), 0).allowed());
    CHECK(limiter.check(at("[::]:9000"), 0).allowed()); // all-zero bytes, unlike 0.0.0.0
    CHECK(limiter.check(at("0.0.0.0:9000"), 0).allowed());
    CHECK(limiter.check(at("[::1]:9001"), 0).verdict == rate_verdict::limited);
    CHECK(limiter.tracked() == 4);
}

TEST_CASE("rate limiter: a full table replaces the least recently seen quiet source") {
    // burst 2 at 10/s: a bucket emptied by two datagrams is full again 200 ms later.
    rate_limiter limiter({10, 2}, 3);
    for (unsigned i = 1; i <= 3; ++i) {
        const std::uint64_t t = (i - 1) * 10 * ms; // 0, 10, 20 ms
        CHECK(limiter.check(source(i), t).allowed());
        CHECK(limiter.check(source(i), t).allowed());
    }
    REQUIRE(limiter.tracked() == 3);

    // No bucket is full yet: a newcomer is refused, the table is not churned.
    const auto refused = limiter.check(source(4), 150 * ms);
    CHECK(refused.verdict == rate_verdict::table_full);
    CHECK(refused.started);
    CHECK(limiter.evictions() == 0);

    // Source 1 is seen again, so source 2 becomes the least recently seen; it is full at 210.
    CHECK(limiter.check(source(1), 160 * ms).allowed());
    CHECK(limiter.check(source(4), 209 * ms).verdict == rate_verdict::table_full);
    CHECK(limiter.check(source(4), 215 * ms).allowed());
    CHECK(limiter.evictions() == 1);
    CHECK(limiter.tracked() == 3);

    // Source 1 kept its bucket (not full: one token back since 160 ms), unlike a newcomer.
    CHECK(limiter.check(source(1), 215 * ms).allowed());
    CHECK(limiter.check(source(1), 215 * ms).verdict == rate_verdict::limited);
    // Source 2 comes back as new (source 3, full since 220 ms, makes room) with a full bucket.
    CHECK(limiter.check(source(2), 230 * ms).allowed());
    CHECK(limiter.check(source(2), 230 * ms).allowed());
    CHECK(limiter.check(source(2), 230 * ms).verdict == rate_verdict::limited);
    CHECK(limiter.evictions() == 2);
}

TEST_CASE("rate limiter: memory stays bounded under a flood of distinct sources") {
    rate_limiter limiter({100, 1}, 64);
    std::uint64_t allowed = 0;
    std::uint64_t refused = 0;
    std::uint64_t now = 0;
    // 20000 distinct sources, one datagram each, 1 ms apart: at most 64 tracked at any time.
    for (unsigned i = 0; i < 20000; ++i, now += ms) {
        const auto d = limiter.check(source(i), now);
        (d.allowed() ? allowed : refused) += 1;
        REQUIRE(limiter.tracked() <= 64);
    }
    // A bucket is full again 10 ms after its one datagram (burst 1 at 100/s), and 64 sources
    // span 64 ms: the oldest is always full, so every newcomer fits by replacing it.
    CHECK(allowed == 20000);
    CHECK(refused == 0);
    CHECK(limiter.evictions() == 20000 - 64);
    // Lookups still find the tracked sources after all that shifting: at the instant of its
    // datagram a tracked source has no token left, while a forgotten one is not known.
    for (unsigned i = 20000 - 64; i < 20000; ++i)
        CHECK(limiter.check(source(i), i * ms).verdict == rate_verdict::limited);
    CHECK(limiter.check(source(0), 0).verdict == rate_verdict::table_full);
    CHECK(limiter.tracked() == 64);
}

TEST_CASE("rate limiter: a flood of new sources faster than they go quiet fails closed") {
    rate_limiter limiter({1, 5}, 8); // a bucket needs 5 s to refill
    int allowed = 0;
    for (unsigned i = 0; i < 1000; ++i)
        allowed += limiter.check(source(i), i * ms).allowed() ? 1 : 0;
    CHECK(allowed == 8);
    CHECK(limiter.evictions() == 0);
    // The tracked sources keep their own buckets meanwhile.
    CHECK(limiter.check(source(0), 1000 * ms).allowed());
}
} // TEST_SUITE("unit")
