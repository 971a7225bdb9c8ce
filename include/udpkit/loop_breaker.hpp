#pragma once
// The echo-loop breaker of responders (udp-echo). Pure: it is fed the source, the payload and the
// current time (nanoseconds of any monotonic clock); it never reads a clock or touches a socket,
// so tests drive it by hand.
//
// Why this rule. A datagram forged to come from responder A and sent to responder B bounces
// between them for ever: each sees the same bytes come back from the same address:port right
// after it sent them. A client that sends the same bytes again as soon as each reply arrives
// looks exactly alike from one side, in content and in timing; what tells them apart is only
// that the loop never stops. So the breaker bounds how long a source may keep repeating itself
// at loop speed: a *repeat* is a datagram with the same bytes from the same address:port as one
// less than `window_ns` before; a *run* is a source's repeats while they keep coming faster than
// one per `repeat_interval_ns` on average (a token bucket, GCRA form, with `window_ns` of slack:
// a pause of `window_ns` always ends a run). Once a run has both lasted `min_duration_ns` and
// counted `min_repeats`, that source's repeats are refused until the run ends; its new payloads
// are still answered. Several forged datagrams bouncing at once are caught too: the run is the
// source's, whichever payload repeats.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/rate_limiter.hpp"

namespace udpkit {

/// The breaker's thresholds (the defaults are udp-echo's).
struct loop_rule {
    /// A repeat is the same bytes from the same address:port within this of the previous copy;
    /// it is also the slack of a run: a pause this long ends it. > 0.
    std::uint64_t window_ns = 50'000'000;
    /// A run lasts while repeats come faster than one per this on average (1 ms: 1000 a
    /// second). Slower repetition, e.g. a loop with a round trip over 1 ms, is never a run. > 0.
    std::uint64_t repeat_interval_ns = 1'000'000;
    /// A run becomes a loop once it has lasted this long...
    std::uint64_t min_duration_ns = 500'000'000;
    /// ...and counted this many repeats (so that 4096 identical requests in a row are always
    /// answered, however fast).
    std::uint32_t min_repeats = 4096;
};

/// loop_breaker::check's answer.
struct loop_decision {
    bool refused = false; ///< a repeat in a run that is a loop: do not answer
    /// True for the first refusal of a run: the moment for one notice, not one per datagram.
    bool started = false;
    std::uint32_t repeats = 0; ///< repeats in the source's run so far (0: not a repeat)
    std::uint64_t run_ns = 0;  ///< how long the source's run has lasted
};

/// Finds echo loops (see the top of this file) in memory fixed at construction: a cache of the
/// `recent_datagrams` last (source, payload hash) pairs, direct-mapped (a pair pushed out only
/// makes one repeat look new), and runs for at most `max_sources` address:port sources, 4-way
/// set-associative. A source whose run is over makes room for a new one; when every source of a
/// set is in a run, a new source's repeats are not tracked (counted by untracked()): it fails
/// open, because a breaker on by default must not refuse clients it has no room for. No
/// allocation after the constructor.
class loop_breaker {
public:
    /// Precondition: the rule's times > 0. Both sizes are rounded up to powers of two (sources:
    /// at least 4, one set). `seed` keys the hashes: a random one stops senders from choosing
    /// payloads or addresses that collide.
    explicit loop_breaker(loop_rule rule = {}, std::size_t max_sources = 4096,
                          std::size_t recent_datagrams = 16384, std::uint64_t seed = 0);

    /// Counts one datagram of `payload` from `from` at `now_ns` that the responder would answer,
    /// and says whether it must not be answered. Payloads are compared by 64-bit keyed hashes of
    /// all their bytes, with one shortcut that keeps large datagrams cheap: a payload over 128
    /// bytes is hashed whole only when its length and first and last 64 bytes match the
    /// source's previous datagram's, and the first such match in a row counts on those alone.
    loop_decision check(const ip_endpoint& from, std::string_view payload,
                        std::uint64_t now_ns) noexcept;

    /// Sources with a run state now (<= capacity()).
    [[nodiscard]] std::size_t tracked() const noexcept { return used_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return sources_.size(); }
    /// Repeats not tracked because every source of their set was in a run (answered).
    [[nodiscard]] std::uint64_t untracked() const noexcept { return untracked_; }
    [[nodiscard]] const loop_rule& rule() const noexcept { return rule_; }

private:
    /// A source address:port.
    struct key {
        address_key address;
        std::uint16_t port = 0;
        friend bool operator==(const key&, const key&) = default;
    };
    struct source {
        key k;
        bool used = false;
        bool tripped = false;       ///< the run is a loop: its repeats are refused
        std::uint32_t repeats = 0;  ///< in the current run
        std::uint64_t start_ns = 0; ///< the current run's first repeat
        std::uint64_t due_ns = 0;   ///< GCRA: the run is over once now reaches this
    };
    struct recent {
        std::uint64_t fingerprint = 0; ///< of (source, sample of the payload); 0: empty
        std::uint64_t full = 0;        ///< the whole payload's hash; 0: not computed
        std::uint64_t seen_ns = 0;
    };
    static constexpr std::size_t ways = 4;

    [[nodiscard]] std::uint64_t hash_of(const key& k) const noexcept;
    /// The source's slot, a free or idle one in its set for it, or nullptr (set full of runs).
    source* find_or_add(const key& k, std::uint64_t key_hash, std::uint64_t now_ns) noexcept;

    loop_rule rule_;
    std::uint64_t seed_;
    std::vector<source> sources_; ///< sets of `ways` consecutive slots
    std::vector<recent> recent_;
    std::size_t used_ = 0;
    std::uint64_t untracked_ = 0;
    key last_key_;                    ///< the previous datagram's source
    std::uint64_t last_key_hash_ = 0; ///< hash_of(last_key_) | 1; 0: none yet
};

/// A 64-bit hash of `bytes` keyed by `seed` (fast, not cryptographic).
std::uint64_t payload_hash(std::string_view bytes, std::uint64_t seed) noexcept;

} // namespace udpkit
