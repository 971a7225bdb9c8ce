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
    /// To a group: the first reply to a probe is not the last, so the burst lasts until the
    /// last probe's timeout even when every probe was answered.
    bool linger = false;
};

/// The default most bytes of probes in flight (`--window-bytes`): what a responder with Linux's
/// default receive buffer (net.core.rmem_default, 212992 bytes of kernel memory) holds whole at
/// any datagram size. The kernel charges each datagram its buffer, up to about twice its size
/// plus 2 KiB (measured on loopback: twelve 8000-byte datagrams fit, 96000 bytes), and in a
/// closed loop the slowest receiver queues the whole window.
inline constexpr std::uint64_t default_window_bytes = 65536;

/// The most probes in flight: `window` (0: no limit), and at most `window_bytes` of probes of
/// `probe_size` bytes (0: no limit), but at least one. 0 when neither limits.
std::uint64_t probe_window(std::uint64_t window, std::uint64_t window_bytes,
                           std::size_t probe_size) noexcept;

/// Kernel memory one received datagram of `size` bytes may take (its buffer's true size), a
/// bound with room to spare: 2 * size + 2048.
std::uint64_t datagram_footprint(std::size_t size) noexcept;

/// One burst in progress: the plan, the clock origin and the statistics.
///
/// Rate limiting follows a schedule, not a sleep per probe: probe k may leave at
/// `start + k / rate`, so a late timer is caught up (the long-run rate stays exact even though
/// libuv timers have millisecond resolution). The window counts probes sent and neither
/// answered nor given up on.
class probe_burst {
public:
    /// Statistics with the plan's timeout: a reply after it is late.
    probe_burst(const burst_plan& plan, std::uint64_t start_ns, std::uint32_t first_seq = 0);

    /// How many probes may be sent at `now_ns` (0 when the rate, the window or the count says
    /// wait). `now_ns` must not go backwards.
    std::uint64_t sendable(std::uint64_t now_ns);
    /// The header for the next probe (or the one `ahead` after it); call record_sent(now_ns)
    /// once it has left, for each in order.
    [[nodiscard]] probe_header next_probe(std::uint64_t now_ns,
                                          std::uint64_t ahead = 0) const noexcept {
        return stats_.next_probe(now_ns, ahead);
    }
    void record_sent(std::uint64_t now_ns) {
        stats_.record_sent(now_ns);
        last_sent_ns_ = now_ns;
    }
    /// Counts a received datagram (see burst_stats::record_reply).
    reply_kind record_reply(std::string_view payload, std::size_t size, bool truncated,
                            std::size_t probe_size, std::uint64_t now_ns) {
        return stats_.record_reply(payload, size, truncated, probe_size, now_ns);
    }
    /// Whether `payload` carries the header of one of its probes (burst_stats::has_our_header).
    [[nodiscard]] bool has_our_header(std::string_view payload) const noexcept {
        return stats_.has_our_header(payload);
    }

    /// True when every probe was sent and none is in flight any more (with `linger`, and the
    /// last one's timeout has passed).
    bool finished(std::uint64_t now_ns);
    /// When to call sendable()/finished() again if no reply comes first: the next slot of the
    /// rate schedule or the next probe to give up on; nullopt when finished.
    std::optional<std::uint64_t> wake_at(std::uint64_t now_ns);

    [[nodiscard]] const burst_stats& stats() const noexcept { return stats_; }
    /// The counters since the previous call (see burst_stats::take_interval).
    burst_interval take_interval(std::uint64_t now_ns) { return stats_.take_interval(now_ns); }
    [[nodiscard]] const burst_plan& plan() const noexcept { return plan_; }

private:
    [[nodiscard]] std::uint64_t slot_time(std::uint64_t k) const noexcept;
    burst_plan plan_;
    std::uint64_t start_ns_;
    std::uint64_t last_sent_ns_ = 0;
    burst_stats stats_;
};

} // namespace udpkit
