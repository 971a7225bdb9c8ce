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
TEST_CASE("probes built ahead of sending (one GSO send) answer as if built one by one") {
    burst_stats stats(0xfffffffe); // across the sequence wrap
    const std::uint64_t now = 1000 * ms;
    std::vector<std::string> probes(4);
    for (std::size_t k = 0; k < probes.size(); ++k)
        encode_probe(probes[k], stats.next_probe(now, k), probe_size);
    for (std::size_t k = 0; k < probes.size(); ++k)
        stats.record_sent(now);
    CHECK(decode_probe(probes[3])->seq == 1);
    CHECK(reply(stats, probes, {3, 0, 1, 2}) ==
          std::vector<reply_kind>{reply_kind::fresh, reply_kind::reordered, reply_kind::reordered,
                                  reply_kind::reordered});
    CHECK(stats.summary().received == 4);
    CHECK(stats.summary().reordered == 3);
}

TEST_CASE("probe: header round-trips, the body follows from it; short data is refused") {
    std::string p;
    encode_probe(p, {0xdeadbeef, 0x01020304}, 64);
    REQUIRE(p.size() == 64);
    CHECK(p.substr(0, 8) == "\xde\xad\xbe\xef\x01\x02\x03\x04");
    // Byte i is the low byte of seq + i: 0xef + 8 = 0xf7, then counting up and wrapping.
    CHECK(p.substr(8, 12) == std::string("\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff\x00\x01\x02", 12));
    for (std::size_t i = 8; i < p.size(); ++i)
        CHECK(static_cast<unsigned char>(p[i]) == ((0xefu + i) & 0xffu));
    auto h = decode_probe(p);
    REQUIRE(h);
    CHECK(h->seq == 0xdeadbeef);
    CHECK(h->sent_us == 0x01020304);
    CHECK_FALSE(decode_probe(p.substr(0, 7)));
    encode_probe(p, {1, 2}, 10); // the 10-byte probes of the sticky-packet demo
    CHECK(p.size() == 10);
    CHECK(decode_probe(p)->seq == 1);
}

TEST_CASE("probe: bodies longer than one 256-byte period follow the formula, and are checked "
          "to the last byte") {
    for (const std::size_t size : {264u, 265u, 1200u, 65507u}) {
        CAPTURE(size);
        burst_stats stats(0x123456f0);
        std::string p;
        encode_probe(p, stats.next_probe(1000 * ms), size);
        stats.record_sent(1000 * ms);
        REQUIRE(p.size() == size);
        bool all = true;
        for (std::size_t i = 8; i < p.size(); ++i)
            all = all && static_cast<unsigned char>(p[i]) == ((0xf0u + i) & 0xffu);
        CHECK(all);
        std::string bad = p;
        bad.back() = static_cast<char>(bad.back() ^ 1); // the very last byte
        CHECK(stats.record_reply(bad, size, false, size, 1001 * ms) == reply_kind::corrupt);
        CHECK(stats.record_reply(p, size, false, size, 1001 * ms) == reply_kind::fresh);
    }
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
    REQUIRE(s.rtt);
    CHECK(s.rtt->p50 == 1001 * ms);
    CHECK(s.rtt->max == 1001 * ms);
    // Equal RTTs: no jitter.
    CHECK(s.jitter_ns == 0.0);
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
    CHECK(burst_failure(s, 100) ==
          "no valid reply to any of the 2 probes; what came back: 3 invalid");
    CHECK(burst_failure(burst_stats().summary(), 0) == "no probe was sent");
    burst_stats silent;
    send_probes(silent, 3);
    CHECK(burst_failure(silent.summary(), 100) == "no reply to any of the 3 probes");
}

TEST_CASE("stats: a short reply is truncated, a reply cut by the socket corrupt; neither answers") {
    burst_stats stats;
    auto probes = send_probes(stats, 2);
    CHECK(stats.record_reply(probes[0].substr(0, 20), 20, false, probe_size, 2000 * ms) ==
          reply_kind::truncated);
    CHECK(stats.record_reply(probes[1], 9000, true, probe_size, 2000 * ms) == reply_kind::corrupt);
    const auto s = stats.summary();
    CHECK(s.received == 0);
    CHECK(s.lost == 2);
    CHECK(s.truncated == 1);
    CHECK(s.corrupt == 1);
    CHECK_FALSE(s.reply_min_bytes);
    CHECK_FALSE(s.reply_max_bytes);
    CHECK(s.first_corrupt == "probe 1: 9000 bytes instead of 64 (over the size limit)");
    CHECK(burst_failure(s, 0) == "no valid reply to any of the 2 probes; what came back: 1 "
                                 "corrupt, 1 truncated; first corrupt: probe 1: 9000 bytes "
                                 "instead of 64 (over the size limit)");
    // With a probe received, the reasons are listed one after the other.
    CHECK(stats.record_reply(probes[0], 64, false, probe_size, 2001 * ms) == reply_kind::fresh);
    CHECK(burst_failure(stats.summary(), 100) ==
          "1 reply was corrupt (not the probe byte for byte; first: probe 1: 9000 bytes instead "
          "of 64 (over the size limit)); 1 reply was truncated");
}

TEST_CASE("stats: a reply must be the probe byte for byte; a good copy still answers it") {
    burst_stats stats;
    auto probes = send_probes(stats, 3);
    std::string flipped = probes[1];
    flipped[20] = static_cast<char>(flipped[20] ^ 0xff);
    std::string zeroed = probes[2];
    std::fill(zeroed.begin() + 8, zeroed.end(), '\0');
    const std::string longer = probes[0] + "xyz";
    CHECK(stats.record_reply(longer, longer.size(), false, probe_size, 2000 * ms) ==
          reply_kind::corrupt);
    CHECK(stats.record_reply(flipped, 64, false, probe_size, 2001 * ms) == reply_kind::corrupt);
    CHECK(stats.record_reply(zeroed, 64, false, probe_size, 2002 * ms) == reply_kind::corrupt);
    auto s = stats.summary();
    CHECK(s.received == 0);
    CHECK(s.corrupt == 3);
    CHECK(s.lost == 3);
    CHECK(s.first_corrupt == "probe 0: 67 bytes instead of 64");
    // The good copies come after: the probes are answered, the corrupt count stays.
    CHECK(stats.record_reply(probes[1], 64, false, probe_size, 2003 * ms) == reply_kind::fresh);
    CHECK(stats.record_reply(probes[0], 64, false, probe_size, 2004 * ms) == reply_kind::reordered);
    // A corrupt copy of an answered probe is corrupt, not a duplicate.
    CHECK(stats.record_reply(flipped, 64, false, probe_size, 2005 * ms) == reply_kind::corrupt);
    s = stats.summary();
    CHECK(s.received == 2);
    CHECK(s.lost == 1);
    CHECK(s.corrupt == 4);
    CHECK(s.duplicated == 0);
    CHECK(s.reordered == 1);
}

TEST_CASE("echo_difference: sizes first, then the first differing byte and how many more") {
    CHECK(echo_difference("hello", "hello").empty());
    CHECK(echo_difference("", "").empty());
    CHECK(echo_difference("hello", "hello world") == "11 bytes instead of 5");
    CHECK(echo_difference("hello", "hel") == "3 bytes instead of 5");
    CHECK(echo_difference("hello", "hallo") == "byte 1 is 0x61 instead of 0x65");
    CHECK(echo_difference("hello", "haldo") ==
          "byte 1 is 0x61 instead of 0x65 and 1 more byte differs");
    CHECK(echo_difference("hello", "HELLO") ==
          "byte 0 is 0x48 instead of 0x68 and 4 more bytes differ");
    CHECK(echo_difference("hello", "hEllo!") ==
          "6 bytes instead of 5; byte 1 is 0x45 instead of 0x65");
    CHECK(echo_difference(std::string("\0\xff", 2), std::string("\xff\0", 2)) ==
          "byte 0 is 0xff instead of 0x00 and 1 more byte differs");
}

TEST_CASE("stats: late replies, in flight at a moment, lost only once timed out") {
    burst_stats stats(0, 0, 100 * ms);
    auto probes = send_probes(stats, 4); // at 1000..1003 ms, timeout 100 ms
    CHECK(stats.record_reply(probes[0], 64, false, probe_size, 1050 * ms) == reply_kind::fresh);
    // At 1101.5 ms probe 1 (sent at 1001) has timed out; 2 and 3 have not.
    auto s = stats.summary(1101 * ms + ms / 2);
    CHECK(s.received == 1);
    CHECK(s.lost == 1);
    CHECK(s.in_flight == 2);
    CHECK(s.late == 0);
    // Exactly at its timeout a probe is given up on, and a reply then is late.
    CHECK(stats.record_reply(probes[2], 64, false, probe_size, 1102 * ms) == reply_kind::late);
    CHECK(stats.record_reply(probes[2], 64, false, probe_size, 1103 * ms) == reply_kind::duplicate);
    s = stats.summary(1102 * ms);
    CHECK(s.late == 1);
    CHECK(s.in_flight == 1); // probe 3
    CHECK(s.lost == 1);
    CHECK(s.duplicated == 1);
    // The end of the burst: nothing is in flight, the unanswered are lost.
    s = stats.summary();
    CHECK(s.sent == 4);
    CHECK(s.received + s.late + s.lost + s.in_flight == 4);
    CHECK(s.lost == 2);
    CHECK(s.in_flight == 0);
    // Late replies are not in the RTTs.
    CHECK(stats.rtts() == std::vector<std::uint64_t>{50 * ms});
    CHECK(burst_failure(s, 0) ==
          "lost 2 and late 1 of 4 probes (75.00%), more than the allowed 0.00% (--max-loss)");
    CHECK(burst_failure(s, 75).empty());
}

TEST_CASE("stats: interarrival jitter as RFC 3550 6.4.1, the RTT as the transit time") {
    burst_stats stats;
    auto probes = send_probes(stats, 3);                             // at 1000, 1001, 1002 ms
    stats.record_reply(probes[0], 64, false, probe_size, 1010 * ms); // RTT 10 ms
    CHECK_FALSE(stats.summary().jitter_ns);                          // one sample: none yet
    stats.record_reply(probes[1], 64, false, probe_size, 1015 * ms); // RTT 14 ms: D = 4 ms
    CHECK(*stats.summary().jitter_ns == doctest::Approx(4.0 * ms / 16));
    stats.record_reply(probes[2], 64, false, probe_size, 1014 * ms); // RTT 12 ms: D = 2 ms
    const double j = 4.0 * ms / 16 + (2.0 * ms - 4.0 * ms / 16) / 16;
    CHECK(*stats.summary().jitter_ns == doctest::Approx(j)); // 359.375 us
    CHECK(burst_json(stats.summary(), "x", 64, "").find("\"jitter_us\": 359.4,") !=
          std::string::npos);
}

TEST_CASE("reports: no valid reply gives null RTT, reply sizes and jitter, and - in text") {
    burst_stats stats;
    auto probes = send_probes(stats, 2);
    std::string flipped = probes[0];
    flipped[8] = static_cast<char>(flipped[8] ^ 0xff);
    stats.record_reply(flipped, 64, false, probe_size, 2000 * ms);
    burst_summary s = stats.summary();
    s.window = 64;
    CHECK_FALSE(s.rtt);
    const auto json = burst_json(s, "127.0.0.1:9", 64, "x");
    CHECK(json == "{\"target\": \"127.0.0.1:9\", \"size\": 64, \"window\": 64, \"sent\": 2, "
                  "\"received\": 0, \"lost\": 2, \"late\": 0, \"in_flight\": 0, "
                  "\"reordered\": 0, \"duplicated\": 0, \"corrupt\": 1, \"truncated\": 0, "
                  "\"invalid\": 0, \"first_corrupt\": \"probe 0: byte 8 is 0xf7 instead of "
                  "0x08\", \"reply_bytes\": null, \"rate_pps\": 1000.0, \"duration_ms\": "
                  "1.000, \"rtt_us\": null, \"jitter_us\": null, \"kernel_drops\": 0, "
                  "\"foreign\": [], \"offload\": {\"gro\":false,\"gso\":false,\"gro_buffers\":0,"
                  "\"gro_datagrams\":0,\"gso_sends\":0,\"gso_datagrams\":0,\"gso_refusals\":0}, "
                  "\"error\": \"x\"}");
    CHECK(burst_text(s, "127.0.0.1:9", 64) ==
          "burst to 127.0.0.1:9: 2 probes of 64 bytes, at most 64 in flight\n"
          "sent 2, received 0, lost 2 (100.00%), late 0, in flight 0, reordered 0, duplicated 0, "
          "corrupt 1, truncated 0, invalid 0\n"
          "rtt p50 -, p90 -, p99 -, max -; jitter -\n"
          "rate 1000 pps, 1.0 ms; replies -; kernel drops 0\n"
          "offload: off (one datagram per send and per buffer)\n"
          "first corrupt reply: probe 0: byte 8 is 0xf7 instead of 0x08\n");
    CHECK(burst_failure(s, 0) == "no valid reply to any of the 2 probes; what came back: 1 "
                                 "corrupt; first corrupt: probe 0: byte 8 is 0xf7 instead of 0x08");
}

TEST_CASE("reports: the text report of a clean burst, line by line") {
    burst_stats stats;
    auto probes = send_probes(stats, 4);
    reply(stats, probes, {0, 1, 3, 2});
    burst_summary s = stats.summary();
    s.offload.gro = s.offload.gso = true;
    s.offload.gro_buffers = s.offload.gso_sends = 1;
    s.offload.gro_datagrams = s.offload.gso_datagrams = 4;
    CHECK(burst_text(s, "echo (127.0.0.1:9007)", 64) ==
          "burst to echo (127.0.0.1:9007): 4 probes of 64 bytes\n"
          "sent 4, received 4, lost 0 (0.00%), late 0, in flight 0, reordered 1, duplicated 0, "
          "corrupt 0, truncated 0, invalid 0\n"
          "rtt p50 1001000.0 us, p90 1002000.0 us, p99 1002000.0 us, max 1002000.0 us; jitter "
          "183.6 us\n"
          "rate 1000 pps, 1004.0 ms; replies 64..64 bytes; kernel drops 0\n"
          "offload: GSO on (1 sends carried 4 datagrams), GRO on (1 buffers held 4 datagrams)\n");
}

TEST_CASE("stats: in flight counts unanswered probes until they time out") {
    burst_stats stats(0, 0, 100 * ms);
    auto probes = send_probes(stats, 3); // at 1000, 1001, 1002 ms
    CHECK(stats.in_flight(1002 * ms, 100 * ms) == 3);
    stats.record_reply(probes[1], 64, false, probe_size, 1003 * ms);
    CHECK(stats.in_flight(1003 * ms, 100 * ms) == 2);
    CHECK(stats.next_expiry(100 * ms) == 1100 * ms);
    CHECK(stats.in_flight(1100 * ms, 100 * ms) == 1); // probe 0 given up on
    CHECK(stats.in_flight(1102 * ms, 100 * ms) == 0);
    CHECK_FALSE(stats.next_expiry(100 * ms));
    // A late reply counts as late (neither received nor lost) and does not unbalance the window.
    CHECK(stats.record_reply(probes[0], 64, false, probe_size, 1200 * ms) == reply_kind::late);
    CHECK(stats.in_flight(1200 * ms, 100 * ms) == 0);
    CHECK(stats.summary().lost == 1);
    CHECK(stats.summary().late == 1);
    CHECK(stats.summary().received == 1);
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
    for (const char* key :
         {"\"sent\": 2", "\"received\": 2", "\"lost\": 0", "\"reordered\": 0", "\"duplicated\": 0",
          "\"truncated\": 0", "\"rate_pps\": 1000.0", "\"late\": 0", "\"in_flight\": 0",
          "\"corrupt\": 0", "\"first_corrupt\": null", "\"jitter_us\": 0.0",
          "\"reply_bytes\": {\"min\": 64, \"max\": 64}",
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
    CHECK(burst_failure(s, 100) == "no valid reply to any of the 2 probes; what came back: 2 "
                                   "foreign (from other addresses, not replies)");
}
TEST_CASE("histogram: 1-2-5 log buckets from the first used to the last used") {
    const std::uint64_t us = 1000;
    CHECK(rtt_histogram({}).empty());
    const auto h = rtt_histogram({12 * us, 15 * us, 19 * us, 60 * us, 999, 2500 * us});
    REQUIRE(h.size() == 12);
    CHECK(h.front().from_ns == 0);
    CHECK(h.front().to_ns == 1 * us);
    CHECK(h.front().count == 1); // 999 ns
    CHECK(h[4].from_ns == 10 * us);
    CHECK(h[4].to_ns == 20 * us);
    CHECK(h[4].count == 3);
    CHECK(h.back().from_ns == 2000 * us); // 2.5 ms
    CHECK(h.back().to_ns == 5000 * us);
    CHECK(h.back().count == 1);
    // A bound belongs to the bucket it starts.
    const auto edge = rtt_histogram({20 * us});
    REQUIRE(edge.size() == 1);
    CHECK(edge[0].from_ns == 20 * us);
    CHECK(edge[0].to_ns == 50 * us);
    CHECK(histogram_text({}) == "rtt histogram: no valid replies\n");
    // 950 at 15 us, 49 at 30 us, one at 300 us: bars scaled to 950, rounded up, 0 for none.
    std::vector<std::uint64_t> rtts(950, 15 * us);
    rtts.insert(rtts.end(), 49, 30 * us);
    rtts.push_back(300 * us);
    CHECK(histogram_text(rtt_histogram(rtts)) ==
          "rtt histogram (1000 replies):\n"
          "      10us .. 20us           950  ########################################\n"
          "      20us .. 50us            49  ###\n"
          "      50us .. 100us            0\n"
          "     100us .. 200us            0\n"
          "     200us .. 500us            1  #\n");
    CHECK(histogram_text(rtt_histogram({1'500'000'000, 700'000})) ==
          "rtt histogram (2 replies):\n"
          "     500us .. 1ms              1  ########################################\n"
          "       1ms .. 2ms              0\n"
          "       2ms .. 5ms              0\n"
          "       5ms .. 10ms             0\n"
          "      10ms .. 20ms             0\n"
          "      20ms .. 50ms             0\n"
          "      50ms .. 100ms            0\n"
          "     100ms .. 200ms            0\n"
          "     200ms .. 500ms            0\n"
          "     500ms .. 1s               0\n"
          "        1s .. 2s               1  ########################################\n");
}

TEST_CASE("intervals: counters per interval, lost when timed out, late when the reply comes") {
    burst_stats stats(0, 1000 * ms, 100 * ms); // the burst started at 1000 ms
    auto probes = send_probes(stats, 4);       // at 1000..1003 ms
    stats.record_reply(probes[0], 64, false, probe_size, 1010 * ms);
    stats.record_reply(probes[2], 64, false, probe_size, 1030 * ms);
    burst_interval i = stats.take_interval(1050 * ms);
    CHECK(i.start_ns == 0);
    CHECK(i.end_ns == 50 * ms);
    CHECK(i.sent == 4);
    CHECK(i.received == 2);
    CHECK(i.lost == 0);
    CHECK(i.in_flight == 2);
    REQUIRE(i.rtt);
    CHECK(i.rtt->p50 == 10 * ms);
    CHECK(i.rtt->max == 28 * ms);
    CHECK(interval_text(i) == "[  0.00-  0.05 s] sent 4, received 2, lost 0, late 0, in flight 2, "
                              "reordered 0, duplicated 0, corrupt 0, truncated 0, invalid 0; rtt "
                              "p50 10000.0 us, max 28000.0 us; jitter 1125.0 us\n");
    // Probes 1 and 3 time out at 1101 and 1103 ms; 1's reply comes late in the third interval.
    i = stats.take_interval(1150 * ms);
    CHECK(i.start_ns == 50 * ms);
    CHECK(i.sent == 0);
    CHECK(i.received == 0);
    CHECK(i.lost == 2);
    CHECK(i.in_flight == 0);
    CHECK_FALSE(i.rtt);
    CHECK(interval_json(i) == "{\"interval\": {\"start_s\": 0.050, \"end_s\": 0.150}, \"sent\": 0, "
                              "\"received\": 0, \"lost\": 2, \"late\": 0, \"in_flight\": 0, "
                              "\"reordered\": 0, \"duplicated\": 0, \"corrupt\": 0, "
                              "\"truncated\": 0, \"invalid\": 0, \"rtt_us\": null, \"jitter_us\": "
                              "1125.0}");
    CHECK(stats.record_reply(probes[1], 64, false, probe_size, 1160 * ms) == reply_kind::late);
    i = stats.take_interval(1200 * ms);
    CHECK(i.late == 1);
    CHECK(i.lost == 0);
    CHECK(interval_text(i) == "[  0.15-  0.20 s] sent 0, received 0, lost 0, late 1, in flight 0, "
                              "reordered 0, duplicated 0, corrupt 0, truncated 0, invalid 0; rtt "
                              "p50 -, max -; jitter 1125.0 us\n");
    // The final report: 1 lost (probe 3), 1 late.
    const auto s = stats.summary();
    CHECK(s.lost == 1);
    CHECK(s.late == 1);
    CHECK(s.received == 2);
    burst_interval none;
    CHECK(interval_text(none) == "[  0.00-  0.00 s] sent 0, received 0, lost 0, late 0, in flight "
                                 "0, reordered 0, duplicated 0, corrupt 0, truncated 0, invalid "
                                 "0; rtt p50 -, max -; jitter -\n");
}

TEST_CASE("window: probes, bytes of probes, at least one; the receive buffer bound") {
    CHECK(probe_window(64, 65536, 64) == 64);
    CHECK(probe_window(64, 65536, 1472) == 44);
    CHECK(probe_window(64, 65536, 8000) == 8);
    CHECK(probe_window(64, 65536, 65527) == 1);
    CHECK(probe_window(64, 0, 65527) == 64);
    CHECK(probe_window(0, 65536, 100) == 655);
    CHECK(probe_window(0, 0, 100) == 0);
    CHECK(probe_window(3, 100, 8) == 3);
    CHECK(datagram_footprint(8000) == 18048);
    // The default window of 8000-byte probes: 8 in flight, where a default receive buffer
    // (212992 bytes) holds 12 (measured; tool_burst checks loopback at many sizes).
    CHECK(probe_window(64, default_window_bytes, 8000) * datagram_footprint(8000) <= 212992);
}

TEST_CASE("burst_json: the histogram only when there is one") {
    burst_stats stats;
    auto probes = send_probes(stats, 2);
    reply(stats, probes, {0, 1});
    burst_summary s = stats.summary();
    CHECK(burst_json(s, "x", 64, "").find("rtt_histogram") == std::string::npos);
    s.histogram = rtt_histogram(stats.rtts());
    CHECK(
        burst_json(s, "x", 64, "")
            .find(", \"rtt_histogram\": [{\"from_us\": 1000000.0, \"to_us\": 2000000.0, \"count\": "
                  "2}], \"error\": null}") != std::string::npos);
    CHECK(burst_text(s, "x", 64)
              .find("rtt histogram (2 replies):\n        1s .. 2s               2  "
                    "########################################\n") != std::string::npos);
}
} // TEST_SUITE("unit")

TEST_SUITE("unit") {
TEST_CASE("has_our_header: a probe this run sent, whole or not; nothing else; counts nothing") {
    burst_stats s(100, 0, 1'000'000'000);
    std::string probe;
    const probe_header first = s.next_probe(5'000);
    s.record_sent(5'000);
    encode_probe(probe, first, 32);
    CHECK(s.has_our_header(probe));
    CHECK(s.has_our_header(probe.substr(0, 8))); // truncated, but ours
    std::string body_changed = probe;
    body_changed[20] ^= 1;
    CHECK(s.has_our_header(body_changed)); // corrupt, but ours
    std::string other;
    encode_probe(other, probe_header{first.seq + 1, first.sent_us}, 32); // not sent yet
    CHECK_FALSE(s.has_our_header(other));
    encode_probe(other, probe_header{first.seq, first.sent_us + 1}, 32); // wrong send stamp
    CHECK_FALSE(s.has_our_header(other));
    CHECK_FALSE(s.has_our_header("short"));
    CHECK(s.summary(5'000).invalid == 0); // nothing was counted
}
} // TEST_SUITE("unit")
