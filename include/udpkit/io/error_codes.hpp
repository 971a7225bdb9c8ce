#pragma once
// The error codes tools need to tell apart, named, so that they need not know libuv's constants.
// error::code from the io layer is libuv's code: a negative errno value on Unix.

#include <string_view>

#include "udpkit/result.hpp"

namespace udpkit {

/// The kernel reported an ICMP "port unreachable" for a datagram sent earlier: nothing listens at
/// the destination (ECONNREFUSED, delivered by a later call or as a socket_error).
[[nodiscard]] bool is_port_unreachable(int code) noexcept;
[[nodiscard]] bool is_port_unreachable(const error& e) noexcept;

/// The operation would block: the socket's buffer is full (EAGAIN / EWOULDBLOCK).
[[nodiscard]] bool is_would_block(int code) noexcept;
[[nodiscard]] bool is_would_block(const error& e) noexcept;

/// The datagram is larger than the socket, path or protocol allows (EMSGSIZE).
[[nodiscard]] bool is_message_too_long(int code) noexcept;

/// The kernel refused the send (EACCES): on a UDP socket, a datagram to a broadcast address
/// without SO_BROADCAST (udp_socket::set_broadcast).
[[nodiscard]] bool is_permission_denied(int code) noexcept;
[[nodiscard]] bool is_permission_denied(const error& e) noexcept;

/// An error naming the operation and the code, in the form every udpkit error has:
/// "send to 127.0.0.1:9: EAGAIN (resource temporarily unavailable)"; error::code is `code`.
/// `code` is an io-layer code (negative), e.g. one of send_batch::flush's results.
unexpected io_failure(std::string_view what, int code);

} // namespace udpkit
