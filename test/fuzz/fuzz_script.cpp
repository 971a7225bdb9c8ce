// The udp-send script language on arbitrary text: the parser never crashes or hangs and its
// errors name FILE:LINE:COL and are terminal-safe; a script that parses runs to its end in the
// pure interpreter (fed made-up time and replies from the input), with reports that add up.

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "udpkit/render.hpp"
#include "udpkit/script.hpp"

using udpkit::fuzz::require;
namespace script = udpkit::script;

namespace {

std::uint64_t total_steps(const script::program& p) {
    std::uint64_t steps = 0;
    for (const auto& c : p.commands)
        steps += c.steps;
    return steps;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    script::parse_context context;
    context.source = "fuzz.udps";
    context.default_target = "127.0.0.1:9";
    context.read_file = [](const std::string& path) -> udpkit::result<std::string> {
        if (path == "payload")
            return std::string("file bytes");
        return udpkit::fail("cannot open file " + udpkit::render_excerpt(path)); // as load() does
    };
    const auto parsed = script::parse(text, context);
    if (!parsed) {
        const auto& e = parsed.error();
        require(e.source == "fuzz.udps", "a script error names the file");
        require(e.line >= 1 && e.column >= 1, "a script error names a line and a column");
        require(udpkit::fuzz::is_terminal_safe(e.to_string()), "a script error is terminal-safe");
        return 0;
    }
    const auto& program = *parsed;
    require(total_steps(program) <= script::max_steps, "the step cap holds");
    if (total_steps(program) > 2000)
        return 0; // valid but long: running it would only slow the fuzzer down

    std::vector<std::string> labels;
    for (std::size_t i = 0; i < program.targets.size(); ++i)
        labels.push_back("target " + std::to_string(i));
    script::interpreter run(program, labels);
    std::uint64_t now = 1'000'000;
    std::size_t choice = 0;
    // Each advance completes a step or waits; the bound is generous, not tight.
    for (int turns = 0; turns < 20000 && !run.finished(); ++turns) {
        const auto next = run.advance(now);
        const auto byte = size ? static_cast<unsigned char>(data[choice++ % size]) : 0;
        if (next.what == script::action::kind::send) {
            require(next.target < program.targets.size(), "sends go to a known target");
            if (byte % 4 == 0)
                run.send_failed("simulated send failure");
            else if (byte % 4 == 1)
                run.on_datagram(now + 10, next.target, next.payload, next.payload.size(), false);
            else if (byte % 4 == 2)
                run.on_error(now + 10, next.target, "simulated port unreachable");
        } else if (next.what == script::action::kind::wait) {
            require(next.until_ns >= now, "waits never go back in time");
            now = next.until_ns;
        }
    }
    require(run.finished(), "a short script finishes");
    require(run.settled() == run.reports().size(), "a finished run has no step in progress");
    require(run.passed() == (run.failures() == 0), "passed means no failure");
    for (const auto& r : run.reports())
        require(udpkit::fuzz::is_terminal_safe(r.detail), "step reports are terminal-safe");
    return 0;
}
