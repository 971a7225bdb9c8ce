#pragma once
// Command-line handling shared by the three tools, on CLI11: the same --help layout (with
// examples), --version, error messages that name the option and the value, exit code 2 for
// usage errors. Parsing is pure: it returns what to do instead of printing or exiting, so the
// option parsers of each tool are unit-tested without spawning processes.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "udpkit/address.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/number.hpp"
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

/// A CLI11 app with udpkit's conventions: `--version` (the project version and, built from a
/// checkout, `git describe`), and `examples` shown under --help.
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

/// Adds `--directory FILE --as NAME` for a server that listens on a peer's address and limit
/// instead of `address_option` (both exclude `address_option`; --as needs --directory, and
/// --directory needs --as unless `directory_alone` says what it is for then). Returns
/// --directory.
CLI::Option* add_directory_as(CLI::App& app, std::string& directory, std::string& as,
                              CLI::Option* address_option, std::string_view directory_alone = {});

/// Adds a long-running tool's `--stats-interval SECONDS` (0.001 to 10000000; `interval` stays 0
/// without it) and `--json` (counters as JSON objects).
void add_stats_options(CLI::App& app, double& interval, bool& json);

/// CLI11 validator: HOST:PORT, [IPV6]:PORT or PORT (parse_host_port's rules and messages).
extern const CLI::Validator address_validator;

/// CLI11 validator: a number as parse_real reads it (decimal, finite, in `rule`'s range; the
/// rule's noun must outlive the validator, e.g. a literal). Its error is parse_real's message,
/// which CLI11 puts after the option's name: `--burst: "inf" is infinite; expected ...`.
CLI::Validator real_number(real_rule rule);
/// CLI11 validator: a whole number as parse_whole reads it ("-5" is negative, not 2^64 - 5).
CLI::Validator whole_number(whole_rule rule);

/// Adds an option that takes one real number in `rule`'s range and stores it in `into` (which
/// must outlive the app). Every number option of the tools goes through this or the overload
/// below, so NaN, infinity and non-numbers are refused everywhere with the same messages.
CLI::Option* add_number(CLI::App& app, const std::string& name, double& into,
                        const std::string& description, real_rule rule);

/// The same for a whole number (parse_whole) stored through `store`.
CLI::Option* add_whole_number(CLI::App& app, const std::string& name,
                              std::function<void(std::uint64_t)> store,
                              const std::string& description, whole_rule rule);

/// Adds an option that takes one whole number in `rule`'s range (capped at the type's maximum)
/// and stores it in `into` (which must outlive the app).
template <class Unsigned>
CLI::Option* add_number(CLI::App& app, const std::string& name, Unsigned& into,
                        const std::string& description, whole_rule rule) {
    static_assert(std::is_unsigned_v<Unsigned>, "whole numbers go into unsigned integers");
    if (rule.max > std::numeric_limits<Unsigned>::max())
        rule.max = std::numeric_limits<Unsigned>::max();
    return add_whole_number(
        app, name, [&into](std::uint64_t value) { into = static_cast<Unsigned>(value); },
        description, rule);
}

} // namespace udpkit::cli
