#include "udpkit/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

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

} // namespace

void encode_probe(std::string& out, const probe_header& header, std::size_t size) {
    out.assign(std::max(size, probe_header_bytes), '\0');
    put_be(out, 0, header.seq, 4);
    put_be(out, 4, header.sent_us, 4);
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

burst_stats::burst_stats(std::uint32_t first_seq, std::uint64_t origin_ns)
    : first_seq_(first_seq), origin_ns_(origin_ns) {}

std::uint32_t burst_stats::stamp(std::uint64_t ns) const noexcept {
    return static_cast<std::uint32_t>((ns - std::min(ns, origin_ns_)) / 1000);
}

probe_header burst_stats::next_probe(std::uint64_t now_ns) const noexcept {
    return {static_cast<std::uint32_t>(first_seq_ + send_times_.size()), stamp(now_ns)};
}

void burst_stats::record_sent(std::uint64_t now_ns) {
    send_times_.push_back(now_ns);
    answered_.push_back(false);
    ++open_count_;
}

reply_kind burst_stats::record_reply(std::string_view payload, std::size_t size, bool truncated,
                                     std::size_t probe_size, std::uint64_t now_ns) {
    const auto header = decode_probe(payload);
    // Unsigned subtraction maps sequence numbers across the 2^32 wrap back to indexes.
    const std::uint64_t index = header ? static_cast<std::uint32_t>(header->seq - first_seq_) : 0;
    if (!header || index >= send_times_.size() || header->sent_us != stamp(send_times_[index])) {
        ++invalid_;
        return reply_kind::invalid;
    }
    if (answered_[index]) {
        ++duplicated_;
        return reply_kind::duplicate;
    }
    answered_[index] = true;
    ++received_;
    if (index >= oldest_open_)
        --open_count_;
    const std::uint64_t sent_ns = send_times_[index];
    rtts_.push_back(now_ns > sent_ns ? now_ns - sent_ns : 0);
    last_reply_ns_ = std::max(last_reply_ns_, now_ns);
    reply_min_ = received_ == 1 ? size : std::min<std::uint64_t>(reply_min_, size);
    reply_max_ = std::max<std::uint64_t>(reply_max_, size);
    if (truncated || size < probe_size)
        ++truncated_;
    if (highest_answered_ && index < *highest_answered_) {
        ++reordered_;
        return reply_kind::reordered;
    }
    highest_answered_ = index;
    return reply_kind::fresh;
}

std::uint64_t burst_stats::in_flight(std::uint64_t now_ns, std::uint64_t timeout_ns) {
    while (oldest_open_ < send_times_.size() &&
           (answered_[oldest_open_] || send_times_[oldest_open_] + timeout_ns <= now_ns)) {
        if (!answered_[oldest_open_])
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

burst_summary burst_stats::summary() const {
    burst_summary s;
    s.sent = sent();
    s.received = received_;
    s.lost = s.sent - received_;
    s.reordered = reordered_;
    s.duplicated = duplicated_;
    s.truncated = truncated_;
    s.invalid = invalid_;
    s.reply_min_bytes = reply_min_;
    s.reply_max_bytes = reply_max_;
    if (s.sent >= 2 && send_times_.back() > send_times_.front())
        s.rate_pps = static_cast<double>(s.sent - 1) * 1e9 /
                     static_cast<double>(send_times_.back() - send_times_.front());
    if (s.sent > 0)
        s.duration_ns = std::max(send_times_.back(), last_reply_ns_) - send_times_.front();
    auto sorted = rtts_;
    std::sort(sorted.begin(), sorted.end());
    s.rtt = {percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99),
             sorted.empty() ? 0 : sorted.back()};
    return s;
}

double loss_percent(const burst_summary& s) noexcept {
    return s.sent == 0 ? 0.0 : 100.0 * static_cast<double>(s.lost) / static_cast<double>(s.sent);
}

std::string burst_failure(const burst_summary& s, double max_loss_percent) {
    if (s.sent == 0)
        return "no probe was sent";
    if (s.received == 0)
        return "no reply to any of the " + std::to_string(s.sent) + " probes" +
               (s.foreign.empty() ? ""
                                  : "; " + std::to_string(s.foreign.total()) +
                                        " datagrams came from other addresses (not replies)");
    if (loss_percent(s) > max_loss_percent)
        return "lost " + std::to_string(s.lost) + " of " + std::to_string(s.sent) + " probes (" +
               fixed(loss_percent(s), 2) + "%), more than the allowed " +
               fixed(max_loss_percent, 2) + "% (--max-loss)";
    if (s.truncated > 0)
        return std::to_string(s.truncated) + " replies were truncated";
    return {};
}

std::string burst_json(const burst_summary& s, std::string_view target, std::size_t probe_size,
                       std::string_view error) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    std::string out = "{\"target\": ";
    append_json_string(out, target);
    out += ", \"size\": " + n(probe_size) + ", \"sent\": " + n(s.sent) +
           ", \"received\": " + n(s.received) + ", \"lost\": " + n(s.lost) +
           ", \"reordered\": " + n(s.reordered) + ", \"duplicated\": " + n(s.duplicated) +
           ", \"truncated\": " + n(s.truncated) + ", \"invalid\": " + n(s.invalid) +
           ", \"reply_bytes\": {\"min\": " + n(s.reply_min_bytes) +
           ", \"max\": " + n(s.reply_max_bytes) + "}, \"rate_pps\": " + fixed(s.rate_pps, 1) +
           ", \"duration_ms\": " + fixed(static_cast<double>(s.duration_ns) / 1e6, 3) +
           ", \"rtt_us\": {\"p50\": " + micros(s.rtt.p50) + ", \"p90\": " + micros(s.rtt.p90) +
           ", \"p99\": " + micros(s.rtt.p99) + ", \"max\": " + micros(s.rtt.max) +
           "}, \"kernel_drops\": " + n(s.kernel_drops) + ", \"foreign\": " + s.foreign.json() +
           ", \"error\": ";
    if (error.empty())
        out += "null";
    else
        append_json_string(out, error);
    return out + "}";
}

std::string burst_text(const burst_summary& s, std::string_view target, std::size_t probe_size) {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    std::string out = "burst to " + std::string(target) + ": " + n(s.sent) + " probes of " +
                      n(probe_size) + " bytes\n";
    out += "sent " + n(s.sent) + ", received " + n(s.received) + ", lost " + n(s.lost) + " (" +
           fixed(loss_percent(s), 2) + "%), reordered " + n(s.reordered) + ", duplicated " +
           n(s.duplicated) + ", truncated " + n(s.truncated) + ", invalid " + n(s.invalid) + "\n";
    out += "rtt p50 " + micros(s.rtt.p50) + " us, p90 " + micros(s.rtt.p90) + " us, p99 " +
           micros(s.rtt.p99) + " us, max " + micros(s.rtt.max) + " us\n";
    out += "rate " + fixed(s.rate_pps, 0) + " pps, " +
           fixed(static_cast<double>(s.duration_ns) / 1e6, 1) + " ms; replies " +
           n(s.reply_min_bytes) + ".." + n(s.reply_max_bytes) + " bytes; kernel drops " +
           n(s.kernel_drops) + "\n";
    for (const auto& line : s.foreign.describe("the target " + std::string(target)))
        out += line + "\n";
    return out;
}

} // namespace udpkit
