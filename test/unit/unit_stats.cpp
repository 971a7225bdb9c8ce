#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "udpkit/burst.hpp"
#include "udpkit/stats.hpp"

using namespace udpkit;

namespace {

constexpr std::size_t probe_size = 64;
constexpr std::uint64_t ms = 1'000'000;

// Sends `count` probes 1 ms apart starting at 1 s; returns them as they would come back.
std::vector<std::string> send_probes(burst_stats& stats, std::size_t count) {
    std::vector<std::string> probes;
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint64_t now = 1000 * ms + i * ms;
        std::string p;
        encode_probe(p, stats.next_probe(now), probe_size);
        stats.record_sent(now);
        probes.push_back(std::move(p));
    }
    return probes;
}

// Replays replies in the given order (indexes into probes), 10 ms after the last send.
std::vector<reply_kind> reply(burst_stats& stats, const std::vector<std::string>& probes,
                              const std::vector<std::size_t>& order) {
    std::vector<reply_kind> kinds;
    std::uint64_t now = 2000 * ms;
    for (auto i : order)
        kinds.push_back(
            stats.record_reply(probes[i], probes[i].size(), false, probe_size, now += ms));
    return kinds;
}

} // namespace

TEST_SUITE("unit") {
TEST_CASE("probe: header round-trips, padded to the size; short data is refused") {
    std::string p;
    encode_probe(p, {0xdeadbeef, 0x01020304}, 64);
    REQUIRE(p.size() == 64);
    CHECK(p.substr(0, 8) == "\xde\xad\xbe\xef\x01\x02\x03\x04");
    CHECK(p.substr(8) == std::string(56, '\0'));
    auto h = decode_probe(p);
    REQUIRE(h);
    CHECK(h->seq == 0xdeadbeef);
    CHECK(h->sent_us == 0x01020304);
    CHECK_FALSE(decode_probe(p.substr(0, 7)));
    encode_probe(p, {1, 2}, 10); // the 10-byte probes of the sticky-packet demo
    CHECK(p.size() == 10);
    CHECK(decode_probe(p)->seq == 1);
}

TEST_CASE("percentile: nearest rank on sorted samples") {
    std::vector<std::uint64_t> v;
    for (std::uint64_t i = 1; i <= 100; ++i)
        v.push_back(i);
    CHECK(percentile(v, 50) == 50);
    CHECK(percentile(v, 90) == 90);
    CHECK(percentile(v, 99) == 99);
    CHECK(percentile(v, 100) == 100);
    CHECK(percentile({7}, 50) == 7);
    CHECK(percentile({1, 2, 3}, 50) == 2);
    CHECK(percentile({}, 50) == 0);
}

TEST_CASE("stats: all answered in order, RTT exact") {
    burst_stats stats;
    auto probes = send_probes(stats, 10);
    auto kinds = reply(stats, probes, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    for (auto k : kinds)
        CHECK(k == reply_kind::fresh);
    const auto s = stats.summary();
    CHECK(s.sent == 10);
    CHECK(s.received == 10);
    CHECK(s.lost == 0);
    CHECK(s.reordered == 0);
    CHECK(s.duplicated == 0);
    CHECK(s.truncated == 0);
    CHECK(s.reply_min_bytes == 64);
    CHECK(s.reply_max_bytes == 64);
    // Probe i left at 1000+i ms and came back at 2001+i ms: every RTT is 1001 ms.
    CHECK(s.rtt.p50 == 1001 * ms);
    CHECK(s.rtt.max == 1001 * ms);
    // 10 probes 1 ms apart: 9 intervals in 9 ms.
    CHECK(s.rate_pps == doctest::Approx(1000.0));
}

TEST_CASE("stats: loss is counted, and the percentiles use only answered probes") {
    burst_stats stats;
    auto probes = send_probes(stats, 10);
    reply(stats, probes, {0, 1, 2, 4, 5, 7, 8}); // 3, 6, 9 lost
    const auto s = stats.summary();
    CHECK(s.sent == 10);
    CHECK(s.received == 7);
    CHECK(s.lost == 3);
    CHECK(s.reordered == 0);
    CHECK(loss_percent(s) == doctest::Approx(30.0));
    CHECK(burst_failure(s, 0).find("lost 3 of 10 probes (30.00%)") != std::string::npos);
    CHECK(burst_failure(s, 30).empty());
}

TEST_CASE("stats: reordered probes are counted once and not as lost") {
    burst_stats stats;
    auto probes = send_probes(stats, 6);
    auto kinds = reply(stats, probes, {0, 2, 1, 5, 3, 4});
    CHECK(kinds == std::vector<reply_kind>{reply_kind::fresh, reply_kind::fresh,
                                           reply_kind::reordered, reply_kind::fresh,
                                           reply_kind::reordered, reply_kind::reordered});
    const auto s = stats.summary();
    CHECK(s.received == 6);
    CHECK(s.lost == 0);
    CHECK(s.reordered == 3);
    CHECK(burst_failure(s, 0).empty());
}

TEST_CASE("stats: duplicates are counted apart and do not hide a loss") {
    burst_stats stats;
    auto probes = send_probes(stats, 4);
    auto kinds = reply(stats, probes, {0, 1, 1, 1, 3, 0});
    CHECK(kinds == std::vector<reply_kind>{reply_kind::fresh, reply_kind::fresh,
                                           reply_kind::duplicate, reply_kind::duplicate,
                                           reply_kind::fresh, reply_kind::duplicate});
    const auto s = stats.summary();
    CHECK(s.received == 3);
    CHECK(s.duplicated == 3);
    CHECK(s.lost == 1); // probe 2
    CHECK(s.reordered == 0);
}

TEST_CASE("stats: sequence numbers wrap from 0xffffffff to 0") {
    burst_stats stats(0xfffffffc);
    auto probes = send_probes(stats, 8); // seq fffffffc..ffffffff, 0..3
    CHECK(decode_probe(probes[3])->seq == 0xffffffff);
    CHECK(decode_probe(probes[4])->seq == 0);
    // In order across the wrap: nothing reordered; then 0x00000001 before 0xfffffffe.
    auto kinds = reply(stats, probes, {0, 1, 3, 4, 5, 2, 7});
    CHECK(kinds == std::vector<reply_kind>{reply_kind::fresh, reply_kind::fresh, reply_kind::fresh,
                                           reply_kind::fresh, reply_kind::fresh,
                                           reply_kind::reordered, reply_kind::fresh});
    const auto s = stats.summary();
    CHECK(s.received == 7);
    CHECK(s.reordered == 1);
    CHECK(s.lost == 1); // seq 2 (index 6)
    CHECK(s.invalid == 0);
}

TEST_CASE("stats: foreign, unknown and tampered datagrams are invalid, not replies") {
    burst_stats stats(100);
    auto probes = send_probes(stats, 2);
    std::string unknown, tampered;
    encode_probe(unknown, {102, 0}, probe_size);  // a sequence number not sent yet
    encode_probe(tampered, {100, 5}, probe_size); // right number, wrong send time
    CHECK(stats.record_reply("hello", 5, false, probe_size, 0) == reply_kind::invalid);
    CHECK(stats.record_reply(unknown, 64, false, probe_size, 0) == reply_kind::invalid);
    CHECK(stats.record_reply(tampered, 64, false, probe_size, 0) == reply_kind::invalid);
    const auto s = stats.summary();
    CHECK(s.invalid == 3);
    CHECK(s.received == 0);
    CHECK(burst_failure(s, 100) == "no reply to any of the 2 probes");
}

TEST_CASE("stats: short or cut replies count as truncated and fail the burst") {
    burst_stats stats;
    auto probes = send_probes(stats, 2);
    stats.record_reply(probes[0].substr(0, 20), 20, false, probe_size, 2000 * ms);
    stats.record_reply(probes[1], 9000, true, probe_size, 2000 * ms);
    const auto s = stats.summary();
    CHECK(s.received == 2);
    CHECK(s.truncated == 2);
    CHECK(s.reply_min_bytes == 20);
    CHECK(s.reply_max_bytes == 9000);
    CHECK(burst_failure(s, 0) == "2 replies were truncated");
}

TEST_CASE("stats: in flight counts unanswered probes until they time out") {
    burst_stats stats;
    auto probes = send_probes(stats, 3); // at 1000, 1001, 1002 ms
    CHECK(stats.in_flight(1002 * ms, 100 * ms) == 3);
    stats.record_reply(probes[1], 64, false, probe_size, 1003 * ms);
    CHECK(stats.in_flight(1003 * ms, 100 * ms) == 2);
    CHECK(stats.next_expiry(100 * ms) == 1100 * ms);
    CHECK(stats.in_flight(1100 * ms, 100 * ms) == 1); // probe 0 given up on
    CHECK(stats.in_flight(1102 * ms, 100 * ms) == 0);
    CHECK_FALSE(stats.next_expiry(100 * ms));
    // A late reply still counts as received (not lost) and does not unbalance the window.
    stats.record_reply(probes[0], 64, false, probe_size, 1200 * ms);
    CHECK(stats.in_flight(1200 * ms, 100 * ms) == 0);
    CHECK(stats.summary().lost == 1);
}

TEST_CASE("burst: the window bounds probes in flight") {
    burst_plan plan{10, 0, 4, 1000 * ms};
    probe_burst b(plan, 0);
    CHECK(b.sendable(0) == 4);
    std::vector<std::string> probes(10);
    for (int i = 0; i < 4; ++i) {
        encode_probe(probes[static_cast<std::size_t>(i)], b.next_probe(0), probe_size);
        b.record_sent(0);
    }
    CHECK(b.sendable(0) == 0);
    CHECK(b.wake_at(0) == 1000 * ms); // only the timeout of the oldest can free a slot
    b.record_reply(probes[0], 64, false, probe_size, 1 * ms);
    b.record_reply(probes[2], 64, false, probe_size, 1 * ms);
    CHECK(b.sendable(1 * ms) == 2);
    CHECK_FALSE(b.finished(1 * ms));
}

TEST_CASE("burst: the rate follows a schedule and catches up after a late wake-up") {
    burst_plan plan{100, 1000, 0, 1000 * ms}; // 1000 pps: one probe per ms
    probe_burst b(plan, 0);
    CHECK(b.sendable(0) == 1);
    b.record_sent(0);
    CHECK(b.sendable(ms / 2) == 0);
    CHECK(b.wake_at(ms / 2) == 1 * ms);
    CHECK(b.sendable(1 * ms) == 1);
    // The timer came 5 ms late: slots 1..5 are due.
    CHECK(b.sendable(5 * ms) == 5);
    for (int i = 0; i < 5; ++i)
        b.record_sent(5 * ms);
    CHECK(b.sendable(5 * ms) == 0);
    CHECK(b.wake_at(5 * ms) == 6 * ms);
    // Never more than the count.
    CHECK(b.sendable(10'000 * ms) == 94);
}

TEST_CASE("burst: finished when everything is sent and answered or timed out") {
    burst_plan plan{2, 0, 0, 100 * ms};
    probe_burst b(plan, 0);
    std::string p0, p1;
    encode_probe(p0, b.next_probe(0), probe_size);
    b.record_sent(0);
    encode_probe(p1, b.next_probe(0), probe_size);
    b.record_sent(0);
    CHECK(b.sendable(0) == 0);
    CHECK_FALSE(b.finished(0));
    b.record_reply(p1, 64, false, probe_size, 1 * ms);
    CHECK_FALSE(b.finished(1 * ms));
    CHECK(b.wake_at(1 * ms) == 100 * ms);
    CHECK(b.finished(100 * ms));
    CHECK_FALSE(b.wake_at(100 * ms));
    CHECK(b.stats().summary().lost == 1);
}

TEST_CASE("burst_json: the keys CI reads, and escaped strings") {
    burst_stats stats;
    auto probes = send_probes(stats, 2);
    reply(stats, probes, {0, 1});
    const auto json = burst_json(stats.summary(), "echo \"1\"", 64, "a\nb");
    for (const char* key : {"\"sent\": 2", "\"received\": 2", "\"lost\": 0", "\"reordered\": 0",
                            "\"duplicated\": 0", "\"truncated\": 0", "\"rate_pps\": 1000.0",
                            "\"rtt_us\": {\"p50\": 1001000.0, \"p90\": 1001000.0, \"p99\": "
                            "1001000.0, \"max\": 1001000.0}",
                            "\"target\": \"echo \\\"1\\\"\"", "\"error\": \"a\\\\nb\""}) {
        CAPTURE(key);
        CHECK(json.find(key) != std::string::npos);
    }
    CHECK(burst_json(stats.summary(), "x", 64, "").find("\"error\": null}") != std::string::npos);
}

TEST_CASE("burst reports carry the kernel's drops and name datagrams from other addresses") {
    burst_stats stats;
    send_probes(stats, 2);
    burst_summary s = stats.summary();
    s.kernel_drops = 7;
    s.foreign.record(*ip_endpoint::parse("127.0.0.1:9000"));
    s.foreign.record(*ip_endpoint::parse("127.0.0.1:9000"));
    const auto json = burst_json(s, "127.0.0.4:9000", 64, "");
    CHECK(json.find("\"kernel_drops\": 7, \"foreign\": [{\"address\": \"127.0.0.1:9000\", "
                    "\"datagrams\": 2}]") != std::string::npos);
    const auto text = burst_text(s, "127.0.0.4:9000", 64);
    CHECK(text.find("; kernel drops 7\n") != std::string::npos);
    CHECK(text.find("2 datagrams from 127.0.0.1:9000, not the target 127.0.0.4:9000, ignored\n") !=
          std::string::npos);
    CHECK(burst_failure(s, 100) == "no reply to any of the 2 probes; 2 datagrams came from other "
                                   "addresses (not replies)");
}
} // TEST_SUITE("unit")
