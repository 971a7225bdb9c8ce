#pragma once
// Address parsing is pure: numeric addresses only. Host names are resolved by the I/O layer
// (udpkit/io/resolve.hpp) through the event loop.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>

#include "udpkit/result.hpp"

namespace udpkit {

enum class ip_family { v4, v6 };

/// An address as written by a person: a host (name or literal) and a port, not yet resolved.
struct host_port {
    std::string host; ///< without brackets, e.g. `::1`, `127.0.0.1`, `example.org`
    std::uint16_t port = 0;

    /// `host:port`, or `[host]:port` when the host contains a colon.
    [[nodiscard]] std::string to_string() const;
};

/// The default host of a bare port: tools bind and send to loopback unless told otherwise.
inline constexpr std::string_view default_host = "127.0.0.1";

/// Parses `HOST:PORT`, `[IPV6]:PORT`, or `PORT` alone (meaning 127.0.0.1:PORT).
/// Ports are 0-65535. Errors quote the bad text and say what would be accepted.
result<host_port> parse_host_port(std::string_view text);

/// A numeric IPv4 or IPv6 socket address (a `sockaddr_in` / `sockaddr_in6`).
class ip_endpoint {
public:
    ip_endpoint() = default;

    /// Parses a numeric address (`1.2.3.4:80`, `[::1]:80`, `80`); host names are an error here.
    static result<ip_endpoint> parse(std::string_view text);
    /// Turns a parsed host_port whose host is an IP literal into an endpoint.
    static result<ip_endpoint> from_host_port(const host_port& hp);
    /// Copies an AF_INET/AF_INET6 socket address; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes
    /// plain IPv4 so that lookups match. Returns nullopt for other families or a null pointer.
    static std::optional<ip_endpoint> from_sockaddr(const sockaddr* sa) noexcept;

    [[nodiscard]] const sockaddr* sockaddr_ptr() const noexcept {
        return reinterpret_cast<const sockaddr*>(&storage_);
    }
    [[nodiscard]] socklen_t sockaddr_size() const noexcept;
    [[nodiscard]] ip_family family() const noexcept;
    [[nodiscard]] bool is_set() const noexcept { return storage_.ss_family != AF_UNSPEC; }
    [[nodiscard]] std::uint16_t port() const noexcept;
    void set_port(std::uint16_t port) noexcept;
    [[nodiscard]] bool is_loopback() const noexcept;
    /// The wildcard address `0.0.0.0` or `::` (a socket bound to it receives on every address).
    [[nodiscard]] bool is_unspecified() const noexcept;
    /// A multicast group address: IPv4 224.0.0.0/4 or IPv6 ff00::/8.
    [[nodiscard]] bool is_multicast() const noexcept;
    /// IPv4's limited broadcast `255.255.255.255` (subnet broadcasts such as `10.0.0.255` look
    /// like unicast addresses: only the interface's netmask, or the kernel, tells them apart).
    [[nodiscard]] bool is_limited_broadcast() const noexcept;
    /// The address without port, e.g. `127.0.0.1` or `::1`.
    [[nodiscard]] std::string host() const;
    /// `127.0.0.1:9000` or `[::1]:9000`.
    [[nodiscard]] std::string to_string() const;
    [[nodiscard]] std::size_t hash() const noexcept;

    friend bool operator==(const ip_endpoint& a, const ip_endpoint& b) noexcept;

private:
    sockaddr_storage storage_{};
};

/// How a datagram was addressed, as its receiver sees it.
enum class destination_kind : std::uint8_t {
    unicast,  ///< to one of the host's own addresses
    group,    ///< to a multicast group the socket joined
    broadcast ///< to a broadcast address (limited or a subnet's)
};

/// `unicast`, `group`, `broadcast`.
std::string_view to_string(destination_kind kind) noexcept;

/// Classifies a received datagram from its IP destination `to` and the source the kernel
/// chose for a reply (IP_PKTINFO's ipi_spec_dst; for IPv6 pass `to` again). Linux answers a
/// datagram to one of its own addresses from that very address and picks an interface address
/// for a broadcast or group one, so a different reply source marks an IPv4 subnet broadcast
/// without knowing any netmask.
destination_kind classify_destination(const ip_endpoint& to,
                                      const ip_endpoint& reply_source) noexcept;

struct ip_endpoint_hash {
    std::size_t operator()(const ip_endpoint& e) const noexcept { return e.hash(); }
};

} // namespace udpkit
