#pragma once
// Property checks for the fuzz targets: a failed check prints what was expected and aborts, so
// libFuzzer records the input as a crash (assert() would vanish under NDEBUG).

#include <cstdio>
#include <cstdlib>

#include "terminal_safe.hpp"

namespace udpkit::fuzz {

using test::is_terminal_safe;

/// Aborts with `what` when `ok` is false.
inline void require(bool ok, const char *what) {
    if (ok)
        return;
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
}

} // namespace udpkit::fuzz
