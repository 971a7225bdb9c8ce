#pragma once
// udp-relay's I/O: the client-facing socket, one upstream socket per client, the timer that
// releases delayed datagrams, counters. The impairments themselves live in udpkit/relay.hpp.

#include "relay_options.hpp"

namespace udpkit {

/// Runs udp-relay until SIGINT/SIGTERM; returns the exit code (0 after a signal, 1 when a
/// socket cannot be bound, 2 for a bad directory, peer, upstream or limit).
int run_relay(const relay_options& options);

} // namespace udpkit
