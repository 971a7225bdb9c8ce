#pragma once
// Control messages (cmsg) of the datagram engine, shared by udp_socket and send_batch: the
// source address of a send (IP_PKTINFO / IPV6_PKTINFO) and what the kernel says about a
// received datagram. Internal to the io layer.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <netinet/in.h>
#include <optional>

#include "udpkit/io/local_source.hpp"

namespace udpkit::detail {

/// Room for one source-address control message of either family.
inline constexpr std::size_t source_control_bytes = CMSG_SPACE(sizeof(in6_pktinfo));

/// Room for one GSO segment-size control message (UDP_SEGMENT).
inline constexpr std::size_t segment_control_bytes = CMSG_SPACE(sizeof(std::uint16_t));

/// Room for what a received datagram carries: pktinfo (both kinds on a dual-stack socket), a
/// timestamp, the drop count, the GRO segment size, and (for IP_RECVERR) an extended error with
/// its offender address.
inline constexpr std::size_t receive_control_bytes =
    CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo)) +
    CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(std::uint32_t)) + CMSG_SPACE(sizeof(int)) +
    CMSG_SPACE(64);

/// Writes a control message that makes a datagram leave from `from` into `control` (at least
/// source_control_bytes, aligned for cmsghdr); returns its length for msg_controllen.
std::size_t write_source(void* control, const local_source& from) noexcept;

/// Writes a control message that makes the kernel cut a send into datagrams of
/// `segment_size` bytes (UDP_SEGMENT) into `control` (segment_control_bytes, aligned for
/// cmsghdr); returns its length.
std::size_t write_segment_size(void* control, std::uint16_t segment_size) noexcept;

/// What the kernel said about one received datagram.
struct receive_info {
    ip_endpoint to;                       ///< the destination address of its IP header (port unset)
    local_source reply_from;              ///< where a reply should leave from
    bool has_destination = false;         ///< a pktinfo message was present
    std::int64_t kernel_realtime_ns = -1; ///< SO_TIMESTAMPNS (CLOCK_REALTIME), -1 if absent
    std::optional<std::uint32_t> drops;   ///< SO_RXQ_OVFL running count, when present
    std::size_t segment_size = 0;         ///< UDP_GRO: the buffer holds datagrams of this size
    destination_kind kind = destination_kind::unicast; ///< how `to` was addressed
};

/// Reads the control messages of a received datagram.
receive_info read_receive_info(const msghdr& message) noexcept;

} // namespace udpkit::detail
