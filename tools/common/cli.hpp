#pragma once
// Command-line handling shared by the three tools, on CLI11: the same --help layout (with
// examples), --version, error messages that name the option and the value, exit code 2 for
// usage errors. Parsing is pure: it returns what to do instead of printing or exiting, so the
// option parsers of each tool are unit-tested without spawning processes.

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "udpkit/address.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/result.hpp"

namespace udpkit::cli {

/// Exit codes shared by the tools.
enum exit_code : int { ok = 0, failure = 1, usage = 2 };

/// "Stop now": --help, --version, or a usage error, with what to print where.
struct exit_now {
    int code = exit_code::ok;
    std::string out; ///< for stdout (help, version)
    std::string err; ///< for stderr (usage errors, prefixed with the tool's name)

    /// Prints `out`/`err` and returns `code`: `return exit->print();` in a main.
    int print() const;
};

/// What an option parser returns: the options to run with, or an exit.
template <class Options> using parsed = std::variant<Options, exit_now>;

/// A CLI11 app with udpkit's conventions: `--version`, and `examples` shown under --help.
std::unique_ptr<CLI::App> make_app(const std::string& tool, const std::string& description,
                                   const std::string& examples);

/// Parses `args` (without the program name). Returns nothing when the tool should run;
/// otherwise the exit to take: 0 with help or version text, 2 with a usage error that names
/// the option and value and points at --help.
std::optional<exit_now> parse(CLI::App& app, std::vector<std::string> args);

/// `argv[1..argc)` as strings.
std::vector<std::string> arguments(int argc, const char* const* argv);

/// A usage error (exit code 2) in the tools' format: "TOOL: message\nRun 'TOOL --help' ...".
exit_now usage_error(const std::string& tool, const std::string& message);

/// CLI11 validator: HOST:PORT, [IPV6]:PORT or PORT (parse_host_port's rules and messages).
extern const CLI::Validator address_validator;

} // namespace udpkit::cli
