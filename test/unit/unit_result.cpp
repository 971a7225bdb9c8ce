#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "udpkit/result.hpp"

using namespace udpkit;

TEST_SUITE("unit") {
TEST_CASE("result holds a value or an error") {
    result<int> good = 42;
    REQUIRE(good.has_value());
    CHECK(*good == 42);
    CHECK(good.value_or(7) == 42);

    result<int> bad = fail("no luck", -22);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "no luck");
    CHECK(bad.error().code == -22);
    CHECK(bad.value_or(7) == 7);
}

TEST_CASE("result moves move-only values out") {
    result<std::unique_ptr<int>> r = std::make_unique<int>(5);
    std::unique_ptr<int> p = std::move(r).value();
    REQUIRE(p);
    CHECK(*p == 5);
}

TEST_CASE("result<void> and error positions") {
    result<void> ok;
    CHECK(ok.has_value());
    result<void> no = unexpected{error{"bad port", "peers.toml", 3, 11, 0}};
    REQUIRE_FALSE(no);
    CHECK(no.error().to_string() == "peers.toml:3:11: bad port");
    CHECK(error{"plain", {}, 0, 0, 0}.to_string() == "plain");
    CHECK(error{"no column", "f.toml", 2, 0, 0}.to_string() == "f.toml:2: no column");
}
} // TEST_SUITE("unit")
