#include <doctest/doctest.h>

#include <string>

#include "udpkit/responder.hpp"

using namespace udpkit;

namespace {
const ip_endpoint client = *ip_endpoint::parse("127.0.0.1:40000");

responder_config with_rules(std::vector<std::pair<std::string, std::string>> pairs) {
    responder_config config;
    config.mode = echo_mode::reply;
    auto rules = compile_rules(pairs);
    REQUIRE_MESSAGE(rules, (rules ? "" : rules.error().message));
    config.rules = std::move(rules).value();
    config.allow_amplification = true;
    return config;
}
} // namespace

TEST_SUITE("unit") {
TEST_CASE("echo mode returns the datagram byte for byte, empty ones too") {
    responder r({});
    const std::string binary("a\0b\xff\n", 5);
    for (const std::string& payload :
         {std::string(), std::string("x"), binary, std::string(1472, 'q')}) {
        CAPTURE(payload.size());
        const auto d = r.decide(payload, false, client);
        CHECK(d.action == echo_action::replied);
        CHECK(d.reply == payload);
        CHECK(d.reply.data() == payload.data()); // no copy
    }
}

TEST_CASE("upper mode upper-cases ASCII letters only, into a reused buffer") {
    responder_config config;
    config.mode = echo_mode::upper;
    config.max_message = 64;
    responder r(config);
    const std::string text = "hello, World! z{a`\xc3\xa9\xff";
    const auto d = r.decide(text, false, client);
    REQUIRE(d.action == echo_action::replied);
    CHECK(d.reply == "HELLO, WORLD! Z{A`\xc3\xa9\xff"); // é and 0xff are left alone
    const char* buffer = d.reply.data();
    const auto e = r.decide("abc", false, client);
    CHECK(e.reply == "ABC");
    CHECK(e.reply.data() == buffer);
    CHECK(r.decide("", false, client).reply.empty());
    const std::string full(64, 'm');
    CHECK(r.decide(full, false, client).reply == std::string(64, 'M'));
}

TEST_CASE("reply mode: rules are checked in order, the first match wins") {
    responder r(with_rules({{"^PING", "PONG"}, {"(?i)time", "no clocks here"}, {"", "default"}}));
    CHECK(r.decide("PING 1", false, client).reply == "PONG");
    CHECK(r.decide("what TIME is it", false, client).reply == "no clocks here");
    CHECK(r.decide("PING and time", false, client).reply == "PONG");
    CHECK(r.decide("xPING", false, client).reply == "default"); // anchored rule
    CHECK(r.decide("", false, client).reply == "default");
    // Bytes that are not UTF-8 can still be matched and do not break matching.
    CHECK(r.decide(std::string("PING\xff\x00", 6), false, client).reply == "PONG");
}

TEST_CASE("reply mode without a default: unmatched datagrams are refused, not answered") {
    responder r(with_rules({{"^GET ", "ok"}}));
    CHECK(r.decide("GET /", false, client).action == echo_action::replied);
    const auto d = r.decide("PUT /", false, client);
    CHECK(d.action == echo_action::refused_no_match);
    CHECK(d.reply.empty());
}

TEST_CASE("compile_rules: a bad pattern names itself and RE2's reason") {
    auto rules = compile_rules({{"ok", "1"}, {"a(b", "2"}});
    REQUIRE_FALSE(rules);
    CHECK(rules.error().message == "bad regular expression \"a(b\": missing ): a(b");
    auto repeat = compile_rules({{"x{2000}", "1"}});
    REQUIRE_FALSE(repeat);
    CHECK(repeat.error().message.find("invalid repetition size: {2000}") != std::string::npos);
}

TEST_CASE("safety: privileged source ports are refused unless allowed") {
    responder strict({});
    for (const char* from :
         {"127.0.0.1:7", "127.0.0.1:19", "127.0.0.1:1023", "127.0.0.1:0", "[::1]:53"}) {
        CAPTURE(from);
        CHECK(strict.decide("x", false, *ip_endpoint::parse(from)).action ==
              echo_action::refused_privileged_port);
    }
    CHECK(strict.decide("x", false, *ip_endpoint::parse("127.0.0.1:1024")).action ==
          echo_action::replied);
    responder_config config;
    config.allow_privileged_ports = true;
    CHECK(responder(config).decide("x", false, *ip_endpoint::parse("127.0.0.1:7")).action ==
          echo_action::replied);
}

TEST_CASE("safety: datagrams from the responder's own addresses are refused") {
    responder_config config;
    config.own_addresses = {*ip_endpoint::parse("127.0.0.1:9007"),
                            *ip_endpoint::parse("[::1]:9007")};
    responder r(config);
    CHECK(r.decide("x", false, *ip_endpoint::parse("127.0.0.1:9007")).action ==
          echo_action::refused_own_address);
    CHECK(r.decide("x", false, *ip_endpoint::parse("[::1]:9007")).action ==
          echo_action::refused_own_address);
    CHECK(r.decide("x", false, *ip_endpoint::parse("127.0.0.1:9008")).action ==
          echo_action::replied);
    CHECK(r.decide("x", false, *ip_endpoint::parse("127.0.0.2:9007")).action ==
          echo_action::replied);
}

TEST_CASE("safety: a reply larger than its request is refused unless allowed") {
    auto config = with_rules({{"", "a reply of 24 bytes long"}});
    config.allow_amplification = false;
    responder strict(config);
    CHECK(strict.decide("short", false, client).action == echo_action::refused_amplification);
    CHECK(strict.decide(std::string(24, 'x'), false, client).action == echo_action::replied);
    CHECK(strict.decide(std::string(23, 'x'), false, client).action ==
          echo_action::refused_amplification);
    config.allow_amplification = true;
    CHECK(responder(config).decide("short", false, client).action == echo_action::replied);
    // Echo and upper replies are never larger than the request.
    responder echo({});
    CHECK(echo.decide("", false, client).action == echo_action::replied);
}

TEST_CASE("safety: truncated datagrams are never echoed, before any other check") {
    responder r({});
    const auto d = r.decide("the start of a long one", true, *ip_endpoint::parse("127.0.0.1:7"));
    CHECK(d.action == echo_action::truncated);
    CHECK(d.reply.empty());
}

TEST_CASE("counters add up over every action and every destination kind") {
    echo_counters c;
    using k = destination_kind;
    c.record(echo_action::replied, 10, k::unicast, 10);
    c.record(echo_action::replied, 3, k::group, 3);
    c.record(echo_action::truncated, 2000, k::unicast);
    c.record(echo_action::rate_limited, 5, k::group);
    c.record(echo_action::refused_privileged_port, 1, k::unicast);
    c.record(echo_action::refused_own_address, 1, k::unicast);
    c.record(echo_action::refused_amplification, 1, k::unicast);
    c.record(echo_action::refused_no_match, 1, k::unicast);
    c.record(echo_action::refused_loop, 4, k::unicast);
    c.record(echo_action::refused_broadcast, 2, k::broadcast);
    c.record(echo_action::send_error, 7, k::unicast);
    CHECK(c.received == 11);
    CHECK(c.replied == 2);
    CHECK(c.refused() == 6);
    CHECK(c.refused_broadcast == 1);
    CHECK(c.to_unicast == 8);
    CHECK(c.to_group == 2);
    CHECK(c.to_broadcast == 1);
    CHECK(c.bytes_in == 2035);
    CHECK(c.bytes_out == 13);
    CHECK(c.adds_up());
    c.replied += 1; // a miscount is caught
    CHECK_FALSE(c.adds_up());
    c.replied -= 1;
    c.to_group += 1; // so is a destination miscount
    CHECK_FALSE(c.adds_up());
}

TEST_CASE("broadcast requests are refused unless allowed; group ones are answered, unicast") {
    const auto from = *ip_endpoint::parse("192.0.2.7:40000");
    responder strict({});
    CHECK(strict.decide("hi", false, from, destination_kind::broadcast).action ==
          echo_action::refused_broadcast);
    CHECK(strict.decide("hi", false, from, destination_kind::group).action == echo_action::replied);
    CHECK(strict.decide("hi", false, from, destination_kind::unicast).action ==
          echo_action::replied);
    responder_config open;
    open.allow_broadcast = true;
    responder allowing(open);
    const auto d = allowing.decide("hi", false, from, destination_kind::broadcast);
    CHECK(d.action == echo_action::replied);
    CHECK(d.reply == "hi");
    // The other safety rules still apply to broadcasts that are allowed.
    CHECK(allowing
              .decide("hi", false, *ip_endpoint::parse("192.0.2.7:53"), destination_kind::broadcast)
              .action == echo_action::refused_privileged_port);
    CHECK(to_string(echo_action::refused_broadcast) == "refused-broadcast");
}

TEST_CASE("stats lines carry a UTC time and why they were printed") {
    echo_counters c;
    CHECK(format_counters(c, false, 1714555800123, stats_reason::interval)
              .ends_with(" gso_refusals=0 time=2024-05-01T09:30:00.123Z reason=interval"));
    CHECK(format_counters(c, false, 0, stats_reason::sigusr1).ends_with(" reason=SIGUSR1"));
    CHECK(format_counters(c, true, 1714555800123, stats_reason::final)
              .ends_with(",\"gso_refusals\":0},\"time\":\"2024-05-01T09:30:00.123Z\","
                         "\"reason\":\"final\"}"));
}

TEST_CASE("counters print as key=value text or as one JSON object") {
    echo_counters c;
    c.record(echo_action::replied, 5, destination_kind::unicast, 5);
    c.record(echo_action::refused_amplification, 2, destination_kind::group);
    c.over_rate_limit = 1;
    c.kernel_drops = 3;
    c.offload.gro = true;
    c.offload.gro_buffers = 2;
    c.offload.gro_datagrams = 7;
    CHECK(format_counters(c, false, 0, stats_reason::final) ==
          "stats: received=2 to_unicast=1 to_group=1 to_broadcast=0 replied=1 sunk=0 "
          "truncated=0 rate_limited=0 refused=1 "
          "refused_privileged_port=0 refused_own_address=0 refused_amplification=1 "
          "refused_no_match=0 refused_loop=0 refused_broadcast=0 send_errors=0 bytes_in=7 "
          "bytes_out=5 "
          "over_rate_limit=1 "
          "kernel_drops=3 gro=on gso=off gro_buffers=2 gro_datagrams=7 gso_sends=0 "
          "gso_datagrams=0 gso_refusals=0 time=1970-01-01T00:00:00.000Z reason=final");
    CHECK(format_counters(c, true, 0, stats_reason::final) ==
          "{\"received\":2,\"to_unicast\":1,\"to_group\":1,\"to_broadcast\":0,"
          "\"replied\":1,\"sunk\":0,\"truncated\":0,\"rate_limited\":0,"
          "\"refused\":1,\"refused_privileged_port\":0,\"refused_own_address\":0,"
          "\"refused_amplification\":1,\"refused_no_match\":0,\"refused_loop\":0,"
          "\"refused_broadcast\":0,\"send_errors\":0,"
          "\"bytes_in\":7,\"bytes_out\":5,\"over_rate_limit\":1,\"kernel_drops\":3,"
          "\"offload\":{\"gro\":true,\"gso\":false,\"gro_buffers\":2,\"gro_datagrams\":7,"
          "\"gso_sends\":0,\"gso_datagrams\":0,\"gso_refusals\":0},"
          "\"time\":\"1970-01-01T00:00:00.000Z\",\"reason\":\"final\"}");
}

TEST_CASE("sink mode replies to nothing, even where a reply would be refused") {
    responder r({echo_mode::sink, {}, false, false, {client}, 1472});
    echo_counters c;
    for (const auto& from : {client, *ip_endpoint::parse("127.0.0.1:53")}) {
        const auto d = r.decide("hello", false, from);
        CHECK(d.action == echo_action::sunk);
        CHECK(d.reply.empty());
        c.record(d.action, 5, destination_kind::unicast);
    }
    CHECK(r.decide("cut", true, client).action == echo_action::truncated);
    CHECK(c.sunk == 2);
    CHECK(c.adds_up());
    CHECK(to_string(echo_mode::sink) == "sink");
    CHECK(to_string(echo_action::sunk) == "sunk");
}

TEST_CASE("with --json every line is JSON: listening, log lines with payloads") {
    CHECK(format_listening(client, true) == "{\"listening\":\"127.0.0.1:40000\"}");
    CHECK(format_listening(client, false) == "listening on 127.0.0.1:40000");
    std::string line;
    format_log_line(line, 5, client, 2, "replied", true);
    CHECK(line == "{\"time\":\"1970-01-01T00:00:00.005Z\",\"from\":\"127.0.0.1:40000\",\"size\":2,"
                  "\"action\":\"replied\"}");
    line.clear();
    format_log_line(line, 5, client, 3, "sunk", true, log_payload::text, "a\"\n");
    CHECK(line.ends_with(",\"action\":\"sunk\",\"text\":\"a\\\"\\n\"}"));
    line.clear();
    format_log_line(line, 5, client, 1, "sunk", true, log_payload::text, "\xff");
    CHECK(line.ends_with(",\"hex\":\"ff\"}"));
    line.clear();
    format_log_line(line, 5, client, 3, "sunk", false, log_payload::text, "a\"\x1b");
    CHECK(line == "1970-01-01T00:00:00.005Z 127.0.0.1:40000 3 sunk: \"a\\\"\\x1b\"");
    line.clear();
    format_log_line(line, 5, client, 2, "sunk", false, log_payload::hex, "hi");
    CHECK(line.ends_with(" 2 sunk: 68 69"));
}

TEST_CASE("log lines: UTC time with milliseconds, source, size, action") {
    std::string line = "kept:";
    format_log_line(line, 1714555800123, *ip_endpoint::parse("[::1]:40000"), 1472,
                    to_string(echo_action::rate_limited));
    CHECK(line == "kept:2024-05-01T09:30:00.123Z [::1]:40000 1472 rate-limited");
    line.clear();
    format_log_line(line, 5, client, 0, to_string(echo_action::replied));
    CHECK(line == "1970-01-01T00:00:00.005Z 127.0.0.1:40000 0 replied");
}

TEST_CASE("every action and mode has its word") {
    CHECK(to_string(echo_action::refused_privileged_port) == "refused-privileged-port");
    CHECK(to_string(echo_action::refused_own_address) == "refused-own-address");
    CHECK(to_string(echo_action::refused_amplification) == "refused-amplification");
    CHECK(to_string(echo_action::refused_no_match) == "refused-no-match");
    CHECK(to_string(echo_action::refused_loop) == "refused-loop");
    CHECK(to_string(echo_action::truncated) == "truncated");
    CHECK(to_string(echo_action::send_error) == "send-error");
    CHECK(to_string(echo_mode::upper) == "upper");
    CHECK(to_string(echo_mode::reply) == "reply");
    CHECK(to_string(echo_mode::echo) == "echo");
}
} // TEST_SUITE("unit")

TEST_SUITE("unit") {
TEST_CASE("the listening line of a [::] socket says in JSON whether it is dual-stack") {
    const auto any6 = *ip_endpoint::parse("[::]:9007");
    CHECK(format_listening(any6, false, true) == "listening on [::]:9007");
    CHECK(format_listening(any6, true, true) ==
          "{\"listening\":\"[::]:9007\",\"dual_stack\":true}");
    CHECK(format_listening(any6, true, false) ==
          "{\"listening\":\"[::]:9007\",\"dual_stack\":false}");
    CHECK(format_listening(*ip_endpoint::parse("127.0.0.1:9007"), true) ==
          "{\"listening\":\"127.0.0.1:9007\"}");
}

TEST_CASE("the joined line names the group and its interface, in text or JSON") {
    CHECK(format_joined("team (239.1.2.3:9100)", "eth0", false) ==
          "joined team (239.1.2.3:9100) on eth0");
    CHECK(format_joined("239.1.2.3:9100", "", false) ==
          "joined 239.1.2.3:9100 on the default interface");
    CHECK(format_joined("team (239.1.2.3:9100)", "eth0", true) ==
          "{\"joined\":\"team (239.1.2.3:9100)\",\"interface\":\"eth0\"}");
    CHECK(format_joined("[ff15::77]:9100", "", true) ==
          "{\"joined\":\"[ff15::77]:9100\",\"interface\":null}");
}
} // TEST_SUITE("unit")
