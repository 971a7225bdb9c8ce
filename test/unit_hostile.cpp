// Hostile and malformed input for the pure parsers: peer directory files, addresses and the
// renderer. Each input gets a clear error with file:line:col or a defined result, never a crash,
// a hang or a stack overflow. Linked against udpkit_core only.

#include <doctest/doctest.h>

#include <string>

#include "udpkit/peer_directory.hpp"

using namespace udpkit;

namespace {

std::string repeat(std::string_view part, std::size_t n) {
    std::string out;
    out.reserve(part.size() * n);
    for (std::size_t i = 0; i < n; ++i)
        out += part;
    return out;
}

void check_error_at(const result<peer_directory>& dir, int line, int column, std::string_view says) {
    REQUIRE_FALSE(dir);
    CHECK(dir.error().line == line);
    CHECK(dir.error().column == column);
    CHECK(dir.error().message.find(says) != std::string::npos);
}

} // namespace

TEST_SUITE("hostile") {
TEST_CASE("deeply nested directories are refused with a position, without a stack overflow") {
    // 100,000 levels in 200 KB, well under the size limit. Dotted keys and table headers
    // overflowed the stack inside toml::parse at about 30,000 levels before the pre-scan.
    const std::size_t deep = 100000;
    const std::string too_many = "more than 16 dots";
    check_error_at(peer_directory::parse(repeat("a.", deep) + "a = 1\n", "d.toml"), 1, 34,
                   too_many);
    check_error_at(peer_directory::parse("[" + repeat("a.", deep) + "a]\n", "d.toml"), 1, 35,
                   too_many);
    check_error_at(peer_directory::parse("[[" + repeat("a . ", deep) + "a]]\n", "d.toml"), 1, 69,
                   too_many);
    check_error_at(peer_directory::parse("[peers.x]\n" + repeat("\"q\".", deep) + "a = 1\n",
                                         "d.toml"),
                   2, 68, too_many);
    // Nested arrays and inline tables: toml++'s own limit of 256 nested values.
    check_error_at(peer_directory::parse("x = " + repeat("[", deep) + repeat("]", deep), "d.toml"),
                   1, 261, "exceeded maximum nested value depth of 256");
    check_error_at(peer_directory::parse("x = " + repeat("{a=", deep) + "1" + repeat("}", deep),
                                         "d.toml"),
                   1, 773, "exceeded maximum nested value depth of 256");
}

TEST_CASE("the deepest tree the nesting limits allow still parses to a clear error") {
    // A 16-dot header, a 16-dot key, then 250 inline tables each under a 16-dot key: about
    // 4,300 levels, the most the pre-scan and toml++'s value limit let through together.
    const std::string key = repeat("k.", 16) + "k";
    std::string text = "[" + key + "]\n" + key + " = ";
    for (int i = 0; i < 250; ++i)
        text += "{" + key + " = ";
    text += "1" + repeat("}", 250) + "\n";
    check_error_at(peer_directory::parse(text, "d.toml"), 1, 2, "unknown key \"k\"");
}
}
