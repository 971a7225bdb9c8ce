#pragma once
// The responder's decisions (udp-echo), free of I/O: what to reply to one datagram, whether it
// is safe to, and the counters. The tool feeds datagrams in and sends what it is told to.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/result.hpp"
#include "udpkit/segmentation.hpp"
#include "udpkit/stats_reason.hpp"

namespace re2 {
class RE2;
}

namespace udpkit {

/// How the responder builds a reply.
enum class echo_mode : std::uint8_t {
    echo,  ///< the datagram back, byte for byte
    upper, ///< the datagram with ASCII a-z upper-cased (other bytes unchanged)
    reply, ///< a fixed text, chosen by the first matching rule
    sink   ///< no reply at all: received, counted and (with --log) shown, as `nc -u -l` is used
};

/// `echo`, `upper`, `reply`, `sink`.
std::string_view to_string(echo_mode mode) noexcept;

/// One reply rule: when `pattern` is found in the datagram (RE2, unanchored: anchor with ^ and
/// $), reply `text`. A rule without a pattern matches every datagram.
struct reply_rule {
    std::shared_ptr<const re2::RE2> pattern; ///< null: matches everything
    std::string source;                      ///< the pattern as written, for messages
    std::string text;
};

/// Compiles `--match PATTERN --reply TEXT` pairs; an empty pattern in a pair means no --match
/// (a rule for every datagram). The error names the pattern and quotes RE2's message.
result<std::vector<reply_rule>>
compile_rules(const std::vector<std::pair<std::string, std::string>>& pattern_and_text);

/// What happened to one datagram. Every datagram ends in exactly one of these, which is why the
/// counters add up.
enum class echo_action : std::uint8_t {
    replied,
    truncated,               ///< over the size limit: counted, never echoed
    rate_limited,            ///< its source is over --rate-limit
    refused_privileged_port, ///< source port below 1024 (echo/chargen loops, reflection)
    refused_own_address,     ///< from the responder's own address (a loop onto itself)
    refused_amplification,   ///< the reply would be larger than the request
    refused_no_match,        ///< reply mode, no rule matched and no default --reply
    refused_loop,            ///< a repeat in an echo loop (udpkit/loop_breaker.hpp)
    refused_broadcast,       ///< sent to a broadcast address, without --allow-broadcast
    send_error,              ///< the reply was refused or dropped by the kernel/send queue
    sunk                     ///< --mode sink: received and not answered, by design
};

/// `replied`, `truncated`, `rate-limited`, `refused-privileged-port`, ...: the --log word.
std::string_view to_string(echo_action action) noexcept;

/// What the responder allows and how it replies.
struct responder_config {
    echo_mode mode = echo_mode::echo;
    std::vector<reply_rule> rules; ///< reply mode: checked in order
    bool allow_privileged_ports = false;
    bool allow_amplification = false;
    /// The addresses the responder itself sends from: never answered.
    std::vector<ip_endpoint> own_addresses;
    /// The largest datagram it accepts (the socket's limit): sizes its upper-case buffer.
    std::size_t max_message = 1472;
    /// Answer datagrams that reached a broadcast address. Off by default: a forged broadcast
    /// would make every responder of the subnet answer its victim at once.
    bool allow_broadcast = false;
};

/// The reply decision for one datagram.
struct reply_decision {
    echo_action action = echo_action::replied;
    /// When action is `replied`: the bytes to send back. They view the request, a rule's text
    /// or the responder's own buffer, valid until the next decide().
    std::string_view reply;
};

/// Decides replies. Holds one reusable buffer for upper-case replies: decide() never allocates.
class responder {
public:
    explicit responder(responder_config config);

    /// Decides for one datagram of `payload` bytes from `from` (`truncated`: it was larger than
    /// the limit and `payload` is only its start) sent to an address of `kind`. Rate limiting is
    /// the caller's, after this, so that refused datagrams spend no tokens. A reply always goes
    /// back unicast to the sender, whatever the request was sent to.
    reply_decision decide(std::string_view payload, bool truncated, const ip_endpoint& from,
                          destination_kind kind = destination_kind::unicast);

    [[nodiscard]] const responder_config& config() const noexcept { return config_; }

private:
    std::string_view build_reply(std::string_view payload, bool& matched);
    responder_config config_;
    std::string upper_; ///< sized once to max_message
};

/// The responder's counters. Invariants: received == replied + sunk + truncated + rate_limited +
/// refused() + send_errors, and received == to_unicast + to_group + to_broadcast, whatever
/// happens.
struct echo_counters {
    std::uint64_t received = 0;
    std::uint64_t to_unicast = 0;   ///< received datagrams sent to one of the host's addresses
    std::uint64_t to_group = 0;     ///< ... to a multicast group the responder joined
    std::uint64_t to_broadcast = 0; ///< ... to a broadcast address
    std::uint64_t replied = 0;
    std::uint64_t sunk = 0; ///< --mode sink: received whole, not answered
    std::uint64_t truncated = 0;
    std::uint64_t rate_limited = 0;
    std::uint64_t refused_privileged_port = 0;
    std::uint64_t refused_own_address = 0;
    std::uint64_t refused_amplification = 0;
    std::uint64_t refused_no_match = 0;
    std::uint64_t refused_loop = 0;
    std::uint64_t refused_broadcast = 0;
    std::uint64_t send_errors = 0;
    std::uint64_t bytes_in = 0;  ///< sizes on the wire of every received datagram
    std::uint64_t bytes_out = 0; ///< reply bytes handed to the kernel
    /// Replied although over the rate limit (--rate-limit-log-only); included in `replied`.
    std::uint64_t over_rate_limit = 0;
    /// Datagrams the kernel dropped before they could be read (receive buffer full): the
    /// socket's own count, copied in before printing. Not part of `received`.
    std::uint64_t kernel_drops = 0;
    /// Which offload path ran and what it did: the socket's own counts, copied in before
    /// printing. GRO buffers are split before counting: every other counter counts datagrams.
    offload_counters offload;

    /// Counts one datagram of `size` bytes on the wire sent to an address of `kind`, and its
    /// fate (`reply_bytes` if replied).
    void record(echo_action action, std::size_t size, destination_kind kind,
                std::size_t reply_bytes = 0) noexcept;
    [[nodiscard]] std::uint64_t refused() const noexcept;
    [[nodiscard]] bool adds_up() const noexcept;
};

/// One stats line: `stats: received=10 replied=7 truncated=1 ... kernel_drops=0 gro=on ...
/// gso_refusals=0 time=2024-05-01T09:30:00.123Z reason=interval`, or with `json` the same as one
/// JSON object (the offload counters as its "offload" object, `"time"` and `"reason"` strings).
/// `unix_ms` is the UTC time of the line. No newline.
std::string format_counters(const echo_counters& c, bool json, std::int64_t unix_ms,
                            stats_reason reason);

/// What --log shows of each datagram's payload (--log-payload).
enum class log_payload : std::uint8_t { none, text, hex };

/// One --log line: `2024-05-01T09:30:00.123Z 127.0.0.1:40000 5 replied` (UTC time, source,
/// size on the wire, action), then with `shown` text the payload rendered terminal-safe
/// (`: "hello"`) or in hex (`: 68 65`); with `json` one object `{"time", "from", "size",
/// "action"[, "text" | "hex"]}` (`text` exact as JSON escapes, `hex` when it is not UTF-8).
/// Appends to `out`, reusing its capacity. No newline.
void format_log_line(std::string& out, std::int64_t unix_ms, const ip_endpoint& from,
                     std::size_t size, std::string_view action, bool json = false,
                     log_payload shown = log_payload::none, std::string_view payload = {});

/// The first stdout line: `listening on 127.0.0.1:9007`, or `{"listening":"127.0.0.1:9007"}`;
/// for a `[::]` socket, given `dual_stack`, the JSON object says `"dual_stack":true|false` too.
std::string format_listening(const ip_endpoint& local, bool json,
                             std::optional<bool> dual_stack = std::nullopt);

/// The line after it for each joined group: `joined team (239.1.2.3:9100) on eth0`, or
/// `{"joined":"team (239.1.2.3:9100)","interface":"eth0"}` (`interface` empty: the routing
/// table's choice, shown as "the default interface" / null).
std::string format_joined(std::string_view group, std::string_view interface, bool json);

} // namespace udpkit
