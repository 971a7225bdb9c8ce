#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cli.hpp"
#include "number_cases.hpp"
#include "udpkit/number.hpp"

using namespace udpkit;

namespace {
struct fixture {
    std::string bind = "127.0.0.1:9007";
    int max_message = 1472;
    std::unique_ptr<CLI::App> app =
        cli::make_app("udp-demo", "A demo tool.", "  udp-demo --bind 9000\n");
    fixture() {
        app->add_option("--bind", bind, "address")->check(cli::address_validator);
        app->add_option("--max-message", max_message, "bytes")->check(CLI::Range(1, 65507));
    }
};
bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}
} // namespace

TEST_SUITE("unit") {
TEST_CASE("cli: valid options parse and nothing exits") {
    fixture f;
    auto exit = cli::parse(*f.app, {"--bind", "[::1]:0", "--max-message", "512"});
    CHECK_FALSE(exit);
    CHECK(f.bind == "[::1]:0");
    CHECK(f.max_message == 512);
}

TEST_CASE("cli: --help shows the examples and exits 0") {
    fixture f;
    auto exit = cli::parse(*f.app, {"--help"});
    REQUIRE(exit);
    CHECK(exit->code == 0);
    CHECK(contains(exit->out, "A demo tool."));
    CHECK(contains(exit->out, "Examples:\n  udp-demo --bind 9000"));
    CHECK(exit->err.empty());
}

TEST_CASE("cli: --version names the tool and udpkit's version") {
    fixture f;
    auto exit = cli::parse(*f.app, {"--version"});
    REQUIRE(exit);
    CHECK(exit->code == 0);
    CHECK(exit->out.rfind("udp-demo (udpkit) ", 0) == 0);
}

TEST_CASE("cli: usage errors name the option and value and exit 2") {
    struct row {
        std::vector<std::string> args;
        const char* says;
    };
    const row rows[] = {
        {{"--bind", "127.0.0.1"}, "\"127.0.0.1\" has no port"},
        {{"--bind", "x:70000"}, "port 70000 in \"x:70000\" is out of range"},
        {{"--max-message", "70000"}, "70000"},
        {{"--max-message", "big"}, "big"},
        {{"--colour"}, "--colour"},
        {{"--bind"}, "--bind"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.says);
        fixture f;
        auto exit = cli::parse(*f.app, r.args);
        REQUIRE(exit);
        CHECK(exit->code == 2);
        CHECK(exit->out.empty());
        CHECK(exit->err.rfind("udp-demo: ", 0) == 0);
        CHECK(contains(exit->err, r.says));
        CHECK(contains(exit->err, "Run 'udp-demo --help'"));
    }
}

TEST_CASE("numbers: parse_real and parse_whole refuse NaN, infinity, negatives and non-numbers") {
    const real_rule seconds{0.001, 1e7, false, "a number of seconds"};
    const whole_rule bytes{1, 65527, "a whole number of bytes"};
    for (const auto& value : test::refused_everywhere) {
        CAPTURE(value.text);
        auto real = parse_real(value.text, seconds);
        REQUIRE_FALSE(real);
        CHECK(real.error().message ==
              test::number_message(value, "a number of seconds from 0.001 to 10000000"));
        auto whole = parse_whole(value.text, bytes);
        REQUIRE_FALSE(whole);
        CHECK(whole.error().message ==
              test::number_message(value, "a whole number of bytes from 1 to 65527"));
    }
}

TEST_CASE("numbers: what is accepted, and the reason for the rest") {
    const real_rule rate{0, 1e9, true, "a number per second"};
    struct row {
        const char* text;
        double real;       // NAN: refused
        const char* whole; // the value, or the reason it is refused
    };
    const row rows[] = {
        {"0", NAN, "out of range"}, // above 0 / from 1
        {"1", 1, "1"},
        {"+2", 2, "2"},
        {"-0", NAN, "out of range"}, // -0 is 0, not negative
        {"0.5", 0.5, "not a whole number"},
        {".5", 0.5, "not a whole number"},
        {"5.", 5, "5"},
        {"1e3", 1000, "1000"},
        {"1E+3", 1000, "1000"},
        {"2.5e1", 25, "25"},
        {"1e-400", NAN, "out of range"}, // underflows to 0
        {"65527", 65527, "65527"},
        {"65528", 65528, "out of range"},
        {"1e9", 1e9, "out of range"},
        {"1000000001", NAN, "out of range"},
        {"18446744073709551615", NAN, "out of range"},
        {"18446744073709551616", NAN, "out of range"},
        {"1,5", NAN, "not a number"},
        {"1_000", NAN, "not a number"},
        {"five", NAN, "not a number"},
        {"", NAN, "not a number"},
        {"1 ", NAN, "not a number"},
        {"+-1", NAN, "not a number"},
        {"0b1", NAN, "not a number"},
        {"infinityx", NAN, "not a number"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto real = parse_real(r.text, rate);
        CHECK(real.has_value() == !std::isnan(r.real));
        if (real)
            CHECK(*real == r.real);
        auto whole = parse_whole(r.text, {1, 65527});
        if (whole)
            CHECK(std::to_string(*whole) == r.whole);
        else
            CHECK(whole.error().message == "\"" + std::string(r.text) + "\" is " + r.whole +
                                               "; expected a whole number from 1 to 65527");
    }
    // Exactly, beyond what a double holds.
    CHECK(*parse_whole("18446744073709551615", {0, UINT64_MAX}) == UINT64_MAX);
    CHECK(*parse_whole("9007199254740993", {0, UINT64_MAX}) == 9007199254740993u);
    // Untrusted text is quoted safely and cut short.
    CHECK(parse_whole("\x1b[2J", {0, 1}).error().message ==
          "\"\\x1b[2J\" is not a number; expected a whole number from 0 to 1");
    CHECK(parse_real(std::string(5000, '9'), rate).error().message.size() < 200);
    // `shown` replaces the quoted text; `expected` replaces the description.
    CHECK(parse_whole("-5", {0, 10, {}, "a duration, e.g. 5ms"}, "\"-5ms\"").error().message ==
          "\"-5ms\" is negative; expected a duration, e.g. 5ms");
}

TEST_CASE("numbers: typed values (TOML) get the same reasons") {
    const whole_rule bytes{1, 65507, "a whole number of bytes"};
    const std::string expected = "; expected a whole number of bytes from 1 to 65507";
    CHECK(check_whole(std::int64_t{-5}, bytes).error().message == "-5 is negative" + expected);
    CHECK(check_whole(std::int64_t{0}, bytes).error().message == "0 is out of range" + expected);
    CHECK(check_whole(std::int64_t{65508}, bytes).error().message ==
          "65508 is out of range" + expected);
    CHECK(*check_whole(std::int64_t{1472}, bytes) == 1472u);
    CHECK(check_whole(NAN, bytes).error().message == "nan is not a number" + expected);
    CHECK(check_whole(-NAN, bytes).error().message == "-nan is not a number" + expected);
    CHECK(check_whole(INFINITY, bytes).error().message == "inf is infinite" + expected);
    CHECK(check_whole(-INFINITY, bytes).error().message == "-inf is infinite" + expected);
    CHECK(check_whole(-1.0, bytes).error().message == "-1 is negative" + expected);
    CHECK(check_whole(1.5, bytes).error().message == "1.5 is not a whole number" + expected);
    CHECK(check_whole(1e300, bytes).error().message == "1e+300 is out of range" + expected);
    CHECK(check_whole(1.8446744073709552e19, {0, UINT64_MAX})
              .error()
              .message.find("is out of range") != std::string::npos);
    CHECK(*check_whole(1472.0, bytes) == 1472u);
}

TEST_CASE("numbers: bounds and values read well") {
    const std::pair<double, const char*> rows[] = {
        {0, "0"},
        {1, "1"},
        {0.001, "0.001"},
        {1e7, "10000000"},
        {1e9, "1000000000"},
        {0.5, "0.5"},
        {-2.25, "-2.25"},
        {1e15, "1e+15"},
        {1e-7, "1e-07"},
        {1e300, "1e+300"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {NAN, "nan"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
    };
    for (const auto& [value, text] : rows)
        CHECK(format_number(value) == text);
    CHECK(describe(real_rule{0, 100, false, "a percentage"}) == "a percentage from 0 to 100");
    CHECK(describe(real_rule{0, DBL_MAX}) == "a number from 0 to 1.7976931348623157e+308");
    CHECK(describe(real_rule{0, 1e9, true}) == "a number above 0, at most 1000000000");
    CHECK(describe(whole_rule{1, 65527}) == "a whole number from 1 to 65527");
}

TEST_CASE("cli: add_number stores the value; its errors name the option, the value and the range") {
    double rate = 7;
    std::uint64_t count = 7;
    std::uint16_t small = 7;
    std::size_t size = 7;
    auto app = cli::make_app("udp-demo", "A demo tool.", "  udp-demo --rate 5\n");
    cli::add_number(*app, "--rate", rate, "per second", {0, 1e6, true, "a number per second"});
    cli::add_number(*app, "--count", count, "how many", {1, 1000});
    cli::add_number(*app, "--small", small, "capped at the type", {0, UINT64_MAX});
    cli::add_number(*app, "--size", size, "bytes", {0, 65527, "a whole number of bytes"});

    CHECK_FALSE(
        cli::parse(*app, {"--rate", "2.5", "--count=1e3", "--small", "65535", "--size", "+0"}));
    CHECK(rate == 2.5);
    CHECK(count == 1000);
    CHECK(small == 65535);
    CHECK(size == 0);
    CHECK(app->count("--rate") == 1);

    struct row {
        std::vector<std::string> args;
        std::string says; // the first line of stderr
    };
    const row rows[] = {
        {{"--rate", "nan"},
         "udp-demo: --rate: \"nan\" is not a number; expected a number per "
         "second above 0, at most 1000000"},
        {{"--rate=-inf"},
         "udp-demo: --rate: \"-inf\" is infinite; expected a number per second "
         "above 0, at most 1000000"},
        {{"--count", "-5"},
         "udp-demo: --count: \"-5\" is negative; expected a whole number from "
         "1 to 1000"},
        {{"--small", "65536"},
         "udp-demo: --small: \"65536\" is out of range; expected a whole "
         "number from 0 to 65535"},
        {{"--size", "-1"},
         "udp-demo: --size: \"-1\" is negative; expected a whole number of "
         "bytes from 0 to 65527"},
        {{"--size", "1.5"},
         "udp-demo: --size: \"1.5\" is not a whole number; expected a whole "
         "number of bytes from 0 to 65527"},
        {{"--count", "1", "--count", "2"}, "udp-demo: --count: At Most 1 required but received 2"},
        {{"--count"}, "udp-demo: --count: 1 required N:1..1000 missing"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.says);
        double rate2 = 0;
        std::uint64_t count2 = 0;
        std::uint16_t small2 = 0;
        std::size_t size2 = 0;
        auto demo = cli::make_app("udp-demo", "A demo tool.", "");
        cli::add_number(*demo, "--rate", rate2, "", {0, 1e6, true, "a number per second"});
        cli::add_number(*demo, "--count", count2, "", {1, 1000});
        cli::add_number(*demo, "--small", small2, "", {0, UINT64_MAX});
        cli::add_number(*demo, "--size", size2, "", {0, 65527, "a whole number of bytes"});
        auto exit = cli::parse(*demo, r.args);
        REQUIRE(exit);
        CHECK(exit->code == 2);
        CHECK(test::first_line(exit->err) == r.says);
        CHECK(contains(exit->err, "Run 'udp-demo --help'"));
    }
    auto help = cli::parse(*app, {"--help"});
    REQUIRE(help);
    CHECK(contains(help->out, "--rate NUMBER:>0..1000000"));
    CHECK(contains(help->out, "--count N:1..1000"));
}

TEST_CASE("cli: arguments drops the program name") {
    const char* argv[] = {"udp-demo", "--bind", "9000"};
    CHECK(cli::arguments(3, argv) == std::vector<std::string>{"--bind", "9000"});
    CHECK(cli::arguments(0, argv).empty());
}
} // TEST_SUITE("unit")
