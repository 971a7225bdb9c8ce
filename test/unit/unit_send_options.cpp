#include <doctest/doctest.h>

#include <string>
#include <variant>
#include <vector>

#include "number_cases.hpp"
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
    CHECK_FALSE(o.max_message);

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
        {{"--burst", "10", "--size", "2000", "--max-message", "1472", "9007"},
         "at most --max-message 1472 bytes"},
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

TEST_CASE("send options: --help documents the script's \\r escape") {
    auto parsed = parse_send_options({"--help"});
    REQUIRE(std::holds_alternative<cli::exit_now>(parsed));
    CHECK(std::get<cli::exit_now>(parsed).out.find("escapes \\n \\r \\t") != std::string::npos);
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

namespace {
std::string send_error(const std::vector<std::string>& args) {
    auto parsed = parse_send_options(args);
    REQUIRE(std::holds_alternative<cli::exit_now>(parsed));
    const auto& exit = std::get<cli::exit_now>(parsed);
    CHECK(exit.code == 2);
    CHECK(exit.out.empty());
    return test::first_line(exit.err);
}
} // namespace

TEST_CASE("send options: --rate 0 means no limit, as the script's rate 0 does") {
    auto once = ok({"9007", "x", "--count", "3", "--rate", "0"});
    CHECK(once.rate_pps == 0);
    auto burst = ok({"9007", "--burst", "10", "--size", "64", "--rate", "0"});
    CHECK(burst.rate_pps == 0);
}

TEST_CASE("send options: no number option takes NaN, infinity, a negative or a non-number") {
    struct option {
        std::string name;
        std::string expected;
    };
    const option options[] = {
        {"--count", "a whole number from 1 to 1000000000"},
        {"--interval", "a whole number of milliseconds from 0 to 3600000"},
        {"--rate", "a whole number of datagrams per second from 0 to 1000000"},
        {"--timeout", "a whole number of milliseconds from 1 to 3600000"},
        {"--max-message", "a whole number of bytes from 1 to 65527"},
        {"--burst", "a whole number of probes from 1 to 1000000"},
        {"--size", "a whole number of bytes from 0 to 65527"},
        {"--window", "a whole number of probes from 0 to 1000000"},
        {"--window-bytes", "a whole number of bytes from 0 to 1073741824"},
        {"--max-loss", "a percentage from 0 to 100"},
        {"--report-interval", "a number of seconds from 0.01 to 3600"},
        {"--ttl", "a whole number of hops from 0 to 255"},
        {"--expect-responders", "a whole number of responders from 1 to 256"},
    };
    for (const auto& opt : options)
        for (const auto& value : test::refused_everywhere)
            for (const bool joined : {false, true}) {
                if (!joined && std::string(value.text).rfind("--", 0) == 0)
                    continue; // "--5" after a space is an option name, not a value
                std::vector<std::string> args{"9007"};
                if (joined) {
                    args.push_back(opt.name + "=" + value.text);
                } else {
                    args.push_back(opt.name);
                    args.push_back(value.text);
                }
                CAPTURE(opt.name);
                CAPTURE(value.text);
                CHECK(send_error(args) ==
                      "udp-send: " + opt.name + ": " + test::number_message(value, opt.expected));
            }
}

TEST_CASE("send options: range errors show readable bounds; negatives are not 2^64 - N") {
    struct row {
        std::vector<std::string> args;
        std::string says; // the whole first line of stderr
    };
    const row rows[] = {
        {{"9007", "--count", "0"},
         "udp-send: --count: \"0\" is out of range; expected a whole "
         "number from 1 to 1000000000"},
        {{"9007", "--count", "2.5"},
         "udp-send: --count: \"2.5\" is not a whole number; "
         "expected a whole number from 1 to 1000000000"},
        {{"9007", "--count", "18446744073709551611"},
         "udp-send: --count: \"18446744073709551611\" is out of range; expected a whole number "
         "from 1 to 1000000000"},
        {{"9007", "--interval", "3600001"},
         "udp-send: --interval: \"3600001\" is out of range; "
         "expected a whole number of milliseconds from 0 to "
         "3600000"},
        {{"9007", "--rate", "1000001"},
         "udp-send: --rate: \"1000001\" is out of range; expected a whole "
         "number of datagrams per second from 0 to 1000000"},
        {{"9007", "--timeout", "0"},
         "udp-send: --timeout: \"0\" is out of range; expected a "
         "whole number of milliseconds from 1 to 3600000"},
        {{"9007", "--size", "-1"},
         "udp-send: --size: \"-1\" is negative; expected a whole "
         "number of bytes from 0 to 65527"},
        {{"9007", "--window", "1000001"},
         "udp-send: --window: \"1000001\" is out of range; "
         "expected a whole number of probes from 0 to 1000000"},
        {{"9007", "--max-loss", "100.5"},
         "udp-send: --max-loss: \"100.5\" is out of range; "
         "expected a percentage from 0 to 100"},
        {{"9007", "--max-loss", "1.7976931348623157e308"},
         "udp-send: --max-loss: \"1.7976931348623157e308\" is out of range; expected a "
         "percentage from 0 to 100"},
        {{"9007", "--max-loss", "ten"},
         "udp-send: --max-loss: \"ten\" is not a number; "
         "expected a percentage from 0 to 100"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.says);
        CHECK(send_error(r.args) == r.says);
    }
    auto o = ok({"--burst", "1e4", "--size", "+64", "9007", "--window", "0", "--max-loss", ".5",
                 "--rate", "2E3", "--timeout", "1e3"});
    CHECK(o.burst == 10000);
    CHECK(o.size == 64);
    CHECK(o.window == 0);
    CHECK(o.max_loss == 0.5);
    CHECK(o.rate_pps == 2000);
    CHECK(o.timeout_ms == 1000);
    o = ok({"9007", "x", "--count=1000000000", "--interval", "-0"});
    CHECK(o.count == 1'000'000'000);
    CHECK(o.interval_ms == 0);
}

TEST_CASE("send options: burst reports, the window in bytes, and --expect-echo") {
    auto o = ok({"--burst", "10", "--size", "64", "9007"});
    CHECK(o.window_bytes == 65536);
    CHECK_FALSE(o.histogram);
    CHECK(o.report_interval_s == 0);
    o = ok({"--burst", "10", "--size", "64", "--histogram", "--report-interval", "0.5",
            "--window-bytes", "0", "--json", "9007"});
    CHECK(o.histogram);
    CHECK(o.report_interval_s == 0.5);
    CHECK(o.window_bytes == 0);
    o = ok({"9007", "hi", "--wait-reply", "--expect-echo"});
    CHECK(o.expect_echo);
    CHECK(send_error({"9007", "hi", "--expect-echo"}) ==
          "udp-send: --expect-echo checks the replies: add --wait-reply");
    CHECK(send_error({"9007", "hi", "--histogram"}) ==
          "udp-send: --histogram cannot be used without --burst");
    CHECK(send_error({"9007", "hi", "--window-bytes", "100"}) ==
          "udp-send: --window-bytes cannot be used without --burst");
    CHECK(send_error({"--script", "x.udps", "--expect-echo"}) ==
          "udp-send: --expect-echo cannot be used with --script: write `expect echo` after a "
          "send in the script");
    CHECK(send_error({"--burst", "5", "--size", "64", "--expect-echo", "9007"}) ==
          "udp-send: --expect-echo cannot be used with --burst: a burst checks every reply whole "
          "anyway");
}

TEST_CASE("send options: offload is on unless --no-offload, in every mode") {
    CHECK(ok({"--burst", "10", "--size", "64", "9007"}).offload);
    CHECK_FALSE(ok({"--burst", "10", "--size", "64", "--no-offload", "9007"}).offload);
    CHECK_FALSE(ok({"9007", "hi", "--no-offload"}).offload);
    CHECK_FALSE(ok({"--script", "x.udps", "--no-offload"}).offload);
}

TEST_CASE(
    "send options: group flags --broadcast, --ttl, --interface, --loop, --expect-responders") {
    auto o = ok({"239.77.0.2:9200", "hi"});
    CHECK_FALSE(o.group.broadcast);
    CHECK_FALSE(o.group.ttl);
    CHECK(o.group.interface.empty());
    CHECK_FALSE(o.group.loop);
    CHECK(o.group.expect_responders == 0);

    o = ok({"239.77.0.2:9200", "hi", "--wait-reply", "--ttl", "0", "--interface", "eth0",
            "--no-loop", "--expect-responders", "2"});
    CHECK(o.group.ttl == 0);
    CHECK(o.group.interface == "eth0");
    CHECK(o.group.loop == false);
    CHECK(o.group.expect_responders == 2);
    CHECK(ok({"239.77.0.2:9200", "hi", "--ttl", "255", "--loop"}).group.ttl == 255);
    CHECK(ok({"239.77.0.2:9200", "hi", "--loop"}).group.loop == true);
    CHECK(ok({"--broadcast", "192.0.2.255:9", "hi"}).group.broadcast);
    o = ok({"--burst", "10", "--size", "64", "239.77.0.2:9200", "--expect-responders", "256"});
    CHECK(o.group.expect_responders == 256);
    // Scripts take the socket flags (every multicast target of the script), not the count.
    o = ok({"--script", "t.udps", "--ttl", "3", "--broadcast"});
    CHECK(o.group.ttl == 3);
    CHECK(o.group.broadcast);
}

TEST_CASE("send options: group flag errors name the value and what is accepted") {
    struct row {
        std::vector<std::string> args;
        std::string says; // the whole first line of stderr
    };
    const row rows[] = {
        {{"239.1.2.3:9", "hi", "--ttl", "256"},
         "udp-send: --ttl: \"256\" is out of range; expected a whole number of hops from 0 to 255"},
        {{"239.1.2.3:9", "hi", "--ttl", "-1"},
         "udp-send: --ttl: \"-1\" is negative; expected a whole number of hops from 0 to 255"},
        {{"239.1.2.3:9", "hi", "--wait-reply", "--expect-responders", "0"},
         "udp-send: --expect-responders: \"0\" is out of range; expected a whole number of "
         "responders from 1 to 256"},
        {{"239.1.2.3:9", "hi", "--wait-reply", "--expect-responders", "257"},
         "udp-send: --expect-responders: \"257\" is out of range; expected a whole number of "
         "responders from 1 to 256"},
        {{"239.1.2.3:9", "hi", "--expect-responders", "2"},
         "udp-send: --expect-responders counts the sources that replied: add --wait-reply (or "
         "use --burst)"},
        {{"--script", "t.udps", "--expect-responders", "2"},
         "udp-send: --expect-responders cannot be used with --script (the script says what to "
         "send)"},
        {{"239.1.2.3:9", "hi", "--loop", "--no-loop"},
         "udp-send: --loop and --no-loop disagree; pick one"},
        {{"239.1.2.3:9", "hi", "--interface", ""},
         "udp-send: --interface needs an interface: a name (eth0), an index (2) or one of its "
         "addresses"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.says);
        CHECK(send_error(r.args) == r.says);
    }
}
} // TEST_SUITE("unit")
