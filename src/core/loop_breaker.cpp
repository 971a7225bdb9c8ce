#include "udpkit/loop_breaker.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

namespace udpkit {

namespace {

constexpr std::uint64_t k1 = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t k2 = 0xC2B2AE3D27D4EB4Full;

/// splitmix64's finalizer: every input bit reaches every output bit.
std::uint64_t mix(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

std::uint64_t load64(const unsigned char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

/// Up to this size a payload is hashed whole at once; above it, first its length and both ends.
constexpr std::size_t sample_bytes = 128;

/// A hash of the whole payload up to sample_bytes, else of its length, first and last 64 bytes.
std::uint64_t sample_hash(std::string_view bytes, std::uint64_t seed) noexcept {
    if (bytes.size() <= sample_bytes)
        return payload_hash(bytes, seed);
    const std::size_t end = sample_bytes / 2;
    return mix(payload_hash(bytes.substr(0, end), seed) ^
               std::rotl(payload_hash(bytes.substr(bytes.size() - end), seed), 17) ^
               bytes.size() * k1);
}

} // namespace

std::uint64_t payload_hash(std::string_view bytes, std::uint64_t seed) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    // Four independent lanes keep the multiplier busy on large datagrams (a 64 KiB payload is
    // hashed in a few microseconds); each step is a bijection of the word, so payloads that
    // differ in one word differ in that lane.
    std::uint64_t lane[4] = {seed ^ k1, seed ^ k2, seed + k1, seed - k2};
    auto step = [](std::uint64_t l, std::uint64_t word, std::uint64_t k) {
        return std::rotl((l ^ word) * k, 31);
    };
    for (; n >= 32; p += 32, n -= 32)
        for (int i = 0; i < 4; ++i)
            lane[i] = step(lane[i], load64(p + 8 * i), k1);
    // The rest (under 32 bytes) goes into the lanes too: words into the first three, the last
    // partial word into the fourth.
    for (int i = 0; n >= 8; p += 8, n -= 8, ++i)
        lane[i] = step(lane[i], load64(p), k2);
    if (n > 0) {
        std::uint64_t tail = 0;
        std::memcpy(&tail, p, n);
        lane[3] = step(lane[3], tail, k2);
    }
    // Folded with one multiply per lane and one finalizer: a datagram of 64 bytes costs a few
    // nanoseconds, which matters at millions of datagrams a second.
    std::uint64_t h = seed ^ (bytes.size() * k2);
    for (const std::uint64_t l : lane)
        h = std::rotl((h ^ l) * k1, 29);
    return mix(h);
}

loop_breaker::loop_breaker(loop_rule rule, std::size_t max_sources, std::size_t recent_datagrams,
                           std::uint64_t seed)
    : rule_(rule), seed_(seed),
      sources_(ways * std::bit_ceil(std::max<std::size_t>(1, (max_sources + ways - 1) / ways))),
      recent_(std::bit_ceil(std::max<std::size_t>(1, recent_datagrams))) {
    assert(rule.window_ns > 0 && rule.repeat_interval_ns > 0 && rule.min_duration_ns > 0);
}

std::uint64_t loop_breaker::hash_of(const key& k) const noexcept {
    std::uint64_t h = mix(seed_ ^ load64(k.address.bytes));
    h = mix(h ^ load64(k.address.bytes + 8));
    return mix(h ^ (std::uint64_t{k.port} << 8 | k.address.v6));
}

loop_breaker::source* loop_breaker::find_or_add(const key& k, std::uint64_t key_hash,
                                                std::uint64_t now_ns) noexcept {
    const std::size_t sets = sources_.size() / ways;
    source* set = &sources_[(key_hash & (sets - 1)) * ways];
    source* empty = nullptr;
    source* idle = nullptr; // a source whose run is over: forgetting it loses nothing
    for (std::size_t i = 0; i < ways; ++i) {
        source& s = set[i];
        if (s.used && s.k == k)
            return &s;
        if (!s.used)
            empty = empty ? empty : &s;
        else if (s.due_ns <= now_ns && (!idle || s.due_ns < idle->due_ns))
            idle = &s;
    }
    source* slot = empty ? empty : idle;
    if (!slot)
        return nullptr;
    if (!slot->used)
        ++used_;
    // due_ns = 0: the caller sees no run in progress and starts one (it sets the rest).
    *slot = source{k, true};
    return slot;
}

loop_decision loop_breaker::check(const ip_endpoint& from, std::string_view payload,
                                  std::uint64_t now_ns) noexcept {
    const key k{address_key::of(from), from.port()};
    // A GRO buffer, or any flood, brings many datagrams from one source in a row.
    if (!(k == last_key_) || last_key_hash_ == 0) {
        last_key_ = k;
        last_key_hash_ = hash_of(k) | 1; // never 0, which means "none yet"
    }
    const std::uint64_t key_hash = last_key_hash_;
    std::uint64_t fingerprint = mix(key_hash ^ sample_hash(payload, seed_));
    fingerprint += fingerprint == 0; // 0 marks an empty slot
    recent& r = recent_[fingerprint & (recent_.size() - 1)];
    // A clock that goes backwards counts as no time passed.
    const bool candidate = r.fingerprint == fingerprint &&
                           (now_ns < r.seen_ns || now_ns - r.seen_ns < rule_.window_ns);
    // Large payloads are hashed whole only when their sample matches the source's previous one
    // (a 64 KiB hash costs microseconds; distinct traffic usually differs at an end). The first
    // such match is taken on the sample alone, as the previous one was not hashed whole.
    std::uint64_t full = 0;
    if (candidate) {
        full = payload.size() <= sample_bytes ? fingerprint : payload_hash(payload, seed_);
        full += full == 0; // 0 marks "not computed"
    }
    const bool repeat = candidate && (r.full == 0 || r.full == full);
    r = {fingerprint, full, now_ns};
    if (!repeat)
        return {};

    source* s = find_or_add(k, key_hash, now_ns);
    if (!s) {
        ++untracked_;
        return {};
    }
    if (s->due_ns <= now_ns) { // no run in progress: this repeat starts one
        s->tripped = false;
        s->repeats = 0;
        s->start_ns = now_ns;
        s->due_ns = now_ns;
    }
    // GCRA: each repeat pushes the end of the run one interval further, up to one window ahead.
    s->due_ns = std::min(s->due_ns + rule_.repeat_interval_ns, now_ns + rule_.window_ns);
    if (s->repeats < UINT32_MAX)
        ++s->repeats;
    loop_decision d;
    d.repeats = s->repeats;
    d.run_ns = now_ns > s->start_ns ? now_ns - s->start_ns : 0;
    if (!s->tripped && s->repeats >= rule_.min_repeats && d.run_ns >= rule_.min_duration_ns) {
        s->tripped = true;
        d.started = true;
    }
    d.refused = s->tripped;
    return d;
}

} // namespace udpkit
