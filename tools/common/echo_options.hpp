#pragma once
// udp-echo's command line, parsed without side effects (unit-tested in unit_echo_options.cpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "udpkit/address.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/rate_limiter.hpp"
#include "udpkit/responder.hpp"

namespace udpkit {

/// Everything udp-echo runs with.
struct echo_options {
    host_port bind{std::string(default_host), 9007}; ///< ignored when `directory` is set
    std::string directory;                           ///< --directory FILE (with --as NAME)
    std::string as;
    echo_mode mode = echo_mode::echo;
    /// Reply mode: `--match RE --reply TEXT` rules in order, then the plain `--reply TEXT` (a
    /// rule without a pattern), if any.
    std::vector<reply_rule> rules;
    std::optional<std::size_t> max_message; ///< unset: the peer's limit or 1472
    double rate_limit = 0;                  ///< datagrams per second per source; 0: no limit
    double burst = 0;                       ///< bucket size; 0 with a rate: max(1, rate)
    bool rate_limit_log_only = false;
    bool allow_privileged_ports = false;
    bool allow_amplification = false;
    bool allow_broadcast = false;
    /// --join GROUP, as given: a group address (with or without its port) or a directory group.
    std::vector<std::string> join;
    std::string interface;    ///< --interface IF for the joins; empty: the directory's or routing's
    bool bind_given = false;  ///< --bind was on the command line (not the default)
    bool ipv6_only = false;   ///< --ipv6-only: a `[::]` bind takes no IPv4 (else dual-stack)
    bool loop_breaker = true; ///< false with --no-loop-breaker
    bool offload = true;      ///< UDP GRO and GSO where the kernel has them; false with --no-offload
    bool log = false;
    log_payload shown = log_payload::none; ///< --log-payload text|hex (with --mode sink)
    double stats_interval = 0;             ///< seconds; 0: only on signals
    bool json = false;

    /// The bucket parameters of --rate-limit/--burst (burst defaulting to one second's worth).
    [[nodiscard]] bucket_rate bucket() const noexcept;
};

/// Parses udp-echo's arguments (without the program name). Usage errors exit 2 and name the
/// option, e.g. a bad --match pattern with RE2's reason.
cli::parsed<echo_options> parse_echo_options(std::vector<std::string> args);

/// One multicast group udp-echo joins.
struct echo_join {
    ip_endpoint group;     ///< with the socket's port
    std::string interface; ///< name, index or address to join on; empty: the routing table's
    std::string label;     ///< how messages name it: `team (239.1.2.3:9100)` or the address
    /// `interface` as an index, found by udp-echo before it binds (the io layer's
    /// find_interface); 0: the routing table's choice.
    unsigned interface_index = 0;
};

/// Where udp-echo's socket binds and which groups it joins.
struct echo_bind_plan {
    ip_endpoint bind;
    std::vector<echo_join> joins;
};

/// Resolves --join against the address udp-echo would bind without it (`configured`: --bind,
/// the default, or the --as peer's address) and the directory, if any. Groups are received on
/// a socket bound to the wildcard of their family on their port, so every group must share one
/// family and port, and `configured` must have that port (a group given without a port takes
/// it); an explicit --bind must be that wildcard. Without --join the plan binds `configured`.
result<echo_bind_plan> plan_binding(const echo_options& options, const ip_endpoint& configured,
                                    const peer_directory* directory);

/// Checks that every --reply text fits the limit the socket ends up with (known only once a
/// --directory peer is looked up). The error names the text's size and the limit.
result<void> check_reply_sizes(const echo_options& options, message_limit limit);

} // namespace udpkit
