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

TEST_CASE("render_untrusted escapes invisible, bidi and format characters and line separators") {
    const struct {
        std::string in;
        std::string out;
    } rows[] = {
        {"a\u200eb", "a\\u{200e}b"},                        // LRM
        {"a\u200fb", "a\\u{200f}b"},                        // RLM
        {"a\u061cb", "a\\u{61c}b"},                         // ALM
        {"a\u200bb", "a\\u{200b}b"},                        // zero-width space
        {"\ufeffa", "\\u{feff}a"},                          // BOM, zero-width no-break space
        {"a\u2028b\u2029c", "a\\u{2028}b\\u{2029}c"},       // line, paragraph separators
        {"x\U000e0041\U000e007f", "x\\u{e0041}\\u{e007f}"}, // tags
        {"\U000e0000", "\\u{e0000}"},                       // tag block, unassigned
        {"soft\u00adhyphen", "soft\\u{ad}hyphen"},          // Cf too
        {"\u2060\u2064", "\\u{2060}\\u{2064}"},             // word joiner, invisible plus
        {"a\u202eb\u2066c", "a\\u{202e}b\\u{2066}c"},       // still escaped
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        CHECK(render_untrusted(r.in) == r.out);
    }
}

TEST_CASE("render_untrusted escapes a combining mark with nothing before it to attach to") {
    CHECK(render_untrusted("\xde\xad") == "\\u{7ad}");           // bytes de ad: U+07AD alone
    CHECK(render_untrusted("\u0301e") == "\\u{301}e");           // first
    CHECK(render_untrusted("\x01\u0301") == "\\x01\\u{301}");    // after an escape
    CHECK(render_untrusted("\xff\u0301") == "\\xff\\u{301}");    // after an invalid byte
    CHECK(render_untrusted("e\u0301") == "e\u0301");             // attached to its letter: kept
    CHECK(render_untrusted("e\u0301\u0302") == "e\u0301\u0302"); // stacked marks: kept
    CHECK(render_untrusted("\"\u0301", render_style::quoted) == "\\\"\\u{301}");
}

TEST_CASE("render_untrusted escapes once: render_style::written keeps what is already rendered") {
    const std::string hostile = "esc: \n \\ \"q\" \x1b[2J \u200e \xde\xad \xff";
    for (const auto style : {render_style::untrusted, render_style::quoted}) {
        const std::string once = render_untrusted(hostile, style);
        CHECK(render_untrusted(once, render_style::written) == once);
    }
    // a script line as written: its escapes are shown as the author typed them
    CHECK(render_untrusted("send \"esc: \\n\"", render_style::written) == "send \"esc: \\n\"");
    CHECK(render_untrusted("send \"\x1b\"", render_style::written) == "send \"\\x1b\"");
}

TEST_CASE("render_untrusted quoted: a double quote inside a quoted payload is escaped") {
    CHECK(render_untrusted("say \"hi\"") == "say \"hi\"");
    CHECK(render_untrusted("say \"hi\"", render_style::quoted) == "say \\\"hi\\\"");
    CHECK(quote_untrusted("a\"b") == "\"a\\\"b\"");
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
