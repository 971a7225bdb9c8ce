#include "control_messages.hpp"

#include <netinet/udp.h>

#include <cstring>

namespace udpkit::detail {

std::size_t write_source(void* control, const local_source& from) noexcept {
    std::memset(control, 0, source_control_bytes);
    auto* c = static_cast<cmsghdr*>(control);
    if (from.address.family() == ip_family::v4) {
        in_pktinfo info{};
        info.ipi_ifindex = static_cast<int>(from.interface_index);
        info.ipi_spec_dst =
            reinterpret_cast<const sockaddr_in*>(from.address.sockaddr_ptr())->sin_addr;
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
        return CMSG_SPACE(sizeof info);
    }
    in6_pktinfo info{};
    info.ipi6_ifindex = from.interface_index;
    info.ipi6_addr = reinterpret_cast<const sockaddr_in6*>(from.address.sockaddr_ptr())->sin6_addr;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    return CMSG_SPACE(sizeof info);
}

std::size_t write_segment_size(void* control, std::uint16_t segment_size) noexcept {
    std::memset(control, 0, segment_control_bytes);
    auto* c = static_cast<cmsghdr*>(control);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof segment_size);
    std::memcpy(CMSG_DATA(c), &segment_size, sizeof segment_size);
    return segment_control_bytes;
}

namespace {

ip_endpoint v4_address(in_addr a) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = a;
    return *ip_endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa));
}

ip_endpoint v6_address(const in6_addr& a, unsigned scope) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = a;
    if (IN6_IS_ADDR_LINKLOCAL(&a))
        sa.sin6_scope_id = scope;
    return *ip_endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa));
}

} // namespace

receive_info read_receive_info(const msghdr& message) noexcept {
    receive_info info;
    auto* m = const_cast<msghdr*>(&message); // CMSG_NXTHDR takes a non-const header
    for (cmsghdr* c = CMSG_FIRSTHDR(m); c != nullptr; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo p;
            std::memcpy(&p, CMSG_DATA(c), sizeof p);
            info.to = v4_address(p.ipi_addr);
            // ipi_spec_dst is the kernel's own choice of reply source: the address the
            // datagram reached, or for a broadcast or group datagram the interface's address.
            info.reply_from = {v4_address(p.ipi_spec_dst), 0};
            info.kind = classify_destination(info.to, info.reply_from.address);
            info.has_destination = true;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo p;
            std::memcpy(&p, CMSG_DATA(c), sizeof p);
            // An IPv4 datagram on a dual-stack socket: its IP_PKTINFO, if there is one, also
            // names the kernel's reply source, so it is the one to keep.
            if (IN6_IS_ADDR_V4MAPPED(&p.ipi6_addr) && info.has_destination)
                continue;
            info.to = v6_address(p.ipi6_addr, p.ipi6_ifindex);
            // A group address is never a source: then only the interface is kept and the
            // kernel picks that interface's address.
            if (IN6_IS_ADDR_MULTICAST(&p.ipi6_addr))
                info.reply_from = {v6_address(in6addr_any, 0), p.ipi6_ifindex};
            else
                info.reply_from = {info.to,
                                   IN6_IS_ADDR_LINKLOCAL(&p.ipi6_addr) ? p.ipi6_ifindex : 0u};
            info.kind = classify_destination(info.to, info.to);
            info.has_destination = true;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
            timespec ts;
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            info.kernel_realtime_ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 +
                                      static_cast<std::int64_t>(ts.tv_nsec);
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            std::uint32_t drops;
            std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
            info.drops = drops;
        } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int segment_size;
            std::memcpy(&segment_size, CMSG_DATA(c), sizeof segment_size);
            info.segment_size = segment_size > 0 ? static_cast<std::size_t>(segment_size) : 0;
        }
    }
    return info;
}

} // namespace udpkit::detail
