#include "udpkit/address.hpp"

#include "udpkit/render.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <functional>

namespace udpkit {
namespace {

constexpr std::string_view accepted =
    "expected HOST:PORT, [IPV6]:PORT or PORT (e.g. 127.0.0.1:9000, "
    "[::1]:9000, 9000)";

// Bad text from files and command lines is shown through quote_untrusted/render_excerpt:
// errors are printed on a terminal.
std::string quoted(std::string_view text) {
    return quote_untrusted(text);
}

result<std::uint16_t> parse_port(std::string_view digits, std::string_view whole) {
    if (digits.empty())
        return fail("address " + quoted(whole) + " has an empty port; " + std::string(accepted));
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc::result_out_of_range ||
        (ec == std::errc() && end == digits.end() && value > 65535))
        return fail("port " + render_excerpt(digits) + " in " + quoted(whole) +
                    " is out of range; expected 0-65535");
    if (ec != std::errc() || end != digits.data() + digits.size())
        return fail("port " + quoted(digits) + " in " + quoted(whole) +
                    " is not a number; expected 0-65535");
    return static_cast<std::uint16_t>(value);
}

} // namespace

std::string host_port::to_string() const {
    if (host.find(':') != std::string::npos)
        return '[' + host + "]:" + std::to_string(port);
    return host + ':' + std::to_string(port);
}

result<host_port> parse_host_port(std::string_view text) {
    if (text.empty())
        return fail("empty address; " + std::string(accepted));
    for (char c : text)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
            return fail("address " + quoted(text) + " contains a space or control character; " +
                        std::string(accepted));

    // Brackets only enclose an IPv6 host: '[' first and a single ']'. A host holding a bracket
    // could not be written back unambiguously ("[[x]:9" would print as "[x:9").
    const auto last_open = text.rfind('[');
    const auto first_close = text.find(']');
    if ((last_open != std::string_view::npos && last_open != 0) ||
        (first_close != std::string_view::npos &&
         (text.front() != '[' || text.find(']', first_close + 1) != std::string_view::npos)))
        return fail("address " + quoted(text) + " has a misplaced '[' or ']'; " +
                    std::string(accepted));

    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        auto port = parse_port(text, text);
        if (!port)
            return unexpected{port.error()};
        return host_port{std::string(default_host), *port};
    }

    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            return fail("address " + quoted(text) + " has no closing ']'; " +
                        std::string(accepted));
        std::string_view host = text.substr(1, close - 1);
        if (host.empty())
            return fail("address " + quoted(text) + " has an empty host in brackets; " +
                        std::string(accepted));
        std::string_view rest = text.substr(close + 1);
        if (rest.empty() || rest.front() != ':')
            return fail("address " + quoted(text) + " needs ':PORT' after ']'; " +
                        std::string(accepted));
        auto port = parse_port(rest.substr(1), text);
        if (!port)
            return unexpected{port.error()};
        return host_port{std::string(host), *port};
    }

    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return fail("address " + quoted(text) + " has no port; " + std::string(accepted));
    if (text.find(':') != colon)
        return fail("address " + quoted(text) +
                    " looks like an IPv6 address without brackets; write it as [IPV6]:PORT, "
                    "e.g. [::1]:9000");
    std::string_view host = text.substr(0, colon);
    if (host.empty())
        return fail("address " + quoted(text) + " has an empty host; " + std::string(accepted));
    auto port = parse_port(text.substr(colon + 1), text);
    if (!port)
        return unexpected{port.error()};
    return host_port{std::string(host), *port};
}

result<ip_endpoint> ip_endpoint::parse(std::string_view text) {
    auto hp = parse_host_port(text);
    if (!hp)
        return unexpected{hp.error()};
    return from_host_port(*hp);
}

result<ip_endpoint> ip_endpoint::from_host_port(const host_port& hp) {
    ip_endpoint e;
    if (hp.host.find(':') != std::string::npos) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&e.storage_);
        if (inet_pton(AF_INET6, hp.host.c_str(), &sin6->sin6_addr) != 1)
            return fail(quoted(hp.host) + " is not a valid IPv6 address");
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(hp.port);
        return e;
    }
    auto* sin = reinterpret_cast<sockaddr_in*>(&e.storage_);
    // inet_pton accepts only the dotted-quad form, which rules out "1" or "0x7f.1" surprises.
    if (inet_pton(AF_INET, hp.host.c_str(), &sin->sin_addr) != 1)
        return fail(quoted(hp.host) + " is not a numeric IP address; expected a.b.c.d or [IPv6]");
    sin->sin_family = AF_INET;
    sin->sin_port = htons(hp.port);
    return e;
}

std::optional<ip_endpoint> ip_endpoint::from_sockaddr(const sockaddr* sa) noexcept {
    if (sa == nullptr)
        return std::nullopt;
    ip_endpoint e;
    if (sa->sa_family == AF_INET) {
        std::memcpy(&e.storage_, sa, sizeof(sockaddr_in));
        return e;
    }
    if (sa->sa_family != AF_INET6)
        return std::nullopt;
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&e.storage_);
        sin->sin_family = AF_INET;
        sin->sin_port = sin6.sin6_port;
        std::memcpy(&sin->sin_addr, &sin6.sin6_addr.s6_addr[12], 4);
        return e;
    }
    std::memcpy(&e.storage_, &sin6, sizeof sin6);
    return e;
}

socklen_t ip_endpoint::sockaddr_size() const noexcept {
    return storage_.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

ip_family ip_endpoint::family() const noexcept {
    return storage_.ss_family == AF_INET6 ? ip_family::v6 : ip_family::v4;
}

std::uint16_t ip_endpoint::port() const noexcept {
    if (storage_.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
}

void ip_endpoint::set_port(std::uint16_t port) noexcept {
    if (storage_.ss_family == AF_INET6)
        reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
    else
        reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
}

bool ip_endpoint::is_loopback() const noexcept {
    if (storage_.ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage_);
    return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
}

bool ip_endpoint::is_unspecified() const noexcept {
    if (storage_.ss_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(
            &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr == htonl(INADDR_ANY);
}

bool ip_endpoint::is_multicast() const noexcept {
    if (storage_.ss_family == AF_INET6)
        return IN6_IS_ADDR_MULTICAST(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    return storage_.ss_family == AF_INET &&
           IN_MULTICAST(ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr));
}

bool ip_endpoint::is_limited_broadcast() const noexcept {
    return storage_.ss_family == AF_INET &&
           reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr ==
               htonl(INADDR_BROADCAST);
}

std::string_view to_string(destination_kind kind) noexcept {
    switch (kind) {
    case destination_kind::group:
        return "group";
    case destination_kind::broadcast:
        return "broadcast";
    default:
        return "unicast";
    }
}

destination_kind classify_destination(const ip_endpoint& to,
                                      const ip_endpoint& reply_source) noexcept {
    if (to.is_multicast())
        return destination_kind::group;
    if (to.family() != ip_family::v4)
        return destination_kind::unicast; // IPv6 has no broadcast
    // Per datagram on a responder's hot path: compare the addresses without formatting them.
    const auto address = [](const ip_endpoint& e) {
        return reinterpret_cast<const sockaddr_in*>(e.sockaddr_ptr())->sin_addr.s_addr;
    };
    if (to.is_limited_broadcast() || reply_source.family() != ip_family::v4 ||
        address(to) != address(reply_source))
        return destination_kind::broadcast;
    return destination_kind::unicast;
}

std::string ip_endpoint::host() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (storage_.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
                  sizeof buf);
    else if (storage_.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
                  sizeof buf);
    else
        return "(unset)";
    return buf;
}

std::string ip_endpoint::to_string() const {
    if (storage_.ss_family == AF_INET6)
        return '[' + host() + "]:" + std::to_string(port());
    return host() + ':' + std::to_string(port());
}

std::size_t ip_endpoint::hash() const noexcept {
    std::string_view bytes;
    if (storage_.ss_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
        bytes = {reinterpret_cast<const char*>(&sin6->sin6_addr), sizeof sin6->sin6_addr};
    } else {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage_);
        bytes = {reinterpret_cast<const char*>(&sin->sin_addr), sizeof sin->sin_addr};
    }
    return std::hash<std::string_view>{}(bytes)*31 + port();
}

bool operator==(const ip_endpoint& a, const ip_endpoint& b) noexcept {
    if (a.storage_.ss_family != b.storage_.ss_family || a.port() != b.port())
        return false;
    if (a.storage_.ss_family == AF_INET6) {
        const auto* x = reinterpret_cast<const sockaddr_in6*>(&a.storage_);
        const auto* y = reinterpret_cast<const sockaddr_in6*>(&b.storage_);
        return std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
               x->sin6_scope_id == y->sin6_scope_id;
    }
    if (a.storage_.ss_family == AF_INET) {
        const auto* x = reinterpret_cast<const sockaddr_in*>(&a.storage_);
        const auto* y = reinterpret_cast<const sockaddr_in*>(&b.storage_);
        return x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    return true;
}

} // namespace udpkit
