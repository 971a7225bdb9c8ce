#pragma once

#include <cstddef>

#include "udpkit/address.hpp"
#include "udpkit/result.hpp"

namespace udpkit {

/// The largest IPv4 payload that crosses a 1500-byte Ethernet MTU without fragmentation.
inline constexpr std::size_t default_max_message = 1472;
/// 65535 - 20 (IPv4 header) - 8 (UDP header).
inline constexpr std::size_t max_payload_ipv4 = 65507;
/// 65535 - 8 (UDP header); the IPv6 header is not counted in the payload length.
inline constexpr std::size_t max_payload_ipv6 = 65527;

/// The largest payload a UDP socket of this family can carry.
constexpr std::size_t max_payload(ip_family family) noexcept {
    return family == ip_family::v6 ? max_payload_ipv6 : max_payload_ipv4;
}

/// The declared maximum message size of a socket: messages over it are refused before sending,
/// and received datagrams over it are reported as truncated.
class message_limit {
public:
    constexpr message_limit() noexcept = default;

    /// Accepts 1..max_payload(family); the error names the value and the accepted range.
    static result<message_limit> make(long long bytes, ip_family family = ip_family::v4);

    [[nodiscard]] constexpr std::size_t bytes() const noexcept { return bytes_; }

    /// Succeeds when a message of `size` bytes fits; otherwise says how many bytes it has and
    /// what the limit is ("message of 2000 bytes exceeds the limit of 1472 bytes").
    [[nodiscard]] result<void> check(std::size_t size) const;

    friend constexpr bool operator==(message_limit, message_limit) noexcept = default;

private:
    constexpr explicit message_limit(std::size_t bytes) noexcept : bytes_(bytes) {}
    std::size_t bytes_ = default_max_message;
};

} // namespace udpkit
