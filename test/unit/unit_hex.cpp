#include <doctest/doctest.h>

#include <string>

#include "udpkit/hex.hpp"

using namespace udpkit;

TEST_SUITE("unit") {
TEST_CASE("parse_hex: pairs with optional spaces; errors give the offending character") {
    CHECK(*parse_hex("48656c") == "Hel");
    CHECK(*parse_hex(" 48 65\t6C ") == "Hel");
    CHECK(*parse_hex("") == "");
    CHECK(*parse_hex("00ff") == std::string("\0\xff", 2));
    struct row {
        const char* text;
        int column;
        const char* says;
    };
    const row rows[] = {{"4g", 2, "bad hex digit \"g\""},
                        {"48 6", 4, "odd hex digit"},
                        {"4 8", 1, "odd hex digit"},
                        {"0x41", 2, "bad hex digit \"x\""}};
    for (const auto& r : rows) {
        CAPTURE(std::string(r.text));
        auto bytes = parse_hex(r.text);
        REQUIRE_FALSE(bytes);
        CHECK(bytes.error().column == r.column);
        CHECK(bytes.error().message.find(r.says) != std::string::npos);
    }
}

TEST_CASE("to_hex: spaced lower-case pairs, cut after max_bytes") {
    CHECK(to_hex("Hel\xff") == "48 65 6c ff");
    CHECK(to_hex("") == "");
    CHECK(to_hex("abcd", 2) == "61 62 ...");
}
} // TEST_SUITE("unit")
