#pragma once
// Pacing of a probe burst: how many probes may go now (count, rate, window) and when to look
// again. Pure: fed the current time, so tests drive it by hand; the tool's libuv timer and
// receive handler only call it and send what it allows.

#include <cstdint>
#include <optional>

#include "udpkit/stats.hpp"

namespace udpkit {

/// What to send.
struct burst_plan {
    std::uint64_t count = 0;                  ///< probes in the burst, 1..burst_stats::max_probes
    std::uint64_t rate_pps = 0;               ///< at most this many probes per second; 0 = no limit
    std::uint64_t window = 64;                ///< at most this many probes in flight; 0 = no limit
    std::uint64_t timeout_ns = 1'000'000'000; ///< a probe unanswered this long is given up on
};

/// One burst in progress: the plan, the clock origin and the statistics.
///
/// Rate limiting follows a schedule, not a sleep per probe: probe k may leave at
/// `start + k / rate`, so a late timer is caught up (the long-run rate stays exact even though
/// libuv timers have millisecond resolution). The window counts probes sent and neither
/// answered nor given up on.
class probe_burst {
public:
    probe_burst(const burst_plan& plan, std::uint64_t start_ns, std::uint32_t first_seq = 0);

    /// How many probes may be sent at `now_ns` (0 when the rate, the window or the count says
    /// wait). `now_ns` must not go backwards.
    std::uint64_t sendable(std::uint64_t now_ns);
    /// The header for the next probe; call record_sent(now_ns) once it has left.
    [[nodiscard]] probe_header next_probe(std::uint64_t now_ns) const noexcept {
        return stats_.next_probe(now_ns);
    }
    void record_sent(std::uint64_t now_ns) { stats_.record_sent(now_ns); }
    /// Counts a received datagram (see burst_stats::record_reply).
    reply_kind record_reply(std::string_view payload, std::size_t size, bool truncated,
                            std::size_t probe_size, std::uint64_t now_ns) {
        return stats_.record_reply(payload, size, truncated, probe_size, now_ns);
    }

    /// True when every probe was sent and none is in flight any more.
    bool finished(std::uint64_t now_ns);
    /// When to call sendable()/finished() again if no reply comes first: the next slot of the
    /// rate schedule or the next probe to give up on; nullopt when finished.
    std::optional<std::uint64_t> wake_at(std::uint64_t now_ns);

    [[nodiscard]] const burst_stats& stats() const noexcept { return stats_; }
    [[nodiscard]] const burst_plan& plan() const noexcept { return plan_; }

private:
    [[nodiscard]] std::uint64_t slot_time(std::uint64_t k) const noexcept;
    burst_plan plan_;
    std::uint64_t start_ns_;
    burst_stats stats_;
};

} // namespace udpkit
