#include "udpkit/burst.hpp"

#include <algorithm>
#include <cmath>

namespace udpkit {

std::uint64_t probe_window(std::uint64_t window, std::uint64_t window_bytes,
                           std::size_t probe_size) noexcept {
    if (window_bytes == 0)
        return window;
    const std::uint64_t by_bytes =
        std::max<std::uint64_t>(1, window_bytes / std::max<std::size_t>(probe_size, 1));
    return window == 0 ? by_bytes : std::min(window, by_bytes);
}

std::uint64_t datagram_footprint(std::size_t size) noexcept {
    return 2 * static_cast<std::uint64_t>(size) + 2048;
}

probe_burst::probe_burst(const burst_plan& plan, std::uint64_t start_ns, std::uint32_t first_seq)
    : plan_(plan), start_ns_(start_ns), stats_(first_seq, start_ns, plan.timeout_ns) {}

std::uint64_t probe_burst::slot_time(std::uint64_t k) const noexcept {
    // Probe k may leave k / rate seconds after the start (rounded up to the nanosecond).
    const double offset =
        std::ceil(static_cast<double>(k) * 1e9 / static_cast<double>(plan_.rate_pps));
    return start_ns_ + static_cast<std::uint64_t>(offset);
}

std::uint64_t probe_burst::sendable(std::uint64_t now_ns) {
    const std::uint64_t sent = stats_.sent();
    const std::uint64_t in_flight = stats_.in_flight(now_ns, plan_.timeout_ns);
    std::uint64_t n = plan_.count > sent ? plan_.count - sent : 0;
    if (plan_.window != 0)
        n = std::min(n, plan_.window > in_flight ? plan_.window - in_flight : 0);
    if (plan_.rate_pps != 0 && n > 0) {
        // Slots 0..due-1 have come; `due - sent` of them are still unused.
        const double elapsed = static_cast<double>(now_ns - std::min(now_ns, start_ns_));
        const auto due = static_cast<std::uint64_t>(
                             std::floor(elapsed * static_cast<double>(plan_.rate_pps) / 1e9)) +
                         1;
        n = std::min(n, due > sent ? due - sent : 0);
    }
    return n;
}

bool probe_burst::finished(std::uint64_t now_ns) {
    return stats_.sent() >= plan_.count && stats_.in_flight(now_ns, plan_.timeout_ns) == 0 &&
           (!plan_.linger || now_ns - std::min(now_ns, last_sent_ns_) >= plan_.timeout_ns);
}

std::optional<std::uint64_t> probe_burst::wake_at(std::uint64_t now_ns) {
    if (finished(now_ns))
        return std::nullopt;
    std::optional<std::uint64_t> wake = stats_.next_expiry(plan_.timeout_ns);
    const bool window_full =
        plan_.window != 0 && stats_.in_flight(now_ns, plan_.timeout_ns) >= plan_.window;
    if (stats_.sent() < plan_.count && !window_full) {
        // Waiting only for the rate schedule (or, without a rate, ready now).
        const std::uint64_t next = plan_.rate_pps != 0 ? slot_time(stats_.sent()) : now_ns;
        wake = wake ? std::min(*wake, next) : next;
    }
    if (!wake && plan_.linger) // every probe answered: other responders may still answer
        wake = last_sent_ns_ + plan_.timeout_ns;
    return wake;
}

} // namespace udpkit
