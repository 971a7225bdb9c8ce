#include <doctest/doctest.h>

#include "udpkit/kernel_drops.hpp"

using namespace udpkit;

TEST_SUITE_BEGIN("unit");

TEST_CASE("parse_udp_drops: finds the socket by inode and reads its drops column") {
    // Two sockets as Linux lists them (the header line, then one line per socket).
    const char* table =
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode ref pointer drops\n"
        " 4513: 0100007F:8734 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 "
        "14083 2 00000000ceb6148b 0         \n"
        " 4514: 0100007F:8735 00000000:0000 07 00000000:00030000 00:00000000 00000000 1000 0 "
        "14090 2 00000000deadbeef 73112\n";
    CHECK(parse_udp_drops(table, 14083) == 0u);
    CHECK(parse_udp_drops(table, 14090) == 73112u);
    CHECK_FALSE(parse_udp_drops(table, 999));
    CHECK_FALSE(parse_udp_drops("", 14083));
    CHECK_FALSE(parse_udp_drops(" 1: a b 07 x y z 0 0 14083 2 p notanumber\n", 14083));
}
TEST_SUITE_END();
