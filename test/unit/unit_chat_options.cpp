#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "chat_options.hpp"

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
    for (const char* bad : {"", "-1", "1e3", "0.0001", "86401", "x", ".5", "1,5", " 1"}) {
        CAPTURE(bad);
        auto r = parse_linger(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find(std::string("\"") + bad + "\"") != std::string::npos);
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
        {with({"--linger", "soon"}), "--linger: \"soon\" is not a number of seconds"},
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
                             "udp-chat --directory examples/peers.toml --as alice --to bob"})
        CHECK(e.out.find(part) != std::string::npos);
}
TEST_SUITE_END();
