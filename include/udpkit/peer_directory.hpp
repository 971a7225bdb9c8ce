#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/result.hpp"

namespace udpkit {

/// One named peer of the directory.
struct peer {
    std::string name;
    ip_endpoint address;
    message_limit limit; ///< the peer's own max_message, or the directory's default
};

/// One named group of the directory: a multicast group or a broadcast address that peers send
/// to and (for a multicast group) join.
struct group {
    std::string name;
    ip_endpoint address; ///< a multicast group, or with `broadcast` a broadcast address
    bool broadcast = false;
    std::vector<std::string> members; ///< peer names as the directory spells them, sorted
    int ttl = 1;                      ///< hops a datagram to the group may take (multicast TTL)
    std::string interface;            ///< a name, index or address; empty: the routing table's
    bool loop = true;                 ///< a member's own datagrams to the group come back to it
    message_limit limit;              ///< the group's own max_message, or the directory's default

    /// True when `peer_name` is a member (ignoring case, as names are unique that way).
    [[nodiscard]] bool has_member(std::string_view peer_name) const noexcept;
};

/// The TOML peer directory shared by the tools (see examples/peers.toml):
///
///     max_message = 1472            # optional default for every peer
///     [peers.alice]
///     address = "127.0.0.1:9001"    # numeric IPv4 or [IPv6] with a port 1-65535
///     max_message = 512             # optional per-peer override
///     [groups.team]
///     address = "239.1.2.3:9100"    # an IPv4 or IPv6 multicast group with its port, or a
///     broadcast = false             # broadcast address such as "10.0.0.255:9100" with true
///     members = ["alice", "bob"]    # optional; every peer by default
///     ttl = 1                       # optional, 0-255
///     interface = "eth0"            # optional name, index or address
///     loop = true                   # optional
///
/// Peer and group names share one namespace.
class peer_directory {
public:
    /// Files larger than this are refused before parsing.
    static constexpr std::size_t max_file_bytes = 1 << 20;

    /// Reads and validates a file. Errors carry the file name, line and column.
    static result<peer_directory> load(const std::string& path);
    /// Validates TOML text; `source` names it in errors (a file name).
    static result<peer_directory> parse(std::string_view text, std::string_view source);

    /// The peer with this name, ignoring case (names are unique ignoring case), or nullptr.
    [[nodiscard]] const peer* find(std::string_view name) const noexcept;
    /// The peer whose address is `address`, or nullptr: labels received datagrams. An IPv4-mapped
    /// IPv6 address (`[::ffff:a.b.c.d]:p`) and its IPv4 form (`a.b.c.d:p`) are the same address.
    [[nodiscard]] const peer* find(const ip_endpoint& address) const noexcept;
    /// All peers, sorted by name.
    [[nodiscard]] const std::vector<peer>& peers() const noexcept { return peers_; }
    /// `alice, bob, echo`: for "unknown peer" messages.
    [[nodiscard]] std::string names() const;
    /// The directory's default max_message (1472 unless set at the top).
    [[nodiscard]] message_limit default_limit() const noexcept { return default_limit_; }
    /// The source name given to load/parse.
    [[nodiscard]] const std::string& source() const noexcept { return source_; }

    /// Like find(name), but the error names the directory and lists the known names.
    [[nodiscard]] result<const peer*> require(std::string_view name) const;

    /// The group with this name, ignoring case, or nullptr.
    [[nodiscard]] const group* find_group(std::string_view name) const noexcept;
    /// The group whose address (with its port) is `address`, or nullptr: labels datagrams
    /// received on a group.
    [[nodiscard]] const group* find_group(const ip_endpoint& address) const noexcept;
    /// All groups, sorted by name.
    [[nodiscard]] const std::vector<group>& groups() const noexcept { return groups_; }
    /// The groups `peer_name` is a member of, sorted by name.
    [[nodiscard]] std::vector<const group*> groups_of(std::string_view peer_name) const;
    /// `team, lan`: for "unknown group" messages ("none" when there is no group).
    [[nodiscard]] std::string group_names() const;

private:
    std::string source_;
    message_limit default_limit_;
    std::vector<peer> peers_;
    std::vector<group> groups_;
    std::unordered_map<ip_endpoint, std::size_t, ip_endpoint_hash> by_address_;
};

/// True when `name` matches `[A-Za-z0-9_-]{1,32}`.
bool is_valid_peer_name(std::string_view name) noexcept;

} // namespace udpkit
