#include <doctest/doctest.h>

#include <string>
#include <variant>
#include <vector>

#include "send_options.hpp"

using namespace udpkit;

namespace {

send_options ok(std::vector<std::string> args) {
    auto parsed = parse_send_options(std::move(args));
    if (auto* exit = std::get_if<cli::exit_now>(&parsed))
        FAIL("unexpected exit " << exit->code << ": " << exit->err);
    return std::get<send_options>(parsed);
}

} // namespace

TEST_SUITE("unit") {
TEST_CASE("send options: one-shot text, hex, file and stdin") {
    auto o = ok({"127.0.0.1:9007", "hello"});
    CHECK(o.mode == send_mode::once);
    CHECK(o.target == "127.0.0.1:9007");
    CHECK(o.payload == "hello");
    CHECK_FALSE(o.payload_from_stdin);
    CHECK(o.count == 1);
    CHECK(o.timeout_ms == 1000);
    CHECK(o.max_message == 1472);

    o = ok({"9007", "--hex", "48 65 6C 00"});
    CHECK(o.payload == std::string("He\x6c\0", 4));

    o = ok({"echo", "--directory", "peers.toml", "--wait-reply", "--json", "--count", "3", "--rate",
            "50", "--timeout", "200"});
    CHECK(o.payload_from_stdin);
    CHECK_FALSE(o.payload);
    CHECK(o.wait_reply);
    CHECK(o.format == reply_format::json);
    CHECK(o.count == 3);
    CHECK(o.rate_pps == 50);
    CHECK(o.timeout_ms == 200);

    o = ok({"9007", "x", "--wait-reply", "--output", "hex", "--interval", "10"});
    CHECK(o.format == reply_format::hex);
    CHECK(o.interval_ms == 10);
    CHECK(ok({"9007", ""}).payload == ""); // an empty datagram is a valid message
}

TEST_CASE("send options: burst and script modes") {
    auto o = ok({"--burst", "10000", "--size", "64", "127.0.0.1:9007", "--window", "128",
                 "--max-loss", "0.5", "--json", "--rate", "20000"});
    CHECK(o.mode == send_mode::burst);
    CHECK(o.burst == 10000);
    CHECK(o.size == 64);
    CHECK(o.window == 128);
    CHECK(o.max_loss == doctest::Approx(0.5));
    CHECK(o.json);
    CHECK(o.rate_pps == 20000);
    CHECK(ok({"--burst", "1", "--size", "8", "9007"}).size == 8);

    o = ok({"--script", "t.udps", "--junit", "out.xml", "--timeout", "50"});
    CHECK(o.mode == send_mode::script);
    CHECK(o.target.empty());
    CHECK(o.junit == "out.xml");
    CHECK(ok({"--script", "t.udps", "9007"}).target == "9007");
}

TEST_CASE("send options: usage errors exit 2 and say what is accepted") {
    struct row {
        std::vector<std::string> args;
        const char* says;
    };
    const row rows[] = {
        {{}, "TARGET is missing"},
        {{"hello-only-text-no-target", "--hex", "zz"},
         "--hex \"zz\": at character 1: bad hex digit \"z\""},
        {{"9007", "--hex", "123"}, "at character 3: odd hex digit"},
        {{"9007", "hi", "--hex", "00"}, "give the message once"},
        {{"9007", "--interval", "5", "--rate", "5"},
         "--interval and --rate cannot be used together"},
        {{"9007", "hi", "--json"}, "add --wait-reply"},
        {{"9007", "hi", "--wait-reply", "--output", "yaml"}, "--output"},
        {{"9007", "hi", "--wait-reply", "--output", "hex", "--json"}, "disagree"},
        {{"9007", "hi", "--count", "0"}, "--count"},
        {{"9007", "hi", "--timeout", "0"}, "--timeout"},
        {{"9007", "hi", "--size", "64"}, "--size cannot be used without --burst"},
        {{"9007", "hi", "--max-message", "70000"}, "--max-message"},
        {{"--burst", "10", "9007"}, "--burst needs --size BYTES (at least 8)"},
        {{"--burst", "10", "--size", "7", "9007"},
         "--size 7 is out of range: a probe needs 8 bytes"},
        {{"--burst", "10", "--size", "2000", "9007"}, "at most --max-message 1472 bytes"},
        {{"--burst", "2000000", "--size", "64", "9007"}, "--burst"},
        {{"--burst", "10", "--size", "64", "9007", "text"},
         "a text argument cannot be used with --burst"},
        {{"--burst", "10", "--size", "64", "9007", "--wait-reply"},
         "--wait-reply cannot be used with --burst"},
        {{"--burst", "10", "--size", "64", "9007", "--max-loss", "101"}, "--max-loss"},
        {{"--burst", "10", "--size", "64", "--script", "t.udps"}, "--script and --burst"},
        {{"--script", "t.udps", "9007", "hi"}, "a text argument cannot be used with --script"},
        {{"9007", "hi", "--junit", "x.xml"}, "--junit FILE needs --script FILE"},
        {{"nowhere:99999", "hi"}, ""}, // the address is checked when resolving; parse is fine
    };
    for (const auto& r : rows) {
        const std::string says = r.says;
        CAPTURE(says);
        auto parsed = parse_send_options(r.args);
        if (std::string(r.says).empty()) {
            CHECK(std::holds_alternative<send_options>(parsed));
            continue;
        }
        REQUIRE(std::holds_alternative<cli::exit_now>(parsed));
        const auto& exit = std::get<cli::exit_now>(parsed);
        CHECK(exit.code == 2);
        CHECK(exit.err.rfind("udp-send: ", 0) == 0);
        CHECK(exit.err.find(r.says) != std::string::npos);
    }
}

TEST_CASE("send options: --help lists the modes and exit codes") {
    auto parsed = parse_send_options({"--help"});
    REQUIRE(std::holds_alternative<cli::exit_now>(parsed));
    const auto& exit = std::get<cli::exit_now>(parsed);
    CHECK(exit.code == 0);
    for (const char* part : {"--burst", "--script", "--wait-reply", "Exit codes: 0 sent"}) {
        CAPTURE(part);
        CHECK(exit.out.find(part) != std::string::npos);
    }
}
} // TEST_SUITE("unit")
