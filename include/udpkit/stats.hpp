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
#include "udpkit/segmentation.hpp"

namespace udpkit {

/// The probe format of `udp-send --burst`: an 8-byte header in network byte order, then a body
/// up to the probe size (so `--size 8` and up work, e.g. the 10-byte sticky-packet demo):
///
///     offset 0   4 bytes  sequence number (32 bits, wraps from 0xffffffff to 0)
///     offset 4   4 bytes  send time: microseconds since the burst started, modulo 2^32
///     offset i   1 byte   (i >= 8) the low byte of seq + i: made from the header alone
///
/// An echo responder sends it back unchanged. The sender keeps each probe's full send time, so
/// RTTs are exact in nanoseconds; the echoed time must match the record (to the microsecond),
/// which is what tells a reply to this probe from a stray datagram (no magic number is needed).
/// Because the body follows from the header, every reply is checked whole without keeping the
/// probes: a body that differs (a stale buffer, zeros, one flipped bit) or a size that differs
/// makes the reply corrupt.
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

/// Where `got` differs from `expected`, for people: empty when they are equal, else e.g.
/// `69 bytes instead of 64`, `byte 8 is 0xf7 instead of 0x08`, `byte 8 is 0xf7 instead of
/// 0x08 and 2 more bytes differ`, or both joined by "; " (sizes first).
std::string echo_difference(std::string_view expected, std::string_view got);

/// Durations as the report gives them, in nanoseconds.
struct rtt_summary {
    std::uint64_t p50 = 0;
    std::uint64_t p90 = 0;
    std::uint64_t p99 = 0;
    std::uint64_t max = 0;
};

/// The nearest-rank percentile (0 < p <= 100) of `sorted` (ascending); 0 for an empty input.
std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p) noexcept;

/// What one received datagram turned out to be. The definitions are the README's (udp-send,
/// "Burst counters"); a datagram from an address other than the target never gets here.
enum class reply_kind {
    fresh,     ///< the first whole reply to a probe, in time, in order
    reordered, ///< the first whole reply to a probe, in time, after a reply to a later probe
    duplicate, ///< a whole reply to a probe already answered (in time or late)
    late,      ///< the first whole reply to a probe, after the probe's timeout
    corrupt,   ///< one of our probes' headers, not the probe byte for byte (body, or longer)
    truncated, ///< one of our probes' headers, shorter than the probe
    invalid    ///< not one of our probes: too short, unknown sequence, wrong send time
};

/// One bucket of an RTT histogram: `count` RTTs in [from_ns, to_ns).
struct histogram_bucket {
    std::uint64_t from_ns = 0;
    std::uint64_t to_ns = 0;
    std::uint64_t count = 0;
};

/// The counters at a moment, or at the end of a burst. Every probe sent is in exactly one of
/// received, late, lost and in_flight.
struct burst_summary {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;   ///< probes whose first whole reply came within the timeout
    std::uint64_t lost = 0;       ///< probes timed out with no whole reply at all
    std::uint64_t late = 0;       ///< probes whose first whole reply came after the timeout
    std::uint64_t in_flight = 0;  ///< probes unanswered whose timeout has not passed yet
    std::uint64_t reordered = 0;  ///< received after a later probe was received (RFC 4737)
    std::uint64_t duplicated = 0; ///< whole replies to a probe already answered
    std::uint64_t corrupt = 0;    ///< replies with a probe's header that differ from the probe
    std::uint64_t truncated = 0;  ///< replies with a probe's header, shorter than the probe
    std::uint64_t invalid = 0;    ///< datagrams from the target that were not replies to probes
    std::string first_corrupt;    ///< the first corrupt reply, e.g. `probe 20: byte 8 is ...`
    std::optional<std::uint64_t> reply_min_bytes; ///< smallest received reply; none: no reply
    std::optional<std::uint64_t> reply_max_bytes; ///< largest received reply; none: no reply
    double rate_pps = 0;                          ///< probes sent per second, first to last send
    std::uint64_t duration_ns = 0;                ///< first send to the last reply (or last send)
    std::optional<rtt_summary> rtt; ///< exact percentiles over received probes; none: none came
    /// Interarrival jitter (RFC 3550 6.4.1) over the received probes in arrival order, with the
    /// RTT as the transit time: J += (|D| - J) / 16; none before two were received.
    std::optional<double> jitter_ns;
    /// Filled in by the caller, who owns the socket: datagrams the kernel dropped on our
    /// socket (receive buffer full), and datagrams from addresses other than the target.
    std::uint64_t kernel_drops = 0;
    foreign_sources foreign;
    /// Filled in by the caller: which offload path the socket took (GSO, GRO) and its counts.
    offload_counters offload;
    /// Filled in by the caller: the most probes in flight (0: no limit).
    std::uint64_t window = 0;
    /// Filled in by the caller when asked for (--histogram): rtt_histogram(rtts()).
    std::optional<std::vector<histogram_bucket>> histogram;
};

/// The counters of one report interval (`--report-interval`): what happened from `start_ns` to
/// `end_ns` (since the burst started). `lost` counts the probes whose timeout passed in the
/// interval without a whole reply (a late reply to one of them is counted as `late` in the
/// interval it arrives in); `in_flight` and `jitter_ns` are the values at the interval's end.
struct burst_interval {
    std::uint64_t start_ns = 0;
    std::uint64_t end_ns = 0;
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t lost = 0;
    std::uint64_t late = 0;
    std::uint64_t in_flight = 0;
    std::uint64_t reordered = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t corrupt = 0;
    std::uint64_t truncated = 0;
    std::uint64_t invalid = 0;
    std::optional<rtt_summary> rtt; ///< over the probes received in the interval
    std::optional<double> jitter_ns;
};

/// Statistics of one burst. Probes are numbered by an index 0, 1, 2... in sending order; their
/// 32-bit sequence number is `first_seq + index` modulo 2^32, so a burst may start anywhere
/// (tests start just below the wrap) and a reply maps back to its index by subtraction modulo
/// 2^32. That is unambiguous because a burst never exceeds max_probes (far below 2^32).
///
/// RTT percentiles are exact: every RTT is stored (8 bytes per answered probe, plus 9 bytes per
/// probe for its send time and state), which is why a burst is capped at max_probes.
class burst_stats {
public:
    /// The largest burst: 1,000,000 probes (about 17 MB of samples).
    static constexpr std::uint64_t max_probes = 1'000'000;
    /// A timeout that never passes, and the `now` of summary() that means "the burst is over".
    static constexpr std::uint64_t never = UINT64_MAX;

    /// Probe 0 gets sequence number `first_seq`; send times count from `origin_ns`. A probe
    /// unanswered for `timeout_ns` is given up on: a whole reply after that is late.
    explicit burst_stats(std::uint32_t first_seq = 0, std::uint64_t origin_ns = 0,
                         std::uint64_t timeout_ns = never);

    /// The header of the next probe to send at `now_ns`, or with `ahead` of the one that many
    /// after it (to build several probes that leave together, recorded in order).
    [[nodiscard]] probe_header next_probe(std::uint64_t now_ns,
                                          std::uint64_t ahead = 0) const noexcept;
    /// Records that the probe returned by next_probe(now_ns) was sent at `now_ns`.
    /// Precondition: sent() < max_probes.
    void record_sent(std::uint64_t now_ns);

    /// Classifies and counts one datagram of `size` bytes on the wire that came from the target
    /// at `now_ns`, of which `payload` was kept; `truncated` when the socket cut it; `probe_size`
    /// is what was sent. A reply must be the probe byte for byte (size and body) to answer it.
    reply_kind record_reply(std::string_view payload, std::size_t size, bool truncated,
                            std::size_t probe_size, std::uint64_t now_ns);
    /// Whether `payload` starts with the header of a probe this run sent (whole or not): what
    /// record_reply does not count as invalid. Counts nothing.
    [[nodiscard]] bool has_our_header(std::string_view payload) const noexcept;

    /// Probes sent and not yet answered, ignoring those sent before `now_ns - timeout_ns`
    /// (given up on: they count as lost unless a late reply still comes). Advances an internal
    /// cursor, so `now_ns` must not go backwards. `timeout_ns` is the constructor's.
    std::uint64_t in_flight(std::uint64_t now_ns, std::uint64_t timeout_ns);
    /// When the oldest probe still in flight will be given up on; nullopt when none is.
    [[nodiscard]] std::optional<std::uint64_t> next_expiry(std::uint64_t timeout_ns) const noexcept;

    [[nodiscard]] std::uint64_t sent() const noexcept { return send_times_.size(); }
    [[nodiscard]] std::uint64_t received() const noexcept { return received_; }

    /// The counters at `now_ns`: probes unanswered whose timeout has not passed by then are in
    /// flight, the others lost. `never` (the default): the burst is over, none is in flight.
    /// Percentiles are computed on a sorted copy of the samples.
    [[nodiscard]] burst_summary summary(std::uint64_t now_ns = never) const;

    /// The counters since the previous call (or the start) up to `now_ns`, for periodic reports;
    /// `now_ns` must not go backwards.
    burst_interval take_interval(std::uint64_t now_ns);

    /// The RTT of every received probe, in arrival order (for rtt_histogram).
    [[nodiscard]] const std::vector<std::uint64_t>& rtts() const noexcept { return rtts_; }

private:
    enum class probe_state : std::uint8_t { open, received, late };
    // The running totals that take_interval() subtracts.
    struct totals {
        std::uint64_t sent = 0, received = 0, given_up = 0, late = 0, reordered = 0, duplicated = 0,
                      corrupt = 0, truncated = 0, invalid = 0, rtts = 0;
    };
    [[nodiscard]] std::uint32_t stamp(std::uint64_t ns) const noexcept;
    /// A probe header of this run: the header and its probe's index.
    struct our_probe {
        probe_header header;
        std::uint64_t index;
    };
    /// The probe whose header `payload` starts with, if this run sent it.
    [[nodiscard]] std::optional<our_probe> find_probe(std::string_view payload) const noexcept;
    [[nodiscard]] bool expired(std::uint64_t index, std::uint64_t now_ns) const noexcept;
    [[nodiscard]] std::uint64_t open_at(std::uint64_t now_ns) const noexcept;
    [[nodiscard]] totals running_totals(std::uint64_t now_ns) const noexcept;
    [[nodiscard]] std::optional<double> jitter() const noexcept;

    std::uint32_t first_seq_;
    std::uint64_t origin_ns_;
    std::uint64_t timeout_ns_;
    std::vector<std::uint64_t> send_times_; // by index
    std::vector<probe_state> states_;       // by index
    std::vector<std::uint64_t> rtts_;       // received probes, in arrival order
    std::uint64_t received_ = 0;
    std::uint64_t late_ = 0;
    std::uint64_t reordered_ = 0;
    std::uint64_t duplicated_ = 0;
    std::uint64_t corrupt_ = 0;
    std::uint64_t truncated_ = 0;
    std::uint64_t invalid_ = 0;
    std::string first_corrupt_;
    std::uint64_t reply_min_ = 0;
    std::uint64_t reply_max_ = 0;
    std::uint64_t last_reply_ns_ = 0;
    double jitter_ns_ = 0;
    std::optional<std::uint64_t> highest_answered_; // index
    std::uint64_t oldest_open_ = 0; // index of the oldest probe that may still be in flight
    std::uint64_t open_count_ = 0;  // unanswered probes at or after oldest_open_
    totals interval_mark_;          // the totals at the end of the previous interval
    std::uint64_t interval_end_ns_ = 0;
};

/// Percentage of the probes sent that were lost (0 when nothing was sent).
double loss_percent(const burst_summary& s) noexcept;

/// Why a burst failed, or an empty string when it passed. It fails when nothing was sent; when
/// no probe was received (the message says what came back instead: `no valid reply to any of
/// the 100 probes; what came back: 100 corrupt, 3 foreign`); when more than `max_loss_percent`
/// of the probes were lost or late; when any reply was corrupt or truncated (the path does not
/// carry probes of this size whole). Several reasons are joined by "; ".
std::string burst_failure(const burst_summary& s, double max_loss_percent);

/// Renders a summary as one JSON object (the `udp-send --burst --json` output):
/// `{"target": ..., "size": ..., "window": ..., "sent": ..., "received": ..., "lost": ...,
/// "late": ..., "in_flight": ..., "reordered": ..., "duplicated": ..., "corrupt": ...,
/// "truncated": ..., "invalid": ..., "first_corrupt": ..., "reply_bytes": {"min", "max"},
/// "rate_pps": ..., "duration_ms": ..., "rtt_us": {"p50", "p90", "p99", "max"},
/// "jitter_us": ..., "kernel_drops": ..., "foreign": [{"address", "datagrams"}],
/// ["rtt_histogram": [{"from_us", "to_us", "count"}],] "error": ...}`. `reply_bytes`, `rtt_us`
/// and `jitter_us` are null when no probe was received (jitter: fewer than two);
/// `first_corrupt` and `error` are null or a message; `rtt_histogram` is there only when the
/// summary has one. Strings are JSON-escaped.
std::string burst_json(const burst_summary& s, std::string_view target, std::size_t probe_size,
                       std::string_view error);

/// The human-readable report: a few lines, e.g.
/// `sent 1000, received 1000, lost 0 (0.00%), late 0, in flight 0, reordered 0, ...`; figures
/// that do not exist (no probe received) are shown as `-`.
std::string burst_text(const burst_summary& s, std::string_view target, std::size_t probe_size);

/// The RTTs in log-scale buckets (1-2-5 per decade from 1 us: [0, 1us), [1us, 2us),
/// [2us, 5us), [5us, 10us), ...), from the first non-empty bucket to the last; empty for none.
std::vector<histogram_bucket> rtt_histogram(const std::vector<std::uint64_t>& rtts_ns);

/// A histogram for the terminal: a title line, then one line per bucket with its bounds, its
/// count and a bar of up to `width` '#' scaled to the largest bucket (any non-empty bucket has
/// at least one):
///
///     rtt histogram (1000 replies):
///           10us .. 20us         950  ########################################
///           20us .. 50us          50  ###
///
/// or `rtt histogram: no valid replies` for an empty one.
std::string histogram_text(const std::vector<histogram_bucket>& buckets, std::size_t width = 40);

/// One line of `--report-interval` (iperf3's -i): `[  0.00-  1.00 s] sent 1000, received 998,
/// lost 0, late 0, in flight 2, reordered 0, duplicated 0, corrupt 0, truncated 0, invalid 0;
/// rtt p50 31.2 us, max 80.1 us; jitter 2.1 us` (`-` for figures that do not exist).
std::string interval_text(const burst_interval& i);

/// The same as one JSON object: `{"interval": {"start_s": 0.000, "end_s": 1.000}, "sent": ...,
/// "received": ..., "lost": ..., "late": ..., "in_flight": ..., "reordered": ...,
/// "duplicated": ..., "corrupt": ..., "truncated": ..., "invalid": ...,
/// "rtt_us": {"p50", "max"} or null, "jitter_us": ... or null}`.
std::string interval_json(const burst_interval& i);

} // namespace udpkit
