#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "udpkit/line_splitter.hpp"

using namespace udpkit;

namespace {
// Feeds `chunks` in order, then finishes, and returns every line.
std::vector<input_line> split(std::size_t max_line, const std::vector<std::string>& chunks) {
    line_splitter s(max_line);
    std::vector<input_line> out;
    for (const auto& c : chunks) {
        s.feed(c);
        while (auto l = s.next())
            out.push_back(*l);
    }
    s.finish();
    while (auto l = s.next())
        out.push_back(*l);
    CHECK(s.done());
    return out;
}
} // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("line_splitter: lines, CRLF, empty lines and a last line without newline") {
    auto lines = split(100, {"one\ntwo\r\n\nthree"});
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].text == "one");
    CHECK(lines[1].text == "two");
    CHECK(lines[1].size == 3);
    CHECK(lines[2].text.empty());
    CHECK(lines[3].text == "three");
    for (const auto& l : lines)
        CHECK_FALSE(l.overlong);
}

TEST_CASE("line_splitter: a line split across chunks, also between \\r and \\n") {
    auto lines = split(100, {"hel", "lo\r", "\nwor", "ld\n"});
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].text == "hello");
    CHECK(lines[1].text == "world");
}

TEST_CASE("line_splitter: a lone \\r inside a line is kept") {
    auto lines = split(100, {"a\rb\n"});
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].text == "a\rb");
}

TEST_CASE("line_splitter: no line until its end arrives; finish on nothing gives nothing") {
    line_splitter s(10);
    s.feed("abc");
    CHECK_FALSE(s.next());
    CHECK(s.ready() == 0);
    s.feed("\n");
    CHECK(s.ready() == 1);
    CHECK(s.next()->text == "abc");
    s.finish();
    CHECK_FALSE(s.next());
    CHECK(s.done());
}

TEST_CASE("line_splitter: overlong lines keep max_line bytes and count them all") {
    const std::string big(25, 'x');
    auto lines =
        split(10, {big.substr(0, 7), big.substr(7) + "\r\nok\n", std::string(10, 'y') + "\r\n"});
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].overlong);
    CHECK(lines[0].size == 25);
    CHECK(lines[0].text == std::string(10, 'x'));
    CHECK_FALSE(lines[1].overlong);
    CHECK(lines[1].text == "ok");
    // Exactly max_line bytes before a CRLF: whole.
    CHECK_FALSE(lines[2].overlong);
    CHECK(lines[2].size == 10);
    CHECK(lines[2].text == std::string(10, 'y'));
}
TEST_SUITE_END();
