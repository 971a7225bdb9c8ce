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
result<message_limit> read_limit(const toml::node& node, std::string_view source,
                                 ip_family family) {
    const auto max = max_payload(family);
    const std::string expected = "a whole number of bytes from 1 to " + std::to_string(max) +
                                 (family == ip_family::v6 ? " (IPv6)" : " (IPv4)");
    const whole_rule rule{1, max, {}, expected};
    result<std::uint64_t> bytes = fail("");
    if (const auto* integer = node.as_integer())
        bytes = check_whole(integer->get(), rule);
    else if (const auto* real = node.as_floating_point())
        bytes = check_whole(real->get(), rule);
    else
        return at(node.source(), source,
                  std::string("max_message is ") + type_name(node.type()) +
                      ", not a number; expected " + expected + ", e.g. max_message = 1472");
    if (!bytes)
        return at(node.source(), source, "max_message " + bytes.error().message);
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
        } else {
            return at(key.source(), source,
                      "unknown key " + quote_untrusted(key.str()) +
                          "; expected max_message or [peers.NAME]");
        }
    }
    if (peers == nullptr || peers->empty())
        return at(toml::source_region{{1, 1}, {1, 1}, {}}, source,
                  "the directory defines no peers; add a [peers.NAME] section with an address");

    std::unordered_map<std::string, const toml::key*> names_folded; // by lower-case name
    std::vector<toml::source_region> address_positions;             // parallel to peers_
    for (const auto& [key, node] : *peers) {
        const std::string name(key.str());
        if (!is_valid_peer_name(name))
            return at(key.source(), source,
                      "invalid peer name " + quote_untrusted(name) +
                          "; names are 1-32 characters of A-Z, a-z, 0-9, '_' and '-'");
        if (auto [it, fresh] = names_folded.emplace(lower(name), &key); !fresh) {
            // Point at whichever of the two comes later in the file.
            const toml::key* first = it->second;
            const toml::key* later = &key;
            if (first->source().begin > later->source().begin)
                std::swap(first, later);
            return at(later->source(), source,
                      "peer name \"" + std::string(later->str()) + "\" differs from \"" +
                          std::string(first->str()) + "\" only in case; names must be unique");
        }
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
    return dir;
}

const peer* peer_directory::find(std::string_view name) const noexcept {
    // Names are unique ignoring case, so `BOB` can only mean bob.
    auto same = [&](const std::string& n) {
        return std::equal(n.begin(), n.end(), name.begin(), name.end(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
        });
    };
    for (const auto& p : peers_)
        if (same(p.name))
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
