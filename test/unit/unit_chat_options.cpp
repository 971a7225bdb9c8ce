#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "chat_options.hpp"
#include "number_cases.hpp"

using namespace udpkit;

namespace {
const std::vector<std::string> required{"--directory", "peers.toml", "--as", "alice"};

std::vector<std::string> with(std::vector<std::string> more) {
    auto args = required;
    args.insert(args.end(), more.begin(), more.end());
    return args;
}
} // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("chat options: defaults") {
    auto p = parse_chat_options(required);
    REQUIRE(std::holds_alternative<chat_options>(p));
    const auto& o = std::get<chat_options>(p);
    CHECK(o.directory == "peers.toml");
    CHECK(o.as == "alice");
    CHECK(o.to.empty());
    CHECK_FALSE(o.known_only);
    CHECK(o.format == chat_format::text);
    CHECK(o.linger_ms == 1000u);
}

TEST_CASE("chat options: every option") {
    auto p = parse_chat_options(
        with({"--to", "bob", "--known-only", "--format", "json", "--linger", "2.5"}));
    REQUIRE(std::holds_alternative<chat_options>(p));
    const auto& o = std::get<chat_options>(p);
    CHECK(o.to == "bob");
    CHECK(o.known_only);
    CHECK(o.format == chat_format::json);
    CHECK(o.linger_ms == 2500u);
}

TEST_CASE("chat options: --linger values") {
    CHECK(*parse_linger("0") == 0u);
    CHECK(*parse_linger("1.") == 1000u);
    CHECK(*parse_linger("0.05") == 50u);
    CHECK(*parse_linger("86400") == 86400000u);
    CHECK(parse_linger("forever")->has_value() == false);
    CHECK(*parse_linger("1e3") == 1000000u);
    CHECK(*parse_linger(".5") == 500u);
    CHECK(*parse_linger("+2") == 2000u);
    CHECK(*parse_linger("0.0004") == 0u); // rounded to the millisecond
    CHECK(*parse_linger("0.0005") == 1u);
    const std::string expected = "; expected a number of seconds from 0 to 86400, or forever";
    const std::pair<const char*, const char*> bad[] = {
        {"", "not a number"},          {"-1", "negative"},        {"86401", "out of range"},
        {"86400.001", "out of range"}, {"x", "not a number"},     {"1,5", "not a number"},
        {"Forever", "not a number"},   {"never", "not a number"},
    };
    // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
    for (const auto& row : bad) {
        const char* text = row.first;
        const char* reason = row.second;
        CAPTURE(text);
        auto r = parse_linger(text);
        REQUIRE_FALSE(r);
        CHECK(r.error().message ==
              "--linger: \"" + std::string(text) + "\" is " + reason + expected);
    }
}

TEST_CASE("chat options: --linger takes no NaN, infinity, negative or non-number") {
    const std::string expected = "a number of seconds from 0 to 86400, or forever";
    for (const auto& value : test::refused_everywhere)
        for (const bool joined : {false, true}) {
            if (!joined && std::string(value.text).rfind("--", 0) == 0)
                continue; // "--5" after a space is an option name, not a value
            auto args = joined ? with({std::string("--linger=") + value.text})
                               : with({"--linger", value.text});
            CAPTURE(value.text);
            auto p = parse_chat_options(args);
            REQUIRE(std::holds_alternative<cli::exit_now>(p));
            const auto& e = std::get<cli::exit_now>(p);
            CHECK(e.code == 2);
            CHECK(test::first_line(e.err) ==
                  "udp-chat: --linger: " + test::number_message(value, expected));
        }
}

TEST_CASE("chat options: usage errors exit 2 and name the problem") {
    struct row {
        std::vector<std::string> args;
        const char* says;
    };
    const row rows[] = {
        {{"--as", "alice"}, "--directory"},
        {{"--directory", "peers.toml"}, "--as"},
        {with({"--to", "bob!"}), "\"bob!\" is not a peer name"},
        {{"--directory", "p", "--as", std::string(33, 'a')}, "is not a peer name"},
        {with({"--format", "xml"}), "xml"},
        {with({"--linger", "soon"}), "udp-chat: --linger: \"soon\" is not a number; expected a "
                                     "number of seconds from 0 to 86400, or forever\n"},
        {with({"--max-message", "100"}), "--max-message"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.says);
        auto p = parse_chat_options(r.args);
        REQUIRE(std::holds_alternative<cli::exit_now>(p));
        const auto& e = std::get<cli::exit_now>(p);
        CHECK(e.code == 2);
        CHECK(e.err.rfind("udp-chat: ", 0) == 0);
        CHECK(e.err.find(r.says) != std::string::npos);
    }
}

TEST_CASE("chat options: --help shows the options and examples") {
    auto p = parse_chat_options({"--help"});
    REQUIRE(std::holds_alternative<cli::exit_now>(p));
    const auto& e = std::get<cli::exit_now>(p);
    CHECK(e.code == 0);
    for (const char* part : {"--directory", "--as", "--to", "--known-only", "--format", "--linger",
                             "udp-chat --directory examples/peers.toml --as alice --to bob",
                             "--to PEER|GROUP", "--to team   # a [groups.team] room"})
        CHECK(e.out.find(part) != std::string::npos);
}

TEST_CASE("chat options: --help lists the exit codes") {
    auto p = parse_chat_options({"--help"});
    REQUIRE(std::holds_alternative<cli::exit_now>(p));
    const auto& out = std::get<cli::exit_now>(p).out;
    for (const char* part : {"Exit codes: 0 done, 1 a runtime failure",
                             "a room could not be joined", "2 usage or directory error"})
        CHECK(out.find(part) != std::string::npos);
}
TEST_SUITE_END();
