#pragma once

#include "chat_options.hpp"

namespace udpkit {

/// Runs udp-chat with parsed options; returns the exit code (0 done, 1 runtime failure or, with
/// piped input, a line not sent or a peer reported unreachable; 2 configuration error).
int run_chat(const chat_options& options);

} // namespace udpkit
