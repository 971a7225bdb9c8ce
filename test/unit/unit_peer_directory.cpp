#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "udpkit/peer_directory.hpp"

using namespace udpkit;

namespace {
const char* const good = R"(max_message = 1400

[peers.alice]
address = "127.0.0.1:9001"

[peers.bob]
address = "127.0.0.1:9002"
max_message = 512

[peers.v6]
address = "[::1]:9003"
max_message = 65527
)";
}

TEST_SUITE("unit") {
TEST_CASE("a valid directory loads, with limits and lookups both ways") {
    auto dir = peer_directory::parse(good, "peers.toml");
    REQUIRE(dir);
    REQUIRE(dir->peers().size() == 3);
    CHECK(dir->names() == "alice, bob, v6");
    CHECK(dir->default_limit().bytes() == 1400);

    const peer* alice = dir->find("alice");
    REQUIRE(alice != nullptr);
    CHECK(alice->address.to_string() == "127.0.0.1:9001");
    CHECK(alice->limit.bytes() == 1400);
    CHECK(dir->find("bob")->limit.bytes() == 512);
    CHECK(dir->find("v6")->limit.bytes() == 65527);

    CHECK(dir->find(*ip_endpoint::parse("127.0.0.1:9002")) == dir->find("bob"));
    CHECK(dir->find(*ip_endpoint::parse("[::1]:9003")) == dir->find("v6"));
    CHECK(dir->find(*ip_endpoint::parse("127.0.0.1:9999")) == nullptr);
    CHECK(dir->find("Alice") == dir->find("alice")); // names are unique ignoring case
    CHECK(dir->find("alic") == nullptr);
}

TEST_CASE("require names the directory and lists known peers") {
    auto dir = peer_directory::parse(good, "peers.toml");
    REQUIRE(dir);
    auto missing = dir->require("carol");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message ==
          "no peer named \"carol\" in peers.toml; known peers: alice, bob, v6");
    CHECK(*dir->require("bob") == dir->find("bob"));
}

TEST_CASE("without max_message the default limit is 1472") {
    auto dir = peer_directory::parse("[peers.a]\naddress = \"127.0.0.1:1\"\n", "d.toml");
    REQUIRE(dir);
    CHECK(dir->find("a")->limit.bytes() == 1472);
}

// Each validation rule, with the exact position of the error and the words that explain it.
TEST_CASE("invalid directories name file, line and column") {
    struct row {
        const char* what;
        const char* text;
        int line;
        int column;
        const char* says;
    };
    const row rows[] = {
        {"TOML syntax", "[peers.a\naddress = \"127.0.0.1:1\"\n", 1, 9, ""},
        {"unknown top-level key", "colour = 1\n[peers.a]\naddress = \"127.0.0.1:1\"\n", 1, 1,
         "unknown key \"colour\"; expected max_message or [peers.NAME]"},
        {"peers not a table", "peers = 3\n", 1, 9, "peers must be a table"},
        {"no peers", "max_message = 100\n", 1, 1, "the directory defines no peers"},
        {"bad name", "[peers.\"a b\"]\naddress = \"127.0.0.1:1\"\n", 1, 8,
         "invalid peer name \"a b\"; names are 1-32 characters"},
        {"unicode name", "[peers.\"名字\"]\naddress = \"127.0.0.1:1\"\n", 1, 9,
         "non-ASCII character; peer names and addresses are ASCII"},
        {"name too long", "[peers.abcdefghijabcdefghijabcdefghijabc]\naddress = \"127.0.0.1:1\"\n",
         1, 8, "invalid peer name"},
        {"duplicate name (TOML)",
         "[peers.a]\naddress = \"127.0.0.1:1\"\n[peers.a]\naddress = \"127.0.0.1:2\"\n", 3, 1, ""},
        {"name differing in case",
         "[peers.bob]\naddress = \"127.0.0.1:1\"\n[peers.Bob]\naddress = \"127.0.0.1:2\"\n", 3, 8,
         "peer name \"Bob\" differs from \"bob\" only in case"},
        {"peer not a table", "[peers]\na = 5\n", 2, 5, "peer \"a\" must be a table"},
        {"unknown peer key", "[peers.a]\naddress = \"127.0.0.1:1\"\nport = 5\n", 3, 1,
         "unknown key \"port\" in peer \"a\"; expected address or max_message"},
        {"missing address", "[peers.a]\nmax_message = 5\n", 1, 1, "peer \"a\" has no address"},
        {"address not a string", "[peers.a]\naddress = 9001\n", 2, 11,
         "must be a string such as \"127.0.0.1:9001\""},
        {"address without port", "[peers.a]\naddress = \"127.0.0.1\"\n", 2, 11,
         "address of peer \"a\": address \"127.0.0.1\" has no port"},
        {"host name address", "[peers.a]\naddress = \"localhost:1\"\n", 2, 11,
         "is not a numeric IP address"},
        {"port 0", "[peers.a]\naddress = \"127.0.0.1:0\"\n", 2, 11,
         "has port 0; a peer needs a port 1-65535"},
        {"wildcard IPv4 peer", "[peers.a]\naddress = \"0.0.0.0:9001\"\n", 2, 11,
         "address 0.0.0.0:9001 of peer \"a\" is a wildcard: no datagram can come from it"},
        {"wildcard IPv6 peer", "[peers.a]\naddress = \"[::]:9001\"\n", 2, 11,
         "address [::]:9001 of peer \"a\" is a wildcard"},
        {"port 65536", "[peers.a]\naddress = \"127.0.0.1:65536\"\n", 2, 11,
         "port 65536 in \"127.0.0.1:65536\" is out of range"},
        {"duplicate address",
         "[peers.a]\naddress = \"127.0.0.1:1\"\n[peers.b]\naddress = \"127.0.0.1:1\"\n", 4, 11,
         "address 127.0.0.1:1 of peer \"b\" is already used by peer \"a\""},
        {"duplicate address, later name first in the file",
         "[peers.z]\naddress = \"127.0.0.1:1\"\n[peers.b]\naddress = \"127.0.0.1:1\"\n", 4, 11,
         "address 127.0.0.1:1 of peer \"b\" is already used by peer \"z\""},
        {"top max_message too big", "max_message = 65508\n", 1, 15,
         "max_message 65508 is out of range; expected a whole number of bytes from 1 to 65507 "
         "(IPv4)"},
        {"peer max_message zero", "[peers.a]\naddress = \"127.0.0.1:1\"\nmax_message = 0\n", 3, 15,
         "max_message 0 is out of range"},
        {"IPv6 peer over its range", "[peers.a]\naddress = \"[::1]:1\"\nmax_message = 65528\n", 3,
         15, "expected a whole number of bytes from 1 to 65527 (IPv6)"},
        {"max_message not a number", "max_message = \"big\"\n", 1, 15,
         "max_message is a string, not a number"},
    };
    for (const auto& r : rows) {
        CAPTURE(std::string(r.what));
        auto dir = peer_directory::parse(r.text, "peers.toml");
        REQUIRE_FALSE(dir);
        CHECK(dir.error().source == "peers.toml");
        CHECK(dir.error().line == r.line);
        CHECK(dir.error().column == r.column);
        CHECK(dir.error().message.find(r.says) != std::string::npos);
        CHECK(dir.error().to_string().rfind("peers.toml:" + std::to_string(r.line) + ":" +
                                                std::to_string(r.column) + ": ",
                                            0) == 0);
    }
}

TEST_CASE("load reports unreadable and oversized files") {
    auto missing = peer_directory::load("/nonexistent/peers.toml");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().to_string() ==
          "/nonexistent/peers.toml: cannot open peer directory: No such file or directory");

    const std::string path = "unit_peer_directory_huge.toml";
    {
        std::ofstream out(path);
        out << "# " << std::string(peer_directory::max_file_bytes, 'x') << "\n";
    }
    auto huge = peer_directory::load(path);
    std::remove(path.c_str());
    REQUIRE_FALSE(huge);
    CHECK(huge.error().message.find("is larger than 1048576 bytes") != std::string::npos);
}

TEST_CASE("peer names") {
    CHECK(is_valid_peer_name("alice"));
    CHECK(is_valid_peer_name("Node_7-b"));
    CHECK(is_valid_peer_name(std::string(32, 'x')));
    CHECK_FALSE(is_valid_peer_name(std::string(33, 'x')));
    CHECK_FALSE(is_valid_peer_name(""));
    CHECK_FALSE(is_valid_peer_name("a.b"));
    CHECK_FALSE(is_valid_peer_name("a b"));
}

TEST_CASE("an IPv4-mapped IPv6 peer address is the same address as its IPv4 form") {
    // Found by fuzz_peer_directory: a peer written as [::ffff:A.B.C.D]:P was never recognised as
    // the sender of its datagrams (from_sockaddr reports them as A.B.C.D:P), and it could share
    // its address with an A.B.C.D:P peer unnoticed.
    auto dir =
        peer_directory::parse("[peers.m]\naddress = \"[::ffff:127.0.0.1]:9001\"\n", "d.toml");
    REQUIRE(dir);
    const peer* m = dir->find("m");
    const auto mapped = *ip_endpoint::parse("[::ffff:127.0.0.1]:9001");
    const auto received = ip_endpoint::from_sockaddr(mapped.sockaddr_ptr());
    REQUIRE(received);
    CHECK(dir->find(*received) == m);
    CHECK(dir->find(mapped) == m);
    CHECK(dir->find(*ip_endpoint::parse("127.0.0.1:9001")) == m);
    CHECK(dir->find(*ip_endpoint::parse("127.0.0.1:9002")) == nullptr);

    auto dup = peer_directory::parse("[peers.a]\naddress = \"127.0.0.1:9001\"\n"
                                     "[peers.b]\naddress = \"[::ffff:127.0.0.1]:9001\"\n",
                                     "d.toml");
    REQUIRE_FALSE(dup);
    CHECK(dup.error().line == 4);
    CHECK(dup.error().column == 11);
    CHECK(dup.error().message.find("of peer \"b\" is already used by peer \"a\"") !=
          std::string::npos);
}

TEST_CASE("a table header that does not start with a name is refused before toml++ parses it") {
    // Found by fuzz_peer_directory: toml++ 3.3 asserts on these (undefined behaviour when built
    // without assertions; upstream issues #294 and #301), so they never reach it.
    using namespace std::string_literals;
    struct row {
        std::string text;
        int line;
        int column;
    };
    const row rows[] = {
        {"[&", 1, 2},
        {"[[=]]\n", 1, 3},
        {"[\x01peers]\n", 1, 2},
        {"\n  [ .a]\n", 2, 5},
        {"[[[1]]]\n", 1, 3},
        {"[", 1, 2},
        {"[peers.a]\naddress = \"127.0.0.1:1\"\n[\0]\n"s, 3, 2},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto dir = peer_directory::parse(r.text, "d.toml");
        REQUIRE_FALSE(dir);
        CHECK(dir.error().line == r.line);
        CHECK(dir.error().column == r.column);
        CHECK(dir.error().message == "a table header must start with a name, as in [peers.alice]");
    }
    // Brackets inside values and strings are not headers.
    CHECK(peer_directory::parse("x = [\n[1]]\n", "d.toml").error().message.find("unknown key") !=
          std::string::npos);
    CHECK(peer_directory::parse("[peers.a] # [&\naddress = \"127.0.0.1:1\" \n", "d.toml"));
}

TEST_CASE("max_message: TOML's nan and inf, negatives, fractions and non-numbers are refused") {
    struct row {
        const char* value; // as written in the file
        std::string says;  // "max_message " + this + "; expected ..."
    };
    const row rows[] = {
        {"nan", "nan is not a number"},
        {"+nan", "nan is not a number"},
        {"-nan", "nan is not a number"}, // toml++ keeps no sign on NaN
        {"inf", "inf is infinite"},
        {"+inf", "inf is infinite"},
        {"-inf", "-inf is infinite"},
        {"-5", "-5 is negative"},
        {"-5.0", "-5 is negative"},
        {"-0.5", "-0.5 is negative"},
        {"-9223372036854775808", "-9223372036854775808 is negative"},
        {"1.5", "1.5 is not a whole number"},
        {"1e300", "1e+300 is out of range"},
        {"0", "0 is out of range"},
        {"0.0", "0 is out of range"},
        {"\"1472\"", "is a string, not a number"},
        {"true", "is a boolean, not a number"},
        {"[1472]", "is an array, not a number"},
        {"{ bytes = 1472 }", "is a table, not a number"},
        {"1979-05-27", "is a date or time, not a number"},
    };
    // The top-level default (IPv4 range) and a peer's own value (its family's range).
    struct place {
        std::string before, after;
        int line;
        std::string expected;
    };
    const place places[] = {
        {"max_message = ", "\n[peers.a]\naddress = \"127.0.0.1:1\"\n", 1,
         "a whole number of bytes from 1 to 65507 (IPv4)"},
        {"[peers.a]\naddress = \"127.0.0.1:1\"\nmax_message = ", "\n", 3,
         "a whole number of bytes from 1 to 65507 (IPv4)"},
        {"[peers.a]\naddress = \"[::1]:1\"\nmax_message = ", "\n", 3,
         "a whole number of bytes from 1 to 65527 (IPv6)"},
    };
    for (const auto& where : places)
        for (const auto& r : rows) {
            const std::string text = where.before + r.value + where.after;
            CAPTURE(text);
            auto dir = peer_directory::parse(text, "d.toml");
            REQUIRE_FALSE(dir);
            const bool typed = r.says.rfind("is ", 0) != 0;
            CHECK(dir.error().to_string() ==
                  "d.toml:" + std::to_string(where.line) + ":15: max_message " + r.says +
                      "; expected " + where.expected + (typed ? "" : ", e.g. max_message = 1472"));
        }
    // 1e400 does not fit a double: toml++ refuses it while parsing, still with a position.
    auto huge = peer_directory::parse("max_message = 1e400\n", "d.toml");
    REQUIRE_FALSE(huge);
    CHECK(huge.error().line == 1);
    CHECK(huge.error().message.find("1e400") != std::string::npos);
    // A whole number written as a float, with an exponent, in hex or with separators is a number.
    for (const char* value : {"1472.0", "1.472e3", "0x5c0", "1_472", "+1472"}) {
        CAPTURE(value);
        auto dir = peer_directory::parse(std::string("max_message = ") + value +
                                             "\n[peers.a]\naddress = \"127.0.0.1:1\"\n",
                                         "d.toml");
        REQUIRE_MESSAGE(dir, (dir ? "" : dir.error().to_string()));
        CHECK(dir->default_limit().bytes() == 1472);
    }
}
} // TEST_SUITE("unit")
