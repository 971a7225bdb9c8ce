#include "udpkit/responder.hpp"

#include <cstdio>
#include <ctime>

#include <re2/re2.h>

#include "udpkit/hex.hpp"
#include "udpkit/json.hpp"
#include "udpkit/render.hpp"

namespace udpkit {

std::string_view to_string(echo_mode mode) noexcept {
    switch (mode) {
    case echo_mode::echo:
        return "echo";
    case echo_mode::upper:
        return "upper";
    case echo_mode::reply:
        return "reply";
    case echo_mode::sink:
        return "sink";
    }
    return "?";
}

std::string_view to_string(echo_action action) noexcept {
    switch (action) {
    case echo_action::replied:
        return "replied";
    case echo_action::truncated:
        return "truncated";
    case echo_action::rate_limited:
        return "rate-limited";
    case echo_action::refused_privileged_port:
        return "refused-privileged-port";
    case echo_action::refused_own_address:
        return "refused-own-address";
    case echo_action::refused_amplification:
        return "refused-amplification";
    case echo_action::refused_no_match:
        return "refused-no-match";
    case echo_action::refused_loop:
        return "refused-loop";
    case echo_action::refused_broadcast:
        return "refused-broadcast";
    case echo_action::send_error:
        return "send-error";
    case echo_action::sunk:
        return "sunk";
    }
    return "?";
}

result<std::vector<reply_rule>>
compile_rules(const std::vector<std::pair<std::string, std::string>>& pattern_and_text) {
    std::vector<reply_rule> rules;
    RE2::Options options;
    options.set_log_errors(false); // errors are returned, not printed by RE2
    for (const auto& [pattern, text] : pattern_and_text) {
        reply_rule rule{nullptr, pattern, text};
        if (!pattern.empty()) {
            auto re = std::make_shared<const RE2>(pattern, options);
            if (!re->ok())
                return fail("bad regular expression \"" + pattern + "\": " + re->error());
            rule.pattern = std::move(re);
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

responder::responder(responder_config config) : config_(std::move(config)) {
    if (config_.mode == echo_mode::upper)
        upper_.resize(config_.max_message);
}

std::string_view responder::build_reply(std::string_view payload, bool& matched) {
    matched = true;
    switch (config_.mode) {
    case echo_mode::echo:
        return payload;
    case echo_mode::upper: {
        // Sized to max_message, and payloads are never longer: no allocation here.
        const std::size_t n = payload.size() < upper_.size() ? payload.size() : upper_.size();
        for (std::size_t i = 0; i < n; ++i) {
            const char c = payload[i];
            upper_[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        }
        return {upper_.data(), n};
    }
    case echo_mode::reply:
        for (const auto& rule : config_.rules)
            if (!rule.pattern ||
                RE2::PartialMatch(re2::StringPiece(payload.data(), payload.size()), *rule.pattern))
                return rule.text;
        break;
    case echo_mode::sink: // decided before: no reply is built
        break;
    }
    matched = false;
    return {};
}

reply_decision responder::decide(std::string_view payload, bool truncated, const ip_endpoint& from,
                                 destination_kind kind) {
    if (truncated)
        return {echo_action::truncated, {}};
    if (config_.mode == echo_mode::sink) // sends nothing: the reply checks do not apply
        return {echo_action::sunk, {}};
    if (kind == destination_kind::broadcast && !config_.allow_broadcast)
        return {echo_action::refused_broadcast, {}};
    if (from.port() < 1024 && !config_.allow_privileged_ports)
        return {echo_action::refused_privileged_port, {}};
    for (const auto& own : config_.own_addresses)
        if (from == own)
            return {echo_action::refused_own_address, {}};
    bool matched = false;
    const std::string_view reply = build_reply(payload, matched);
    if (!matched)
        return {echo_action::refused_no_match, {}};
    if (reply.size() > payload.size() && !config_.allow_amplification)
        return {echo_action::refused_amplification, {}};
    return {echo_action::replied, reply};
}

void echo_counters::record(echo_action action, std::size_t size, destination_kind kind,
                           std::size_t reply_bytes) noexcept {
    ++received;
    bytes_in += size;
    switch (kind) {
    case destination_kind::unicast:
        ++to_unicast;
        break;
    case destination_kind::group:
        ++to_group;
        break;
    case destination_kind::broadcast:
        ++to_broadcast;
        break;
    }
    switch (action) {
    case echo_action::replied:
        ++replied;
        bytes_out += reply_bytes;
        break;
    case echo_action::truncated:
        ++truncated;
        break;
    case echo_action::rate_limited:
        ++rate_limited;
        break;
    case echo_action::refused_privileged_port:
        ++refused_privileged_port;
        break;
    case echo_action::refused_own_address:
        ++refused_own_address;
        break;
    case echo_action::refused_amplification:
        ++refused_amplification;
        break;
    case echo_action::refused_no_match:
        ++refused_no_match;
        break;
    case echo_action::refused_loop:
        ++refused_loop;
        break;
    case echo_action::refused_broadcast:
        ++refused_broadcast;
        break;
    case echo_action::send_error:
        ++send_errors;
        break;
    case echo_action::sunk:
        ++sunk;
        break;
    }
}

std::uint64_t echo_counters::refused() const noexcept {
    return refused_privileged_port + refused_own_address + refused_amplification +
           refused_no_match + refused_loop + refused_broadcast;
}

bool echo_counters::adds_up() const noexcept {
    return received == replied + sunk + truncated + rate_limited + refused() + send_errors &&
           received == to_unicast + to_group + to_broadcast;
}

namespace {

// `2024-05-01T09:30:00.123Z`.
void append_utc(std::string& out, std::int64_t unix_ms) {
    const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[40];
    const int n = std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                                utc.tm_min, utc.tm_sec, static_cast<int>(unix_ms % 1000));
    out.append(stamp, static_cast<std::size_t>(n));
}

} // namespace

std::string format_counters(const echo_counters& c, bool json, std::int64_t unix_ms,
                            stats_reason reason) {
    const counter_field fields[] = {
        {"received", c.received},
        {"to_unicast", c.to_unicast},
        {"to_group", c.to_group},
        {"to_broadcast", c.to_broadcast},
        {"replied", c.replied},
        {"sunk", c.sunk},
        {"truncated", c.truncated},
        {"rate_limited", c.rate_limited},
        {"refused", c.refused()},
        {"refused_privileged_port", c.refused_privileged_port},
        {"refused_own_address", c.refused_own_address},
        {"refused_amplification", c.refused_amplification},
        {"refused_no_match", c.refused_no_match},
        {"refused_loop", c.refused_loop},
        {"refused_broadcast", c.refused_broadcast},
        {"send_errors", c.send_errors},
        {"bytes_in", c.bytes_in},
        {"bytes_out", c.bytes_out},
        {"over_rate_limit", c.over_rate_limit},
        {"kernel_drops", c.kernel_drops},
    };
    std::string out = json ? "{" : "stats:";
    append_counters(out, fields, json);
    out += json ? ",\"offload\":" + format_offload(c.offload, true) + ",\"time\":\""
                : ' ' + format_offload(c.offload, false) + " time=";
    append_utc(out, unix_ms);
    out += json ? "\",\"reason\":\"" : " reason=";
    out += to_string(reason);
    if (json)
        out += "\"}";
    return out;
}

void format_log_line(std::string& out, std::int64_t unix_ms, const ip_endpoint& from,
                     std::size_t size, std::string_view action, bool json, log_payload shown,
                     std::string_view payload) {
    if (!json) {
        append_utc(out, unix_ms);
        out += ' ' + from.to_string() + ' ' + std::to_string(size) + ' ';
        out += action;
        if (shown == log_payload::text)
            out += ": \"" + render_untrusted(payload, render_style::quoted) + '"';
        else if (shown == log_payload::hex)
            out += ": " + to_hex(payload);
        return;
    }
    out += "{\"time\":\"";
    append_utc(out, unix_ms);
    out += "\",\"from\":\"" + from.to_string() + "\",\"size\":" + std::to_string(size) +
           ",\"action\":\"";
    out += action;
    out += '"';
    if (shown != log_payload::none) {
        const auto text = shown == log_payload::text ? json_text(payload) : std::nullopt;
        out += text ? ",\"text\":\"" + *text + '"'
                    : ",\"hex\":\"" + to_hex(payload, std::string_view::npos, "") + '"';
    }
    out += '}';
}

std::string format_listening(const ip_endpoint& local, bool json, std::optional<bool> dual_stack) {
    if (!json)
        return "listening on " + local.to_string();
    std::string out = "{\"listening\":\"" + local.to_string() + '"';
    if (dual_stack)
        out += *dual_stack ? ",\"dual_stack\":true" : ",\"dual_stack\":false";
    return out + '}';
}

std::string format_joined(std::string_view group, std::string_view interface, bool json) {
    if (!json)
        return "joined " + std::string(group) + " on " +
               (interface.empty() ? std::string("the default interface") : std::string(interface));
    std::string out = "{\"joined\":" + json_string(group) + ",\"interface\":";
    out += interface.empty() ? "null" : json_string(interface);
    return out + '}';
}

} // namespace udpkit
