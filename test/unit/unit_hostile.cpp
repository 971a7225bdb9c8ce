// Hostile and malformed input for the pure parsers: peer directory files, addresses and the
// renderer. Each input gets a clear error with file:line:col or a defined result, never a crash,
// a hang or a stack overflow. Linked against udpkit_core only.

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include <stdlib.h>
#include <unistd.h>

#include "terminal_safe.hpp"
#include "udpkit/address.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/render.hpp"

using namespace udpkit;
using namespace std::string_literals;

// Table rows are named through row.first/row.second, not a structured binding: clang 14 cannot
// capture a structured binding in CAPTURE's lambda.

namespace {

std::string repeat(std::string_view part, std::size_t n) {
    std::string out;
    out.reserve(part.size() * n);
    for (std::size_t i = 0; i < n; ++i)
        out += part;
    return out;
}

// Deterministic garbage: the same bytes on every run, so a failure can be replayed.
std::string garbage(std::size_t size, std::uint32_t seed) {
    std::string out(size, '\0');
    for (auto& c : out) {
        seed = seed * 1664525u + 1013904223u;
        c = static_cast<char>(seed >> 24);
    }
    return out;
}

void check_error_at(const result<peer_directory>& dir, int line, int column,
                    std::string_view says) {
    REQUIRE_FALSE(dir);
    CHECK(dir.error().line == line);
    CHECK(dir.error().column == column);
    CHECK(dir.error().message.find(says) != std::string::npos);
    CHECK(test::is_terminal_safe(dir.error().to_string()));
}

// A directory file in a fresh temporary directory, removed at the end of the test.
class temp_file {
public:
    explicit temp_file(const std::string& content) {
        char dir[] = "/tmp/udpkit-hostile-XXXXXX";
        REQUIRE(mkdtemp(dir) != nullptr);
        dir_ = dir;
        path_ = dir_ + "/peers.toml";
        std::ofstream out(path_, std::ios::binary);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        REQUIRE(out.good());
    }
    ~temp_file() {
        std::remove(path_.c_str());
        rmdir(dir_.c_str());
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string dir_;
    std::string path_;
};

const std::string good_peer = "[peers.alice]\naddress = \"127.0.0.1:9001\"\n";

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
    check_error_at(
        peer_directory::parse("[peers.x]\n" + repeat("\"q\".", deep) + "a = 1\n", "d.toml"), 2, 68,
        too_many);
    // Nested arrays and inline tables: toml++'s own limit of 256 nested values.
    check_error_at(peer_directory::parse("x = " + repeat("[", deep) + repeat("]", deep), "d.toml"),
                   1, 261, "exceeded maximum nested value depth of 256");
    check_error_at(
        peer_directory::parse("x = " + repeat("{a=", deep) + "1" + repeat("}", deep), "d.toml"), 1,
        773, "exceeded maximum nested value depth of 256");
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

TEST_CASE("empty, blank and comment-only directory files name the file and 1:1") {
    for (const std::string& text : {""s, "\n\n"s, "# nothing\n"s, " \t\r\n"s}) {
        CAPTURE(text);
        temp_file f(text);
        auto dir = peer_directory::load(f.path());
        check_error_at(dir, 1, 1, "the directory defines no peers");
        CHECK(dir.error().source == f.path());
    }
}

TEST_CASE("binary garbage gets a positioned, terminal-safe error") {
    for (std::uint32_t seed = 1; seed <= 200; ++seed) {
        CAPTURE(seed);
        temp_file f(garbage(1 + seed * 37 % 4096, seed));
        auto dir = peer_directory::load(f.path());
        REQUIRE_FALSE(dir);
        CHECK(dir.error().source == f.path());
        CHECK(dir.error().line >= 1);
        CHECK(dir.error().column >= 1);
        CHECK(test::is_terminal_safe(dir.error().to_string()));
    }
}

TEST_CASE("a 10 MB directory is refused by its size without being parsed") {
    // Valid peers all the way, so only the size check can refuse it.
    std::string text;
    for (int i = 0; text.size() < 10 * 1024 * 1024; ++i)
        text += "[peers.p" + std::to_string(i) + "]\naddress = \"10." + std::to_string(i >> 16) +
                "." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255) + ":9\"\n";
    temp_file f(text);
    auto dir = peer_directory::load(f.path());
    REQUIRE_FALSE(dir);
    CHECK(dir.error().to_string() == f.path() + ": peer directory is larger than 1048576 bytes");
}

TEST_CASE("a directory just under the size limit loads: 20,000 peers") {
    std::string text;
    const int count = 20000;
    for (int i = 0; i < count; ++i)
        text += "[peers.p" + std::to_string(i) + "]\naddress = \"10.0." + std::to_string(i >> 8) +
                "." + std::to_string(i & 255) + ":9\"\n";
    REQUIRE(text.size() < peer_directory::max_file_bytes);
    temp_file f(text);
    auto dir = peer_directory::load(f.path());
    REQUIRE(dir);
    CHECK(dir->peers().size() == count);
    CHECK(dir->find(*ip_endpoint::parse("10.0.78.31:9")) == dir->find("p19999"));
}

TEST_CASE("duplicate keys, tables and addresses are errors at the second one") {
    check_error_at(peer_directory::parse(good_peer + "address = \"127.0.0.1:2\"\n", "d.toml"), 3,
                   11, "cannot redefine existing string 'address'");
    check_error_at(
        peer_directory::parse("max_message = 1\nmax_message = 2\n" + good_peer, "d.toml"), 2, 15,
        "cannot redefine existing integer 'max_message'");
    check_error_at(peer_directory::parse(good_peer + good_peer, "d.toml"), 3, 1,
                   "cannot redefine existing table 'peers.alice'");
    check_error_at(
        peer_directory::parse(good_peer + "[peers]\nalice.address = \"127.0.0.1:3\"\n", "d.toml"),
        4, 1, "cannot redefine existing table");
    // The same address written differently.
    check_error_at(peer_directory::parse("[peers.a]\naddress = \"[::1]:7\"\n"
                                         "[peers.b]\naddress = \"[0:0:0:0:0:0:0:1]:7\"\n",
                                         "d.toml"),
                   4, 11, "address [::1]:7 of peer \"b\" is already used by peer \"a\"");
    check_error_at(peer_directory::parse("[peers.a]\naddress = \"127.0.0.1:7\"\n"
                                         "[peers.b]\naddress = \"[::FFFF:7f00:1]:7\"\n",
                                         "d.toml"),
                   4, 11, "is already used by peer \"a\"");
}

TEST_CASE("ports 0, 65536 and beyond are errors at the address") {
    const std::pair<const char*, const char*> rows[] = {
        {"127.0.0.1:0", "has port 0; a peer needs a port 1-65535"},
        {"127.0.0.1:65536", "port 65536 in \"127.0.0.1:65536\" is out of range"},
        {"[::1]:99999999999999999999999", "is out of range; expected 0-65535"},
        {"127.0.0.1:-1", "is not a number"},
        {"127.0.0.1:+1", "is not a number"},
        {"127.0.0.1: 1", "space or control character"},
    };
    for (const auto& row : rows) {
        const auto& address = row.first;
        const auto& says = row.second;
        CAPTURE(address);
        check_error_at(
            peer_directory::parse("[peers.a]\naddress = \""s + address + "\"\n", "d.toml"), 2, 11,
            says);
    }
    CHECK(peer_directory::parse("[peers.a]\naddress = \"127.0.0.1:65535\"\n", "d.toml"));
}

TEST_CASE("names with spaces, unicode or control characters are refused and shown escaped") {
    const std::pair<std::string, std::string> rows[] = {
        {"\"a b\"", "invalid peer name \"a b\""},
        {"\"\\u540d\\u5b57\"", "invalid peer name \"名字\""},
        {"\"\\u001b[2Jx\"", "invalid peer name \"\\x1b[2Jx\""},
        {"\"\\u202eevil\"", "invalid peer name \"\\u{202e}evil\""},
        {"\"\"", "invalid peer name \"\""},
        {std::string(40, 'n'), "invalid peer name \"" + std::string(40, 'n') + "\""},
    };
    for (const auto& row : rows) {
        const auto& key = row.first;
        const auto& says = row.second;
        CAPTURE(key);
        check_error_at(
            peer_directory::parse("[peers." + key + "]\naddress = \"127.0.0.1:1\"\n", "d.toml"), 1,
            8, says);
    }
    check_error_at(peer_directory::parse(good_peer + "\"\\u001b]0;x\\u0007\" = 1\n", "d.toml"), 3,
                   1, "unknown key \"\\x1b]0;x\\x07\" in peer \"alice\"");
    // toml++ names the duplicate key in its message: still terminal-safe (checked by
    // check_error_at).
    check_error_at(peer_directory::parse("\"\\u001b[2J\" = 1\n\"\\u001b[2J\" = 2\n", "d.toml"), 2,
                   15, "cannot redefine existing integer");
}

TEST_CASE("NUL bytes anywhere are errors at their position") {
    const std::pair<std::string, std::pair<int, int>> rows[] = {
        {"\0"s + good_peer, {1, 1}},
        {"[peers.al\0ice]\naddress = \"127.0.0.1:1\"\n"s, {1, 10}},
        {"[peers.alice]\naddress = \"127.0.0.1:1\0\"\n"s, {2, 23}},
        {good_peer + "# a comment \0 with a NUL\n"s, {3, 13}},
        {good_peer + "\0"s, {3, 1}},
    };
    for (const auto& row : rows) {
        const auto& text = row.first;
        const auto& at = row.second;
        CAPTURE(render_untrusted(text));
        temp_file f(text);
        auto dir = peer_directory::load(f.path());
        check_error_at(dir, at.first, at.second, "");
    }
}

TEST_CASE("invalid UTF-8 anywhere is an error at its position") {
    const std::pair<std::string, std::pair<int, int>> rows[] = {
        {"# caf\xe9\n" + good_peer, {1, 6}},
        {"[peers.alice]\naddress = \"127.0.0.1:1\xff\"\n", {2, 23}},
        {"[peers.\"\xc0\xaf\"]\naddress = \"127.0.0.1:1\"\n", {1, 9}},
        {good_peer + "\xed\xa0\x80 = 1\n", {3, 1}},
        {good_peer + "\xe4\xbd", {3, 1}},
    };
    for (const auto& row : rows) {
        const auto& text = row.first;
        const auto& at = row.second;
        CAPTURE(render_untrusted(text));
        check_error_at(peer_directory::parse(text, "d.toml"), at.first, at.second,
                       "invalid UTF-8 (byte \\x");
    }
}

TEST_CASE("non-ASCII characters outside comments are refused") {
    // Found by fuzz_peer_directory: toml++ 3.3 reaches __builtin_unreachable() for some
    // non-ASCII characters outside strings (U+00A1-U+0499, U+FB06-U+FEFE, ...) or after a
    // line-ending backslash in a multi-line string (upstream issues #190, #295).
    const std::pair<std::string, std::pair<int, int>> rows[] = {
        {"\xc3\xa9 = 1\n", {1, 1}},
        {"\xef\xbb\x97"
         "ess = \"12w.0.0.1:1\"\n",
         {1, 1}},
        {good_peer + "x = 1 \xc2\xa7\n", {3, 7}},
        {"[peers.alice]\naddress = \"127.0.0.1:1\" \xe3\x80\x80\n", {2, 25}},
        {good_peer + "s = \"\"\"\\\n\xc2\xa7\"\"\"\n", {4, 1}},
        {"peers.x.address = 0\".1.72'''\xef\xbb\x97"
         "f:127.0s8\"L",
         {1, 29}},
        {"[peers.\"caf\xc3\xa9\"]\naddress = \"127.0.0.1:1\"\n", {1, 12}},
        {"[peers.\"\xe5\x90\x8d\"]\naddress = \"127.0.0.1:1\"\n", {1, 9}},
    };
    for (const auto& row : rows) {
        const auto& text = row.first;
        const auto& at = row.second;
        CAPTURE(render_untrusted(text));
        check_error_at(peer_directory::parse(text, "d.toml"), at.first, at.second,
                       "non-ASCII character; peer names and addresses are ASCII");
    }
    // In comments they are fine.
    CHECK(peer_directory::parse("# caf\xc3\xa9 \xc2\xa7\n" + good_peer + "# \xe5\x90\x8d\n",
                                "d.toml"));
}

TEST_CASE("a UTF-8 byte order mark and CRLF line endings load like plain LF") {
    for (const std::string& text :
         {"\xef\xbb\xbf" + good_peer, "[peers.alice]\r\naddress = \"127.0.0.1:9001\"\r\n"s,
          "\xef\xbb\xbf# peers\r\n[peers.alice]\r\naddress = \"127.0.0.1:9001\"\n"s}) {
        CAPTURE(render_untrusted(text));
        temp_file f(text);
        auto dir = peer_directory::load(f.path());
        REQUIRE(dir);
        REQUIRE(dir->peers().size() == 1);
        CHECK(dir->find("alice")->address.to_string() == "127.0.0.1:9001");
    }
    // Positions still count lines across CRLF, and a lone CR is not a line ending in TOML.
    check_error_at(peer_directory::parse("[peers.a]\r\naddress = \"127.0.0.1:0\"\r\n", "d.toml"), 2,
                   11, "has port 0");
    auto lone_cr = peer_directory::parse("[peers.a]\raddress = \"127.0.0.1:1\"\n", "d.toml");
    REQUIRE_FALSE(lone_cr);
    CHECK(lone_cr.error().line == 1);
}

TEST_CASE("long and garbage addresses get short, terminal-safe errors") {
    const std::string rows[] = {
        std::string(1 << 20, '9'),
        std::string(1 << 20, ':'),
        "[" + std::string(1 << 20, 'f'),
        std::string(1 << 20, 'a') + ":1",
        "1.2.3.4:" + std::string(100000, '0') + "1",
        "[" + repeat("::", 100000) + "]:1",
    };
    for (const auto& text : rows) {
        CAPTURE(text.substr(0, 16));
        auto ep = ip_endpoint::parse(text);
        if (!ep) {
            CHECK(ep.error().message.size() < 400);
            CHECK(test::is_terminal_safe(ep.error().message));
        } else {
            CHECK(ep->to_string() == "1.2.3.4:1"); // leading zeros: still port 1
        }
    }
    for (std::uint32_t seed = 1; seed <= 2000; ++seed) {
        const std::string text = garbage(seed % 200, seed);
        auto hp = parse_host_port(text);
        auto ep = ip_endpoint::parse(text);
        CHECK(hp.has_value() >= ep.has_value()); // an endpoint is a host:port first
        if (!ep)
            CHECK(test::is_terminal_safe(ep.error().message));
    }
}

TEST_CASE("the renderer escapes every single byte value as documented") {
    for (int b = 0; b < 256; ++b) {
        CAPTURE(b);
        const std::string in(1, static_cast<char>(b));
        const std::string out = render_untrusted(in);
        if (b == '\\')
            CHECK(out == "\\\\");
        else if (b >= 0x20 && b < 0x7f)
            CHECK(out == in);
        else if (b == '\n' || b == '\r' || b == '\t' || b == 0)
            CHECK(out.size() == 2);
        else
            CHECK(out == "\\x"s + "0123456789abcdef"[b >> 4] + "0123456789abcdef"[b & 15]);
    }
}

TEST_CASE("the renderer's output is terminal-safe for every pair of bytes and long input") {
    for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 256; ++b) {
            const char pair[] = {static_cast<char>(a), static_cast<char>(b)};
            const std::string out = render_untrusted({pair, 2});
            if (!test::is_terminal_safe(out))
                FAIL("bytes " << a << ", " << b << " render as " << out);
        }
    // 10 MB of garbage: output safe, and at most 4 bytes per input byte (the \xff form).
    const std::string big = garbage(10 * 1024 * 1024, 7);
    const std::string out = render_untrusted(big);
    CHECK(test::is_terminal_safe(out));
    CHECK(out.size() <= 4 * big.size());
    // A long run of valid multi-byte text is kept as is.
    const std::string cjk = repeat("你好", 500000);
    CHECK(render_untrusted(cjk) == cjk);
}
} // TEST_SUITE("hostile")
