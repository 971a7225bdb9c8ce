#pragma once
// The host's network interface addresses.

#include <string>
#include <string_view>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/result.hpp"

namespace udpkit {

/// One address of one network interface (port 0).
struct interface_address {
    std::string interface; ///< the interface's name, e.g. "lo" or "eth0"
    ip_endpoint address;   ///< the address, port 0
    bool internal;         ///< a loopback interface
};

/// Every address of every interface that is up, IPv4 and IPv6, in the kernel's order.
/// Errors: the list could not be read ("list interface addresses: ENOMEM (not enough memory)").
result<std::vector<interface_address>> local_interface_addresses();

/// Whether `address` (port ignored) is one of the host's interface addresses: a datagram sent
/// to it stays on this host. An error reading the list counts as no.
bool is_local_address(const ip_endpoint& address);

/// The index of the interface that `name_or_address` names: its name (`eth0`), its index
/// (`2`) or one of its addresses (`10.0.0.1`, `fe80::1`), as --interface takes it. The error
/// quotes the text and lists the interfaces there are.
result<unsigned> find_interface(std::string_view name_or_address);

} // namespace udpkit
