#pragma once
// Per-source rate limiting for responders. Pure: it is fed the current time (nanoseconds of any
// monotonic clock) and never reads a clock or touches a socket, so tests drive it by hand.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "udpkit/address.hpp"

namespace udpkit {

/// A source IP address as a table key: 16 bytes (IPv4 in the first 4) and the family, no port.
/// The key of rate_limiter, and with a port that of loop_breaker.
struct address_key {
    std::uint8_t bytes[16] = {};
    std::uint8_t v6 = 0;

    static address_key of(const ip_endpoint& source) noexcept;
    friend bool operator==(const address_key&, const address_key&) = default;
};

/// A token bucket's parameters: `per_second` tokens are added each second, up to `burst`.
struct bucket_rate {
    double per_second = 0; ///< > 0
    double burst = 1;      ///< >= 1: the most datagrams accepted at once after a quiet spell
};

/// One token bucket, kept in its exact integer form (GCRA, the "virtual scheduling" view of a
/// token bucket): instead of a fractional token count it stores the time at which the bucket
/// will be full again, so that no rounding accumulates however small the steps.
class token_bucket {
public:
    token_bucket() = default;
    /// A full bucket at `now_ns`.
    explicit token_bucket(std::uint64_t now_ns) noexcept : full_at_ns_(now_ns) {}

    /// Takes one token if there is one. A clock that goes backwards never adds tokens.
    bool try_take(const bucket_rate& rate, std::uint64_t now_ns) noexcept;
    /// True when the bucket holds `burst` tokens at `now_ns`: forgetting it then loses nothing.
    [[nodiscard]] bool full(std::uint64_t now_ns) const noexcept { return full_at_ns_ <= now_ns; }

private:
    std::uint64_t full_at_ns_ = 0;
};

/// What rate_limiter::check decided for one datagram.
enum class rate_verdict : std::uint8_t {
    allowed,   ///< within the source's rate
    limited,   ///< over the source's rate
    table_full ///< a new source while every tracked source is active: refused (fails closed)
};

/// rate_limiter::check's answer.
struct rate_decision {
    rate_verdict verdict = rate_verdict::allowed;
    /// True on the first refusal after an allowed datagram (or for a new source refused):
    /// the moment to log "source X is over the limit", once rather than per datagram.
    bool started = false;

    [[nodiscard]] bool allowed() const noexcept { return verdict == rate_verdict::allowed; }
};

/// A token bucket per source IP address (the port is ignored: a sender picks ports freely), in
/// memory fixed at construction: at most `max_sources` are tracked, and no allocation happens
/// after the constructor.
///
/// When the table is full, a new source takes the place of the least recently seen one, but
/// only if that source's bucket is full again: forgetting it then loses nothing, as it would
/// start full anyway.
/// Otherwise every tracked source is active and the new one is refused (`table_full`): under a
/// flood from more sources than the table holds the limiter fails closed rather than handing
/// each spoofed source a fresh burst.
class rate_limiter {
public:
    /// Precondition: rate.per_second > 0, rate.burst >= 1, max_sources >= 1. `seed` keys the
    /// hash: a random seed stops senders from choosing addresses that all collide.
    rate_limiter(bucket_rate rate, std::size_t max_sources, std::uint64_t seed = 0);

    /// Counts one datagram from `source` at `now_ns`.
    rate_decision check(const ip_endpoint& source, std::uint64_t now_ns) noexcept;

    /// Sources tracked now (<= capacity()).
    [[nodiscard]] std::size_t tracked() const noexcept { return used_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return entries_.size(); }
    /// Quiet sources forgotten to make room for new ones.
    [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }
    [[nodiscard]] const bucket_rate& rate() const noexcept { return rate_; }

private:
    using key = address_key;
    static constexpr std::uint32_t none = UINT32_MAX;
    struct entry {
        key source;
        token_bucket bucket;
        std::uint32_t newer = none; ///< towards the most recently seen
        std::uint32_t older = none; ///< towards the least recently seen
        bool limited = false;       ///< the last datagram was refused
    };

    [[nodiscard]] std::size_t hash_of(const key& k) const noexcept;
    /// The index_ slot holding `k`, or the empty slot where it would go.
    std::size_t find_slot(const key& k) const noexcept;
    void unlink(std::uint32_t e) noexcept;
    void push_newest(std::uint32_t e) noexcept;
    /// Removes entry `e` from the hash index (backward-shift deletion keeps probing exact).
    void erase_from_index(std::uint32_t e) noexcept;

    bucket_rate rate_;
    std::uint64_t seed_;
    std::vector<entry> entries_;
    std::vector<std::uint32_t> index_; ///< open addressing, linear probing; `none` = empty
    std::size_t used_ = 0;
    std::uint32_t newest_ = none;
    std::uint32_t oldest_ = none;
    std::uint64_t evictions_ = 0;
};

} // namespace udpkit
