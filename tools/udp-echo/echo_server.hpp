#pragma once
// udp-echo's I/O: binds, feeds each datagram to the responder and the rate limiter, sends the
// reply, prints counters. The decisions themselves live in udpkit/responder.hpp.

#include "echo_options.hpp"

namespace udpkit {

/// Runs udp-echo until SIGINT/SIGTERM; returns the exit code (0 after a signal, 1 when the
/// socket cannot be bound, 2 for a bad directory, peer or limit).
int run_echo(const echo_options& options);

} // namespace udpkit
