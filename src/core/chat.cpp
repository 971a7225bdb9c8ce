#include "udpkit/chat.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "udpkit/hex.hpp"
#include "udpkit/json.hpp"
#include "udpkit/render.hpp"

namespace udpkit {
namespace {

std::tm utc_fields(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm fields{};
    gmtime_r(&t, &fields);
    return fields;
}

// Floor division, so that instants before 1970 still land in the right second.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - (a % b != 0 && a < 0);
}

std::string two_digits(int n) {
    return {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)};
}

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Why a message of `size` bytes cannot go to `name` at `address` from a socket of `family`, or
// nullopt when it can.
std::optional<std::string> refusal(std::string_view name, const ip_endpoint& address,
                                   message_limit limit, std::size_t size, std::string_view self,
                                   ip_family family) {
    if (address.family() != family) {
        std::string why(name);
        why += " (" + address.to_string() + ") and we (";
        why += self;
        why += ") are of different IP families (";
        why += family == ip_family::v4 ? "IPv4 to IPv6" : "IPv6 to IPv4";
        return why + "); not sent";
    }
    if (limit.check(size))
        return std::nullopt;
    std::string why = "line of " + std::to_string(size) + " bytes exceeds ";
    why += name;
    return why + "'s limit of " + std::to_string(limit.bytes()) + " bytes; not sent";
}

std::string joined_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

// `239.77.0.2:9200`, or `192.0.2.255:9300 (broadcast)`.
std::string group_address(const group& g) {
    return g.address.to_string() + (g.broadcast ? " (broadcast)" : "");
}

} // namespace

std::string format_clock(chat_time t) {
    const auto local = utc_fields(floor_div(t.unix_ms, 1000) + t.utc_offset_seconds);
    return two_digits(local.tm_hour) + ":" + two_digits(local.tm_min) + ":" +
           two_digits(local.tm_sec);
}

std::string format_utc(chat_time t) {
    const auto seconds = floor_div(t.unix_ms, 1000);
    const auto ms = static_cast<int>(t.unix_ms - seconds * 1000);
    const auto f = utc_fields(seconds);
    return std::to_string(f.tm_year + 1900) + "-" + two_digits(f.tm_mon + 1) + "-" +
           two_digits(f.tm_mday) + "T" + two_digits(f.tm_hour) + ":" + two_digits(f.tm_min) + ":" +
           two_digits(f.tm_sec) + "." + std::to_string(ms / 100) + two_digits(ms % 100) + "Z";
}

chat_command parse_chat_command(std::string_view line) {
    using kind = chat_command::kind;
    if (is_blank(line))
        return {kind::blank, {}};
    if (line.front() != '/')
        return {kind::message, std::string(line)};
    if (line.size() > 1 && line[1] == '/')
        return {kind::message, std::string(line.substr(1))};
    const auto word_end = std::min(line.find_first_of(" \t"), line.size());
    const auto word = line.substr(0, word_end);
    const auto rest = line.substr(word_end);
    if (word == "/to")
        return {kind::to, std::string(trim(rest))};
    if (word == "/all") {
        // The message keeps its own spacing: only the one separator after /all is dropped.
        return {kind::all, is_blank(rest) ? std::string() : std::string(rest.substr(1))};
    }
    if (word == "/reply" && is_blank(rest))
        return {kind::reply, {}};
    if (word == "/who" && is_blank(rest))
        return {kind::who, {}};
    if (word == "/join")
        return {kind::join, std::string(trim(rest))};
    if (word == "/leave")
        return {kind::leave, std::string(trim(rest))};
    if (word == "/help" && is_blank(rest))
        return {kind::help, {}};
    if (word == "/quit" && is_blank(rest))
        return {kind::quit, {}};
    return {kind::unknown, std::string(word)};
}

std::vector<std::string> chat_completions(const peer_directory& directory, std::string_view before,
                                          std::string_view word) {
    const auto starts_with = [word](std::string_view candidate) {
        return candidate.size() >= word.size() &&
               std::equal(word.begin(), word.end(), candidate.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) ==
                          std::tolower(static_cast<unsigned char>(b));
               });
    };
    std::vector<std::string> out;
    const auto command = trim(before);
    if (command.empty()) {
        for (const char* c : {"/all", "/help", "/join", "/leave", "/quit", "/reply", "/to", "/who"})
            if (word.starts_with('/') && starts_with(c))
                out.emplace_back(c);
        return out;
    }
    if (command == "/to")
        for (const auto& p : directory.peers())
            if (starts_with(p.name))
                out.push_back(p.name);
    if (command == "/to" || command == "/join" || command == "/leave")
        for (const auto& g : directory.groups())
            if (starts_with(g.name))
                out.push_back(g.name);
    std::sort(out.begin(), out.end());
    return out;
}

chat_session::chat_session(const peer_directory& directory, const peer& self, const peer* target,
                           settings s)
    : directory_(directory), self_(self), target_(target), settings_(s) {}

chat_session::chat_session(const peer_directory& directory, const peer& self, const group& target,
                           settings s)
    : directory_(directory), self_(self), target_(nullptr), target_group_(&target), settings_(s) {}

std::vector<const group*> chat_session::rooms_to_join() const {
    return directory_.groups_of(self_.name);
}

std::string chat_session::on_joined(const group& room, std::string_view error) {
    const std::string where = "room " + room.name + " at " + group_address(room);
    if (!error.empty()) {
        ++counters_.not_joined;
        std::string notice = "cannot join " + where + ": ";
        notice += error;
        return notice + "; chatting without it (/join " + room.name + " tries again)";
    }
    if (!in_room(room))
        rooms_.push_back(&room);
    return "in " + where + " with " + joined_names(room.members);
}

std::string chat_session::on_left(const group& room) {
    rooms_.erase(std::remove(rooms_.begin(), rooms_.end(), &room), rooms_.end());
    std::string notice = "left room " + room.name + " at " + group_address(room);
    if (target_group_ == &room)
        notice += "; lines still go to it (/to PEER talks to someone else)";
    return notice;
}

bool chat_session::in_room(const group& room) const noexcept {
    return std::find(rooms_.begin(), rooms_.end(), &room) != rooms_.end();
}

chat_reaction chat_session::join_or_leave(std::string_view name, bool join) {
    chat_reaction r;
    const std::string command = join ? "/join" : "/leave";
    if (name.empty()) {
        r.notices.push_back(command + " GROUP: which room? groups in " + directory_.source() +
                            ": " + directory_.group_names());
        return r;
    }
    const group* g = directory_.find_group(name);
    if (g == nullptr) {
        std::string notice = "no group named \"" + render_untrusted(name) + "\"";
        if (directory_.find(name) != nullptr)
            notice += " (that is a peer: /to " + render_untrusted(name) + " talks to it)";
        r.notices.push_back(notice + "; known groups: " + directory_.group_names());
    } else if (join && in_room(*g)) {
        r.notices.push_back("already in room " + g->name);
    } else if (!join && !in_room(*g)) {
        r.notices.push_back("not in room " + g->name + " (/join " + g->name + " joins it)");
    } else {
        (join ? r.join : r.leave) = g;
    }
    return r;
}

chat_reaction chat_session::on_command_line(std::string_view line) {
    using kind = chat_command::kind;
    auto command = parse_chat_command(line);
    chat_reaction r;
    switch (command.what) {
    case kind::blank:
        break;
    case kind::message:
        return send_line(command.text, command.text.size(), to_everyone_);
    case kind::all:
        if (!command.text.empty())
            return send_line(command.text, command.text.size(), true);
        to_everyone_ = true;
        target_ = nullptr;
        target_group_ = nullptr;
        r.notices.push_back("now talking to everyone: " + names_of_everyone_else());
        break;
    case kind::to:
        if (command.text.empty()) {
            r.notices.push_back(to_everyone_    ? "talking to everyone"
                                : target_       ? "talking to " + target_->name
                                : target_group_ ? "talking to room " + target_group_->name
                                                : "no one to talk to yet: /to PEER picks one");
        } else if (const peer* p = directory_.find(command.text)) {
            target_ = p;
            target_group_ = nullptr;
            to_everyone_ = false;
            r.notices.push_back("now talking to " + p->name + " at " + p->address.to_string() +
                                (p == &self_ ? " (that is you)" : ""));
        } else if (const group* g = directory_.find_group(command.text)) {
            target_ = nullptr;
            target_group_ = g;
            to_everyone_ = false;
            r.notices.push_back("now talking to room " + g->name + " at " + group_address(*g) +
                                (in_room(*g) ? ""
                                             : " (you are not in it, so you will not see what "
                                               "others say there: /join " +
                                                   g->name + ")"));
        } else if (auto address = ip_endpoint::parse(command.text);
                   address && address->port() != 0) {
            r.notices.push_back(talk_to(*address));
        } else {
            const bool groups = !directory_.groups().empty();
            r.notices.push_back(
                std::string(groups ? "no peer or group named \"" : "no peer named \"") +
                render_untrusted(command.text) + "\"; known peers: " + directory_.names() +
                (groups ? "; groups: " + directory_.group_names() : "") +
                " (or give an address, e.g. /to 127.0.0.1:9001)");
        }
        break;
    case kind::reply:
        r.notices.push_back(last_sender_ ? talk_to(*last_sender_)
                                         : "no one has written to us yet; nothing to reply to");
        break;
    case kind::who:
        r.notices = who();
        break;
    case kind::join:
    case kind::leave:
        return join_or_leave(command.text, command.what == kind::join);
    case kind::help:
        r.notices = help();
        break;
    case kind::quit:
        r.quit = true;
        break;
    case kind::unknown:
        r.notices.push_back("unknown command " + render_untrusted(command.text) +
                            " (start a message with // to send it with a leading /)");
        for (auto& l : help())
            r.notices.push_back(std::move(l));
        break;
    }
    return r;
}

chat_reaction chat_session::on_message_line(std::string_view line) {
    if (line.empty())
        return {};
    return send_line(line, line.size(), to_everyone_);
}

chat_reaction chat_session::on_overlong_line(std::size_t size) {
    // Longer than any peer's limit, so the text itself is never needed.
    return send_line({}, size, to_everyone_);
}

chat_reaction chat_session::send_line(std::string_view text, std::size_t size, bool to_everyone) {
    if (!to_everyone && target_group_ != nullptr)
        return send_to_group(text, size);
    if (!to_everyone && target_ == nullptr)
        return refuse("no one to talk to yet: pick a peer with /to PEER or --to PEER (known: " +
                      directory_.names() + "); line not sent");
    chat_reaction r;
    const auto peers = to_everyone ? everyone_else() : std::vector<const peer*>{target_};
    for (const peer* p : peers) {
        if (auto why = refusal(p->name, p->address, p->limit, size, self_.name, settings_.family)) {
            ++counters_.not_sent;
            r.notices.push_back(std::move(*why));
        } else {
            r.send_to.push_back(p);
        }
    }
    if (!r.send_to.empty())
        r.payload = std::string(text);
    return r;
}

chat_reaction chat_session::send_to_group(std::string_view text, std::size_t size) {
    const group& g = *target_group_;
    if (auto why =
            refusal("room " + g.name, g.address, g.limit, size, self_.name, settings_.family))
        return refuse(*why);
    chat_reaction r;
    r.send_to_group = &g;
    r.payload = std::string(text);
    return r;
}

std::string chat_session::talk_to(const ip_endpoint& address) {
    to_everyone_ = false;
    target_group_ = nullptr;
    if (const peer* p = directory_.find(address)) {
        target_ = p;
        return "now talking to " + p->name + " at " + address.to_string();
    }
    stranger_ = peer{address.to_string(), address, directory_.default_limit()};
    target_ = &*stranger_;
    return "now talking to " + address.to_string() + " (not in " + directory_.source() +
           "; limit " + std::to_string(stranger_->limit.bytes()) + " bytes)";
}

chat_reaction chat_session::refuse(std::string_view why) {
    ++counters_.not_sent;
    chat_reaction r;
    r.notices.emplace_back(why);
    return r;
}

std::string chat_session::names_of_everyone_else() const {
    std::string out;
    for (const peer* p : everyone_else())
        out += (out.empty() ? "" : ", ") + p->name;
    return out;
}

std::vector<const peer*> chat_session::everyone_else() const {
    std::vector<const peer*> out;
    for (const auto& p : directory_.peers())
        if (&p != &self_)
            out.push_back(&p);
    return out;
}

std::optional<std::string> chat_session::on_datagram(std::string_view payload, std::size_t size,
                                                     const ip_endpoint& from, chat_time now,
                                                     const group* room) {
    ++counters_.received;
    const peer* sender = directory_.find(from);
    if (room != nullptr && sender == &self_) {
        ++counters_.own; // we wrote it; multicast loop (or broadcast) brought it back
        return std::nullopt;
    }
    if (sender == nullptr) {
        if (settings_.known_only) {
            ++counters_.dropped_unknown;
            return std::nullopt;
        }
        if (settings_.unknown_per_second > 0) {
            const auto second = floor_div(now.unix_ms, 1000);
            if (second != quota_second_) {
                quota_second_ = second;
                quota_used_ = 0;
            }
            if (quota_used_ >= settings_.unknown_per_second) {
                ++counters_.suppressed;
                ++suppressed_unreported_;
                return std::nullopt;
            }
            ++quota_used_;
        }
    }
    last_sender_ = from; // shown: /reply answers it
    // Our own limit decides truncation, also when the socket's is larger (it is sized for the
    // largest peer so that it can send to every one). A room's datagrams are held to the
    // room's limit, the one its members agreed on.
    const auto limit = room ? room->limit.bytes() : self_.limit.bytes();
    const bool truncated = size > limit;
    if (payload.size() > limit)
        payload = payload.substr(0, limit);
    ++counters_.shown;
    if (truncated)
        ++counters_.truncated;

    if (settings_.format == chat_format::json) {
        std::string line =
            "{\"time\":\"" + format_utc(now) +
            "\",\"peer\":" + (sender ? "\"" + sender->name + "\"" : std::string("null")) +
            ",\"group\":" + (room ? "\"" + room->name + "\"" : std::string("null")) +
            ",\"address\":\"" + from.to_string() + "\",\"size\":" + std::to_string(size) +
            ",\"truncated\":" + (truncated ? "true" : "false");
        if (auto text = json_text(payload))
            line += ",\"text\":\"" + *text + "\"}";
        else
            line += ",\"hex\":\"" + to_hex(payload, std::string_view::npos, "") + "\"}";
        return line;
    }
    // Everything before the first ": " is ours; the sender's bytes only ever follow it.
    std::string line = "[";
    line += format_clock(now) + "] ";
    if (room != nullptr)
        line += "[" + room->name + "] ";
    line += sender ? sender->name : from.to_string() + " (unknown)";
    if (truncated)
        line += " (truncated: " + std::to_string(size) + " bytes, over our limit of " +
                std::to_string(limit) + ")";
    if (size == 0)
        return line + " (empty)";
    line += ": ";
    // Line-oriented senders (nc, `echo ... | nc -u`) end their message with a line end; it ends
    // our line anyway, so one is not shown as `\n`. JSON keeps the payload exact.
    if (!truncated && payload.size() > 1 && payload.back() == '\n') {
        payload.remove_suffix(1);
        if (payload.back() == '\r')
            payload.remove_suffix(1);
    }
    render_untrusted_to(line, payload);
    return line;
}

std::optional<std::string> chat_session::take_suppressed_notice() {
    if (suppressed_unreported_ == 0)
        return std::nullopt;
    const auto n = suppressed_unreported_;
    suppressed_unreported_ = 0;
    return std::to_string(n) + " message" + (n == 1 ? "" : "s") +
           " from unknown senders not shown (over " + std::to_string(settings_.unknown_per_second) +
           " a second); --known-only drops them all";
}

void chat_session::on_sent(const peer&, std::string_view error) {
    ++(error.empty() ? counters_.sent : counters_.not_sent);
}

void chat_session::on_sent(const group&, std::string_view error) {
    ++(error.empty() ? counters_.sent : counters_.not_sent);
}

std::string chat_session::on_unreachable(const ip_endpoint* destination, std::string_view error) {
    ++counters_.unreachable;
    const peer* p = destination ? directory_.find(*destination) : nullptr;
    if (p == nullptr)
        return "a message was not delivered: " + std::string(error);
    return p->name + " is not listening (a message to " + p->name +
           " was not delivered): " + std::string(error);
}

std::string chat_session::prompt() const {
    if (to_everyone_)
        return "[to all]> ";
    if (target_ != nullptr)
        return "[to " + target_->name + "]> ";
    if (target_group_ != nullptr)
        return "[to " + target_group_->name + "]> ";
    return "[/to PEER]> ";
}

std::vector<std::string> chat_session::who() const {
    // Peers and groups share the columns.
    std::size_t name_width = 0, address_width = 0;
    for (const auto& p : directory_.peers()) {
        name_width = std::max(name_width, p.name.size());
        address_width = std::max(address_width, p.address.to_string().size());
    }
    for (const auto& g : directory_.groups()) {
        name_width = std::max(name_width, g.name.size());
        address_width = std::max(address_width, group_address(g).size());
    }
    std::vector<std::string> lines{"peers in " + render_untrusted(directory_.source()) + ":"};
    for (const auto& p : directory_.peers()) {
        std::string line = "  " + p.name + std::string(name_width - p.name.size() + 2, ' ');
        const auto address = p.address.to_string();
        line += address + std::string(address_width - address.size() + 2, ' ');
        line += "max " + std::to_string(p.limit.bytes()) + " bytes";
        if (&p == &self_)
            line += "  (you)";
        if (&p == target_ || (to_everyone_ && &p != &self_))
            line += "  <- talking to";
        lines.push_back(std::move(line));
    }
    if (directory_.groups().empty())
        return lines;
    lines.push_back("groups in " + render_untrusted(directory_.source()) + ":");
    for (const auto& g : directory_.groups()) {
        std::string line = "  " + g.name + std::string(name_width - g.name.size() + 2, ' ');
        const auto address = group_address(g);
        line += address + std::string(address_width - address.size() + 2, ' ');
        line +=
            "max " + std::to_string(g.limit.bytes()) + " bytes  members " + joined_names(g.members);
        if (in_room(g))
            line += "  (in room)";
        else if (g.has_member(self_.name))
            line += "  (a member, not in room)";
        if (&g == target_group_)
            line += "  <- talking to";
        lines.push_back(std::move(line));
    }
    return lines;
}

std::vector<std::string> chat_session::help() {
    return {
        "commands:",
        "  /to PEER     talk to PEER from now on (/to alone: who is it now); /to ADDR too",
        "  /to GROUP    talk to the room GROUP (a group of the directory) from now on",
        "  /join GROUP  join the room GROUP: see what is sent to it",
        "  /leave GROUP leave the room GROUP",
        "  /reply       talk to whoever wrote last, also an unknown sender",
        "  /all TEXT    send TEXT to every peer; /all alone: talk to everyone from now on",
        "  /who         list the peers and groups, their addresses, limits and members",
        "  /help        this list",
        "  /quit        leave (so does Ctrl-D)",
        "  TEXT         send TEXT to the current peer (//TEXT sends /TEXT)",
    };
}

std::string chat_session::summary() const {
    const auto& c = counters_;
    return "received " + std::to_string(c.received) + ", shown " + std::to_string(c.shown) +
           ", dropped " + std::to_string(c.dropped_unknown + c.suppressed + c.own) +
           " (known-only " + std::to_string(c.dropped_unknown) + ", over display rate " +
           std::to_string(c.suppressed) + ", own " + std::to_string(c.own) + "), truncated " +
           std::to_string(c.truncated) + "; sent " + std::to_string(c.sent) + ", not sent " +
           std::to_string(c.not_sent) + ", unreachable " + std::to_string(c.unreachable) +
           ", rooms not joined " + std::to_string(c.not_joined);
}

} // namespace udpkit
