#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "udpkit/chat.hpp"

namespace udpkit {

/// udp-chat's options.
struct chat_options {
    std::string directory; ///< --directory FILE (required)
    std::string as;        ///< --as NAME (required): whom we are, hence where we bind
    std::string to;        ///< --to PEER|GROUP: whom lines go to (empty: none yet)
    /// --bind ADDR: the local address instead of our peer's (e.g. a wildcard `0.0.0.0:9001`)
    std::optional<host_port> bind;
    bool known_only = false;                ///< --known-only: drop datagrams from unknown addresses
    chat_format format = chat_format::text; ///< --format text|json
    /// --linger: how long to keep receiving after the end of piped input; nullopt = forever.
    std::optional<std::uint64_t> linger_ms = 1000;
};

/// Parses udp-chat's arguments (without the program name). Checks name syntax; whether the names
/// exist in the directory is checked when it is loaded.
cli::parsed<chat_options> parse_chat_options(std::vector<std::string> args);

/// Parses a --linger value: seconds from 0 to 86400 as parse_real reads them (`0`, `1.5`, `2e3`;
/// no NaN, no infinity), rounded to the millisecond, or `forever`. The error names the option
/// and the value and says what is accepted.
result<std::optional<std::uint64_t>> parse_linger(std::string_view text);

} // namespace udpkit
