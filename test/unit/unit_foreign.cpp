#include <doctest/doctest.h>

#include "udpkit/foreign.hpp"

using namespace udpkit;

TEST_SUITE("foreign") {
TEST_CASE("foreign sources are counted per address and named in text and JSON") {
    foreign_sources f;
    CHECK(f.empty());
    CHECK(f.describe("the target 127.0.0.4:9000").empty());
    CHECK(f.json() == "[]");
    const auto a = *ip_endpoint::parse("127.0.0.1:9000");
    const auto b = *ip_endpoint::parse("[::1]:53");
    f.record(a);
    f.record(b);
    f.record(b);
    CHECK(f.total() == 3);
    CHECK(f.describe("the target 127.0.0.4:9000") ==
          std::vector<std::string>{
              "1 datagram from 127.0.0.1:9000, not the target 127.0.0.4:9000, ignored",
              "2 datagrams from [::1]:53, not the target 127.0.0.4:9000, ignored"});
    CHECK(f.json() == "[{\"address\": \"127.0.0.1:9000\", \"datagrams\": 1}, "
                      "{\"address\": \"[::1]:53\", \"datagrams\": 2}]");
}

TEST_CASE("past max_named addresses, datagrams are counted but not named: memory stays bounded") {
    foreign_sources f;
    for (int port = 1; port <= 1000; ++port) {
        auto e = *ip_endpoint::parse("127.0.0.1:1");
        e.set_port(static_cast<std::uint16_t>(port));
        f.record(e);
    }
    CHECK(f.total() == 1000);
    CHECK(f.named().size() == foreign_sources::max_named);
    CHECK(f.unnamed() == 1000 - foreign_sources::max_named);
    const auto lines = f.describe("any target");
    REQUIRE(lines.size() == foreign_sources::max_named + 1);
    CHECK(lines.back() == "992 datagrams from 8+ other addresses, not any target, ignored");
    CHECK(f.json().find("{\"address\": null, \"datagrams\": 992}]") != std::string::npos);
}
} // TEST_SUITE("foreign")
