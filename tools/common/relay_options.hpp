#pragma once
// udp-relay's command line, parsed without side effects (unit-tested in unit_relay_options.cpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "udpkit/address.hpp"
#include "udpkit/relay.hpp"

namespace udpkit {

/// Everything udp-relay runs with.
struct relay_options {
    host_port listen{std::string(default_host), 9008}; ///< ignored when `directory` is set
    /// --to: the upstream, an address (HOST:PORT, [IPV6]:PORT, PORT), or with --directory a
    /// peer's name (an address otherwise).
    std::string to;
    std::string directory; ///< --directory FILE (with --as NAME: listen on NAME's address)
    std::string as;
    impairment forward;                     ///< client to upstream
    impairment back;                        ///< upstream to client
    std::optional<std::uint64_t> seed;      ///< unset: a random seed, printed
    std::optional<std::size_t> max_message; ///< unset: the peer's limit or 1472
    std::size_t max_clients = 256;          ///< client table (one upstream socket each)
    double idle_seconds = 60;               ///< a client silent both ways this long expires
    bool allow_privileged_ports = false;    ///< clients and upstream below port 1024
    double stats_interval = 0;              ///< seconds; 0: only on exit and SIGUSR1
    bool json = false;
};

/// Parses udp-relay's arguments (without the program name). Usage errors exit 2 and name the
/// option and the value, e.g. `--loss: "5" has no % sign; expected a percentage ...`.
cli::parsed<relay_options> parse_relay_options(std::vector<std::string> args);

} // namespace udpkit
