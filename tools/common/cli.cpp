#include "cli.hpp"

#include <cstdio>
#include <sstream>
#include <string_view>

#include "git_version.hpp"
#include "udpkit/version.hpp"

namespace udpkit::cli {

int exit_now::print() const {
    if (!out.empty())
        std::fputs(out.c_str(), stdout);
    if (!err.empty())
        std::fputs(err.c_str(), stderr);
    return code;
}

std::unique_ptr<CLI::App> make_app(const std::string& tool, const std::string& description,
                                   const std::string& examples) {
    auto app = std::make_unique<CLI::App>(description, tool);
    std::string version = tool + " (udpkit) " + UDPKIT_VERSION;
    // Outside a checkout vcs_tag() writes the project version itself: nothing to add.
    if (std::string_view(UDPKIT_GIT_DESCRIBE) != UDPKIT_VERSION)
        version += " (git " UDPKIT_GIT_DESCRIBE ")";
    app->set_version_flag("--version", version);
    app->footer("\nExamples:\n" + examples);
    app->get_formatter()->column_width(34);
    return app;
}

exit_now usage_error(const std::string& tool, const std::string& message) {
    return {exit_code::usage,
            {},
            tool + ": " + message + "\nRun '" + tool + " --help' for options and examples.\n"};
}

std::optional<exit_now> parse(CLI::App& app, std::vector<std::string> args) {
    // CLI11 consumes the vector from the back.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return exit_now{exit_code::ok, app.help(), {}};
    } catch (const CLI::CallForAllHelp&) {
        return exit_now{exit_code::ok, app.help("", CLI::AppFormatMode::All), {}};
    } catch (const CLI::CallForVersion& e) {
        return exit_now{exit_code::ok, std::string(e.what()) + "\n", {}};
    } catch (const CLI::ParseError& e) {
        return usage_error(app.get_name(), e.what());
    }
    return std::nullopt;
}

std::vector<std::string> arguments(int argc, const char* const* argv) {
    return std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc);
}

CLI::Option* add_directory_as(CLI::App& app, std::string& directory, std::string& as,
                              CLI::Option* address_option, std::string_view directory_alone) {
    auto* file =
        app.add_option("--directory", directory,
                       "peer directory (TOML); with --as" +
                           (directory_alone.empty() ? std::string()
                                                    : ", or " + std::string(directory_alone)))
            ->type_name("FILE");
    auto* name =
        app.add_option("--as", as, "listen on this peer's address and limit")->type_name("NAME");
    if (directory_alone.empty())
        file->needs(name);
    name->needs(file);
    address_option->excludes(file);
    return file;
}

void add_stats_options(CLI::App& app, double& interval, bool& json) {
    add_number(app, "--stats-interval", interval, "print the counters every SECONDS",
               {0.001, 1e7, false, "a number of seconds"})
        ->type_name("SECONDS");
    app.add_flag("--json", json, "print counters as JSON objects");
}

const CLI::Validator address_validator(
    [](std::string& text) -> std::string {
        auto parsed = parse_host_port(text);
        return parsed ? std::string() : parsed.error().message;
    },
    "ADDR", "address");

namespace {

std::string range_text(const real_rule& rule) {
    return (rule.above_min ? ">" : "") + format_number(rule.min) + ".." + format_number(rule.max);
}

} // namespace

CLI::Validator real_number(real_rule rule) {
    return CLI::Validator(
        [rule](std::string& text) -> std::string {
            auto value = parse_real(text, rule);
            return value ? std::string() : value.error().message;
        },
        range_text(rule), "real_number");
}

CLI::Validator whole_number(whole_rule rule) {
    return CLI::Validator(
        [rule](std::string& text) -> std::string {
            auto value = parse_whole(text, rule);
            return value ? std::string() : value.error().message;
        },
        std::to_string(rule.min) + ".." + std::to_string(rule.max), "whole_number");
}

// The validator has accepted the text before the callback runs, so parsing again succeeds; the
// value is stored by udpkit's parser, never by CLI11's (which reads "nan", "0x10" and, through
// strtold, depends on the locale).
CLI::Option* add_number(CLI::App& app, const std::string& name, double& into,
                        const std::string& description, real_rule rule) {
    return app
        .add_option_function<std::string>(
            name, [&into, rule](const std::string& text) { into = *parse_real(text, rule); },
            description)
        ->check(real_number(rule))
        ->type_name("NUMBER");
}

CLI::Option* add_whole_number(CLI::App& app, const std::string& name,
                              std::function<void(std::uint64_t)> store,
                              const std::string& description, whole_rule rule) {
    return app
        .add_option_function<std::string>(
            name,
            [store = std::move(store), rule](const std::string& text) {
                store(*parse_whole(text, rule));
            },
            description)
        ->check(whole_number(rule))
        ->type_name("N");
}

} // namespace udpkit::cli
