#include "udpkit/relay.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "udpkit/json.hpp"
#include "udpkit/number.hpp"
#include "udpkit/render.hpp"

namespace udpkit {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

constexpr std::string_view drop_names[relay_drop_count] = {
    "dropped_loss",
    "dropped_burst_loss",
    "dropped_mtu",
    "dropped_queue_full",
    "dropped_oversize",
    "dropped_table_full",
    "dropped_privileged_port",
    "dropped_foreign",
    "dropped_expired",
    "dropped_send_error",
};

void append_direction(std::string& out, const relay_counters& c, bool json,
                      std::string_view prefix) {
    std::vector<counter_field> fields = {
        {"received", c.received}, {"forwarded", c.forwarded}, {"dropped", c.dropped()}};
    for (std::size_t i = 0; i < relay_drop_count; ++i)
        fields.push_back({drop_names[i], c.dropped_by[i]});
    fields.insert(fields.end(), {{"duplicated", c.duplicated},
                                 {"reordered", c.reordered},
                                 {"delayed", c.delayed},
                                 {"queued", c.queued},
                                 {"corrupted", c.corrupted},
                                 {"truncated", c.truncated},
                                 {"pending", c.pending},
                                 {"kernel_drops", c.kernel_drops}});
    append_counters(out, fields, json, prefix);
}

} // namespace

relay_random::relay_random(std::uint64_t seed) noexcept {
    for (auto& word : s_)
        word = splitmix64(seed);
}

std::uint64_t relay_random::next() noexcept {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
}

double relay_random::uniform() noexcept {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t relay_random::below(std::uint64_t n) noexcept {
    __extension__ using wide = unsigned __int128; // GCC and clang; -Wpedantic would refuse it
    return static_cast<std::uint64_t>((static_cast<wide>(next()) * n) >> 64);
}

result<direction_set> parse_direction_set(std::string_view text) {
    if (text == "forward")
        return direction_set{true, false};
    if (text == "back")
        return direction_set{false, true};
    if (text == "both")
        return direction_set{true, true};
    return fail(quote_untrusted(text) + " is not a direction; expected forward, back or both");
}

result<directed_value> split_direction(std::string_view text, direction_set fallback) {
    // Only a word before the colon is a prefix: `5%:4` (--loss-burst) has none.
    const auto colon = text.find(':');
    const std::string_view prefix = text.substr(0, colon);
    const bool word = !prefix.empty() && std::all_of(prefix.begin(), prefix.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
    if (colon == std::string_view::npos || !word)
        return directed_value{fallback, text};
    if (prefix != "forward" && prefix != "back")
        return fail(quote_untrusted(prefix) + " is not a direction; expected forward: or back: " +
                    "before the value, or none (then --direction decides)");
    return directed_value{direction_set{prefix == "forward", prefix == "back"},
                          text.substr(colon + 1)};
}

bool impairment::any() const noexcept {
    return loss > 0 || burst_loss > 0 || duplicate > 0 || reorder > 0 || delay_ns > 0 ||
           rate_pps > 0 || bandwidth_bps > 0 || corrupt > 0 || truncate || mtu;
}

result<void> impairment::check() const {
    if (jitter_ns > delay_ns)
        return fail("--jitter " + format_number(static_cast<double>(jitter_ns) / 1e6) +
                    " ms is larger than --delay " +
                    format_number(static_cast<double>(delay_ns) / 1e6) +
                    " ms; the delay varies uniformly over DELAY-JITTER..DELAY+JITTER, so the "
                    "jitter must be at most the delay");
    if (rate_pps > 0 && bandwidth_bps > 0)
        return fail("--rate and --bandwidth both limit the same link; give one of them");
    if (burst_loss > 0) {
        if (burst_loss >= 1)
            return fail("--loss-burst: a long-run loss of 100% is no burst model; expected "
                        "below 100%");
        if (burst_length < 1)
            return fail("--loss-burst: a mean burst of " + format_number(burst_length) +
                        " datagrams is too short; expected at least 1");
        const double enter = burst_loss / (burst_length * (1 - burst_loss));
        if (enter > 1)
            return fail("--loss-burst: " + format_number(burst_loss * 100) + "% in bursts of " +
                        format_number(burst_length) +
                        " cannot be reached (a burst would have to start more often than every "
                        "datagram); use longer bursts or less loss");
    }
    return {};
}

std::string_view to_string(relay_drop cause) noexcept {
    return drop_names[static_cast<std::size_t>(cause)];
}

std::uint64_t relay_counters::dropped() const noexcept {
    std::uint64_t total = 0;
    for (const auto n : dropped_by)
        total += n;
    return total;
}

bool relay_counters::adds_up() const noexcept {
    return received + duplicated == forwarded + dropped() + pending;
}

impairment_pipeline::impairment_pipeline(impairment config, std::uint64_t seed)
    : config_(std::move(config)), random_(seed) {
    if (config_.burst_loss > 0) {
        // Good -> bad with `enter`, bad -> good with 1/length: bursts are geometric with mean
        // `length`, and the chain spends enter / (enter + leave) of the time in the bad state.
        leave_burst_ = 1 / config_.burst_length;
        enter_burst_ = config_.burst_loss * leave_burst_ / (1 - config_.burst_loss);
    }
}

void impairment_pipeline::drop(relay_drop cause) noexcept {
    ++counters_.dropped_by[static_cast<std::size_t>(cause)];
}

void impairment_pipeline::refuse(relay_drop cause) noexcept {
    ++counters_.received;
    drop(cause);
}

void impairment_pipeline::unsend(relay_drop cause) noexcept {
    --counters_.forwarded;
    drop(cause);
}

void impairment_pipeline::receive(std::string_view payload, std::uint64_t tag, std::uint64_t now_ns,
                                  std::vector<relay_output>& out) {
    released_.clear();
    ++counters_.received;
    if (!config_.any()) {
        ++counters_.forwarded;
        out.push_back({payload, tag});
        return;
    }
    release_due(now_ns, out, false);
    if (survive(payload)) {
        const bool twice = config_.duplicate > 0 && random_.chance(config_.duplicate);
        counters_.duplicated += twice ? 1 : 0;
        reorder_stage(payload, twice ? 2 : 1, tag, now_ns, out);
    }
    counters_.pending = held_copies_ + scheduled_.size();
}

bool impairment_pipeline::survive(std::string_view& payload) {
    if (config_.mtu && payload.size() > *config_.mtu) {
        drop(relay_drop::mtu);
        return false;
    }
    if (config_.burst_loss > 0) {
        bad_state_ = random_.chance(bad_state_ ? 1 - leave_burst_ : enter_burst_);
        if (bad_state_) {
            drop(relay_drop::burst_loss);
            return false;
        }
    }
    if (config_.loss > 0 && random_.chance(config_.loss)) {
        drop(relay_drop::loss);
        return false;
    }
    if (config_.corrupt > 0 && random_.chance(config_.corrupt) && !payload.empty()) {
        scratch_.assign(payload);
        const auto at = random_.below(scratch_.size());
        scratch_[at] = static_cast<char>(scratch_[at] ^ static_cast<char>(1 + random_.below(255)));
        payload = scratch_;
        ++counters_.corrupted;
    }
    if (config_.truncate && payload.size() > *config_.truncate) {
        payload = payload.substr(0, *config_.truncate);
        ++counters_.truncated;
    }
    return true;
}

void impairment_pipeline::reorder_stage(std::string_view payload, std::uint8_t copies,
                                        std::uint64_t tag, std::uint64_t now_ns,
                                        std::vector<relay_output>& out) {
    // A duplicate goes with its original: were one held and the other not, the receiver would
    // see a duplicate where the relay counted a reordering.
    if (config_.reorder > 0 && random_.chance(config_.reorder)) {
        held_.push_back(
            {std::string(payload), tag, config_.reorder_gap, now_ns + reorder_hold_ns, copies});
        held_copies_ += copies;
        return;
    }
    for (std::uint8_t i = 0; i < copies; ++i)
        timing_stage(payload, tag, now_ns, out);
    for (auto& h : held_) {
        --h.gap_left;
        h.overtaken = true;
    }
    // Every datagram held before another has seen at least as many pass: the ones whose gap has
    // ended are at the front.
    while (!held_.empty() && held_.front().gap_left == 0)
        release_held(now_ns, out);
}

void impairment_pipeline::release_held(std::uint64_t now_ns, std::vector<relay_output>& out) {
    held h = std::move(held_.front());
    held_.pop_front();
    held_copies_ -= h.copies;
    if (h.overtaken)
        ++counters_.reordered;
    released_.push_back(std::move(h.bytes));
    for (std::uint8_t i = 0; i < h.copies; ++i)
        timing_stage(released_.back(), h.tag, now_ns, out, !h.overtaken);
}

void impairment_pipeline::timing_stage(std::string_view payload, std::uint64_t tag,
                                       std::uint64_t now_ns, std::vector<relay_output>& out,
                                       bool held_back) {
    double leaves = static_cast<double>(now_ns);
    if (config_.rate_pps > 0 || config_.bandwidth_bps > 0) {
        while (!departures_.empty() && departures_.front() <= now_ns)
            departures_.pop_front();
        if (departures_.size() >= config_.queue_limit) {
            drop(relay_drop::queue_full);
            return;
        }
        leaves = std::max(leaves, link_free_ns_);
        link_free_ns_ = leaves + (config_.rate_pps > 0 ? 1e9 / config_.rate_pps
                                                       : static_cast<double>(payload.size()) * 8e9 /
                                                             config_.bandwidth_bps);
        if (leaves > static_cast<double>(now_ns)) {
            ++counters_.queued;
            departures_.push_back(static_cast<std::uint64_t>(std::ceil(leaves)));
        }
    }
    leaves += static_cast<double>(config_.delay_ns);
    if (config_.jitter_ns > 0)
        leaves += (2 * random_.uniform() - 1) * static_cast<double>(config_.jitter_ns);
    const auto due = static_cast<std::uint64_t>(std::ceil(leaves));
    if (due <= now_ns) {
        counters_.delayed += held_back ? 1 : 0;
        ++counters_.forwarded;
        out.push_back({payload, tag});
        return;
    }
    ++counters_.delayed;
    scheduled_.push_back({due, order_++, std::string(payload), tag});
    std::push_heap(scheduled_.begin(), scheduled_.end(), std::greater<>{});
}

void impairment_pipeline::release_due(std::uint64_t now_ns, std::vector<relay_output>& out) {
    released_.clear();
    release_due(now_ns, out, true);
}

void impairment_pipeline::release_due(std::uint64_t now_ns, std::vector<relay_output>& out,
                                      bool update_pending) {
    while (!held_.empty() && held_.front().deadline_ns <= now_ns)
        release_held(now_ns, out);
    while (!scheduled_.empty() && scheduled_.front().due_ns <= now_ns) {
        std::pop_heap(scheduled_.begin(), scheduled_.end(), std::greater<>{});
        released_.push_back(std::move(scheduled_.back().bytes));
        ++counters_.forwarded;
        out.push_back({released_.back(), scheduled_.back().tag});
        scheduled_.pop_back();
    }
    if (update_pending)
        counters_.pending = held_copies_ + scheduled_.size();
}

std::optional<std::uint64_t> impairment_pipeline::next_due_ns() const noexcept {
    std::optional<std::uint64_t> next;
    if (!held_.empty())
        next = held_.front().deadline_ns;
    if (!scheduled_.empty())
        next = std::min(next.value_or(UINT64_MAX), scheduled_.front().due_ns);
    return next;
}

client_table::client_table(std::size_t capacity, std::uint64_t idle_ns)
    : slots_(capacity), idle_ns_(idle_ns) {
    free_.reserve(capacity);
    for (std::size_t i = capacity; i-- > 0;)
        free_.push_back(i);
    by_address_.reserve(capacity);
}

client_table::admission client_table::admit(const ip_endpoint& client, std::uint64_t now_ns) {
    if (auto found = by_address_.find(client); found != by_address_.end()) {
        slot_state& s = slots_[found->second];
        s.last_ns = now_ns;
        return {found->second, std::uint64_t{s.generation} << 32 | found->second, false};
    }
    if (free_.empty())
        return {};
    const std::size_t slot = free_.back();
    free_.pop_back();
    slot_state& s = slots_[slot];
    ++s.generation;
    s.client = client;
    s.last_ns = now_ns;
    s.used = true;
    by_address_.emplace(client, slot);
    return {slot, std::uint64_t{s.generation} << 32 | slot, true};
}

std::optional<std::size_t> client_table::slot_of(std::uint64_t id) const noexcept {
    const std::size_t slot = id & 0xffffffffu;
    if (slot >= slots_.size() || !slots_[slot].used || slots_[slot].generation != id >> 32)
        return std::nullopt;
    return slot;
}

void client_table::touch(std::size_t slot, std::uint64_t now_ns) noexcept {
    slots_[slot].last_ns = std::max(slots_[slot].last_ns, now_ns);
}

const ip_endpoint& client_table::address(std::size_t slot) const noexcept {
    return slots_[slot].client;
}

std::vector<std::size_t> client_table::expire(std::uint64_t now_ns) {
    std::vector<std::size_t> gone;
    for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
        slot_state& s = slots_[slot];
        if (!s.used || now_ns < s.last_ns || now_ns - s.last_ns < idle_ns_)
            continue;
        by_address_.erase(s.client);
        s.used = false;
        free_.push_back(slot);
        gone.push_back(slot);
        ++expired_;
    }
    return gone;
}

std::string format_relay_stats(std::uint64_t seed, const client_table& clients,
                               const relay_counters& forward, const relay_counters& back,
                               bool json) {
    const counter_field head[] = {
        {"seed", seed}, {"clients", clients.size()}, {"clients_expired", clients.expired()}};
    std::string out = json ? "{" : "stats:";
    append_counters(out, head, json);
    if (json) {
        out += ",\"forward\":{";
        append_direction(out, forward, true, {});
        out += "},\"back\":{";
        append_direction(out, back, true, {});
        out += "}}";
    } else {
        append_direction(out, forward, false, "forward.");
        append_direction(out, back, false, "back.");
    }
    return out;
}

} // namespace udpkit
