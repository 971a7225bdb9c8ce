#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "udpkit/segmentation.hpp"

using namespace udpkit;

namespace {

// The sizes a GRO buffer of `total` bytes with segment size `segment_size` splits into, each
// checked to start where the previous one ended.
std::vector<std::size_t> split(std::size_t total, std::size_t segment_size) {
    std::vector<std::size_t> sizes;
    std::size_t expected_offset = 0;
    for (std::size_t i = 0; i < segment_count(total, segment_size); ++i) {
        const segment s = segment_at(total, segment_size, i);
        CHECK(s.offset == expected_offset);
        expected_offset += s.size;
        sizes.push_back(s.size);
    }
    CHECK(expected_offset == total);
    return sizes;
}

} // namespace

TEST_SUITE("unit") {
TEST_CASE("GRO split: equal sizes give that many datagrams of the segment size") {
    CHECK(split(64 * 64, 64) == std::vector<std::size_t>(64, 64));
    CHECK(split(3 * 1200, 1200) == std::vector<std::size_t>{1200, 1200, 1200});
}

TEST_CASE("GRO split: the last datagram may be shorter") {
    CHECK(split(2 * 1200 + 7, 1200) == std::vector<std::size_t>{1200, 1200, 7});
    CHECK(split(65, 64) == std::vector<std::size_t>{64, 1});
}

TEST_CASE("GRO split: a buffer of one datagram, without or with a segment size") {
    CHECK(split(100, 0) == std::vector<std::size_t>{100});
    CHECK(split(100, 100) == std::vector<std::size_t>{100});
    CHECK(split(40, 100) == std::vector<std::size_t>{40}); // shorter than its segment size
    CHECK(split(0, 0) == std::vector<std::size_t>{0});     // an empty datagram is one datagram
}

TEST_CASE("GRO split: a 65507-byte datagram stays whole") {
    CHECK(split(65507, 0) == std::vector<std::size_t>{65507});
    CHECK(split(65507, 65507) == std::vector<std::size_t>{65507});
}

TEST_CASE("GSO run: same sizes join, a shorter one ends the run, a longer one never joins") {
    gso_run run(100);
    CHECK(run.add(100));
    CHECK(run.add(100));
    CHECK_FALSE(run.add(101));
    CHECK(run.add(99)); // shorter: the last
    CHECK_FALSE(run.add(99));
    CHECK_FALSE(run.add(100));
    CHECK(run.count() == 4);
    CHECK(run.segment_size() == 100);
    CHECK(run.bytes() == 399);
}

TEST_CASE("GSO run: at most 64 datagrams and 65507 bytes; empty datagrams go alone") {
    gso_run small(8);
    std::size_t added = 1;
    while (small.add(8))
        ++added;
    CHECK(added == max_gso_segments);

    gso_run large(30000);
    CHECK(large.add(30000));
    CHECK_FALSE(large.add(30000)); // 90000 bytes would exceed one send
    CHECK(large.add(5507));        // exactly 65507
    CHECK(large.bytes() == max_gso_bytes);

    gso_run empty(0);
    CHECK_FALSE(empty.add(0));
    gso_run then_empty(10);
    CHECK_FALSE(then_empty.add(0));
}

TEST_CASE("offload for people: which path ran, a refusal, or off") {
    offload_counters c;
    CHECK(describe_offload(c) == "offload: off (one datagram per send and per buffer)");
    c.gro = c.gso = true;
    c.gso_sends = 3;
    c.gso_datagrams = 192;
    c.gro_buffers = 2;
    c.gro_datagrams = 128;
    CHECK(describe_offload(c) == "offload: GSO on (3 sends carried 192 datagrams), GRO on (2 "
                                 "buffers held 128 datagrams)");
    c.gso = false;
    c.gso_refusals = 1;
    CHECK(describe_offload(c) == "offload: GSO refused by the kernel 1 time, then plain sends (3 "
                                 "sends carried 192 datagrams), GRO on (2 buffers held 128 "
                                 "datagrams)");
    offload_counters old_kernel; // offload asked for, UDP_GRO refused
    old_kernel.gso = true;
    old_kernel.gro_unavailable = true;
    CHECK(describe_offload(old_kernel) == "offload: GSO on (0 sends carried 0 datagrams), GRO "
                                          "unavailable on this kernel (0 buffers held 0 "
                                          "datagrams)");
}

TEST_CASE("offload counters read the same in text and JSON") {
    offload_counters c;
    c.gro = true;
    c.gro_buffers = 3;
    c.gro_datagrams = 192;
    c.gso_refusals = 1;
    CHECK(format_offload(c, false) == "gro=on gso=off gro_buffers=3 gro_datagrams=192 "
                                      "gso_sends=0 gso_datagrams=0 gso_refusals=1");
    CHECK(format_offload(c, true) ==
          "{\"gro\":true,\"gso\":false,\"gro_buffers\":3,\"gro_datagrams\":192,\"gso_sends\":0,"
          "\"gso_datagrams\":0,\"gso_refusals\":1}");
}
} // TEST_SUITE("unit")
