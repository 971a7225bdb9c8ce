#pragma once
// udp-send's command line, parsed into options without any I/O (unit-tested).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "udpkit/group_send.hpp"

namespace udpkit {

/// What udp-send does.
enum class send_mode {
    once,  ///< send a payload (`--count` times), optionally waiting for replies
    burst, ///< send sequence-numbered probes and report loss, reordering and RTT
    script ///< run a script of sends and expectations
};

/// How replies are printed in `once` mode with --wait-reply.
enum class reply_format {
    text, ///< the reply rendered terminal-safe, one line each
    hex,  ///< the reply's bytes in hex, one line each
    json  ///< one JSON object a line: source, peer, size, rtt_us, text, hex
};

/// Options of udp-send.
struct send_options {
    send_mode mode = send_mode::once;
    std::string target;                 ///< peer name or address; optional in script mode
    std::optional<std::string> payload; ///< from TEXT or --hex (decoded); unset: --file/stdin
    std::string file;                   ///< --file PATH
    bool payload_from_stdin = false;    ///< no TEXT, --hex or --file: read stdin whole
    std::string directory;              ///< --directory FILE
    std::string bind;                   ///< --bind ADDR; empty: chosen from the target
    /// --max-message: every target's limit, peers too; unset: a peer's own, 1472 for addresses
    std::optional<std::size_t> max_message;
    std::uint64_t count = 1;         ///< --count
    std::uint64_t interval_ms = 0;   ///< --interval
    std::uint64_t rate_pps = 0;      ///< --rate (once and burst)
    bool wait_reply = false;         ///< --wait-reply
    std::uint64_t timeout_ms = 1000; ///< --timeout: reply wait, probe timeout, expect default
    reply_format format = reply_format::text; ///< --output / --json
    std::uint64_t burst = 0;                  ///< --burst N
    std::size_t size = 0;                     ///< --size BYTES
    std::uint64_t window = 64;                ///< --window (0: no limit)
    std::uint64_t window_bytes = 65536;       ///< --window-bytes (0: no limit)
    bool histogram = false;                   ///< --histogram
    bool offload = true;                      ///< UDP GSO and GRO; false with --no-offload
    double report_interval_s = 0;             ///< --report-interval SECONDS (0: none)
    bool expect_echo = false;                 ///< --expect-echo (with --wait-reply)
    double max_loss = 0;                      ///< --max-loss PERCENT
    bool json = false;                        ///< --json
    std::string script;                       ///< --script FILE
    std::string junit;                        ///< --junit FILE
    /// --broadcast, --ttl, --interface, --loop / --no-loop, --expect-responders
    group_flags group;
};

/// Parses udp-send's arguments (without the program name): the options, or an exit (help,
/// version, or a usage error with exit code 2 that names the option and what is accepted).
cli::parsed<send_options> parse_send_options(std::vector<std::string> args);

} // namespace udpkit
