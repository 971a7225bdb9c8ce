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

/// The TOML peer directory shared by the tools (see examples/peers.toml):
///
///     max_message = 1472            # optional default for every peer
///     [peers.alice]
///     address = "127.0.0.1:9001"    # numeric IPv4 or [IPv6] with a port 1-65535
///     max_message = 512             # optional per-peer override
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

private:
    std::string source_;
    message_limit default_limit_;
    std::vector<peer> peers_;
    std::unordered_map<ip_endpoint, std::size_t, ip_endpoint_hash> by_address_;
};

/// True when `name` matches `[A-Za-z0-9_-]{1,32}`.
bool is_valid_peer_name(std::string_view name) noexcept;

} // namespace udpkit
