#include "udpkit/stats.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "udpkit/group_send.hpp"
#include "udpkit/hex.hpp"
#include "udpkit/json.hpp"

namespace udpkit {
namespace {

void put_be(std::string& out, std::size_t at, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i, value >>= 8)
        out[at + static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
}

std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i)
        value = (value << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
    return value;
}

// Microseconds with one decimal, from nanoseconds: "31.2".
std::string micros(std::uint64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(ns) / 1000.0);
    return buf;
}

std::string fixed(double value, int decimals) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

constexpr std::uint64_t never_ns = UINT64_MAX;

// `3 corrupt`, for lists of what came back.
void add_count(std::vector<std::string>& out, std::uint64_t n, const char* what) {
    if (n > 0)
        out.push_back(std::to_string(n) + " " + what);
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
    std::string out;
    for (const auto& p : parts)
        out += (out.empty() ? "" : separator) + p;
    return out;
}

// A histogram bound for people: 0us, 500us, 1ms, 20ms, 2s.
std::string duration_label(std::uint64_t ns) {
    if (ns < 1'000'000)
        return std::to_string(ns / 1000) + "us";
    if (ns < 1'000'000'000)
        return std::to_string(ns / 1'000'000) + "ms";
    return std::to_string(ns / 1'000'000'000) + "s";
}

// The RTT figures of a text line: `p50 31.2 us, max 80.0 us`, or `p50 -, max -`.
std::string rtt_text(const std::optional<rtt_summary>& rtt, bool all) {
    auto us = [&](std::uint64_t rtt_summary::*field) {
        return rtt ? micros((*rtt).*field) + " us" : std::string("-");
    };
    if (!all)
        return "rtt p50 " + us(&rtt_summary::p50) + ", max " + us(&rtt_summary::max);
    return "rtt p50 " + us(&rtt_summary::p50) + ", p90 " + us(&rtt_summary::p90) + ", p99 " +
           us(&rtt_summary::p99) + ", max " + us(&rtt_summary::max);
}

std::string jitter_text(const std::optional<double>& jitter_ns) {
    return jitter_ns ? "jitter " + fixed(*jitter_ns / 1000.0, 1) + " us" : std::string("jitter -");
}

std::string jitter_json(const std::optional<double>& jitter_ns) {
    return jitter_ns ? fixed(*jitter_ns / 1000.0, 1) : std::string("null");
}

// The RTT figures of a JSON object: `{"p50": 31.2, "max": 80.0}` (all: p90 and p99 too), or null.
std::string rtt_json(const std::optional<rtt_summary>& rtt, bool all) {
    if (!rtt)
        return "null";
    return "{\"p50\": " + micros(rtt->p50) +
           (all ? ", \"p90\": " + micros(rtt->p90) + ", \"p99\": " + micros(rtt->p99) : "") +
           ", \"max\": " + micros(rtt->max) + "}";
}

// The counters a burst_summary and a burst_interval share, from `late` on, for a text line:
// `late 0, in flight 0, reordered 0, ..., invalid 0`.
template <class Counters> std::string counters_text(const Counters& c) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    return "late " + n(c.late) + ", in flight " + n(c.in_flight) + ", reordered " + n(c.reordered) +
           ", duplicated " + n(c.duplicated) + ", corrupt " + n(c.corrupt) + ", truncated " +
           n(c.truncated) + ", invalid " + n(c.invalid);
}

// The counters a burst_summary and a burst_interval share, as JSON members:
// `"sent": 1, "received": 1, ..., "invalid": 0`.
template <class Counters> std::string counters_json(const Counters& c) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    return "\"sent\": " + n(c.sent) + ", \"received\": " + n(c.received) +
           ", \"lost\": " + n(c.lost) + ", \"late\": " + n(c.late) +
           ", \"in_flight\": " + n(c.in_flight) + ", \"reordered\": " + n(c.reordered) +
           ", \"duplicated\": " + n(c.duplicated) + ", \"corrupt\": " + n(c.corrupt) +
           ", \"truncated\": " + n(c.truncated) + ", \"invalid\": " + n(c.invalid);
}

// A probe's body byte i (counted from the start of the probe) is (seq + i) & 0xff: a run of
// 0..255 that starts anywhere and repeats every 256 bytes. This table holds two periods, so any
// 256 bytes of the run are one slice of it, copied or compared with memcpy/memcmp a slice at a
// time instead of byte by byte (millions of probes a second are built and checked).
constexpr std::size_t body_period = 256;
const std::array<unsigned char, 2 * body_period>& body_table() noexcept {
    static const auto table = [] {
        std::array<unsigned char, 2 * body_period> t{};
        for (std::size_t i = 0; i < t.size(); ++i)
            t[i] = static_cast<unsigned char>(i & 0xff);
        return t;
    }();
    return table;
}

/// The first period of the body of probe `seq` (at most 256 bytes are distinct).
const unsigned char* body_start(std::uint32_t seq) noexcept {
    return body_table().data() + ((seq + probe_header_bytes) & 0xff);
}

// Whether a datagram whose header is `header` is that probe byte for byte: the header is its
// own, so only the size and the body (see encode_probe) are left to check.
bool is_probe(std::string_view payload, const probe_header& header, std::size_t size) noexcept {
    if (payload.size() != std::max(size, probe_header_bytes))
        return false;
    const unsigned char* expected = body_start(header.seq);
    for (std::size_t at = probe_header_bytes; at < payload.size(); at += body_period)
        if (std::memcmp(payload.data() + at, expected,
                        std::min(body_period, payload.size() - at)) != 0)
            return false;
    return true;
}

// A JSON string, or null for an empty one (messages that may be absent).
void string_or_null(std::string& out, std::string_view text) {
    if (text.empty())
        out += "null";
    else
        append_json_string(out, text);
}

rtt_summary summarize(std::vector<std::uint64_t> samples) {
    std::sort(samples.begin(), samples.end());
    return {percentile(samples, 50), percentile(samples, 90), percentile(samples, 99),
            samples.back()};
}

} // namespace

void encode_probe(std::string& out, const probe_header& header, std::size_t size) {
    out.resize(std::max(size, probe_header_bytes));
    put_be(out, 0, header.seq, 4);
    put_be(out, 4, header.sent_us, 4);
    const unsigned char* body = body_start(header.seq);
    for (std::size_t at = probe_header_bytes; at < out.size(); at += body_period)
        std::memcpy(out.data() + at, body, std::min(body_period, out.size() - at));
}

std::string echo_difference(std::string_view expected, std::string_view got) {
    std::vector<std::string> parts;
    if (got.size() != expected.size())
        parts.push_back(std::to_string(got.size()) + " bytes instead of " +
                        std::to_string(expected.size()));
    const std::size_t common = std::min(got.size(), expected.size());
    std::size_t first = common, differ = 0;
    for (std::size_t i = 0; i < common; ++i) {
        if (got[i] == expected[i])
            continue;
        first = std::min(first, i);
        ++differ;
    }
    if (differ > 0) {
        std::string text = "byte " + std::to_string(first) + " is 0x" +
                           to_hex(got.substr(first, 1)) + " instead of 0x" +
                           to_hex(expected.substr(first, 1));
        if (differ == 2)
            text += " and 1 more byte differs";
        else if (differ > 2)
            text += " and " + std::to_string(differ - 1) + " more bytes differ";
        parts.push_back(std::move(text));
    }
    return join(parts, "; ");
}

std::optional<probe_header> decode_probe(std::string_view payload) noexcept {
    if (payload.size() < probe_header_bytes)
        return std::nullopt;
    return probe_header{static_cast<std::uint32_t>(get_be(payload, 0, 4)),
                        static_cast<std::uint32_t>(get_be(payload, 4, 4))};
}

std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p) noexcept {
    if (sorted.empty())
        return 0;
    // Nearest rank: the smallest sample with at least p% of the samples at or below it.
    const auto n = static_cast<double>(sorted.size());
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

burst_stats::burst_stats(std::uint32_t first_seq, std::uint64_t origin_ns, std::uint64_t timeout_ns)
    : first_seq_(first_seq), origin_ns_(origin_ns), timeout_ns_(timeout_ns) {}

std::uint32_t burst_stats::stamp(std::uint64_t ns) const noexcept {
    return static_cast<std::uint32_t>((ns - std::min(ns, origin_ns_)) / 1000);
}

bool burst_stats::expired(std::uint64_t index, std::uint64_t now_ns) const noexcept {
    // Written so that a timeout of `never` cannot overflow.
    const std::uint64_t sent_ns = send_times_[index];
    return now_ns >= sent_ns && now_ns - sent_ns >= timeout_ns_;
}

probe_header burst_stats::next_probe(std::uint64_t now_ns, std::uint64_t ahead) const noexcept {
    return {static_cast<std::uint32_t>(first_seq_ + send_times_.size() + ahead), stamp(now_ns)};
}

void burst_stats::record_sent(std::uint64_t now_ns) {
    send_times_.push_back(now_ns);
    states_.push_back(probe_state::open);
    ++open_count_;
}

std::optional<burst_stats::our_probe>
burst_stats::find_probe(std::string_view payload) const noexcept {
    const auto header = decode_probe(payload);
    if (!header)
        return std::nullopt;
    // Unsigned subtraction maps sequence numbers across the 2^32 wrap back to indexes.
    const std::uint64_t index = static_cast<std::uint32_t>(header->seq - first_seq_);
    if (index >= send_times_.size() || header->sent_us != stamp(send_times_[index]))
        return std::nullopt;
    return our_probe{*header, index};
}

bool burst_stats::has_our_header(std::string_view payload) const noexcept {
    return find_probe(payload).has_value();
}

reply_kind burst_stats::record_reply(std::string_view payload, std::size_t size, bool truncated,
                                     std::size_t probe_size, std::uint64_t now_ns) {
    const auto probe = find_probe(payload);
    if (!probe) {
        ++invalid_;
        return reply_kind::invalid;
    }
    const probe_header& header = probe->header;
    const std::uint64_t index = probe->index;
    // The header is one of ours: the rest must be the probe byte for byte. A reply cut by the
    // socket was longer than the limit, so longer than the probe: corrupt, like any longer one.
    if (size < probe_size) {
        ++truncated_;
        return reply_kind::truncated;
    }
    if (truncated || size != probe_size || !is_probe(payload, header, probe_size)) {
        if (corrupt_++ == 0) {
            std::string difference;
            if (truncated) {
                difference = std::to_string(size) + " bytes instead of " +
                             std::to_string(probe_size) + " (over the size limit)";
            } else {
                std::string expected; // built for the first corrupt reply only
                encode_probe(expected, header, probe_size);
                difference = echo_difference(expected, payload);
            }
            first_corrupt_ = "probe " + std::to_string(index) + ": " + difference;
        }
        return reply_kind::corrupt;
    }
    if (states_[index] != probe_state::open) {
        ++duplicated_;
        return reply_kind::duplicate;
    }
    if (index >= oldest_open_)
        --open_count_;
    const std::uint64_t sent_ns = send_times_[index];
    const std::uint64_t rtt = now_ns > sent_ns ? now_ns - sent_ns : 0;
    if (rtt >= timeout_ns_) {
        states_[index] = probe_state::late;
        ++late_;
        return reply_kind::late;
    }
    states_[index] = probe_state::received;
    ++received_;
    // RFC 3550 6.4.1 with the round trip as the transit time: D = RTT(i) - RTT(i-1).
    if (!rtts_.empty()) {
        const double d = std::fabs(static_cast<double>(rtt) - static_cast<double>(rtts_.back()));
        jitter_ns_ += (d - jitter_ns_) / 16.0;
    }
    rtts_.push_back(rtt);
    last_reply_ns_ = std::max(last_reply_ns_, now_ns);
    reply_min_ = received_ == 1 ? size : std::min<std::uint64_t>(reply_min_, size);
    reply_max_ = std::max<std::uint64_t>(reply_max_, size);
    if (highest_answered_ && index < *highest_answered_) {
        ++reordered_;
        return reply_kind::reordered;
    }
    highest_answered_ = index;
    return reply_kind::fresh;
}

std::uint64_t burst_stats::in_flight(std::uint64_t now_ns, std::uint64_t timeout_ns) {
    while (oldest_open_ < send_times_.size() &&
           (states_[oldest_open_] != probe_state::open ||
            send_times_[oldest_open_] + timeout_ns <= now_ns)) {
        if (states_[oldest_open_] == probe_state::open)
            --open_count_; // given up on
        ++oldest_open_;
    }
    return open_count_;
}

std::optional<std::uint64_t> burst_stats::next_expiry(std::uint64_t timeout_ns) const noexcept {
    // The front may have been answered since the last in_flight(): waking early is harmless.
    if (open_count_ == 0 || oldest_open_ >= send_times_.size())
        return std::nullopt;
    return send_times_[oldest_open_] + timeout_ns;
}

std::uint64_t burst_stats::open_at(std::uint64_t now_ns) const noexcept {
    if (now_ns == never)
        return 0;
    // Before the cursor every probe is answered or was given up on at an earlier `now`.
    std::uint64_t open = 0;
    for (std::uint64_t i = oldest_open_; i < send_times_.size(); ++i)
        open += states_[i] == probe_state::open && !expired(i, now_ns);
    return open;
}

std::optional<double> burst_stats::jitter() const noexcept {
    return rtts_.size() >= 2 ? std::optional<double>(jitter_ns_) : std::nullopt;
}

burst_summary burst_stats::summary(std::uint64_t now_ns) const {
    burst_summary s;
    s.sent = sent();
    s.received = received_;
    s.late = late_;
    s.in_flight = open_at(now_ns);
    s.lost = s.sent - received_ - late_ - s.in_flight;
    s.reordered = reordered_;
    s.duplicated = duplicated_;
    s.corrupt = corrupt_;
    s.truncated = truncated_;
    s.invalid = invalid_;
    s.first_corrupt = first_corrupt_;
    if (received_ > 0) {
        s.reply_min_bytes = reply_min_;
        s.reply_max_bytes = reply_max_;
        s.rtt = summarize(rtts_);
    }
    s.jitter_ns = jitter();
    if (s.sent >= 2 && send_times_.back() > send_times_.front())
        s.rate_pps = static_cast<double>(s.sent - 1) * 1e9 /
                     static_cast<double>(send_times_.back() - send_times_.front());
    if (s.sent > 0)
        s.duration_ns = std::max(send_times_.back(), last_reply_ns_) - send_times_.front();
    return s;
}

burst_stats::totals burst_stats::running_totals(std::uint64_t now_ns) const noexcept {
    totals t;
    t.sent = sent();
    t.received = received_;
    // Given up on by now: neither received in time nor still in flight (late ones included).
    t.given_up = t.sent - received_ - open_at(now_ns);
    t.late = late_;
    t.reordered = reordered_;
    t.duplicated = duplicated_;
    t.corrupt = corrupt_;
    t.truncated = truncated_;
    t.invalid = invalid_;
    t.rtts = rtts_.size();
    return t;
}

burst_interval burst_stats::take_interval(std::uint64_t now_ns) {
    const totals now = running_totals(now_ns);
    const totals& then = interval_mark_;
    // A reply the kernel received in time but that was read after a report can take a probe
    // back from "given up on": never report a negative count for it.
    auto delta = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
    burst_interval i;
    i.start_ns = interval_end_ns_;
    i.end_ns = now_ns - std::min(now_ns, origin_ns_);
    i.sent = delta(now.sent, then.sent);
    i.received = delta(now.received, then.received);
    i.lost = delta(now.given_up, then.given_up);
    i.late = delta(now.late, then.late);
    i.in_flight = now.sent - now.received - now.given_up;
    i.reordered = delta(now.reordered, then.reordered);
    i.duplicated = delta(now.duplicated, then.duplicated);
    i.corrupt = delta(now.corrupt, then.corrupt);
    i.truncated = delta(now.truncated, then.truncated);
    i.invalid = delta(now.invalid, then.invalid);
    if (now.rtts > then.rtts)
        i.rtt = summarize({rtts_.begin() + static_cast<std::ptrdiff_t>(then.rtts), rtts_.end()});
    i.jitter_ns = jitter();
    interval_mark_ = now;
    interval_end_ns_ = i.end_ns;
    return i;
}

double loss_percent(const burst_summary& s) noexcept {
    return s.sent == 0 ? 0.0 : 100.0 * static_cast<double>(s.lost) / static_cast<double>(s.sent);
}

std::string burst_failure(const burst_summary& s, double max_loss_percent) {
    if (s.sent == 0)
        return "no probe was sent";
    auto replies = [](std::uint64_t n, const char* was) {
        return std::to_string(n) + (n == 1 ? " reply " : " replies ") +
               (n == 1 ? "was " : "were ") + was;
    };
    if (s.received == 0) {
        std::vector<std::string> back;
        add_count(back, s.late, "late (after --timeout)");
        add_count(back, s.corrupt, "corrupt");
        add_count(back, s.truncated, "truncated");
        add_count(back, s.duplicated, "duplicated");
        add_count(back, s.invalid, "invalid");
        add_count(back, s.foreign.total(), "foreign (from other addresses, not replies)");
        std::string out =
            (back.empty() ? "no reply to any of the " : "no valid reply to any of the ") +
            std::to_string(s.sent) + " probes";
        if (!back.empty())
            out += "; what came back: " + join(back, ", ");
        if (s.corrupt > 0)
            out += "; first corrupt: " + s.first_corrupt;
        return out;
    }
    std::vector<std::string> why;
    const std::uint64_t missed = s.lost + s.late;
    const double missed_percent = 100.0 * static_cast<double>(missed) / static_cast<double>(s.sent);
    if (missed_percent > max_loss_percent)
        why.push_back("lost " + std::to_string(s.lost) +
                      (s.late > 0 ? " and late " + std::to_string(s.late) : std::string()) +
                      " of " + std::to_string(s.sent) + " probes (" + fixed(missed_percent, 2) +
                      "%), more than the allowed " + fixed(max_loss_percent, 2) + "% (--max-loss)");
    if (s.corrupt > 0)
        why.push_back(replies(s.corrupt, "corrupt") +
                      " (not the probe byte for byte; first: " + s.first_corrupt + ")");
    if (s.truncated > 0)
        why.push_back(replies(s.truncated, "truncated"));
    return join(why, "; ");
}

std::string burst_json(const burst_summary& s, std::string_view target, std::size_t probe_size,
                       std::string_view error) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    std::string out = "{\"target\": ";
    append_json_string(out, target);
    out += ", \"size\": " + n(probe_size) + ", \"window\": " + n(s.window) + ", " +
           counters_json(s) + ", \"first_corrupt\": ";
    string_or_null(out, s.first_corrupt);
    out += ", \"reply_bytes\": ";
    out += s.reply_min_bytes && s.reply_max_bytes
               ? "{\"min\": " + n(*s.reply_min_bytes) + ", \"max\": " + n(*s.reply_max_bytes) + "}"
               : std::string("null");
    out += ", \"rate_pps\": " + fixed(s.rate_pps, 1) +
           ", \"duration_ms\": " + fixed(static_cast<double>(s.duration_ns) / 1e6, 3) +
           ", \"rtt_us\": " + rtt_json(s.rtt, true) +
           ", \"jitter_us\": " + jitter_json(s.jitter_ns) +
           ", \"kernel_drops\": " + n(s.kernel_drops) + ", \"foreign\": " + s.foreign.json() +
           ", \"offload\": " + format_offload(s.offload, true);
    if (s.histogram) {
        out += ", \"rtt_histogram\": [";
        for (std::size_t i = 0; i < s.histogram->size(); ++i) {
            const auto& b = (*s.histogram)[i];
            out += std::string(i == 0 ? "" : ", ") + "{\"from_us\": " + micros(b.from_ns) +
                   ", \"to_us\": " + micros(b.to_ns) + ", \"count\": " + n(b.count) + "}";
        }
        out += "]";
    }
    out += ", \"error\": ";
    string_or_null(out, error);
    return out + "}";
}

std::string burst_text(const burst_summary& s, std::string_view target, std::size_t probe_size) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    std::string out = "burst to " + std::string(target) + ": " + n(s.sent) + " probes of " +
                      n(probe_size) + " bytes";
    if (s.window != 0)
        out += ", at most " + n(s.window) + " in flight";
    out += "\n";
    out += "sent " + n(s.sent) + ", received " + n(s.received) + ", lost " + n(s.lost) + " (" +
           fixed(loss_percent(s), 2) + "%), " + counters_text(s) + "\n";
    out += rtt_text(s.rtt, true) + "; " + jitter_text(s.jitter_ns) + "\n";
    out += "rate " + fixed(s.rate_pps, 0) + " pps, " +
           fixed(static_cast<double>(s.duration_ns) / 1e6, 1) + " ms; replies " +
           (s.reply_min_bytes && s.reply_max_bytes
                ? n(*s.reply_min_bytes) + ".." + n(*s.reply_max_bytes) + " bytes"
                : std::string("-")) +
           "; kernel drops " + n(s.kernel_drops) + "\n";
    out += describe_offload(s.offload) + "\n";
    if (s.corrupt > 0)
        out += "first corrupt reply: " + s.first_corrupt + "\n";
    for (const auto& line : s.foreign.describe("the target " + std::string(target)))
        out += line + "\n";
    if (s.histogram)
        out += histogram_text(*s.histogram);
    return out;
}

std::string responder_failure(const responder_summary& r, double max_loss_percent) {
    return burst_failure(r.summary, max_loss_percent);
}

std::string group_burst_failure(const group_burst_report& r, double max_loss_percent) {
    if (r.overall.sent == 0)
        return "no probe was sent";
    std::vector<std::string> why;
    if (r.responders.empty()) {
        why.push_back("no responder answered any of the " + std::to_string(r.overall.sent) +
                      " probes");
    } else {
        std::vector<responder_name> names;
        for (const auto& responder : r.responders)
            names.push_back(responder.name);
        if (auto few = responders_shortfall(names, r.unnamed > 0 ? 1 : 0, r.expected); !few.empty())
            why.push_back(std::move(few));
    }
    for (const auto& responder : r.responders)
        if (auto failed = responder_failure(responder, max_loss_percent); !failed.empty()) {
            std::string line = describe(responder.name);
            line += ": ";
            line += failed;
            why.push_back(std::move(line));
        }
    return join(why, "; ");
}

std::string group_burst_text(const group_burst_report& r) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    const burst_summary& all = r.overall;
    std::string out = "burst to " + r.target;
    out += ": " + n(all.sent);
    out += " probes of " + n(r.probe_size);
    out += " bytes";
    if (all.window != 0)
        out += ", at most " + n(all.window) + " in flight";
    out += "; " + n(r.responders.size());
    out += r.responders.size() == 1 ? " responder" : " responders";
    if (r.expected != 0)
        out += " (" + n(r.expected) + " expected)";
    out += "\n";
    for (const auto& responder : r.responders) {
        const burst_summary& s = responder.summary;
        out += describe(responder.name);
        out += ": sent " + n(s.sent);
        out += ", received " + n(s.received);
        out += ", lost " + n(s.lost);
        out += " (" + fixed(loss_percent(s), 2) + "%), " + counters_text(s) + "; " +
               rtt_text(s.rtt, true) + "; " + jitter_text(s.jitter_ns) + "\n";
        if (s.corrupt > 0)
            out += "  first corrupt reply: " + s.first_corrupt + "\n";
    }
    if (r.unnamed > 0)
        out += n(r.unnamed) + " datagrams from further sources (more than " +
               n(r.responders.size()) + " responders), not counted one by one\n";
    for (const auto& line : all.foreign.describe("a reply to these probes"))
        out += line + "\n";
    out += "rate " + fixed(all.rate_pps, 0) + " pps, " +
           fixed(static_cast<double>(all.duration_ns) / 1e6, 1) + " ms; kernel drops " +
           n(all.kernel_drops) + "\n";
    out += describe_offload(all.offload) + "\n";
    return out;
}

std::string group_burst_json(const group_burst_report& r, double max_loss_percent,
                             std::string_view error) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    const burst_summary& all = r.overall;
    std::string out = "{\"target\": ";
    append_json_string(out, r.target);
    out += ", \"size\": " + n(r.probe_size);
    out += ", \"window\": " + n(all.window);
    out += ", \"sent\": " + n(all.sent);
    out += ", \"rate_pps\": " + fixed(all.rate_pps, 1) +
           ", \"duration_ms\": " + fixed(static_cast<double>(all.duration_ns) / 1e6, 3) +
           ", \"kernel_drops\": " + n(all.kernel_drops) +
           ", \"offload\": " + format_offload(all.offload, true) + ", \"responders\": [";
    for (std::size_t i = 0; i < r.responders.size(); ++i) {
        const responder_summary& responder = r.responders[i];
        const burst_summary& s = responder.summary;
        out += i == 0 ? "{\"address\": " : ", {\"address\": ";
        append_json_string(out, responder.name.address.to_string());
        out += ", \"peer\": ";
        string_or_null(out, responder.name.peer);
        out += ", " + counters_json(s) + ", \"first_corrupt\": ";
        string_or_null(out, s.first_corrupt);
        out += ", \"rtt_us\": " + rtt_json(s.rtt, true) +
               ", \"jitter_us\": " + jitter_json(s.jitter_ns) + ", \"error\": ";
        string_or_null(out, responder_failure(responder, max_loss_percent));
        out += "}";
    }
    out += "], \"unnamed_datagrams\": " + n(r.unnamed);
    out += ", \"foreign\": " + all.foreign.json();
    out += ", \"expected_responders\": ";
    out += r.expected != 0 ? n(r.expected) : std::string("null");
    out += ", \"error\": ";
    string_or_null(out, error);
    return out + "}";
}

std::vector<histogram_bucket> rtt_histogram(const std::vector<std::uint64_t>& rtts_ns) {
    // Bounds 0, 1us, 2us, 5us, 10us, ... : 1-2-5 per decade, up past any timeout (one hour).
    std::vector<std::uint64_t> bounds{0};
    for (std::uint64_t decade = 1000; decade <= 10'000'000'000'000; decade *= 10)
        for (std::uint64_t step : {1, 2, 5})
            bounds.push_back(decade * step);
    std::vector<histogram_bucket> all;
    for (std::size_t i = 0; i + 1 < bounds.size(); ++i)
        all.push_back({bounds[i], bounds[i + 1], 0});
    all.push_back({bounds.back(), never_ns, 0});
    for (const std::uint64_t rtt : rtts_ns) {
        // The last bound not above rtt starts its bucket.
        const auto at = std::upper_bound(bounds.begin(), bounds.end(), rtt) - bounds.begin() - 1;
        ++all[static_cast<std::size_t>(at)].count;
    }
    auto used = [](const histogram_bucket& b) { return b.count > 0; };
    const auto first = std::find_if(all.begin(), all.end(), used);
    if (first == all.end())
        return {};
    const auto last = std::find_if(all.rbegin(), all.rend(), used).base();
    return {first, last};
}

std::string histogram_text(const std::vector<histogram_bucket>& buckets, std::size_t width) {
    if (buckets.empty())
        return "rtt histogram: no valid replies\n";
    std::uint64_t total = 0, largest = 0;
    for (const auto& b : buckets) {
        total += b.count;
        largest = std::max(largest, b.count);
    }
    std::string out = "rtt histogram (" + std::to_string(total) + " replies):\n";
    for (const auto& b : buckets) {
        // Rounded up, so that a bucket of one among a million still shows.
        const std::uint64_t bar = (b.count * width + largest - 1) / largest;
        char line[96];
        std::snprintf(line, sizeof line, "  %8s .. %-8s %9llu  ", duration_label(b.from_ns).c_str(),
                      b.to_ns == never_ns ? "" : duration_label(b.to_ns).c_str(),
                      static_cast<unsigned long long>(b.count));
        out += line + std::string(bar, '#');
        while (!out.empty() && out.back() == ' ')
            out.pop_back();
        out += "\n";
    }
    return out;
}

std::string interval_text(const burst_interval& i) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    char span[64];
    std::snprintf(span, sizeof span, "[%6.2f-%6.2f s] ", static_cast<double>(i.start_ns) / 1e9,
                  static_cast<double>(i.end_ns) / 1e9);
    return span + ("sent " + n(i.sent) + ", received " + n(i.received) + ", lost " + n(i.lost) +
                   ", " + counters_text(i) + "; " + rtt_text(i.rtt, false) + "; " +
                   jitter_text(i.jitter_ns) + "\n");
}

std::string interval_json(const burst_interval& i) {
    return "{\"interval\": {\"start_s\": " + fixed(static_cast<double>(i.start_ns) / 1e9, 3) +
           ", \"end_s\": " + fixed(static_cast<double>(i.end_ns) / 1e9, 3) + "}, " +
           counters_json(i) + ", \"rtt_us\": " + rtt_json(i.rtt, false) +
           ", \"jitter_us\": " + jitter_json(i.jitter_ns) + "}";
}

} // namespace udpkit
