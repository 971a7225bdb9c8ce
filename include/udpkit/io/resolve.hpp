#pragma once

#include <functional>

#include "udpkit/address.hpp"
#include "udpkit/io/event_loop.hpp"

namespace udpkit {

/// Resolves a host_port (IP literal or name) asynchronously through the loop's thread pool.
/// IP literals complete without a lookup. `done` is called once, from the loop.
void resolve(event_loop& loop, const host_port& where,
             std::function<void(result<ip_endpoint>)> done);

/// Resolves by running the loop until the answer is in; for start-up, before other work.
result<ip_endpoint> resolve_now(event_loop& loop, const host_port& where);

/// Parses `text` (HOST:PORT, [IPV6]:PORT, PORT) and resolves it with resolve_now.
result<ip_endpoint> resolve_now(event_loop& loop, std::string_view text);

} // namespace udpkit
