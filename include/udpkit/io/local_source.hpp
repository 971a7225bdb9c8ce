#pragma once

#include "udpkit/address.hpp"

namespace udpkit {

/// The local side of a datagram: the address a received datagram was sent to, or the address
/// a sent datagram leaves from (IP_PKTINFO / IPV6_PKTINFO). The port is the socket's.
struct local_source {
    ip_endpoint address;
    unsigned interface_index = 0; ///< 0: let the routing table choose the interface
};

} // namespace udpkit
