#pragma once
// Burst/probe statistics: pure logic, fed probes sent and replies received with the current
// time. No sockets and no clock inside, so tests drive it with hand-made sequences.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "udpkit/foreign.hpp"

namespace udpkit {

/// The probe format of `udp-send --burst`: 8 bytes in network byte order, padded with zero
/// bytes up to the probe size (so `--size 8` and up work, e.g. the 10-byte sticky-packet demo):
///
///     offset 0   4 bytes  sequence number (32 bits, wraps from 0xffffffff to 0)
///     offset 4   4 bytes  send time: microseconds since the burst started, modulo 2^32
///
/// An echo responder sends it back unchanged. The sender keeps each probe's full send time, so
/// RTTs are exact in nanoseconds; the echoed time must match the record (to the microsecond),
/// which is what tells a reply to this probe from a stray datagram (no magic number is needed).
struct probe_header {
    std::uint32_t seq = 0;
    std::uint32_t sent_us = 0;
};

/// Size of the probe header: the smallest probe.
inline constexpr std::size_t probe_header_bytes = 8;

/// Writes a probe of `size` bytes (size >= probe_header_bytes) into `out`, replacing it.
void encode_probe(std::string& out, const probe_header& header, std::size_t size);

/// Reads the header of a probe; nullopt if `payload` is shorter than the header.
std::optional<probe_header> decode_probe(std::string_view payload) noexcept;

/// Durations as the report gives them, in nanoseconds.
struct rtt_summary {
    std::uint64_t p50 = 0;
    std::uint64_t p90 = 0;
    std::uint64_t p99 = 0;
    std::uint64_t max = 0;
};

/// The nearest-rank percentile (0 < p <= 100) of `sorted` (ascending); 0 for an empty input.
std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p) noexcept;

/// What one received datagram turned out to be.
enum class reply_kind {
    fresh,     ///< the first reply to a probe, in order
    reordered, ///< the first reply to a probe, after a reply to a later probe
    duplicate, ///< a probe already answered
    invalid    ///< not one of our probes: bad magic, unknown sequence, wrong send time
};

/// The counters at a moment, or at the end of a burst.
struct burst_summary {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;        ///< probes answered at least once (duplicates not counted)
    std::uint64_t lost = 0;            ///< sent and never answered; reordered probes are not lost
    std::uint64_t reordered = 0;       ///< answered after a later probe had been answered
    std::uint64_t duplicated = 0;      ///< extra replies to a probe already answered
    std::uint64_t truncated = 0;       ///< replies shorter than the probe, or cut by the size limit
    std::uint64_t invalid = 0;         ///< datagrams that were not replies to our probes
    std::uint64_t reply_min_bytes = 0; ///< smallest reply (of the valid ones); 0 when none
    std::uint64_t reply_max_bytes = 0; ///< largest reply (of the valid ones); 0 when none
    double rate_pps = 0;               ///< probes sent per second, first to last send
    std::uint64_t duration_ns = 0;     ///< first send to the last reply (or last send)
    rtt_summary rtt;                   ///< exact percentiles over every answered probe
    /// Filled in by the caller, who owns the socket: datagrams the kernel dropped on our
    /// socket (receive buffer full), and datagrams from addresses other than the target.
    std::uint64_t kernel_drops = 0;
    foreign_sources foreign;
};

/// Statistics of one burst. Probes are numbered by an index 0, 1, 2... in sending order; their
/// 32-bit sequence number is `first_seq + index` modulo 2^32, so a burst may start anywhere
/// (tests start just below the wrap) and a reply maps back to its index by subtraction modulo
/// 2^32. That is unambiguous because a burst never exceeds max_probes (far below 2^32).
///
/// RTT percentiles are exact: every RTT is stored (8 bytes per answered probe, plus 8 bytes per
/// probe for its send time), which is why a burst is capped at max_probes.
class burst_stats {
public:
    /// The largest burst: 1,000,000 probes (about 17 MB of samples).
    static constexpr std::uint64_t max_probes = 1'000'000;

    /// Probe 0 gets sequence number `first_seq`; send times count from `origin_ns`.
    explicit burst_stats(std::uint32_t first_seq = 0, std::uint64_t origin_ns = 0);

    /// The header of the next probe to send at `now_ns`.
    [[nodiscard]] probe_header next_probe(std::uint64_t now_ns) const noexcept;
    /// Records that the probe returned by next_probe(now_ns) was sent at `now_ns`.
    /// Precondition: sent() < max_probes.
    void record_sent(std::uint64_t now_ns);

    /// Classifies and counts one received datagram of `size` bytes on the wire, of which
    /// `payload` was kept; `truncated` when the socket cut it; `probe_size` is what was sent.
    reply_kind record_reply(std::string_view payload, std::size_t size, bool truncated,
                            std::size_t probe_size, std::uint64_t now_ns);

    /// Probes sent and not yet answered, ignoring those sent before `now_ns - timeout_ns`
    /// (given up on: they count as lost unless a late reply still comes). Advances an internal
    /// cursor, so `now_ns` must not go backwards.
    std::uint64_t in_flight(std::uint64_t now_ns, std::uint64_t timeout_ns);
    /// When the oldest probe still in flight will be given up on; nullopt when none is.
    [[nodiscard]] std::optional<std::uint64_t> next_expiry(std::uint64_t timeout_ns) const noexcept;

    [[nodiscard]] std::uint64_t sent() const noexcept { return send_times_.size(); }
    [[nodiscard]] std::uint64_t received() const noexcept { return received_; }

    /// The counters now; percentiles are computed on a sorted copy of the samples.
    [[nodiscard]] burst_summary summary() const;

private:
    std::uint32_t first_seq_;
    std::uint64_t origin_ns_;
    [[nodiscard]] std::uint32_t stamp(std::uint64_t ns) const noexcept;
    std::vector<std::uint64_t> send_times_; // by index
    std::vector<bool> answered_;            // by index
    std::vector<std::uint64_t> rtts_;
    std::uint64_t received_ = 0;
    std::uint64_t reordered_ = 0;
    std::uint64_t duplicated_ = 0;
    std::uint64_t truncated_ = 0;
    std::uint64_t invalid_ = 0;
    std::uint64_t reply_min_ = 0;
    std::uint64_t reply_max_ = 0;
    std::uint64_t last_reply_ns_ = 0;
    std::optional<std::uint64_t> highest_answered_; // index
    std::uint64_t oldest_open_ = 0; // index of the oldest probe that may still be in flight
    std::uint64_t open_count_ = 0;  // unanswered probes at or after oldest_open_
};

/// Percentage of the probes sent that were lost (0 when nothing was sent).
double loss_percent(const burst_summary& s) noexcept;

/// Why a burst failed, or an empty string when it passed. It fails when nothing was sent or
/// nothing came back, when more than `max_loss_percent` of the probes were lost, or when any
/// reply was truncated (the path does not carry probes of this size whole).
std::string burst_failure(const burst_summary& s, double max_loss_percent);

/// Renders a summary as one JSON object (the `udp-send --burst --json` output):
/// `{"target": ..., "size": ..., "sent": ..., "received": ..., "lost": ..., "reordered": ...,
/// "duplicated": ..., "truncated": ..., "invalid": ..., "reply_bytes": {"min", "max"},
/// "rate_pps": ..., "duration_ms": ..., "rtt_us": {"p50", "p90", "p99", "max"},
/// "kernel_drops": ..., "foreign": [{"address", "datagrams"}], "error": ...}`.
/// `error` is null or a message; strings are JSON-escaped.
std::string burst_json(const burst_summary& s, std::string_view target, std::size_t probe_size,
                       std::string_view error);

/// The human-readable report: a few lines, e.g.
/// `sent 1000, received 1000, lost 0 (0.00%), reordered 0, duplicated 0, truncated 0`.
std::string burst_text(const burst_summary& s, std::string_view target, std::size_t probe_size);

} // namespace udpkit
