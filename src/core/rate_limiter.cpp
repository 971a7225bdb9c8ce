#include "udpkit/rate_limiter.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>

namespace udpkit {

namespace {
// Caps keep the arithmetic far from overflow for absurdly slow rates (about 31 years).
constexpr double max_span_ns = 1e18;
std::uint64_t span_ns(double ns) {
    return static_cast<std::uint64_t>(std::min(ns, max_span_ns));
}
} // namespace

bool token_bucket::try_take(const bucket_rate& rate, std::uint64_t now_ns) noexcept {
    // One token every `interval`; up to `burst` at once, i.e. the bucket may run up to
    // (burst - 1) intervals ahead of the clock.
    const std::uint64_t interval = span_ns(std::round(1e9 / rate.per_second));
    const std::uint64_t tolerance = span_ns((rate.burst - 1) * static_cast<double>(interval));
    const std::uint64_t due = std::max(full_at_ns_, now_ns);
    if (due - now_ns > tolerance)
        return false;
    full_at_ns_ = due + interval;
    return true;
}

rate_limiter::rate_limiter(bucket_rate rate, std::size_t max_sources, std::uint64_t seed)
    : rate_(rate), seed_(seed), entries_(max_sources),
      // At most half full, so that linear probes stay short.
      index_(std::bit_ceil(2 * max_sources), none) {
    assert(rate.per_second > 0 && rate.burst >= 1 && max_sources >= 1);
}

address_key address_key::of(const ip_endpoint& source) noexcept {
    address_key k;
    if (source.family() == ip_family::v6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(source.sockaddr_ptr());
        std::memcpy(k.bytes, &sin6->sin6_addr, sizeof k.bytes);
        k.v6 = 1;
    } else {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(source.sockaddr_ptr());
        std::memcpy(k.bytes, &sin->sin_addr, sizeof sin->sin_addr);
    }
    return k;
}

std::size_t rate_limiter::hash_of(const key& k) const noexcept {
    // FNV-1a, then a final mix so that addresses differing only in the last byte spread out.
    std::uint64_t h = 14695981039346656037ull ^ seed_;
    for (std::uint8_t b : k.bytes)
        h = (h ^ b) * 1099511628211ull;
    h = (h ^ k.v6) * 1099511628211ull;
    h ^= h >> 29;
    return static_cast<std::size_t>(h);
}

std::size_t rate_limiter::find_slot(const key& k) const noexcept {
    const std::size_t mask = index_.size() - 1;
    std::size_t i = hash_of(k) & mask;
    while (index_[i] != none && !(entries_[index_[i]].source == k))
        i = (i + 1) & mask;
    return i;
}

void rate_limiter::erase_from_index(std::uint32_t e) noexcept {
    const std::size_t mask = index_.size() - 1;
    std::size_t hole = find_slot(entries_[e].source);
    // Shift later members of the probe run back into the hole when their home slot allows it.
    for (std::size_t j = (hole + 1) & mask; index_[j] != none; j = (j + 1) & mask) {
        const std::size_t home = hash_of(entries_[index_[j]].source) & mask;
        const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays)
            continue;
        index_[hole] = index_[j];
        hole = j;
    }
    index_[hole] = none;
}

void rate_limiter::unlink(std::uint32_t e) noexcept {
    entry& en = entries_[e];
    (en.newer == none ? newest_ : entries_[en.newer].older) = en.older;
    (en.older == none ? oldest_ : entries_[en.older].newer) = en.newer;
    en.newer = en.older = none;
}

void rate_limiter::push_newest(std::uint32_t e) noexcept {
    entry& en = entries_[e];
    en.newer = none;
    en.older = newest_;
    if (newest_ != none)
        entries_[newest_].newer = e;
    newest_ = e;
    if (oldest_ == none)
        oldest_ = e;
}

rate_decision rate_limiter::check(const ip_endpoint& source, std::uint64_t now_ns) noexcept {
    const key k = address_key::of(source);
    std::size_t slot = find_slot(k);
    if (index_[slot] != none) {
        const std::uint32_t e = index_[slot];
        if (e != newest_) {
            unlink(e);
            push_newest(e);
        }
        entry& en = entries_[e];
        const bool allowed = en.bucket.try_take(rate_, now_ns);
        const bool started = !allowed && !en.limited;
        en.limited = !allowed;
        return {allowed ? rate_verdict::allowed : rate_verdict::limited, started};
    }

    std::uint32_t e;
    if (used_ < entries_.size()) {
        e = static_cast<std::uint32_t>(used_++);
    } else {
        e = oldest_;
        if (!entries_[e].bucket.full(now_ns))
            return {rate_verdict::table_full, true};
        erase_from_index(e);
        unlink(e);
        ++evictions_;
        slot = find_slot(k);
    }
    entries_[e] = entry{k, token_bucket(now_ns), none, none, false};
    index_[slot] = e;
    push_newest(e);
    // A new bucket is full and burst >= 1: the first datagram is always allowed.
    entries_[e].bucket.try_take(rate_, now_ns);
    return {rate_verdict::allowed, false};
}

} // namespace udpkit
