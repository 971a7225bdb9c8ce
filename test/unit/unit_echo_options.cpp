#include <doctest/doctest.h>

#include <re2/re2.h>

#include <string>
#include <vector>

#include "echo_options.hpp"
#include "number_cases.hpp"

using namespace udpkit;

namespace {
echo_options ok(std::vector<std::string> args) {
    auto parsed = parse_echo_options(std::move(args));
    if (auto* exit = std::get_if<cli::exit_now>(&parsed))
        FAIL("unexpected exit " << exit->code << ": " << exit->err);
    return std::get<echo_options>(std::move(parsed));
}

cli::exit_now error_of(std::vector<std::string> args) {
    auto parsed = parse_echo_options(std::move(args));
    REQUIRE(std::holds_alternative<cli::exit_now>(parsed));
    return std::get<cli::exit_now>(parsed);
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}
} // namespace

TEST_SUITE("unit") {
TEST_CASE("echo options: defaults are loopback:9007, echo, every protection on") {
    const auto o = ok({});
    CHECK(o.bind.to_string() == "127.0.0.1:9007");
    CHECK(o.directory.empty());
    CHECK(o.mode == echo_mode::echo);
    CHECK(o.rules.empty());
    CHECK_FALSE(o.max_message);
    CHECK(o.rate_limit == 0);
    CHECK_FALSE(o.rate_limit_log_only);
    CHECK_FALSE(o.allow_privileged_ports);
    CHECK_FALSE(o.allow_amplification);
    CHECK_FALSE(o.log);
    CHECK(o.stats_interval == 0);
    CHECK_FALSE(o.json);
    CHECK(o.loop_breaker);
    CHECK(o.offload);
}

TEST_CASE("echo options: every option is read") {
    const auto o =
        ok({"--bind", "[::1]:0", "--mode", "upper", "--max-message", "65507", "--rate-limit",
            "250.5", "--burst", "40", "--rate-limit-log-only", "--allow-privileged-ports",
            "--allow-amplification", "--log", "--stats-interval", "0.5", "--json",
            "--no-loop-breaker", "--no-offload"});
    CHECK(o.bind.to_string() == "[::1]:0");
    CHECK(o.mode == echo_mode::upper);
    CHECK(o.max_message == 65507u);
    CHECK(o.rate_limit == 250.5);
    CHECK(o.bucket().per_second == 250.5);
    CHECK(o.bucket().burst == 40);
    CHECK(o.rate_limit_log_only);
    CHECK(o.allow_privileged_ports);
    CHECK(o.allow_amplification);
    CHECK(o.log);
    CHECK(o.stats_interval == 0.5);
    CHECK(o.json);
    CHECK_FALSE(o.loop_breaker);
    CHECK_FALSE(o.offload);
}

TEST_CASE("echo options: the burst defaults to one second's worth, at least 1") {
    CHECK(ok({"--rate-limit", "100"}).bucket().burst == 100);
    CHECK(ok({"--rate-limit", "0.2"}).bucket().burst == 1);
}

TEST_CASE("echo options: --directory with --as") {
    const auto o = ok({"--directory", "meson.build", "--as", "echo"});
    CHECK(o.directory == "meson.build");
    CHECK(o.as == "echo");
}

TEST_CASE("echo options: reply rules keep their command-line order; the default goes last") {
    const auto o = ok({"--reply", "fallback", "--match", "^PING", "--reply", "PONG", "--match",
                       "(?i)time", "--reply", "none"});
    CHECK(o.mode == echo_mode::reply);
    REQUIRE(o.rules.size() == 3);
    CHECK(o.rules[0].source == "^PING");
    CHECK(o.rules[0].text == "PONG");
    REQUIRE(o.rules[0].pattern);
    CHECK(RE2::PartialMatch("PING 1", *o.rules[0].pattern));
    CHECK(o.rules[1].source == "(?i)time");
    CHECK(o.rules[1].text == "none");
    CHECK_FALSE(o.rules[2].pattern);
    CHECK(o.rules[2].text == "fallback");

    const auto plain = ok({"--mode", "reply", "--reply", "hi"});
    REQUIRE(plain.rules.size() == 1);
    CHECK_FALSE(plain.rules[0].pattern);
    CHECK(plain.rules[0].text == "hi");
    CHECK(ok({"--reply", ""}).rules.at(0).text.empty()); // an empty reply is a datagram too
}

TEST_CASE("echo options: --join, --interface and --allow-broadcast") {
    const auto o = ok(
        {"--join", "239.1.2.3:9100", "--join", "team", "--interface", "eth0", "--allow-broadcast"});
    CHECK(o.join == std::vector<std::string>{"239.1.2.3:9100", "team"});
    CHECK(o.interface == "eth0");
    CHECK(o.allow_broadcast);
    CHECK_FALSE(o.bind_given);
    CHECK_FALSE(o.ipv6_only); // a [::] bind is dual-stack unless told
    CHECK(ok({"--bind", "[::]:9007", "--ipv6-only"}).ipv6_only);
    CHECK(ok({"--bind", "0.0.0.0:9100"}).bind_given);
    CHECK_FALSE(ok({}).allow_broadcast);
    // --directory alone serves --join's group names.
    CHECK(ok({"--directory", "peers.toml", "--join", "team"}).as.empty());
}

namespace {
const char* const group_directory = R"([peers.echo]
address = "192.0.2.1:9100"
[peers.other]
address = "192.0.2.1:9007"
[groups.team]
address = "239.1.2.3:9100"
interface = "eth1"
[groups.six]
address = "[ff15::77]:9100"
[groups.lan]
address = "192.0.2.255:9100"
broadcast = true
)";

result<echo_bind_plan> plan(std::vector<std::string> args,
                            const char* configured = "127.0.0.1:9007") {
    const auto dir = peer_directory::parse(group_directory, "peers.toml");
    REQUIRE(dir);
    return plan_binding(ok(std::move(args)), *ip_endpoint::parse(configured), &*dir);
}
} // namespace

TEST_CASE("echo --join: groups bind the wildcard of their family on their port") {
    auto p = plan({"--join", "239.1.2.3:9100"});
    REQUIRE(p);
    CHECK(p->bind.to_string() == "0.0.0.0:9100");
    REQUIRE(p->joins.size() == 1);
    CHECK(p->joins[0].group.to_string() == "239.1.2.3:9100");
    CHECK(p->joins[0].interface.empty());
    CHECK(p->joins[0].label == "239.1.2.3:9100");

    // A directory group brings its interface; --interface overrides it; names ignore case.
    p = plan({"--directory", "peers.toml", "--join", "TEAM"});
    REQUIRE(p);
    CHECK(p->joins[0].label == "team (239.1.2.3:9100)");
    CHECK(p->joins[0].interface == "eth1");
    p = plan({"--directory", "peers.toml", "--join", "team", "--interface", "eth0"});
    REQUIRE(p);
    CHECK(p->joins[0].interface == "eth0");

    // A group without a port takes the bind's; IPv6 binds [::].
    p = plan({"--bind", "[::]:9100", "--join", "ff15::77"}, "[::]:9100");
    REQUIRE(p);
    CHECK(p->bind.to_string() == "[::]:9100");
    CHECK(p->joins[0].group.to_string() == "[ff15::77]:9100");
    p = plan({"--join", "239.1.2.4", "--join", "239.1.2.5"}, "127.0.0.1:9100");
    REQUIRE(p);
    CHECK(p->bind.to_string() == "0.0.0.0:9100");
    CHECK(p->joins.size() == 2);

    // --as a peer on the group's port: the wildcard covers its unicast address too.
    p = plan({"--directory", "peers.toml", "--as", "echo", "--join", "team"}, "192.0.2.1:9100");
    REQUIRE(p);
    CHECK(p->bind.to_string() == "0.0.0.0:9100");

    // Without --join, the configured address as it is.
    p = plan({}, "127.0.0.1:9007");
    REQUIRE(p);
    CHECK(p->bind.to_string() == "127.0.0.1:9007");
    CHECK(p->joins.empty());
}

TEST_CASE("echo --join: what cannot be one socket's groups is refused, saying why") {
    struct row {
        std::vector<std::string> args;
        const char* configured;
        const char* says;
    };
    const row rows[] = {
        {{"--join", "10.0.0.1:9100"},
         "127.0.0.1:9007",
         "--join \"10.0.0.1:9100\": not a multicast group address (IPv4 224.0.0.0/4 such as "
         "239.1.2.3:9100, IPv6 ff00::/8 such as [ff15::77]:9100) nor a group name; groups in "
         "peers.toml: lan, six, team"},
        {{"--join", "nosuch"}, "127.0.0.1:9007", "nor a group name; groups in peers.toml:"},
        {{"--join", "lan"},
         "127.0.0.1:9007",
         "group \"lan\" of peers.toml is a broadcast address, not a multicast group; a wildcard "
         "--bind with --allow-broadcast answers broadcasts"},
        {{"--join", "239.1.2.3:9100", "--join", "[ff15::77]:9100"},
         "127.0.0.1:9007",
         "one socket answers every group, so they need the same IP family and port"},
        {{"--join", "239.1.2.3:9100", "--join", "239.1.2.4:9101"},
         "127.0.0.1:9007",
         "same IP family and port"},
        {{"--bind", "127.0.0.1:9100", "--join", "239.1.2.3:9100"},
         "127.0.0.1:9100",
         "--bind 127.0.0.1:9100 would receive no group datagrams; leave --bind out or give the "
         "wildcard 0.0.0.0:9100"},
        {{"--bind", "0.0.0.0:9200", "--join", "239.1.2.3:9100"},
         "0.0.0.0:9200",
         "the group's port 9100 is not the port 9200 of --bind"},
        {{"--directory", "peers.toml", "--as", "other", "--join", "team"},
         "192.0.2.1:9007",
         "the group's port 9100 is not the port 9007 of peer \"other\""},
    };
    for (const auto& r : rows) {
        CAPTURE(r.says);
        auto p = plan(r.args, r.configured);
        REQUIRE_FALSE(p);
        CHECK(contains(p.error().message, r.says));
    }
    // Without --directory a name cannot be a group.
    auto alone =
        plan_binding(ok({"--join", "team"}), *ip_endpoint::parse("127.0.0.1:9007"), nullptr);
    REQUIRE_FALSE(alone);
    CHECK(contains(alone.error().message, "a group name needs --directory"));
}

TEST_CASE("echo options: usage errors exit 2 and say what is wrong") {
    struct row {
        std::vector<std::string> args;
        const char* says;
    };
    const row rows[] = {
        {{"--bind", "127.0.0.1"}, "\"127.0.0.1\" has no port"},
        {{"--bind", "9000", "--directory", "meson.build", "--as", "x"}, "excludes"},
        {{"--directory", "meson.build"},
         "--directory needs --as NAME (the peer to listen as), "
         "or --join GROUP for its group names"},
        {{"--interface", "eth0"}, "--join"},
        {{"--as", "echo"}, "--directory"},
        {{"--mode", "shout"}, "shout"},
        {{"--mode", "reply"}, "--mode reply needs --reply TEXT"},
        {{"--mode", "upper", "--reply", "x"}, "need --mode reply, not --mode upper"},
        {{"--match", "^a"}, "--match \"^a\" has no --reply TEXT after it"},
        {{"--match", "^a", "--match", "^b", "--reply", "x"},
         "--match \"^a\" has no --reply TEXT after it"},
        {{"--reply", "a", "--reply", "b"}, "only one --reply without --match"},
        {{"--match", "a(b", "--reply", "x"},
         "--match: bad regular expression \"a(b\": missing ): a(b"},
        {{"--match", "[z-a]", "--reply", "x"}, "bad regular expression \"[z-a]\": invalid"},
        {{"--max-message", "0"}, "--max-message"},
        {{"--max-message", "70000"}, "70000"},
        {{"--rate-limit", "0"}, "--rate-limit"},
        {{"--rate-limit", "-5"}, "--rate-limit"},
        {{"--burst", "5"}, "--rate-limit"},
        {{"--rate-limit", "5", "--burst", "0.5"}, "--burst"},
        {{"--rate-limit-log-only"}, "--rate-limit"},
        {{"--stats-interval", "0"}, "--stats-interval"},
        {{"--stats-interval", "soon"}, "soon"},
        {{"--colour"}, "--colour"},
        {{"extra"}, "extra"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.says);
        const auto exit = error_of(r.args);
        CHECK(exit.code == 2);
        CHECK(exit.out.empty());
        CHECK(exit.err.rfind("udp-echo: ", 0) == 0);
        CHECK(contains(exit.err, r.says));
    }
}

TEST_CASE("echo options: --help lists the options and examples, exit 0") {
    const auto exit = error_of({"--help"});
    CHECK(exit.code == 0);
    for (const char* part : {"--bind", "--mode", "--match", "--reply", "--rate-limit", "--burst",
                             "--allow-privileged-ports", "--allow-amplification", "--log",
                             "--stats-interval", "--json", "Examples:"})
        CHECK(contains(exit.out, part));
}

TEST_CASE("echo options: --reply takes the script language's escapes, or --reply-hex") {
    auto o =
        ok({"--match", "^PING", "--reply", "PONG\\r\\n", "--reply", "\\x00\\xff \\\"q\\\" \\\\"});
    REQUIRE(o.rules.size() == 2);
    CHECK(o.rules[0].text == "PONG\r\n");
    CHECK(o.rules[1].text == std::string("\x00\xff \"q\" \\", 8));
    o = ok({"--match", "^A", "--reply-hex", "00 ff", "--reply", "plain"});
    REQUIRE(o.rules.size() == 2);
    CHECK(o.rules[0].text == std::string("\x00\xff", 2));
    CHECK(o.rules[1].text == "plain");
    CHECK(test::first_line(error_of({"--reply", "bad \\q"}).err) ==
          "udp-echo: --reply \"bad \\\\q\": at character 5: unknown escape \\q; use \\\\ \\\" \\n "
          "\\r \\t \\0 or \\xHH");
    CHECK(test::first_line(error_of({"--reply-hex", "0g"}).err)
              .rfind("udp-echo: --reply-hex \"0g\": at character 2: ", 0) == 0);
}

TEST_CASE("echo options: --help states upper mode's ASCII-only rule") {
    CHECK(contains(error_of({"--help"}).out, "upper: the datagram with ASCII a-z upper-cased"));
}

TEST_CASE("echo options: --help lists the exit codes") {
    const auto exit = error_of({"--help"});
    for (const char* part : {"Exit codes: 0 stopped by SIGINT, SIGTERM or SIGHUP", "1 a\nruntime",
                             "2 usage or configuration error"})
        CHECK(contains(exit.out, part));
}

TEST_CASE("echo options: reply texts must fit the socket's limit") {
    const auto o = ok({"--match", "x", "--reply", std::string(100, 'r'), "--reply", "short"});
    CHECK(check_reply_sizes(o, *message_limit::make(100)));
    const auto too_big = check_reply_sizes(o, *message_limit::make(99));
    REQUIRE_FALSE(too_big);
    CHECK(contains(too_big.error().message, "message of 100 bytes exceeds the limit of 99 bytes"));
    CHECK(contains(too_big.error().message, "--max-message"));
}

TEST_CASE("echo options: no number option takes NaN, infinity, a negative or a non-number") {
    struct option {
        std::vector<std::string> before; // what the option needs
        std::string name;
        std::string expected;
    };
    const option options[] = {
        {{}, "--max-message", "a whole number of bytes from 1 to 65527"},
        {{}, "--rate-limit", "a number of datagrams per second above 0, at most 1000000000"},
        {{"--rate-limit", "5"}, "--burst", "a number of datagrams from 1 to 1000000000"},
        {{}, "--stats-interval", "a number of seconds from 0.001 to 10000000"},
    };
    for (const auto& opt : options)
        for (const auto& value : test::refused_everywhere)
            for (const bool joined : {false, true}) {
                if (!joined && std::string(value.text).rfind("--", 0) == 0)
                    continue; // "--5" after a space is an option name, not a value
                auto args = opt.before;
                if (joined) {
                    args.push_back(opt.name + "=" + value.text);
                } else {
                    args.push_back(opt.name);
                    args.push_back(value.text);
                }
                CAPTURE(opt.name);
                CAPTURE(value.text);
                const auto exit = error_of(args);
                CHECK(exit.code == 2);
                CHECK(exit.out.empty());
                CHECK(test::first_line(exit.err) ==
                      "udp-echo: " + opt.name + ": " + test::number_message(value, opt.expected));
            }
}

TEST_CASE("echo options: range errors show readable bounds; numbers may have a sign, a fraction, "
          "an exponent") {
    struct row {
        std::vector<std::string> args;
        std::string says; // the whole first line of stderr
    };
    const row rows[] = {
        {{"--max-message", "0"},
         "udp-echo: --max-message: \"0\" is out of range; expected a "
         "whole number of bytes from 1 to 65527"},
        {{"--max-message", "70000"},
         "udp-echo: --max-message: \"70000\" is out of range; "
         "expected a whole number of bytes from 1 to 65527"},
        {{"--max-message", "1.5"},
         "udp-echo: --max-message: \"1.5\" is not a whole number; "
         "expected a whole number of bytes from 1 to 65527"},
        {{"--max-message", "18446744073709551611"},
         "udp-echo: --max-message: \"18446744073709551611\" is out of range; expected a whole "
         "number of bytes from 1 to 65527"},
        {{"--rate-limit", "0"},
         "udp-echo: --rate-limit: \"0\" is out of range; expected a "
         "number of datagrams per second above 0, at most 1000000000"},
        {{"--rate-limit", "1.7976931348623157e308"},
         "udp-echo: --rate-limit: \"1.7976931348623157e308\" is out of range; expected a number "
         "of datagrams per second above 0, at most 1000000000"},
        {{"--rate-limit", "5", "--burst", "0.5"},
         "udp-echo: --burst: \"0.5\" is out of range; expected a number of datagrams from 1 to "
         "1000000000"},
        {{"--stats-interval", "0"},
         "udp-echo: --stats-interval: \"0\" is out of range; "
         "expected a number of seconds from 0.001 to 10000000"},
        {{"--stats-interval", "soon"},
         "udp-echo: --stats-interval: \"soon\" is not a number; "
         "expected a number of seconds from 0.001 to 10000000"},
        {{"--stats-interval", ""},
         "udp-echo: --stats-interval: \"\" is not a number; expected "
         "a number of seconds from 0.001 to 10000000"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.says);
        const auto exit = error_of(r.args);
        CHECK(exit.code == 2);
        CHECK(test::first_line(exit.err) == r.says);
    }
    const auto o = ok({"--max-message", "1e3", "--rate-limit", ".5", "--burst", "+2E1",
                       "--stats-interval", "1e-3"});
    CHECK(o.max_message == 1000u);
    CHECK(o.rate_limit == 0.5);
    CHECK(o.burst == 20);
    CHECK(o.stats_interval == 0.001);
    CHECK(ok({"--max-message=+65527"}).max_message == 65527u);
    CHECK(ok({"--rate-limit", "1e9"}).rate_limit == 1e9);
}
} // TEST_SUITE("unit")
