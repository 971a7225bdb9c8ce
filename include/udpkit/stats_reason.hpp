#pragma once
// Why a long-running tool printed its counters: shared by the stats lines (pure) and the io
// layer's stats_reports, which knows the signal or timer that fired.

#include <cstdint>
#include <string_view>

namespace udpkit {

/// Why a stats line was printed.
enum class stats_reason : std::uint8_t {
    interval, ///< --stats-interval
    sigusr1,  ///< SIGUSR1
    final     ///< stopping: SIGINT, SIGTERM or SIGHUP
};

/// `interval`, `SIGUSR1`, `final`.
constexpr std::string_view to_string(stats_reason reason) noexcept {
    switch (reason) {
    case stats_reason::interval:
        return "interval";
    case stats_reason::sigusr1:
        return "SIGUSR1";
    case stats_reason::final:
        break;
    }
    return "final";
}

} // namespace udpkit
