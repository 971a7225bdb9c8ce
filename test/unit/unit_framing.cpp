#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "udpkit/framing.hpp"

using namespace udpkit;

TEST_SUITE("unit") {
TEST_CASE("frames survive any cutting of the stream into reads") {
    const std::vector<std::string> messages = {"hello", "", "你好", std::string(300, 'x'), "end"};
    std::string stream;
    for (const auto& m : messages)
        append_frame(stream, m);
    CHECK(stream.size() == 5 * frame_header_bytes + 5 + 0 + 6 + 300 + 3);

    // Every read size from 1 byte to the whole stream at once (all messages merged in one read).
    for (std::size_t step = 1; step <= stream.size(); ++step) {
        CAPTURE(step);
        frame_decoder decoder(1000);
        std::vector<std::string> got;
        for (std::size_t at = 0; at < stream.size(); at += step)
            REQUIRE(decoder.feed(std::string_view(stream).substr(at, step), got));
        CHECK(got == messages);
        CHECK(decoder.pending() == 0);
    }
}

TEST_CASE("the header is a 4-byte big-endian length") {
    std::string out;
    append_frame(out, std::string(258, 'a'));
    REQUIRE(out.size() == 262);
    CHECK(out.substr(0, 4) == std::string("\0\0\x01\x02", 4));
}

TEST_CASE("a length over the limit stops the decoder with an error") {
    frame_decoder decoder(10);
    std::vector<std::string> got;
    std::string stream;
    append_frame(stream, "ok");
    append_frame(stream, std::string(11, 'n'));
    auto r = decoder.feed(stream, got);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "frame header announces 11 bytes; the limit is 10");
    CHECK(got == std::vector<std::string>{"ok"});
    CHECK_FALSE(decoder.feed("more", got));
}

TEST_CASE("an incomplete frame waits for the rest") {
    frame_decoder decoder(100);
    std::vector<std::string> got;
    std::string stream;
    append_frame(stream, "abcdef");
    REQUIRE(decoder.feed(stream.substr(0, 7), got));
    CHECK(got.empty());
    CHECK(decoder.pending() == 7);
    REQUIRE(decoder.feed(stream.substr(7), got));
    CHECK(got == std::vector<std::string>{"abcdef"});
}
} // TEST_SUITE("unit")
