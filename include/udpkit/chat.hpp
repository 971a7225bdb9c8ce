#pragma once
// The chat peer's logic, free of I/O: what a typed line means, what to send to whom, how a
// received datagram is shown, and the counters. The tool (tools/udp-chat) feeds it lines,
// datagrams and the current time, and carries out what it returns.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/peer_directory.hpp"

namespace udpkit {

/// A wall-clock instant, read by the caller: UTC milliseconds since 1970 and the local offset.
struct chat_time {
    std::int64_t unix_ms = 0;
    std::int32_t utc_offset_seconds = 0; ///< added to UTC to get local time (tm_gmtoff)
};

/// `HH:MM:SS` in local time.
std::string format_clock(chat_time t);
/// `2024-05-01T12:34:56.789Z`: UTC, ISO 8601, milliseconds.
std::string format_utc(chat_time t);

/// What a line typed in interactive mode asks for.
struct chat_command {
    enum class kind {
        message, ///< plain text (`//text` sends `/text`): `text` is the message
        to,      ///< `/to PEER`, `/to GROUP` or `/to ADDR`: `text` is it, empty to ask
        reply,   ///< `/reply`: talk to whoever wrote last, in the directory or not
        all,     ///< `/all TEXT` sends TEXT to every peer; `/all` alone makes that the target
        who,     ///< `/who`
        join,    ///< `/join GROUP`: `text` is the group's name (empty: none given)
        leave,   ///< `/leave GROUP`: `text` is the group's name (empty: none given)
        help,    ///< `/help`
        quit,    ///< `/quit`
        blank,   ///< empty or only spaces and tabs: nothing is sent
        unknown  ///< `/something` else: `text` is the command word
    };
    kind what = kind::blank;
    std::string text;
};

/// Parses one typed line (without its line end). Commands are case-sensitive, as in IRC clients'
/// lower-case forms; arguments are separated by spaces or tabs.
chat_command parse_chat_command(std::string_view line);

/// Tab completion of a typed line: the candidates for the word being typed (`word`, a prefix,
/// matched ignoring case), given what stands before it on the line (`before`). At the start of
/// the line, the commands; after `/to`, the peers and groups of `directory`; after `/join` or
/// `/leave`, its groups; elsewhere none (a message is free text). Sorted.
std::vector<std::string> chat_completions(const peer_directory& directory, std::string_view before,
                                          std::string_view word);

/// How received messages are written.
enum class chat_format { text, json };

/// The chat's counters. Every received datagram is either shown or dropped:
/// received == shown + dropped_unknown + suppressed + own.
struct chat_counters {
    std::uint64_t received = 0;        ///< datagrams delivered by the socket
    std::uint64_t shown = 0;           ///< written as a message line
    std::uint64_t truncated = 0;       ///< of those shown, larger than our limit (marked)
    std::uint64_t dropped_unknown = 0; ///< from unknown senders, dropped by --known-only
    std::uint64_t suppressed = 0;      ///< from unknown senders over the display rate
    std::uint64_t own = 0;             ///< our own messages to a room, back by multicast loop
    std::uint64_t sent = 0;            ///< messages handed to the socket (one per peer)
    std::uint64_t not_sent = 0;        ///< refused (over a limit) or failed (one per peer)
    std::uint64_t unreachable = 0;     ///< ICMP errors reported for messages we sent
    std::uint64_t not_joined = 0;      ///< rooms that could not be joined (at start or /join)
};

/// What to do with a typed (or piped) line.
struct chat_reaction {
    std::vector<const peer*> send_to; ///< send `payload` to each, in this order
    /// Send `payload` to this group (its address, with its ttl, loop and interface; broadcast
    /// for a broadcast group), from our own socket so that members see our peer address.
    const group* send_to_group = nullptr;
    std::string payload;
    /// Join this room (open its socket), then report the outcome with chat_session::on_joined.
    const group* join = nullptr;
    /// Leave this room (close its socket), then tell chat_session::on_left.
    const group* leave = nullptr;
    std::vector<std::string> notices; ///< lines for the user (trusted text, ours)
    bool quit = false;
};

/// The chat state of one peer: who we are, whom we talk to, which rooms we are in, and the
/// counters. A room is a group of the directory (multicast, or a broadcast address): the tool
/// joins it and hands its datagrams to on_datagram with the group.
class chat_session {
public:
    struct settings {
        chat_format format = chat_format::text;
        bool known_only = false;
        /// Lines from unknown senders shown per second, 0 for no cap: a terminal stays readable
        /// (and keeps reacting) under a flood from many source addresses.
        std::uint32_t unknown_per_second = 0;
        /// The family of our socket: a peer of the other family cannot be reached from it.
        ip_family family = ip_family::v4;
    };

    /// `self` must belong to `directory`; `target` (may be null: no target yet) too. The
    /// directory must outlive the session.
    chat_session(const peer_directory& directory, const peer& self, const peer* target, settings s);
    /// Talk to the group `target` (of `directory`) from the start (`--to GROUP`).
    chat_session(const peer_directory& directory, const peer& self, const group& target,
                 settings s);

    /// The rooms to join at start: every group of the directory that we are a member of.
    [[nodiscard]] std::vector<const group*> rooms_to_join() const;
    /// Records the outcome of joining `room` (`error` empty on success) and returns the notice:
    /// `in room team (239.77.0.2:9200) with alice, bob` or `cannot join room team
    /// (239.77.0.2:9200): REASON; chatting without it`.
    std::string on_joined(const group& room, std::string_view error = {});
    /// Records that we left `room`; returns the notice.
    std::string on_left(const group& room);
    /// True when we are in `room` (joined, not left).
    [[nodiscard]] bool in_room(const group& room) const noexcept;

    /// A line typed in interactive mode: commands, or a message to the current target.
    chat_reaction on_command_line(std::string_view line);
    /// A line of piped input: always a message to the current target, sent verbatim (a line of
    /// only spaces too); an empty line is not sent.
    chat_reaction on_message_line(std::string_view line);
    /// A line too long to have been kept whole (`size` bytes): refused against the target.
    chat_reaction on_overlong_line(std::size_t size);

    /// A received datagram of `size` bytes whose first `payload.size()` bytes are `payload`.
    /// Returns the line to show, or nullopt when it is dropped (counted either way). Text lines
    /// render the payload with render_untrusted, leaving out one final line end (`\n` or `\r\n`)
    /// as sent by line-oriented tools such as nc; JSON lines carry the payload exactly.
    /// `room`: the group whose socket received it (null for our own socket). Its lines carry the
    /// group (`[12:00:01] [team] alice: hi`, JSON `"group":"team"`), its limit decides
    /// truncation, and a datagram from our own address there is our own message back by
    /// multicast loop (or broadcast): dropped and counted as `own`, since we wrote it.
    std::optional<std::string> on_datagram(std::string_view payload, std::size_t size,
                                           const ip_endpoint& from, chat_time now,
                                           const group* room = nullptr);
    /// When lines from unknown senders were suppressed since the last call, a notice saying how
    /// many (call about once a second and at exit).
    std::optional<std::string> take_suppressed_notice();

    /// Records the outcome of one send to `to` (`error` empty on success).
    void on_sent(const peer& to, std::string_view error = {});
    /// Records the outcome of one send to the group `to`.
    void on_sent(const group& to, std::string_view error = {});
    /// Notice for an ICMP error about a datagram we sent to `destination`, naming the peer.
    std::string on_unreachable(const ip_endpoint* destination, std::string_view error);

    /// `[to bob]> `, `[to team]> ` (a group), `[to all]> `, or `[/to PEER]> ` without a target.
    [[nodiscard]] std::string prompt() const;
    /// The peer list of /who, one line each, then (when the directory has groups) the groups:
    /// address, limit, members, and whether we are in the room.
    [[nodiscard]] std::vector<std::string> who() const;
    /// The lines of /help.
    [[nodiscard]] static std::vector<std::string> help();
    /// `received 5, shown 4, dropped 1 (known-only 1, over display rate 0, own 0), truncated 0;
    /// sent 3, not sent 0, unreachable 0, rooms not joined 0`.
    [[nodiscard]] std::string summary() const;
    [[nodiscard]] const chat_counters& counters() const noexcept { return counters_; }
    /// The current target, or null (none, or everyone).
    [[nodiscard]] const peer* target() const noexcept { return target_; }
    /// The current target when it is a group, or null.
    [[nodiscard]] const group* target_group() const noexcept { return target_group_; }

private:
    chat_reaction send_line(std::string_view text, std::size_t size, bool to_everyone);
    chat_reaction send_to_group(std::string_view text, std::size_t size);
    chat_reaction join_or_leave(std::string_view name, bool join);
    [[nodiscard]] std::vector<std::string> who_groups() const;
    chat_reaction refuse(std::string_view why);
    std::string talk_to(const ip_endpoint& address);
    [[nodiscard]] std::vector<const peer*> everyone_else() const;
    [[nodiscard]] std::string names_of_everyone_else() const;

    const peer_directory& directory_;
    const peer& self_;
    const peer* target_;
    const group* target_group_ = nullptr; // when talking to a group (target_ is then null)
    std::vector<const group*> rooms_;     // joined, in the order joined
    bool to_everyone_ = false;
    std::optional<peer> stranger_;           // the target when it is not in the directory
    std::optional<ip_endpoint> last_sender_; // for /reply
    settings settings_;
    chat_counters counters_;
    std::int64_t quota_second_ = -1; // the second (unix time) that quota_used_ counts
    std::uint32_t quota_used_ = 0;
    std::uint64_t suppressed_unreported_ = 0;
};

} // namespace udpkit
