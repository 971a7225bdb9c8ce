#include "udpkit/group_send.hpp"

#include <algorithm>
#include <cstring>

#include <netinet/in.h>

#include "udpkit/json.hpp"

namespace udpkit {

send_kind kind_of(const ip_endpoint& address, const group* directory_group,
                  bool broadcast_flag) noexcept {
    if (address.is_multicast())
        return send_kind::multicast;
    if (address.is_limited_broadcast() ||
        (directory_group != nullptr && directory_group->broadcast) ||
        (broadcast_flag && address.family() == ip_family::v4))
        return send_kind::broadcast;
    return send_kind::unicast;
}

result<void> check_group_target(send_kind kind, const group* directory_group,
                                const group_flags& flags, std::string_view label) {
    const std::string target(label);
    if (kind == send_kind::broadcast && !flags.broadcast)
        return fail(target + " is a broadcast address" +
                    (directory_group != nullptr
                         ? std::string(" (broadcast = true in the directory)")
                         : std::string()) +
                    ": add --broadcast to send to every host of the subnet; nothing was sent");
    if (kind != send_kind::multicast) {
        const char* given = flags.ttl                  ? "--ttl"
                            : !flags.interface.empty() ? "--interface"
                            : flags.loop               ? (*flags.loop ? "--loop" : "--no-loop")
                                                       : nullptr;
        if (given != nullptr)
            return fail(std::string(given) +
                        " sets how datagrams to a multicast group travel, but " + target + " is " +
                        (kind == send_kind::broadcast ? "a broadcast address" : "a single host") +
                        "; expected a group such as 239.1.2.3:9200 or [ff15::77]:9200");
    }
    if (kind == send_kind::unicast && flags.expect_responders != 0)
        return fail("--expect-responders counts the hosts that answer a multicast group or a "
                    "broadcast, but " +
                    target + " is a single host (a subnet broadcast address needs --broadcast)");
    return {};
}

multicast_settings settings_for(const group* directory_group, const group_flags& flags) {
    multicast_settings s;
    if (directory_group != nullptr) {
        s.ttl = directory_group->ttl;
        s.loop = directory_group->loop;
        s.interface = directory_group->interface;
    }
    if (flags.ttl)
        s.ttl = flags.ttl;
    if (flags.loop)
        s.loop = flags.loop;
    if (!flags.interface.empty())
        s.interface = flags.interface;
    return s;
}

std::string broadcast_refused(std::string_view label) {
    std::string out = "send to ";
    out += label;
    out += ": permission denied: it is a broadcast address; add --broadcast to send to every "
           "host of the subnet (nothing was sent)";
    return out;
}

std::string describe(const responder_name& r) {
    std::string out = r.address.to_string();
    if (!r.peer.empty()) {
        out += " (";
        out += r.peer;
        out += ")";
    }
    return out;
}

std::string group_reply_line(const responder_name& from, std::string_view rendered) {
    std::string out = describe(from);
    out += ": ";
    out += rendered;
    out += "\n";
    return out;
}

std::string responders_shortfall(const std::vector<responder_name>& answered, std::size_t more,
                                 std::uint64_t expected) {
    const std::uint64_t got = answered.size() + more;
    if (expected == 0 || got >= expected)
        return {};
    std::string of = " the ";
    of += std::to_string(expected);
    of += " expected responders";
    if (got == 0)
        return "none of" + of + " answered (--expect-responders)";
    std::string out = std::to_string(got) + " of" + of + " answered (--expect-responders): ";
    for (std::size_t i = 0; i < answered.size(); ++i) {
        if (i > 0)
            out += ", ";
        out += describe(answered[i]);
    }
    if (more > 0) {
        out += " and ";
        out += std::to_string(more);
        out += " more";
    }
    return out;
}

bool address_before(const ip_endpoint& a, const ip_endpoint& b) noexcept {
    if (a.family() != b.family())
        return a.family() == ip_family::v4;
    int order = 0;
    if (a.family() == ip_family::v4)
        order = std::memcmp(&reinterpret_cast<const sockaddr_in*>(a.sockaddr_ptr())->sin_addr,
                            &reinterpret_cast<const sockaddr_in*>(b.sockaddr_ptr())->sin_addr,
                            sizeof(in_addr));
    else
        order = std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a.sockaddr_ptr())->sin6_addr,
                            &reinterpret_cast<const sockaddr_in6*>(b.sockaddr_ptr())->sin6_addr,
                            sizeof(in6_addr));
    return order != 0 ? order < 0 : a.port() < b.port();
}

void reply_tally::record(const ip_endpoint& from, const peer_directory* directory) {
    ++total_;
    for (auto& e : entries_)
        if (e.name.address == from) {
            ++e.replies;
            return;
        }
    if (entries_.size() >= max_responders) {
        ++unnamed_;
        return;
    }
    const peer* p = directory != nullptr ? directory->find(from) : nullptr;
    entries_.push_back({{from, p != nullptr ? p->name : std::string()}, 1});
}

std::vector<reply_tally::entry> reply_tally::sorted() const {
    std::vector<entry> out = entries_;
    std::sort(out.begin(), out.end(), [](const entry& a, const entry& b) {
        return address_before(a.name.address, b.name.address);
    });
    return out;
}

std::string reply_tally::text() const {
    if (entries_.empty())
        return "no responder answered";
    std::string out = std::to_string(entries_.size()) +
                      (entries_.size() == 1 ? " responder answered: " : " responders answered: ");
    bool first = true;
    for (const auto& e : sorted()) {
        out += first ? "" : ", ";
        first = false;
        out += describe(e.name) + " " + std::to_string(e.replies) +
               (e.replies == 1 ? " reply" : " replies");
    }
    if (unnamed_ > 0) {
        out += "; ";
        out += std::to_string(unnamed_);
        out += " more replies from further sources";
    }
    return out;
}

std::string reply_tally::json() const {
    std::string out = "{\"responders\": [";
    bool first = true;
    for (const auto& e : sorted()) {
        out += first ? "{\"address\": " : ", {\"address\": ";
        first = false;
        append_json_string(out, e.name.address.to_string());
        out += ", \"peer\": ";
        if (e.name.peer.empty())
            out += "null";
        else
            append_json_string(out, e.name.peer);
        out += ", \"replies\": ";
        out += std::to_string(e.replies);
        out += "}";
    }
    out += "], \"unnamed_replies\": ";
    out += std::to_string(unnamed_);
    out += "}";
    return out;
}

responder_stats::responder_stats(std::uint32_t first_seq, std::uint64_t origin_ns,
                                 std::uint64_t timeout_ns, std::uint64_t probes)
    : first_seq_(first_seq), origin_ns_(origin_ns), timeout_ns_(timeout_ns),
      limit_(static_cast<std::size_t>(std::clamp<std::uint64_t>(
          max_records / std::max<std::uint64_t>(probes, 1), 1, max_responders))) {}

void responder_stats::record_sent(std::uint64_t now_ns) {
    send_times_.push_back(now_ns);
    for (auto& r : responders_)
        r.stats.record_sent(now_ns);
}

reply_kind responder_stats::record_reply(const ip_endpoint& from, const peer_directory* directory,
                                         std::string_view payload, std::size_t size, bool truncated,
                                         std::size_t probe_size, std::uint64_t now_ns) {
    auto it = index_.find(from);
    if (it == index_.end()) {
        if (responders_.size() >= limit_) {
            ++unnamed_;
            return reply_kind::invalid;
        }
        const peer* p = directory != nullptr ? directory->find(from) : nullptr;
        responder r{{from, p != nullptr ? p->name : std::string()},
                    burst_stats(first_seq_, origin_ns_, timeout_ns_)};
        for (const std::uint64_t sent_ns : send_times_) // the probes sent before it was seen
            r.stats.record_sent(sent_ns);
        it = index_.emplace(from, responders_.size()).first;
        responders_.push_back(std::move(r));
    }
    return responders_[it->second].stats.record_reply(payload, size, truncated, probe_size, now_ns);
}

std::vector<responder_summary> responder_stats::summaries(std::uint64_t now_ns) const {
    std::vector<responder_summary> out;
    out.reserve(responders_.size());
    for (const auto& r : responders_)
        out.push_back({r.name, r.stats.summary(now_ns)});
    std::sort(out.begin(), out.end(), [](const responder_summary& a, const responder_summary& b) {
        return address_before(a.name.address, b.name.address);
    });
    return out;
}

} // namespace udpkit
