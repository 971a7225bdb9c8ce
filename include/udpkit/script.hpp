#pragma once
// The udp-send script language: a parser (errors name FILE:LINE:COL) and an interpreter that is
// a pure state machine, fed the current time and the datagrams that arrive and returning what
// to do (send these bytes to that target, wait until T, finished). No socket and no clock
// inside: the tool drives it with libuv timers, tests drive it by hand.
//
// One command a line; `#` starts a comment; strings are "double quoted" with the escapes
// \\ \" \n \r \t \0 \xHH; durations are an integer with a unit: 250us, 500ms, 2s.
//
//     target PEER|ADDR          peer name from --directory, or HOST:PORT, [IPV6]:PORT, PORT
//     send "text ${seq}"        text, with ${NAME} replaced by a counter's value
//     send hex "48 65 6c"       bytes in hex (spaces between bytes allowed)
//     send file PATH            a file's bytes (path relative to the script), read at parse time
//     expect "text"             the next datagram from the target is exactly this text
//     expect prefix "te"        ... starts with this text
//     expect regex "^T.*\d$"    ... contains a match of this RE2 pattern (anchor with ^ $)
//     expect hex "48 00" mask "ff 00"   ... has this length, and these bits where mask is 1
//     expect size 64 | size 10..20      ... has this many bytes
//     expect echo               ... is byte for byte what the latest send sent (size and
//                               bytes; a failure names the first difference), so an echo
//                               responder's reply is checked whole: `udp-send --wait-reply
//                               --expect-echo` in a script
//     expect none               no datagram from the target within the timeout
//       (any expect may end with `within DURATION`; the default is `timeout`'s value)
//     expect ... from PEER|ADDR after a send to a group (a directory group, a multicast or
//                               broadcast address): the reply must come from this member;
//                               without `from` the first datagram from any address is it
//     timeout DURATION          default wait of the expects that follow (initially --timeout)
//     sleep DURATION            pause
//     rate PPS                  at most PPS sends per second from here on, also across the
//                               expects and sleeps between them; 0 = no limit
//     repeat N {                repeat the lines up to the matching `}` N times
//     }
//     counter NAME [START]      declare a counter (START defaults to 0)
//
// Counters: `${seq}` is built in and counts every send from 0. A declared counter NAME starts at
// START and advances by one after each send whose text mentions `${NAME}`. In an expect,
// `${NAME}` is the value the latest send used (START if no send used it yet), so
// `send "ping ${seq}"` followed by `expect "ping ${seq}"` checks the echo of that very send.
// Variables are expanded in text only (send and expect text/prefix), not in hex or regex.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/result.hpp"

namespace re2 {
class RE2;
}

namespace udpkit::script {

/// The most iterations of one repeat block.
inline constexpr std::uint64_t max_repeat = 1'000'000;
/// How deeply repeat blocks may nest.
inline constexpr int max_nesting = 8;
/// The longest duration (sleep, within, timeout): one hour.
inline constexpr std::uint64_t max_duration_ns = 3'600'000'000'000;
/// The highest `rate`.
inline constexpr std::uint64_t max_rate = 1'000'000;
/// The most steps a script may run (repeat counts multiplied out); checked at parse time.
inline constexpr std::uint64_t max_steps = 10'000'000;
/// Largest script file.
inline constexpr std::size_t max_script_bytes = 1 << 20;

/// 1-based line and column (in bytes) of a command or a token.
struct position {
    int line = 0;
    int column = 0;
};

/// A piece of text: literal bytes, or the value of the counter with this index.
struct text_part {
    std::string literal;
    int counter = -1; ///< index into program::counters, or -1 for a literal
};
using text_template = std::vector<text_part>;

/// A target as written in the script (or given on the command line).
struct target_spec {
    std::string text;                   ///< as written: `echo`, `127.0.0.1:9007`
    std::optional<host_port> address;   ///< set when `text` is an address, not a peer name
    const udpkit::peer* peer = nullptr; ///< set when `text` names a directory peer
    const udpkit::group* group = nullptr; ///< set when `text` names a directory group
    bool is_group = false;                ///< set by the parser: is_group_target with --broadcast
    message_limit limit;                  ///< the peer's or group's limit, or the default limit
};

/// True when `t` is known before resolving to be a group: a directory group, an IP literal that
/// is a multicast group or 255.255.255.255, or with `broadcast` (--broadcast) any IPv4 literal
/// (a subnet broadcast address looks like a host's). An expect after a send to a group takes a
/// reply from any address.
bool is_group_target(const target_spec& t, bool broadcast);

/// A declared counter.
struct counter {
    std::string name;
    std::uint64_t start = 0;
    bool every_send = false; ///< `seq`: advances on every send
};

enum class match_kind { text, prefix, regex, hex, size, echo, none };

/// What an expect checks.
struct matcher {
    match_kind kind = match_kind::text;
    text_template text;                     ///< text, prefix
    std::shared_ptr<const re2::RE2> regex;  ///< regex (compiled at parse time)
    std::string bytes;                      ///< hex: expected bytes
    std::string mask;                       ///< hex: same length as bytes (all 0xff when no mask)
    std::size_t min_size = 0, max_size = 0; ///< size
    /// `from PEER|ADDR` after a send to a group: only a datagram from this target (an index
    /// into program::targets) is the reply; unset: the first from any address.
    std::optional<std::size_t> from;
};

enum class op { target, send, expect, sleep, rate, repeat };

/// One command. Setup commands (timeout, counter) are resolved at parse time and leave none.
struct command {
    op kind = op::send;
    position pos;
    std::string line;                 ///< the source line without comment and indentation
    std::size_t target = 0;           ///< op::target: index into program::targets
    text_template payload;            ///< send text (with counters)
    std::optional<std::string> bytes; ///< send hex / send file: fixed bytes
    matcher match;                    ///< expect
    std::uint64_t duration_ns = 0;    ///< sleep; expect's timeout
    std::uint64_t number = 0;         ///< rate (pps); repeat count
    std::vector<command> body;        ///< repeat
    std::uint64_t steps = 1;          ///< steps this command runs (repeat: count x body's steps)
};

/// A parsed script.
struct program {
    std::string source;               ///< file name, for reports
    std::vector<target_spec> targets; ///< every target mentioned (index 0 may be the default)
    std::optional<std::size_t> initial_target; ///< the command line's TARGET, if given
    std::vector<counter> counters;             ///< counters[0] is `seq`
    std::vector<command> commands;
    std::size_t expectations = 0; ///< expect lines in the text (not counting repeats)
};

/// What the parser needs from outside.
struct parse_context {
    std::string source;                        ///< file name used in errors (FILE:LINE:COL)
    const peer_directory* directory = nullptr; ///< resolves peer names; none without it
    std::optional<std::string> default_target; ///< TARGET from the command line
    /// --max-message: the limit of every target, peers too; unset: a peer's own `max_message`,
    /// the default (1472) for an address.
    std::optional<message_limit> max_message;
    std::uint64_t default_timeout_ns = 1'000'000'000; ///< initial `timeout` (--timeout)
    bool broadcast = false; ///< --broadcast: broadcast targets are allowed (is_group_target)
    /// Reads `send file` paths (as written); the error message is placed at the path.
    std::function<result<std::string>(const std::string& path)> read_file;
};

/// Decodes the escape at the start of `text` (which starts with a backslash): `\\ \" \n \r \t \0
/// \xHH`. Returns the byte and how many characters the escape took; the error says what is
/// accepted.
result<std::pair<char, std::size_t>> decode_escape(std::string_view text);

/// `text` with every escape of the script language decoded (udp-echo --reply). The error's
/// column is the 1-based offset of the bad escape.
result<std::string> decode_escapes(std::string_view text);

/// Makes a target from its text: an address (`HOST:PORT`, `[IPV6]:PORT`, `PORT`; port 0 is
/// refused) or the name of a peer or a group of `directory`. Its limit is `max_message` when given
/// (the tools' one rule: an explicit --max-message wins over the directory), else the peer's own,
/// else the default 1472. Errors say what was wrong and what would be accepted (no position:
/// callers add it).
result<target_spec> make_target(std::string_view text, const peer_directory* directory,
                                std::optional<message_limit> max_message);

/// Parses a script. Errors carry the source, line and column of the offending token and say
/// what would be accepted: unterminated strings, bad escapes, bad hex digits, invalid regular
/// expressions, unknown commands, counts over the caps, bad durations, unknown variables,
/// unknown peers, unbalanced braces, payloads over the target's limit.
result<program> parse(std::string_view text, const parse_context& context);

/// Reads a script file (at most max_script_bytes) and parses it; `send file` paths are read
/// relative to the script's directory.
result<program> load(const std::string& path, parse_context context);

/// What the driver must do next.
struct action {
    enum class kind {
        send,    ///< send `payload` to `target`, then call advance() again
        wait,    ///< call advance() at `until_ns`, or earlier when a datagram arrives
        finished ///< the script is over: see verdict
    };
    kind what = kind::finished;
    std::size_t target = 0;
    std::string payload;
    std::uint64_t until_ns = 0;
};

enum class outcome {
    done,   ///< a send or sleep that completed
    passed, ///< an expectation that held
    failed  ///< an expectation that did not hold, or a send that could not go
};

/// The report of one executed step.
struct step_report {
    position pos;
    std::string line;      ///< the command as written
    std::string iteration; ///< `2/3` inside a repeat (nested: `1/2 3/3`), else empty
    bool expectation = false;
    outcome result = outcome::done;
    std::string detail; ///< what happened; untrusted bytes are rendered terminal-safe
    std::uint64_t started_ns = 0;
    std::uint64_t finished_ns = 0;
};

/// Runs a program. Feed it the time in nanoseconds (any monotonic origin). The program must
/// outlive the interpreter.
class interpreter {
public:
    /// Most datagrams kept waiting for an expect; more are dropped and counted.
    static constexpr std::size_t max_inbox = 4096;

    /// `labels[i]` names program.targets[i] in reports, e.g. `echo (127.0.0.1:9007)`.
    interpreter(const program& p, std::vector<std::string> labels);

    /// Target `index` turned out to be a group once resolved (is_group_target is assumed at
    /// construction): an expect after a send to it takes a datagram from any address.
    void set_group(std::size_t index);
    /// Target `index` resolved to the same address as the earlier target `first`: a datagram
    /// from that address (which the driver reports as from `first`) is from `index` too.
    void set_same_address(std::size_t index, std::size_t first);

    /// Runs as far as possible at `now_ns` and says what to do next.
    action advance(std::uint64_t now_ns);
    /// A datagram arrived from target `from` (nullopt: from an address that is no target; it is
    /// kept for an expect on a group, otherwise counted and ignored). `size` is the size on the
    /// wire; `truncated` when it was cut. `source` names the sender in the report of an expect
    /// on a group (`192.0.2.1:9200 (alice)`).
    void on_datagram(std::uint64_t now_ns, std::optional<std::size_t> from,
                     std::string_view payload, std::size_t size, bool truncated,
                     std::string_view source = {});
    /// The datagram of the latest send action did not leave: that step fails.
    void send_failed(const std::string& message);
    /// An error about target `about` (e.g. ICMP port unreachable): the next expect on it fails
    /// with this message. nullopt: about the current target.
    void on_error(std::uint64_t now_ns, std::optional<std::size_t> about, std::string message);

    [[nodiscard]] const std::vector<step_report>& reports() const noexcept { return reports_; }
    /// How many of reports() are complete: all but a sleep or expect still in progress.
    [[nodiscard]] std::size_t settled() const noexcept {
        const bool busy = state_ == state::sleeping || state_ == state::expecting;
        return reports_.size() - (busy ? 1 : 0);
    }
    [[nodiscard]] bool finished() const noexcept { return state_ == state::finished; }
    /// True when every expectation held and every send left (meaningful once finished).
    [[nodiscard]] bool passed() const noexcept { return failures_ == 0; }
    [[nodiscard]] std::size_t failures() const noexcept { return failures_; }
    [[nodiscard]] std::size_t expectations() const noexcept { return expectations_; }
    /// Datagrams from addresses that are not targets.
    [[nodiscard]] std::uint64_t ignored() const noexcept { return ignored_; }
    /// Datagrams dropped because max_inbox were already waiting.
    [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

private:
    enum class state { running, sleeping, expecting, finished };
    struct frame {
        const std::vector<command>* body;
        std::size_t next = 0;
        std::uint64_t iteration = 0; // 0-based
        std::uint64_t count = 1;
    };
    struct incoming {
        std::optional<std::size_t> from; // nullopt: from no target's address
        std::string source;              // the sender, for reports on a group
        std::string payload;
        std::size_t size = 0;
        bool truncated = false;
        std::string error; // non-empty: an error about `from` instead of a datagram
        std::uint64_t at_ns = 0;
    };

    const command* next_command();
    [[nodiscard]] std::string iteration_text() const;
    void begin_step(const command& c, std::uint64_t now_ns);
    void end_step(outcome o, std::string detail, std::uint64_t now_ns);
    [[nodiscard]] std::string expand(const text_template& t, bool for_send) const;
    [[nodiscard]] bool mentions(const text_template& t, std::size_t counter) const;
    void resume_schedule(std::uint64_t now_ns); // after a sleep or an expect
    void finish_expect(const incoming* in, std::uint64_t now_ns);
    std::optional<action> run_send(const command& c, std::uint64_t now_ns);
    void queue(incoming in);
    [[nodiscard]] bool answers(const incoming& in) const noexcept; // the current expect's reply?
    [[nodiscard]] std::size_t canonical(std::size_t target) const noexcept {
        return same_as_[target];
    }

    const program& program_;
    std::vector<std::string> labels_;
    std::vector<bool> group_;          // by target
    std::vector<std::size_t> same_as_; // by target: the first target of the same address
    bool any_group_ = false;
    std::vector<frame> stack_;
    state state_ = state::running;
    const command* current_ = nullptr; // the sleep or expect in progress
    std::uint64_t until_ns_ = 0;
    std::optional<std::size_t> target_;
    std::uint64_t interval_ns_ = 0;         // rate: 0 = no limit
    std::uint64_t next_slot_ns_ = 0;        // when the next send may leave under the rate
    bool slot_valid_ = false;               // false until a send under the current rate
    std::vector<std::uint64_t> next_value_; // by counter
    std::vector<std::optional<std::uint64_t>> last_used_; // by counter
    std::deque<incoming> inbox_;
    std::optional<std::size_t> last_send_step_;
    std::uint64_t last_send_ns_ = 0;
    std::string last_payload_; // what the latest send sent: `expect echo` compares with it
    std::vector<step_report> reports_;
    std::size_t failures_ = 0;
    std::size_t expectations_ = 0;
    std::uint64_t ignored_ = 0;
    std::uint64_t dropped_ = 0;
};

} // namespace udpkit::script
