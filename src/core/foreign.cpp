#include "udpkit/foreign.hpp"

#include "udpkit/json.hpp"

namespace udpkit {
namespace {

std::string datagrams(std::uint64_t n) {
    return std::to_string(n) + (n == 1 ? " datagram" : " datagrams");
}

} // namespace

void foreign_sources::record(const ip_endpoint& from) {
    ++total_;
    for (auto& s : named_)
        if (s.address == from) {
            ++s.datagrams;
            return;
        }
    if (named_.size() < max_named)
        named_.push_back({from, 1});
    else
        ++unnamed_;
}

std::vector<std::string> foreign_sources::describe(std::string_view expected) const {
    std::vector<std::string> lines;
    for (const auto& s : named_)
        lines.push_back(datagrams(s.datagrams) + " from " + s.address.to_string() + ", not " +
                        std::string(expected) + ", ignored");
    if (unnamed_ > 0)
        lines.push_back(datagrams(unnamed_) + " from " + std::to_string(max_named) +
                        "+ other addresses, not " + std::string(expected) + ", ignored");
    return lines;
}

std::string foreign_sources::json() const {
    std::string out = "[";
    for (const auto& s : named_) {
        if (out.size() > 1)
            out += ", ";
        out += "{\"address\": " + json_string(s.address.to_string()) +
               ", \"datagrams\": " + std::to_string(s.datagrams) + "}";
    }
    if (unnamed_ > 0)
        out += std::string(out.size() > 1 ? ", " : "") +
               "{\"address\": null, \"datagrams\": " + std::to_string(unnamed_) + "}";
    return out + "]";
}

} // namespace udpkit
