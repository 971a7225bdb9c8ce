// cli::parse with a CLI11 app shaped like the tools' (addresses, ranges, choices, flags,
// dependent options, positionals) on arguments split from the input at newlines: never crash
// or throw; the outcome is "run" with values that passed their validators, help/version
// (exit 0, stdout only) or a usage error (exit 2, stderr only, in the tools' format).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "fuzz_check.hpp"

using udpkit::fuzz::require;
namespace cli = udpkit::cli;

namespace {

bool ends_with(const std::string& s, std::string_view tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto args = udpkit::fuzz::split_lines({reinterpret_cast<const char*>(data), size});

    std::string bind = "127.0.0.1:0";
    std::string mode = "echo";
    std::string reply;
    std::string directory;
    std::string as;
    std::string target;
    std::string text;
    int max_message = 1472;
    double rate = 0;
    double interval = 0;
    unsigned count = 1;
    bool log = false;
    bool hex = false;

    auto app = cli::make_app("udp-fuzz", "A tool shaped like udpkit's.", "  udp-fuzz 9000 hello\n");
    app->add_option("--bind", bind, "address")->check(cli::address_validator);
    app->add_option("--mode", mode, "echo|upper|reply")
        ->check(CLI::IsMember({"echo", "upper", "reply"}));
    app->add_option("--reply", reply, "text");
    app->add_option("--max-message", max_message, "bytes")->check(CLI::Range(1, 65527));
    // The tools' number options: udpkit's parser, not CLI11's (no NaN, no infinity).
    auto* rate_opt = cli::add_number(*app, "--rate", rate, "per second", {0, 1e9, true});
    cli::add_number(*app, "--interval", interval, "ms", {0, 3.6e6})->excludes(rate_opt);
    cli::add_number(*app, "--count", count, "datagrams", {1, 1000000});
    auto* dir_opt = app->add_option("--directory", directory, "peer directory file");
    app->add_option("--as", as, "peer name")->needs(dir_opt);
    app->add_flag("--log", log, "log each datagram");
    app->add_flag("--hex", hex, "TEXT is hex");
    app->add_option("target", target, "address or peer")->check(cli::address_validator);
    app->add_option("text", text, "message");

    const auto exit = cli::parse(*app, args);
    if (!exit) {
        require(udpkit::parse_host_port(bind).has_value(), "--bind passed its validator");
        require(target.empty() || udpkit::parse_host_port(target).has_value(),
                "TARGET passed its validator");
        require(mode == "echo" || mode == "upper" || mode == "reply",
                "--mode is one of its choices");
        require(max_message >= 1 && max_message <= 65527, "--max-message is in range");
        require(rate >= 0 && rate <= 1e9 && interval >= 0 && interval <= 3.6e6 && count >= 1 &&
                    count <= 1000000,
                "numbers are in range (NaN is not)");
        require(app->count("--rate") == 0 || rate > 0, "--rate is above 0 when given");
        require(as.empty() || !directory.empty() || app->count("--directory") > 0,
                "--as comes with --directory");
        return 0;
    }
    if (exit->code == cli::exit_code::ok) {
        require(!exit->out.empty() && exit->err.empty(), "help and version go to stdout only");
        return 0;
    }
    require(exit->code == cli::exit_code::usage, "a usage error exits 2");
    require(exit->out.empty(), "a usage error prints nothing on stdout");
    require(exit->err.rfind("udp-fuzz: ", 0) == 0, "a usage error starts with the tool's name");
    require(ends_with(exit->err, "Run 'udp-fuzz --help' for options and examples.\n"),
            "a usage error points at --help");
    return 0;
}
