#include <doctest/doctest.h>

#include <arpa/inet.h>

#include <string>
#include <unordered_set>

#include "udpkit/address.hpp"

using namespace udpkit;

TEST_SUITE("unit") {
TEST_CASE("parse_host_port accepts the three written forms") {
    struct row {
        const char* text;
        const char* host;
        int port;
    };
    const row rows[] = {
        {"127.0.0.1:9000", "127.0.0.1", 9000}, {"[::1]:9000", "::1", 9000},
        {"9000", "127.0.0.1", 9000},           {"0", "127.0.0.1", 0},
        {"localhost:53", "localhost", 53},     {"[fe80::1%lo]:1", "fe80::1%lo", 1},
        {"10.0.0.1:65535", "10.0.0.1", 65535},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto hp = parse_host_port(r.text);
        REQUIRE(hp);
        CHECK(hp->host == r.host);
        CHECK(hp->port == r.port);
    }
}

TEST_CASE("parse_host_port errors quote the text and say what is accepted") {
    struct row {
        const char* text;
        const char* says;
    };
    const row rows[] = {
        {"", "empty address"},
        {"127.0.0.1", "\"127.0.0.1\" has no port"},
        {"127.0.0.1:", "has an empty port"},
        {":9000", "has an empty host"},
        {"host:65536", "port 65536 in \"host:65536\" is out of range; expected 0-65535"},
        {"host:99999999999999999999", "is out of range"},
        {"host:9x", "port \"9x\" in \"host:9x\" is not a number"},
        {"host:-1", "is not a number"},
        {"::1:9000", "IPv6 address without brackets"},
        {"[::1", "no closing ']'"},
        {"[::1]9000", "needs ':PORT' after ']'"},
        {"[]:9000", "empty host in brackets"},
        {"a b:1", "space or control character"},
        {"70000", "out of range"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto hp = parse_host_port(r.text);
        REQUIRE_FALSE(hp);
        CHECK(hp.error().message.find(r.says) != std::string::npos);
    }
    // Every message tells what would be accepted or how to fix it.
    CHECK(parse_host_port("x").error().message.find("expected HOST:PORT, [IPV6]:PORT or PORT") !=
          std::string::npos);
}

TEST_CASE("ip_endpoint parses numeric addresses and formats them back") {
    auto v4 = ip_endpoint::parse("127.0.0.1:9001");
    REQUIRE(v4);
    CHECK(v4->family() == ip_family::v4);
    CHECK(v4->port() == 9001);
    CHECK(v4->to_string() == "127.0.0.1:9001");
    CHECK(v4->is_loopback());

    auto v6 = ip_endpoint::parse("[::1]:53");
    REQUIRE(v6);
    CHECK(v6->family() == ip_family::v6);
    CHECK(v6->to_string() == "[::1]:53");
    CHECK(v6->is_loopback());

    CHECK_FALSE(ip_endpoint::parse("10.1.2.3:1")->is_loopback());
    CHECK(ip_endpoint::parse("9")->to_string() == "127.0.0.1:9");
}

TEST_CASE("ip_endpoint refuses host names and malformed literals") {
    auto name = ip_endpoint::parse("localhost:9000");
    REQUIRE_FALSE(name);
    CHECK(name.error().message == "\"localhost\" is not a numeric IP address; expected a.b.c.d "
                                  "or [IPv6]");
    CHECK_FALSE(ip_endpoint::parse("256.1.1.1:1"));
    CHECK_FALSE(ip_endpoint::parse("1.2.3:1"));
    auto v6 = ip_endpoint::parse("[::g]:1");
    REQUIRE_FALSE(v6);
    CHECK(v6.error().message == "\"::g\" is not a valid IPv6 address");
}

TEST_CASE("ip_endpoint equality, hashing and IPv4-mapped addresses") {
    auto a = *ip_endpoint::parse("127.0.0.1:9001");
    auto b = *ip_endpoint::parse("127.0.0.1:9001");
    auto c = *ip_endpoint::parse("127.0.0.1:9002");
    CHECK(a == b);
    CHECK_FALSE(a == c);
    CHECK(a.hash() == b.hash());

    sockaddr_in6 mapped{};
    mapped.sin6_family = AF_INET6;
    mapped.sin6_port = htons(9001);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
    auto m = ip_endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&mapped));
    REQUIRE(m);
    CHECK(*m == a); // labels a dual-stack sender by its IPv4 directory entry

    std::unordered_set<ip_endpoint, ip_endpoint_hash> set{a, b, c};
    CHECK(set.size() == 2);
    CHECK_FALSE(ip_endpoint::from_sockaddr(nullptr));
}

TEST_CASE("host_port formats IPv6 hosts with brackets") {
    CHECK(host_port{"::1", 7}.to_string() == "[::1]:7");
    CHECK(host_port{"example.org", 53}.to_string() == "example.org:53");
}

TEST_CASE("address errors show the bad text escaped and cut short") {
    // Found by fuzz_address: errors quoted the text raw, so a value with escape sequences or
    // invalid UTF-8 could drive the terminal the error is printed on, and a huge one flooded it.
    auto esc = parse_host_port("\x1b]0;owned\x07:1");
    REQUIRE_FALSE(esc);
    CHECK(esc.error().message.find('\x1b') == std::string::npos);
    CHECK(esc.error().message.find(R"("\x1b]0;owned\x07:1")") != std::string::npos);

    auto utf = ip_endpoint::parse("\xff\xfe:1");
    REQUIRE_FALSE(utf);
    CHECK(utf.error().message ==
          R"("\xff\xfe" is not a numeric IP address; expected a.b.c.d or [IPv6])");

    auto port = parse_host_port("h:99999999999999999999\xc2\x9b");
    REQUIRE_FALSE(port);
    CHECK(port.error().message.find("\xc2\x9b") == std::string::npos);

    const std::string huge(100000, 'a');
    auto big = parse_host_port(huge);
    REQUIRE_FALSE(big);
    CHECK(big.error().message.size() < 300);
    CHECK(big.error().message.find('"' + std::string(64, 'a') +
                                   "...\" (100000 bytes) has no port") != std::string::npos);
}

TEST_CASE("a host never contains brackets, so every parsed address prints back the same") {
    // Found by fuzz_address: "[[x]:9" parsed as host "[x", which host_port::to_string printed as
    // "[x:9", which no longer parsed.
    const char* rows[] = {"[[x]:9", "[a[b]:1", "a]:1", "a[b:1", "[::1]]:1", "x]y:1"};
    for (const char* text : rows) {
        CAPTURE(text);
        auto hp = parse_host_port(text);
        REQUIRE_FALSE(hp);
        CHECK(hp.error().message.find("misplaced '[' or ']'") != std::string::npos);
    }
    CHECK(parse_host_port("[::1]:1"));
}
} // TEST_SUITE("unit")

TEST_CASE("multicast and broadcast addresses are told apart from unicast ones") {
    auto e = [](const char* text) { return *ip_endpoint::parse(text); };
    CHECK(e("239.1.2.3:9").is_multicast());
    CHECK(e("224.0.0.1:9").is_multicast());
    CHECK_FALSE(e("223.255.255.255:9").is_multicast());
    CHECK_FALSE(e("240.0.0.1:9").is_multicast());
    CHECK(e("[ff15::77]:9").is_multicast());
    CHECK(e("[ff02::1]:9").is_multicast());
    CHECK_FALSE(e("[fe80::1]:9").is_multicast());
    CHECK(e("255.255.255.255:9").is_limited_broadcast());
    CHECK_FALSE(e("10.0.0.255:9").is_limited_broadcast());
    CHECK_FALSE(e("[ff02::1]:9").is_limited_broadcast());
}

TEST_CASE("classify_destination: a group, a broadcast seen by the kernel's reply source, unicast") {
    auto e = [](const char* text) { return *ip_endpoint::parse(text); };
    using k = destination_kind;
    CHECK(classify_destination(e("239.1.2.3:9"), e("10.0.0.1:9")) == k::group);
    CHECK(classify_destination(e("[ff15::77]:9"), e("[ff15::77]:9")) == k::group);
    CHECK(classify_destination(e("255.255.255.255:9"), e("10.0.0.1:9")) == k::broadcast);
    // A subnet broadcast: the kernel would answer from an interface address, not from it.
    CHECK(classify_destination(e("10.0.0.255:9"), e("10.0.0.1:9")) == k::broadcast);
    // Unicast: the kernel answers from the address the datagram reached (ports do not matter).
    CHECK(classify_destination(e("10.0.0.1:9"), e("10.0.0.1:0")) == k::unicast);
    CHECK(classify_destination(e("[::1]:9"), e("[::1]:9")) == k::unicast);
    CHECK(to_string(k::unicast) == "unicast");
    CHECK(to_string(k::group) == "group");
    CHECK(to_string(k::broadcast) == "broadcast");
}
