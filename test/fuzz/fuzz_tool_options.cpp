// The tools' own option parsers (udp-chat, udp-send) on arguments split from the input at
// newlines: never crash or throw; either the options to run with, or an exit with code 0 (help,
// version: stdout only) or 2 (usage error: stderr only, `TOOL: ...`).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chat_options.hpp"
#include "fuzz_check.hpp"
#include "send_options.hpp"

using udpkit::fuzz::require;

namespace {

template <class Options> void check(const udpkit::cli::parsed<Options>& outcome, const char* tool) {
    const auto* exit = std::get_if<udpkit::cli::exit_now>(&outcome);
    if (exit == nullptr)
        return;
    require(exit->code == 0 || exit->code == 2, "options exit 0 (help/version) or 2 (usage)");
    if (exit->code == 0) {
        require(exit->err.empty() && !exit->out.empty(), "help and version go to stdout");
    } else {
        require(exit->out.empty(), "usage errors go to stderr only");
        require(exit->err.rfind(std::string(tool) + ": ", 0) == 0, "usage errors name the tool");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    // The first byte picks the tool, so one corpus covers all of them.
    const auto args =
        udpkit::fuzz::split_lines({reinterpret_cast<const char*>(data) + 1, size - 1});
    if (data[0] % 2 == 0)
        check(udpkit::parse_chat_options(args), "udp-chat");
    else
        check(udpkit::parse_send_options(args), "udp-send");
    return 0;
}
