#include <doctest/doctest.h>

#include <string>

#include "udpkit/limits.hpp"

using namespace udpkit;

TEST_SUITE("unit") {
TEST_CASE("message_limit defaults to 1472 and checks sizes") {
    message_limit limit;
    CHECK(limit.bytes() == 1472);
    CHECK(limit.check(0));
    CHECK(limit.check(1472));
    auto over = limit.check(1473);
    REQUIRE_FALSE(over);
    CHECK(over.error().message ==
          "message of 1473 bytes exceeds the limit of 1472 bytes; it is refused, not split or cut");
}

TEST_CASE("message_limit range depends on the address family") {
    CHECK(message_limit::make(1)->bytes() == 1);
    CHECK(message_limit::make(65507)->bytes() == 65507);
    CHECK(message_limit::make(65527, ip_family::v6)->bytes() == 65527);

    auto v4 = message_limit::make(65508);
    REQUIRE_FALSE(v4);
    CHECK(v4.error().message ==
          "max_message 65508 is out of range; expected 1 to 65507 (IPv4) bytes");
    auto v6 = message_limit::make(65528, ip_family::v6);
    REQUIRE_FALSE(v6);
    CHECK(v6.error().message ==
          "max_message 65528 is out of range; expected 1 to 65527 (IPv6) bytes");
    CHECK_FALSE(message_limit::make(0));
    CHECK_FALSE(message_limit::make(-5));
}
} // TEST_SUITE("unit")
