#pragma once
// Datagrams from addresses other than the one a run talks to. They are not replies (a reply
// from another address is what a multihomed server without IP_PKTINFO sends, and what a
// connected client drops), so they are counted and named, never taken for the answer.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "udpkit/address.hpp"

namespace udpkit {

class foreign_sources {
public:
    /// Distinct addresses named at most; datagrams from further ones are only counted.
    static constexpr std::size_t max_named = 8;

    struct source {
        ip_endpoint address;
        std::uint64_t datagrams = 0;
    };

    /// Counts one datagram from `from`.
    void record(const ip_endpoint& from);

    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
    [[nodiscard]] bool empty() const noexcept { return total_ == 0; }
    /// The first max_named addresses, in order of their first datagram.
    [[nodiscard]] const std::vector<source>& named() const noexcept { return named_; }
    /// Datagrams from addresses beyond the first max_named.
    [[nodiscard]] std::uint64_t unnamed() const noexcept { return unnamed_; }

    /// One line per address: `1 datagram from 127.0.0.1:9000, not the target 127.0.0.4:9000,
    /// ignored`, where `expected` names what was expected ("the target 127.0.0.4:9000").
    [[nodiscard]] std::vector<std::string> describe(std::string_view expected) const;
    /// A JSON list: `[{"address": "127.0.0.1:9000", "datagrams": 1}]`, plus
    /// `{"address": null, "datagrams": N}` for the unnamed ones.
    [[nodiscard]] std::string json() const;

private:
    std::vector<source> named_;
    std::uint64_t unnamed_ = 0;
    std::uint64_t total_ = 0;
};

} // namespace udpkit
