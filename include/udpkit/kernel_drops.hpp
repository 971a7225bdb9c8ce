#pragma once
// Datagrams the kernel dropped because a socket's receive buffer was full: they never reach the
// program, so only the kernel can count them (Linux: the "drops" column of /proc/net/udp).

#include <cstdint>
#include <optional>
#include <string_view>

namespace udpkit {

/// The drops count of the socket with this inode in a /proc/net/udp or /proc/net/udp6 table,
/// or nullopt when no line has that inode or the table is not in the expected format.
std::optional<std::uint64_t> parse_udp_drops(std::string_view table, std::uint64_t inode);

/// The kernel's drop count for the UDP socket `fd` (Linux), or nullopt where it cannot be read.
std::optional<std::uint64_t> kernel_receive_drops(int fd);

} // namespace udpkit
