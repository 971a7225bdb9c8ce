// parse_host_port and ip_endpoint::parse: never crash; agree with each other; errors are
// non-empty and terminal-safe (they quote the bad text); what parses round-trips through
// to_string, and an endpoint survives the trip through its socket address.

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "udpkit/address.hpp"

using udpkit::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto hp = udpkit::parse_host_port(text);
    const auto ep = udpkit::ip_endpoint::parse(text);

    if (!hp) {
        require(!ep, "ip_endpoint::parse fails where parse_host_port fails");
        require(!hp.error().message.empty(), "a host:port error says something");
        require(udpkit::fuzz::is_terminal_safe(hp.error().message),
                "a host:port error is terminal-safe");
        return 0;
    }
    const auto again = udpkit::parse_host_port(hp->to_string());
    require(again.has_value(), "host_port::to_string parses back");
    require(again->host == hp->host && again->port == hp->port,
            "host_port::to_string parses back to the same host and port");

    const auto direct = udpkit::ip_endpoint::from_host_port(*hp);
    require(direct.has_value() == ep.has_value(),
            "ip_endpoint::parse == parse_host_port + from_host_port");
    if (!ep) {
        require(udpkit::fuzz::is_terminal_safe(ep.error().message),
                "an endpoint error is terminal-safe");
        return 0;
    }
    require(*direct == *ep, "ip_endpoint::parse == parse_host_port + from_host_port");
    require(ep->is_set() && ep->port() == hp->port, "the endpoint keeps the port");

    const std::string shown = ep->to_string();
    require(udpkit::fuzz::is_terminal_safe(shown), "ip_endpoint::to_string is terminal-safe");
    const auto reparsed = udpkit::ip_endpoint::parse(shown);
    require(reparsed.has_value(), "ip_endpoint::to_string parses back");
    require(*reparsed == *ep && reparsed->hash() == ep->hash(),
            "ip_endpoint::to_string parses back to the same endpoint and hash");
    require(reparsed->to_string() == shown, "ip_endpoint::to_string is canonical");

    // A received datagram's source goes through from_sockaddr: it must find the same endpoint
    // (an IPv4-mapped IPv6 address comes back as plain IPv4, by design).
    const auto from_os = udpkit::ip_endpoint::from_sockaddr(ep->sockaddr_ptr());
    require(from_os.has_value(), "from_sockaddr accepts a parsed endpoint's sockaddr");
    require(from_os->port() == ep->port(), "from_sockaddr keeps the port");
    if (from_os->family() == ep->family())
        require(*from_os == *ep, "from_sockaddr gives back the same endpoint");
    else
        require(shown.rfind("[::ffff:", 0) == 0 && from_os->family() == udpkit::ip_family::v4,
                "only IPv4-mapped IPv6 addresses change family in from_sockaddr");
    return 0;
}
