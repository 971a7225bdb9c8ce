#pragma once
// Property checks for the fuzz targets: a failed check prints what was expected and aborts, so
// libFuzzer records the input as a crash (assert() would vanish under NDEBUG).

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "terminal_safe.hpp"

namespace udpkit::fuzz {

using test::is_terminal_safe;

/// Aborts with `what` when `ok` is false.
inline void require(bool ok, const char* what) {
    if (ok)
        return;
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
}

/// Command-line arguments from fuzz input: one per line.
inline std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> args;
    while (!text.empty()) {
        const auto end = text.find('\n');
        args.emplace_back(text.substr(0, end));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return args;
}

} // namespace udpkit::fuzz
