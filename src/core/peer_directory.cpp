#include "udpkit/peer_directory.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <toml++/toml.h>

#include "udpkit/files.hpp"
#include "udpkit/number.hpp"

#include "udpkit/render.hpp"

namespace udpkit {
namespace {

unexpected at(const toml::source_region& where, std::string_view source, std::string message) {
    return unexpected{error{std::move(message), std::string(source),
                            static_cast<int>(where.begin.line),
                            static_cast<int>(where.begin.column), 0}};
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

const char* type_name(toml::node_type type) {
    switch (type) {
    case toml::node_type::string:
        return "a string";
    case toml::node_type::boolean:
        return "a boolean";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::table:
        return "a table";
    default:
        return "a date or time";
    }
}

// Integers and floats (which TOML lets be nan or inf) get the same checks and messages as
// numbers on the command line; a float is accepted only when it is a whole number in range.
// `what` names the value in messages ("max_message", "ttl of group \"t\""), `example` shows it.
result<std::uint64_t> read_whole(const toml::node& node, const whole_rule& rule,
                                 const std::string& what, std::string_view example,
                                 std::string_view source) {
    result<std::uint64_t> value = fail("");
    if (const auto* integer = node.as_integer())
        value = check_whole(integer->get(), rule);
    else if (const auto* real = node.as_floating_point())
        value = check_whole(real->get(), rule);
    else
        return at(node.source(), source,
                  what + " is " + type_name(node.type()) + ", not a number; expected " +
                      std::string(rule.expected) + ", e.g. " + std::string(example));
    if (!value)
        return at(node.source(), source, what + " " + value.error().message);
    return value;
}

result<message_limit> read_limit(const toml::node& node, std::string_view source,
                                 ip_family family) {
    const auto max = max_payload(family);
    const std::string expected = "a whole number of bytes from 1 to " + std::to_string(max) +
                                 (family == ip_family::v6 ? " (IPv6)" : " (IPv4)");
    auto bytes = read_whole(node, whole_rule{1, max, {}, expected}, "max_message",
                            "max_message = 1472", source);
    if (!bytes)
        return unexpected{std::move(bytes).error()};
    return *message_limit::make(static_cast<long long>(*bytes), family);
}

// toml++ builds and walks its tree recursively, and bounds only nested arrays and inline tables
// (256 levels): a dotted key or table header of ~30,000 parts (60 KB) overflows the stack inside
// toml::parse. A directory needs two dots in a row at most (peers.NAME.address; a float or a time
// has one), so refuse more than this many before parsing. That bounds the tree to about
// (max_dots + 1) * (2 + 256) levels, which the stack holds.
constexpr int max_dots = 16;

// Skips the string starting at text[i] (a quote); returns the index of its last character, or
// of the end of the line (or text) when it is unterminated: toml++ then reports that error.
std::size_t skip_string(std::string_view text, std::size_t i) {
    const char quote = text[i];
    const bool basic = quote == '"';
    const std::string_view triple = basic ? "\"\"\"" : "'''";
    const bool multi = text.substr(i, 3) == triple;
    for (std::size_t j = i + (multi ? 3 : 1); j < text.size(); ++j) {
        // An escaped character cannot end the string; a backslash before a newline continues
        // a multi-line string, and that newline is still seen below.
        if (basic && text[j] == '\\' && j + 1 < text.size() && text[j + 1] != '\n') {
            ++j;
            continue;
        }
        if (text[j] == '\n') {
            if (!multi)
                return j - 1;
        } else if (text[j] == quote && (!multi || text.substr(j, 3) == triple)) {
            // A closing triple may be followed by up to two more quotes that belong to the value.
            if (!multi)
                return j;
            std::size_t end = j + 2;
            while (end + 1 < text.size() && text[end + 1] == quote && end < j + 4)
                ++end;
            return end;
        }
    }
    return text.size() - 1;
}

// toml++'s message, safe for a terminal: it quotes keys as they are (control characters,
// escape sequences and all), while escaping the characters it complains about itself. Plain
// ASCII is kept as is so that those escapes are not escaped twice.
std::string describe(const toml::parse_error& e) {
    constexpr std::size_t max_bytes = 256;
    const std::string_view text = e.description();
    const bool plain =
        text.size() <= max_bytes &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    return plain ? std::string(text) : render_excerpt(text, max_bytes);
}

bool is_key_start(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '"' ||
           c == '\'';
}

// The 1-based line and column of text[offset]. Columns count characters, as toml++'s do: UTF-8
// continuation bytes and a leading byte order mark are not counted.
std::pair<int, int> position_of(std::string_view text, std::size_t offset) {
    const std::string_view before = text.substr(0, offset);
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    std::size_t line_start = before.rfind('\n') + 1; // npos + 1 == 0
    if (line_start == 0 && before.substr(0, 3) == "\xef\xbb\xbf")
        line_start = 3;
    const auto column =
        1 + std::count_if(before.begin() + static_cast<std::ptrdiff_t>(line_start), before.end(),
                          [](char b) { return (static_cast<unsigned char>(b) & 0xc0) != 0x80; });
    return {static_cast<int>(line), static_cast<int>(column)};
}

// Checks, before toml++ sees the text, what toml++ 3.3 itself gets wrong:
// - invalid UTF-8 is reported at the wrong place;
// - a non-ASCII character outside strings and comments, or after a line-ending backslash in a
//   multi-line string, can reach __builtin_unreachable() in its Unicode whitespace test
//   (upstream issues #190, #295), and on invalid input its idea of "inside a string" differs
//   from any scanner's: a directory needs no non-ASCII text but comments, so refuse it elsewhere;
// - a run of more than max_dots dot-separated parts (outside strings and comments) overflows
//   its stack (see max_dots);
// - a table header that does not start with a key ("[&", "[[=") breaks an assertion in its
//   parser, undefined behaviour when built without assertions (upstream issues #294, #301).
result<void> pre_scan(std::string_view text, std::string_view source) {
    auto refuse = [&](std::size_t at, const std::string& message) -> result<void> {
        const auto [line, column] = position_of(text, at);
        return unexpected{error{message, std::string(source), line, column, 0}};
    };
    // toml++ reports invalid UTF-8 one character early, or at the end of the previous line.
    if (const auto valid = valid_utf8_prefix(text); valid < text.size())
        return refuse(valid, "invalid UTF-8 (byte " + render_untrusted(text.substr(valid, 1)) +
                                 "); a peer directory is UTF-8 text");

    const std::string non_ascii = "non-ASCII character; peer names and addresses are ASCII, "
                                  "other text may appear only in comments";
    bool line_blank = true; // nothing but spaces so far on this line
    int open = 0;           // brackets and braces open outside strings: inside a value if > 0
    int dots = 0;           // in the current run of parts
    for (std::size_t i = text.substr(0, 3) == "\xef\xbb\xbf" ? 3 : 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t')
            continue; // spaces keep the run of parts going: "a . b" is "a.b"
        if (static_cast<unsigned char>(c) >= 0x80)
            return refuse(i, non_ascii);
        const bool header = c == '[' && line_blank && open == 0;
        line_blank = false;
        if (c == '\n') {
            line_blank = true;
            dots = 0;
        } else if (c == '#') {
            const auto end = text.find('\n', i);
            if (end == std::string_view::npos)
                break;
            i = end - 1;
        } else if (c == '"' || c == '\'') {
            const auto end = skip_string(text, i); // a quoted part continues the run
            const auto string = text.substr(i, end - i + 1);
            const auto bad = std::find_if(string.begin(), string.end(), [](char b) {
                return static_cast<unsigned char>(b) >= 0x80;
            });
            if (bad != string.end())
                return refuse(i + static_cast<std::size_t>(bad - string.begin()), non_ascii);
            i = end;
        } else if (c == '.') {
            if (++dots > max_dots)
                return refuse(i, "more than " + std::to_string(max_dots) +
                                     " dots in one dotted key or value; a peer directory key "
                                     "has at most three parts, as in peers.NAME.address");
        } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                   c == '+') {
            // part of a bare key, a number or a date: the run goes on
        } else {
            dots = 0; // '=', brackets, braces, commas, colons...: the run is over
            if (header) {
                std::size_t k = i + 1;
                if (k < text.size() && text[k] == '[')
                    ++k;
                while (k < text.size() && (text[k] == ' ' || text[k] == '\t'))
                    ++k;
                if (k == text.size() || !is_key_start(text[k]))
                    return refuse(k, "a table header must start with a name, as in "
                                     "[peers.alice]");
            }
            if (c == '[' || c == '{')
                ++open;
            else if ((c == ']' || c == '}') && open > 0)
                --open;
        }
    }
    return {};
}

// The address index is keyed the way received datagrams are seen: from_sockaddr turns an
// IPv4-mapped IPv6 address into plain IPv4, so [::ffff:127.0.0.1]:9001 and 127.0.0.1:9001 are
// one peer address (both for lookups and for the duplicate check).
ip_endpoint index_key(const ip_endpoint& address) noexcept {
    return ip_endpoint::from_sockaddr(address.sockaddr_ptr()).value_or(address);
}

// Names are unique ignoring case, so `BOB` can only mean bob.
bool same_name(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// Peer and group names: the rules, and one namespace ignoring case.
class name_registry {
public:
    // Registers `key` as the name of a `kind` ("peer" or "group"), or says why it cannot be.
    result<void> add(const toml::key& key, std::string_view kind, std::string_view source) {
        const std::string name(key.str());
        if (!is_valid_peer_name(name))
            return at(key.source(), source,
                      "invalid " + std::string(kind) + " name " + quote_untrusted(name) +
                          "; names are 1-32 characters of A-Z, a-z, 0-9, '_' and '-'");
        auto [it, fresh] = by_folded_.emplace(lower(name), entry{&key, std::string(kind)});
        if (fresh)
            return {};
        // Point at whichever of the two comes later in the file.
        entry first = it->second;
        entry later{&key, std::string(kind)};
        if (first.key->source().begin > later.key->source().begin)
            std::swap(first, later);
        const std::string later_name(later.key->str());
        const std::string first_name(first.key->str());
        if (first.kind != later.kind)
            return at(later.key->source(), source,
                      later.kind + " name \"" + later_name + "\" is already the name of " +
                          first.kind + " \"" + first_name + "\" (line " +
                          std::to_string(first.key->source().begin.line) +
                          "); peers and groups share one namespace, ignoring case");
        return at(later.key->source(), source,
                  later.kind + " name \"" + later_name + "\" differs from \"" + first_name +
                      "\" only in case; names must be unique");
    }

private:
    struct entry {
        const toml::key* key;
        std::string kind;
    };
    std::unordered_map<std::string, entry> by_folded_;
};

result<bool> read_bool(const toml::node& node, std::string_view what, std::string_view example,
                       std::string_view source) {
    if (const auto* b = node.as_boolean())
        return b->get();
    return at(node.source(), source,
              std::string(what) + " is " + type_name(node.type()) + ", not a boolean; expected " +
                  std::string(example));
}

const char* const group_keys = "address, broadcast, members, ttl, interface, loop or max_message";

result<group> parse_group(const std::string& name, const toml::table& table,
                          const peer_directory& dir, std::string_view source) {
    const std::string of = " of group \"" + name + "\"";
    group g;
    g.name = name;
    g.limit = dir.default_limit();
    const toml::node* address_node = nullptr;
    const toml::node* members_node = nullptr;
    const toml::node* limit_node = nullptr;
    for (const auto& [field, value] : table) {
        if (field == "address") {
            address_node = &value;
        } else if (field == "members") {
            members_node = &value;
        } else if (field == "max_message") {
            limit_node = &value;
        } else if (field == "broadcast" || field == "loop") {
            auto on = read_bool(value, std::string(field.str()) + of,
                                std::string(field.str()) + " = true or false", source);
            if (!on)
                return unexpected{std::move(on).error()};
            (field == "loop" ? g.loop : g.broadcast) = *on;
        } else if (field == "ttl") {
            auto hops =
                read_whole(value, whole_rule{0, 255, {}, "a whole number of hops from 0 to 255"},
                           "ttl" + of, "ttl = 1", source);
            if (!hops)
                return unexpected{std::move(hops).error()};
            g.ttl = static_cast<int>(*hops);
        } else if (field == "interface") {
            const auto* text = value.as_string();
            if (text == nullptr || text->get().empty() || text->get().size() > 64 ||
                !std::all_of(text->get().begin(), text->get().end(),
                             [](char c) { return c > 0x20 && c < 0x7f; }))
                return at(value.source(), source,
                          "interface" + of +
                              " must be an interface name, index or address, e.g. "
                              "interface = \"eth0\" or \"10.0.0.1\"");
            g.interface = text->get();
        } else {
            return at(field.source(), source,
                      "unknown key " + quote_untrusted(field.str()) + " in group \"" + name +
                          "\"; expected " + group_keys);
        }
    }

    const std::string examples = "e.g. \"239.1.2.3:9100\" or \"[ff15::77]:9100\"";
    if (address_node == nullptr)
        return at(table.source(), source,
                  "group \"" + name + "\" has no address; add one, " + examples);
    const auto* address_text = address_node->as_string();
    if (address_text == nullptr)
        return at(address_node->source(), source,
                  "address" + of + " must be a string, " + examples);
    auto address = ip_endpoint::parse(address_text->get());
    if (!address)
        return at(address_node->source(), source, "address" + of + ": " + address.error().message);
    if (address->port() == 0)
        return at(address_node->source(), source,
                  "address" + of + " has port 0; a group needs a port 1-65535");
    const std::string shown = address->to_string();
    if (g.broadcast) {
        if (address->is_multicast())
            return at(address_node->source(), source,
                      "address " + shown + of +
                          " is a multicast group, not a broadcast address; remove "
                          "broadcast = true");
        if (address->family() == ip_family::v6)
            return at(address_node->source(), source,
                      "address " + shown + of +
                          ": IPv6 has no broadcast; use a multicast group such as "
                          "\"[ff02::1]:" +
                          std::to_string(address->port()) + "\" (all nodes)");
        if (address->is_unspecified())
            return at(address_node->source(), source,
                      "address " + shown + of +
                          " is a wildcard, not a broadcast address; give the subnet's, e.g. "
                          "\"192.168.1.255:" +
                          std::to_string(address->port()) + "\"");
    } else if (!address->is_multicast()) {
        return at(address_node->source(), source,
                  "address " + shown + of +
                      " is not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8), " + examples +
                      "; for a broadcast address add broadcast = true");
    }
    g.address = *address;

    if (limit_node != nullptr) {
        auto limit = read_limit(*limit_node, source, address->family());
        if (!limit)
            return unexpected{std::move(limit).error()};
        g.limit = *limit;
    }

    if (members_node == nullptr) {
        for (const auto& p : dir.peers())
            if (p.address.family() == address->family())
                g.members.push_back(p.name);
        return g;
    }
    const auto* members = members_node->as_array();
    if (members == nullptr)
        return at(members_node->source(), source,
                  "members" + of +
                      " must be a list of peer names, e.g. members = [\"alice\", "
                      "\"bob\"]");
    if (members->empty())
        return at(members_node->source(), source,
                  "members" + of +
                      " is empty; list at least one peer, or leave members out for "
                      "every peer");
    for (const auto& element : *members) {
        const auto* member = element.as_string();
        if (member == nullptr)
            return at(element.source(), source,
                      "members" + of + " holds " + type_name(element.type()) +
                          "; each member is a peer name in quotes");
        const peer* p = dir.find(member->get());
        if (p == nullptr)
            return at(element.source(), source,
                      "unknown member " + quote_untrusted(member->get()) + of +
                          "; known peers: " + dir.names());
        if (std::find(g.members.begin(), g.members.end(), p->name) != g.members.end())
            return at(element.source(), source,
                      "peer \"" + p->name + "\" is listed twice in members" + of);
        if (p->address.family() != address->family())
            return at(element.source(), source,
                      "member \"" + p->name + "\"" + of + " has the " +
                          (p->address.family() == ip_family::v6 ? "IPv6" : "IPv4") + " address " +
                          p->address.to_string() + ", but the group's " + shown + " is " +
                          (address->family() == ip_family::v6 ? "IPv6" : "IPv4") +
                          "; members send from their own address, so the families must match");
        g.members.push_back(p->name);
    }
    std::sort(g.members.begin(), g.members.end());
    return g;
}

result<std::vector<group>> parse_groups(const toml::table& groups, const peer_directory& dir,
                                        name_registry& names_folded, std::string_view source) {
    std::vector<group> out;
    for (const auto& [key, node] : groups) {
        if (auto named = names_folded.add(key, "group", source); !named)
            return unexpected{std::move(named).error()};
        const std::string name(key.str());
        const auto* table = node.as_table();
        if (table == nullptr)
            return at(node.source(), source,
                      "group \"" + name + "\" must be a table, e.g. [groups." + name +
                          "] with address = \"239.1.2.3:9100\"");
        auto g = parse_group(name, *table, dir, source);
        if (!g)
            return unexpected{std::move(g).error()};
        const auto first = std::find_if(out.begin(), out.end(),
                                        [&](const group& o) { return o.address == g->address; });
        if (first != out.end()) // groups are few: a linear search is the clearest
            return at(table->get("address")->source(), source,
                      "address " + g->address.to_string() + " of group \"" + name +
                          "\" is already used by group \"" + first->name +
                          "\"; each group needs its own address and port");
        if (const peer* owner = dir.find(g->address)) // only a broadcast address can clash
            return at(table->get("address")->source(), source,
                      "address " + g->address.to_string() + " of group \"" + name +
                          "\" is peer \"" + owner->name +
                          "\"'s address; a group needs an address of its own, or datagrams "
                          "from it could not be told apart");
        out.push_back(std::move(*g));
    }
    return out;
}

} // namespace

bool is_valid_peer_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 32)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

result<peer_directory> peer_directory::load(const std::string& path) {
    auto text = read_file_bounded(path, max_file_bytes, "peer directory");
    if (!text)
        return unexpected{std::move(text).error()};
    return parse(*text, path);
}

result<peer_directory> peer_directory::parse(std::string_view text, std::string_view source) {
    if (auto scanned = pre_scan(text, source); !scanned)
        return unexpected{std::move(scanned).error()};
    toml::table root;
    // toml++ as packaged by Debian reports syntax errors by exception; this is the one place
    // that turns them into an error value.
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        return at(e.source(), source, describe(e));
    }

    peer_directory dir;
    dir.source_ = std::string(source);
    const toml::table* peers = nullptr;
    const toml::table* groups = nullptr;
    for (const auto& [key, node] : root) {
        if (key == "max_message") {
            auto limit = read_limit(node, source, ip_family::v4);
            if (!limit)
                return unexpected{std::move(limit).error()};
            dir.default_limit_ = *limit;
        } else if (key == "peers") {
            peers = node.as_table();
            if (peers == nullptr)
                return at(node.source(), source, "peers must be a table of [peers.NAME] sections");
        } else if (key == "groups") {
            groups = node.as_table();
            if (groups == nullptr)
                return at(node.source(), source,
                          "groups must be a table of [groups.NAME] sections");
        } else {
            return at(key.source(), source,
                      "unknown key " + quote_untrusted(key.str()) +
                          "; expected max_message, [peers.NAME] or [groups.NAME]");
        }
    }
    if (peers == nullptr || peers->empty())
        return at(toml::source_region{{1, 1}, {1, 1}, {}}, source,
                  "the directory defines no peers; add a [peers.NAME] section with an address");

    name_registry names_folded;
    std::vector<toml::source_region> address_positions; // parallel to peers_
    for (const auto& [key, node] : *peers) {
        const std::string name(key.str());
        if (auto named = names_folded.add(key, "peer", source); !named)
            return unexpected{std::move(named).error()};
        const auto* table = node.as_table();
        if (table == nullptr)
            return at(node.source(), source,
                      "peer \"" + name + "\" must be a table, e.g. [peers." + name +
                          "] with address = \"127.0.0.1:9001\"");

        const toml::node* address_node = nullptr;
        const toml::node* limit_node = nullptr;
        for (const auto& [field, value] : *table) {
            if (field == "address")
                address_node = &value;
            else if (field == "max_message")
                limit_node = &value;
            else
                return at(field.source(), source,
                          "unknown key " + quote_untrusted(field.str()) + " in peer \"" + name +
                              "\"; expected address or max_message");
        }
        if (address_node == nullptr)
            return at(table->source(), source,
                      "peer \"" + name + "\" has no address; add address = \"IP:PORT\"");
        const auto* address_text = address_node->as_string();
        if (address_text == nullptr)
            return at(address_node->source(), source,
                      "address of peer \"" + name +
                          "\" must be a string such as \"127.0.0.1:9001\" or \"[::1]:9001\"");
        auto address = ip_endpoint::parse(address_text->get());
        if (!address)
            return at(address_node->source(), source,
                      "address of peer \"" + name + "\": " + address.error().message);
        if (address->port() == 0)
            return at(address_node->source(), source,
                      "address of peer \"" + name + "\" has port 0; a peer needs a port 1-65535");
        if (address->is_multicast() || address->is_limited_broadcast())
            return at(address_node->source(), source,
                      "address " + address->to_string() + " of peer \"" + name + "\" is a " +
                          (address->is_multicast() ? "multicast group" : "broadcast address") +
                          ", not one host; name it in a [groups.NAME] section instead");
        if (address->is_unspecified())
            return at(address_node->source(), source,
                      "address " + address->to_string() + " of peer \"" + name +
                          "\" is a wildcard: no datagram can come from it, so nothing could be "
                          "sent to or labelled as this peer; give the address others reach it "
                          "at, e.g. \"127.0.0.1:" +
                          std::to_string(address->port()) +
                          "\" (udp-chat --bind and udp-echo --bind take a wildcard)");

        peer p{name, *address, dir.default_limit_};
        if (limit_node != nullptr) {
            auto limit = read_limit(*limit_node, source, address->family());
            if (!limit)
                return unexpected{std::move(limit).error()};
            p.limit = *limit;
        }
        const auto index = dir.peers_.size();
        if (auto [it, fresh] = dir.by_address_.emplace(index_key(p.address), index); !fresh) {
            std::string first = dir.peers_[it->second].name;
            std::string later = name;
            toml::source_region where = address_node->source();
            if (address_positions[it->second].begin > where.begin) {
                std::swap(first, later);
                where = address_positions[it->second];
            }
            return at(where, source,
                      "address " + p.address.to_string() + " of peer \"" + later +
                          "\" is already used by peer \"" + first +
                          "\"; each peer needs its own address");
        }
        address_positions.push_back(address_node->source());
        dir.peers_.push_back(std::move(p));
    }
    if (groups != nullptr) {
        auto parsed = parse_groups(*groups, dir, names_folded, source);
        if (!parsed)
            return unexpected{std::move(parsed).error()};
        dir.groups_ = std::move(*parsed);
    }
    return dir;
}

const peer* peer_directory::find(std::string_view name) const noexcept {
    for (const auto& p : peers_)
        if (same_name(p.name, name))
            return &p;
    return nullptr;
}

const peer* peer_directory::find(const ip_endpoint& address) const noexcept {
    auto it = by_address_.find(index_key(address));
    return it == by_address_.end() ? nullptr : &peers_[it->second];
}

std::string peer_directory::names() const {
    std::string out;
    for (const auto& p : peers_) {
        if (!out.empty())
            out += ", ";
        out += p.name;
    }
    return out;
}

result<const peer*> peer_directory::require(std::string_view name) const {
    if (const peer* p = find(name))
        return p;
    return fail("no peer named \"" + std::string(name) + "\" in " + source_ +
                "; known peers: " + names());
}

} // namespace udpkit

namespace udpkit {

bool group::has_member(std::string_view peer_name) const noexcept {
    return std::any_of(members.begin(), members.end(),
                       [&](const std::string& m) { return same_name(m, peer_name); });
}

const group* peer_directory::find_group(std::string_view name) const noexcept {
    for (const auto& g : groups_)
        if (same_name(g.name, name))
            return &g;
    return nullptr;
}

const group* peer_directory::find_group(const ip_endpoint& address) const noexcept {
    for (const auto& g : groups_)
        if (g.address == address)
            return &g;
    return nullptr;
}

std::vector<const group*> peer_directory::groups_of(std::string_view peer_name) const {
    std::vector<const group*> out;
    for (const auto& g : groups_)
        if (g.has_member(peer_name))
            out.push_back(&g);
    return out;
}

std::string peer_directory::group_names() const {
    std::string out;
    for (const auto& g : groups_)
        out += (out.empty() ? "" : ", ") + g.name;
    return out.empty() ? "none" : out;
}

} // namespace udpkit
