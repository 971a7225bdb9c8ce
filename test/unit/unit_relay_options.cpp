// udp-relay's options: defaults, every impairment per direction, and the errors people see.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "number_cases.hpp"
#include "relay_options.hpp"

using namespace udpkit;

namespace {
relay_options ok(std::vector<std::string> args) {
    auto parsed = parse_relay_options(std::move(args));
    if (auto* exit = std::get_if<cli::exit_now>(&parsed))
        FAIL("unexpected exit " << exit->code << ": " << exit->err);
    return std::get<relay_options>(std::move(parsed));
}

/// The first line of the usage error for `args`.
std::string error_of(std::vector<std::string> args) {
    auto parsed = parse_relay_options(std::move(args));
    REQUIRE(std::holds_alternative<cli::exit_now>(parsed));
    const auto& exit = std::get<cli::exit_now>(parsed);
    CHECK(exit.code == cli::exit_code::usage);
    return test::first_line(exit.err);
}

constexpr std::uint64_t ms = 1'000'000;
} // namespace

TEST_SUITE("unit") {
TEST_CASE("relay options: loopback by default, nothing impaired, --to required") {
    const auto o = ok({"--to", "9007"});
    CHECK(o.listen.to_string() == "127.0.0.1:9008");
    CHECK(o.to == "9007");
    CHECK_FALSE(o.forward.any());
    CHECK_FALSE(o.back.any());
    CHECK_FALSE(o.seed);
    CHECK_FALSE(o.max_message);
    CHECK(o.max_clients == 256);
    CHECK(o.idle_seconds == 60);
    CHECK_FALSE(o.allow_privileged_ports);
    CHECK(o.stats_interval == 0);
    CHECK_FALSE(o.json);
    CHECK(error_of({}) == "udp-relay: --to is required");
}

TEST_CASE("relay options: every impairment, both directions by default") {
    const auto o = ok({"--listen",
                       "[::1]:0",
                       "--to",
                       "[::1]:9007",
                       "--loss",
                       "5%",
                       "--loss-burst",
                       "2%:4",
                       "--duplicate",
                       "2%",
                       "--reorder",
                       "5%",
                       "--reorder-gap",
                       "3",
                       "--delay",
                       "20",
                       "--jitter",
                       "5.5",
                       "--rate",
                       "1000",
                       "--queue",
                       "50",
                       "--corrupt",
                       "0.5%",
                       "--truncate",
                       "100",
                       "--mtu",
                       "1400",
                       "--seed",
                       "18446744073709551615",
                       "--max-message",
                       "65527",
                       "--max-clients",
                       "2",
                       "--idle",
                       "0.5",
                       "--allow-privileged-ports",
                       "--stats-interval",
                       "1",
                       "--json"});
    CHECK(o.listen.to_string() == "[::1]:0");
    for (const impairment* i : {&o.forward, &o.back}) {
        CHECK(i->loss == doctest::Approx(0.05));
        CHECK(i->burst_loss == doctest::Approx(0.02));
        CHECK(i->burst_length == 4);
        CHECK(i->duplicate == doctest::Approx(0.02));
        CHECK(i->reorder == doctest::Approx(0.05));
        CHECK(i->reorder_gap == 3);
        CHECK(i->delay_ns == 20 * ms);
        CHECK(i->jitter_ns == 5'500'000);
        CHECK(i->rate_pps == 1000);
        CHECK(i->queue_limit == 50);
        CHECK(i->corrupt == doctest::Approx(0.005));
        CHECK(i->truncate == 100u);
        CHECK(i->mtu == 1400u);
    }
    CHECK(o.seed == UINT64_MAX);
    CHECK(o.max_message == 65527u);
    CHECK(o.max_clients == 2);
    CHECK(o.idle_seconds == 0.5);
    CHECK(o.allow_privileged_ports);
    CHECK(o.stats_interval == 1);
    CHECK(o.json);
}

TEST_CASE("relay options: forward:/back: prefixes and --direction") {
    const auto o = ok({"--to", "9007", "--loss", "forward:10%", "--loss", "back:1%", "--delay",
                       "back:50", "--bandwidth", "forward:1e6"});
    CHECK(o.forward.loss == doctest::Approx(0.1));
    CHECK(o.back.loss == doctest::Approx(0.01));
    CHECK(o.forward.delay_ns == 0);
    CHECK(o.back.delay_ns == 50 * ms);
    CHECK(o.forward.bandwidth_bps == 1e6);
    CHECK(o.back.bandwidth_bps == 0);

    const auto d =
        ok({"--to", "9007", "--direction", "forward", "--duplicate", "3%", "--mtu", "back:500"});
    CHECK(d.forward.duplicate == doctest::Approx(0.03));
    CHECK(d.back.duplicate == 0);
    CHECK_FALSE(d.forward.mtu);
    CHECK(d.back.mtu == 500u);

    // Later values win, per direction.
    const auto later = ok({"--to", "9007", "--loss", "5%", "--loss", "forward:0%"});
    CHECK(later.forward.loss == 0);
    CHECK(later.back.loss == doctest::Approx(0.05));
}

TEST_CASE("relay options: --help lists the exit codes") {
    auto parsed = parse_relay_options({"--help"});
    REQUIRE(std::holds_alternative<cli::exit_now>(parsed));
    const auto& help = std::get<cli::exit_now>(parsed);
    CHECK(help.code == cli::exit_code::ok);
    for (const char* part : {"Exit codes: 0 stopped by SIGINT, SIGTERM or SIGHUP", "1 a\nruntime",
                             "2 usage or configuration error"})
        CHECK(help.out.find(part) != std::string::npos);
}

TEST_CASE("relay options: errors name the option, the value and what is accepted") {
    struct bad {
        std::vector<std::string> args;
        const char* message;
    };
    for (const bad& b : {
             bad{{"--loss", "5"},
                 "udp-relay: --loss: \"5\" has no % sign; expected a percentage from 0% to "
                 "100%, e.g. 5%"},
             bad{{"--duplicate", "150%"},
                 "udp-relay: --duplicate: \"150%\" is out of range; expected a percentage from "
                 "0% to 100%, e.g. 5%"},
             bad{{"--reorder", "up:5%"},
                 "udp-relay: --reorder: \"up\" is not a direction; expected forward: or back: "
                 "before the value, or none (then --direction decides)"},
             bad{{"--direction", "sideways"},
                 "udp-relay: --direction: \"sideways\" is not a direction; expected forward, "
                 "back or both"},
             bad{{"--loss-burst", "5%"},
                 "udp-relay: --loss-burst: \"5%\" has no :LEN; expected P%:LEN, the long-run "
                 "loss and the mean burst length in datagrams, e.g. 5%:4"},
             bad{{"--loss-burst", "5%:0.5"},
                 "udp-relay: --loss-burst: \"0.5\" is out of range; expected a mean burst "
                 "length in datagrams from 1 to 1000000"},
             bad{{"--delay", "abc"},
                 "udp-relay: --delay: \"abc\" is not a number; expected a number of "
                 "milliseconds from 0 to 3600000"},
             bad{{"--delay", "10", "--jitter", "back:20"},
                 "udp-relay: --jitter 20 ms is larger than --delay 10 ms; the delay varies "
                 "uniformly over DELAY-JITTER..DELAY+JITTER, so the jitter must be at most the "
                 "delay (back)"},
             bad{{"--rate", "0"},
                 "udp-relay: --rate: \"0\" is out of range; expected a number of datagrams per "
                 "second above 0, at most 1000000000"},
             bad{{"--rate", "10", "--bandwidth", "1e6"},
                 "udp-relay: --rate and --bandwidth both limit the same link; give one of them "
                 "(forward)"},
             bad{{"--reorder-gap", "0"},
                 "udp-relay: --reorder-gap: \"0\" is out of range; expected a whole number of "
                 "datagrams from 1 to 1000000"},
             bad{{"--mtu", "70000"},
                 "udp-relay: --mtu: \"70000\" is out of range; expected a whole number of bytes "
                 "from 0 to 65527"},
         }) {
        auto args = b.args;
        args.insert(args.begin(), {"--to", "9007"});
        CAPTURE(b.message);
        CHECK(error_of(args) == b.message);
    }
    // Every number option, with every value no number takes (percentages with their % sign,
    // --loss-burst's length after a valid P%:).
    struct number_option {
        std::string name;
        std::string prefix; // before the value
        std::string suffix; // after it
        std::string expected;
    };
    const std::string percent = "a percentage from 0% to 100%, e.g. 5%";
    const number_option numbers[] = {
        {"--delay", "", "", "a number of milliseconds from 0 to 3600000"},
        {"--jitter", "", "", "a number of milliseconds from 0 to 3600000"},
        {"--rate", "", "", "a number of datagrams per second above 0, at most 1000000000"},
        {"--bandwidth", "", "", "a number of bits per second above 0, at most 1000000000000"},
        {"--queue", "", "", "a whole number of datagrams from 1 to 1000000"},
        {"--reorder-gap", "", "", "a whole number of datagrams from 1 to 1000000"},
        {"--truncate", "", "", "a whole number of bytes from 0 to 65527"},
        {"--mtu", "", "", "a whole number of bytes from 0 to 65527"},
        {"--seed", "", "", "a whole number from 0 to 18446744073709551615"},
        {"--max-message", "", "", "a whole number of bytes from 1 to 65527"},
        {"--max-clients", "", "", "a whole number of clients from 1 to 65536"},
        {"--idle", "", "", "a number of seconds from 0.001 to 10000000"},
        {"--stats-interval", "", "", "a number of seconds from 0.001 to 10000000"},
        {"--loss", "", "%", percent},
        {"--duplicate", "", "%", percent},
        {"--reorder", "", "%", percent},
        {"--corrupt", "", "%", percent},
        {"--loss-burst", "", "%:4", percent},
        {"--loss-burst", "5%:", "", "a mean burst length in datagrams from 1 to 1000000"},
    };
    for (const auto& option : numbers)
        for (const auto& value : test::refused_everywhere) {
            const std::string text = option.prefix + value.text + option.suffix;
            if (text.rfind("--", 0) == 0)
                continue; // after a space, an option name
            CAPTURE(option.name);
            CAPTURE(text);
            // The message quotes the part that is a number, with its % sign.
            const std::string quoted =
                option.suffix == "%:4" ? std::string(value.text) + "%" : value.text + option.suffix;
            const test::refused_number shown{quoted.c_str(), value.reason};
            CHECK(error_of({"--to", "9007", option.name, text}) ==
                  "udp-relay: " + option.name + ": " +
                      test::number_message(shown, option.expected));
        }
    CHECK(error_of({"--to", "9007", "--listen", "1.2.3.4:99999"}).rfind("udp-relay: --listen", 0) ==
          0);
    CHECK(error_of({"--to", "9007", "--directory", "peers.toml"}).find("--as") !=
          std::string::npos);
}
} // TEST_SUITE("unit")
