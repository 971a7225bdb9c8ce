#include <doctest/doctest.h>

#include <string>

#include "cli.hpp"

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

TEST_CASE("cli: arguments drops the program name") {
    const char* argv[] = {"udp-demo", "--bind", "9000"};
    CHECK(cli::arguments(3, argv) == std::vector<std::string>{"--bind", "9000"});
    CHECK(cli::arguments(0, argv).empty());
}
} // TEST_SUITE("unit")
