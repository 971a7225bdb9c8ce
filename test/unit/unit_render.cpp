#include <doctest/doctest.h>

#include <string>

#include "udpkit/render.hpp"

using namespace udpkit;

TEST_SUITE("unit") {
TEST_CASE("render_untrusted keeps printable ASCII and valid UTF-8") {
    CHECK(render_untrusted("hello, world") == "hello, world");
    CHECK(render_untrusted("你好") == "你好");
    CHECK(render_untrusted("naïve café ✓ 😀") == "naïve café ✓ 😀");
    CHECK(render_untrusted("") == "");
}

TEST_CASE("render_untrusted escapes controls, escape sequences and backslashes") {
    struct row {
        std::string in;
        std::string out;
    };
    const row rows[] = {
        {"a\rb", "a\\rb"},
        {"line\n", "line\\n"},
        {"tab\t", "tab\\t"},
        {std::string("nul\0x", 5), "nul\\0x"},
        {"\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"},       // clear screen
        {"\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"}, // set terminal title
        {"bell\x07", "bell\\x07"},
        {"del\x7f", "del\\x7f"},
        {"\rbob: forged", "\\rbob: forged"}, // forged sender at line start
        {"back\\slash", "back\\\\slash"},    // escapes cannot be forged
        {"\xc2\x9b"
         "31m",
         "\\u{9b}31m"}, // 8-bit CSI (C1 control)
        {"\xe2\x80\xae"
         "abc",
         "\\u{202e}abc"},                // right-to-left override
        {"\xe2\x81\xa6x", "\\u{2066}x"}, // left-to-right isolate
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        CHECK(render_untrusted(r.in) == r.out);
    }
}

TEST_CASE("render_untrusted escapes invalid UTF-8 byte by byte") {
    const struct {
        std::string in;
        std::string out;
    } rows[] = {
        {"\xff", "\\xff"},
        {"\x80", "\\x80"},                            // stray continuation byte
        {"\xc0\xaf", "\\xc0\\xaf"},                   // overlong '/'
        {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},          // overlong 3-byte form
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},          // UTF-16 surrogate
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"}, // beyond U+10FFFF
        {"\xe4\xbd", "\\xe4\\xbd"},                   // truncated 你
        {"ok\xe4\xbd\xa0\xff", "ok你\\xff"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        CHECK(render_untrusted(r.in) == r.out);
    }
}

TEST_CASE("render_untrusted output never contains a control byte") {
    std::string all;
    for (int b = 0; b < 256; ++b)
        all += static_cast<char>(b);
    const std::string out = render_untrusted(all + all);
    for (unsigned char c : out)
        CHECK_FALSE((c < 0x20 || c == 0x7f));
}

TEST_CASE("render_untrusted_to appends") {
    std::string out = "bob: ";
    render_untrusted_to(out, "hi\x1b");
    CHECK(out == "bob: hi\\x1b");
}

TEST_CASE("render_excerpt and quote_untrusted cut long values and say how long they were") {
    CHECK(render_excerpt("a\x1b") == "a\\x1b");
    CHECK(render_excerpt("abcdef", 3) == "abc...");
    CHECK(quote_untrusted("a b") == "\"a b\"");
    CHECK(quote_untrusted(std::string(100, 'x'), 4) == "\"xxxx...\" (100 bytes)");
    CHECK(quote_untrusted(std::string(64, 'x')) == '"' + std::string(64, 'x') + '"');
    CHECK(quote_untrusted("\xe2\x80\xae", 2) == "\"\\xe2\\x80...\" (3 bytes)");
}

TEST_CASE("valid_utf8_prefix stops at the first byte that is not valid UTF-8") {
    CHECK(valid_utf8_prefix("") == 0);
    CHECK(valid_utf8_prefix("plain \xe4\xbd\xa0\xe5\xa5\xbd") == 12);
    CHECK(valid_utf8_prefix("ab\xff") == 2);
    CHECK(valid_utf8_prefix("a\xc0\xaf") == 1);         // overlong '/'
    CHECK(valid_utf8_prefix("a\xed\xa0\x80") == 1);     // surrogate
    CHECK(valid_utf8_prefix("a\xf4\x90\x80\x80") == 1); // beyond U+10FFFF
    CHECK(valid_utf8_prefix("a\xe4\xbd") == 1);         // cut short
}
} // TEST_SUITE("unit")
