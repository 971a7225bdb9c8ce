// The script parser: lines -> tokens -> commands, with FILE:LINE:COL on every error.
#include "udpkit/script.hpp"

#include "udpkit/files.hpp"
#include "udpkit/render.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <re2/re2.h>

#include "udpkit/hex.hpp"
#include "udpkit/number.hpp"

namespace udpkit::script {
namespace {

enum class token_kind { word, string };

struct token {
    token_kind kind = token_kind::word;
    std::string text;           // decoded (strings) or as written (words)
    int column = 0;             // of the first character (the quote for strings)
    int end_column = 0;         // one past the last character: where the line ends after it
    std::vector<int> columns;   // source column of each byte of `text`
    std::size_t first_byte = 0; // offsets in the line of the first character and one past the last
    std::size_t end_byte = 0;
};

// The IP family of a target known before resolving: a directory peer's or an IP literal's;
// nullopt for a host name.
std::optional<ip_family> known_family(const target_spec& t) {
    if (t.peer != nullptr)
        return t.peer->address.family();
    if (t.group != nullptr)
        return t.group->address.family();
    if (auto literal = ip_endpoint::from_host_port(*t.address))
        return literal->family();
    return std::nullopt;
}

const char* family_name(ip_family f) {
    return f == ip_family::v4 ? "IPv4" : "IPv6";
}

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

class parser {
public:
    explicit parser(const parse_context& context)
        : context_(context), timeout_ns_(context.default_timeout_ns) {
        program_.source = context.source;
        program_.counters.push_back({"seq", 0, true});
    }

    result<program> run(std::string_view text);

private:
    unexpected at(int column, std::string message) const {
        return unexpected{error{std::move(message), context_.source, line_no_, column, 0}};
    }
    unexpected at(const token& t, std::string message) const {
        return at(t.column, std::move(message));
    }

    result<std::vector<token>> tokenize(std::string_view line);
    result<void> parse_line(std::vector<token> tokens);
    result<void> parse_target(const std::vector<token>& t, command& c);
    result<void> parse_send(const std::vector<token>& t, command& c);
    result<void> parse_expect(const std::vector<token>& t, command& c);
    result<void> parse_counter(const std::vector<token>& t);
    // `from X` of an expect: X's index in program::targets.
    result<std::size_t> parse_from(const token& from_word, result<const token*> operand);

    // Argument `i` of the command, or an error placed after the line's last token.
    result<const token*> argument(const std::vector<token>& t, std::size_t i,
                                  std::string_view what) const;
    result<void> no_more(const std::vector<token>& t, std::size_t i) const;
    result<std::uint64_t> number(const token& t, std::uint64_t max, std::string_view what) const;
    result<std::uint64_t> duration(const token& t) const;
    result<std::string> hex(const token& t) const;
    result<text_template> text(const token& t);
    result<std::size_t> current_target(const token& command_word) const;
    result<void> check_size(const token& payload, std::size_t bytes) const;
    result<void> check_family(const target_spec& t, int column);
    result<void> check_broadcast(const target_spec& t, int column) const;
    // The index of `spec` in program::targets, added if no target has its text.
    std::size_t add_target(target_spec spec);

    const parse_context& context_;
    program program_;
    int line_no_ = 0;
    std::string_view line_text_;
    std::uint64_t timeout_ns_;
    std::optional<std::size_t> target_; // the target in effect at this line (first iteration)
    // The first target whose family is known, and its line (0: the command line's TARGET).
    struct first_family {
        ip_family family;
        std::string text;
        int line;
    };
    std::optional<first_family> family_;
    std::vector<command> open_; // repeat blocks not yet closed, innermost last
};

result<std::vector<token>> parser::tokenize(std::string_view line) {
    std::vector<token> tokens;
    std::size_t i = 0;
    // Columns count characters, as the directory's do: UTF-8 continuation bytes are not counted.
    std::vector<int> columns(line.size() + 1, 1);
    for (std::size_t k = 0; k < line.size(); ++k)
        columns[k + 1] = columns[k] + ((static_cast<unsigned char>(line[k]) & 0xc0) != 0x80);
    auto col = [&](std::size_t index) { return columns[index]; };
    while (i < line.size()) {
        if (is_space(line[i])) {
            ++i;
            continue;
        }
        if (line[i] == '#')
            break;
        token t;
        t.column = col(i);
        t.first_byte = i;
        if (line[i] != '"') {
            t.kind = token_kind::word;
            while (i < line.size() && !is_space(line[i]) && line[i] != '"') {
                t.columns.push_back(col(i));
                t.text += line[i++];
            }
            t.end_column = col(i);
            t.end_byte = i;
            tokens.push_back(std::move(t));
            continue;
        }
        t.kind = token_kind::string;
        ++i;
        for (;;) {
            if (i >= line.size())
                return at(t.column, "unterminated string: add a closing \"");
            const char c = line[i];
            if (c == '"') {
                ++i;
                break;
            }
            const int here = col(i);
            if (c != '\\') {
                t.text += c;
                t.columns.push_back(here);
                ++i;
                continue;
            }
            if (i + 1 >= line.size())
                return at(t.column, "unterminated string: add a closing \"");
            auto decoded = decode_escape(line.substr(i));
            if (!decoded)
                return at(here, decoded.error().message);
            t.text += decoded->first;
            t.columns.push_back(here);
            i += decoded->second;
        }
        t.end_column = col(i);
        t.end_byte = i;
        if (i < line.size() && !is_space(line[i]) && line[i] != '#')
            return at(col(i), "expected a space after the string");
        tokens.push_back(std::move(t));
    }
    return tokens;
}

result<const token*> parser::argument(const std::vector<token>& t, std::size_t i,
                                      std::string_view what) const {
    if (i < t.size())
        return &t[i];
    return at(t.back().end_column,
              "missing " + std::string(what) + " after " + quote_untrusted(t[0].text));
}

result<void> parser::no_more(const std::vector<token>& t, std::size_t i) const {
    if (i < t.size())
        return at(t[i], "unexpected " + quote_untrusted(t[i].text) + " at the end of " +
                            quote_untrusted(t[0].text) +
                            "; see the script language in udp-send --help");
    return {};
}

result<std::uint64_t> parser::number(const token& t, std::uint64_t max,
                                     std::string_view what) const {
    const whole_rule rule{0, max};
    if (t.kind != token_kind::word)
        return at(t, std::string(what) + " " + quote_untrusted(t.text) +
                         " is a quoted string; expected " + describe(rule));
    auto value = parse_whole(t.text, rule);
    if (!value)
        return at(t, std::string(what) + " " + value.error().message);
    return value;
}

result<std::uint64_t> parser::duration(const token& t) const {
    static constexpr std::string_view expected =
        "a whole number with a unit us, ms or s, at most 3600s, e.g. 500ms";
    const std::string& s = t.text;
    if (t.kind != token_kind::word)
        return at(t, "bad duration " + quote_untrusted(s) + ": a quoted string; expected " +
                         std::string(expected));
    // "ms" and "us" before "s", which ends them too.
    std::uint64_t scale = 0;
    std::string_view amount = s;
    for (const auto& [unit, ns] : {std::pair<std::string_view, std::uint64_t>{"us", 1'000},
                                   {"ms", 1'000'000},
                                   {"s", 1'000'000'000}})
        if (amount.ends_with(unit)) {
            amount.remove_suffix(unit.size());
            scale = ns;
            break;
        }
    const whole_rule rule{0, scale == 0 ? max_duration_ns : max_duration_ns / scale, {}, expected};
    auto value = parse_whole(amount, rule, quote_untrusted(s));
    if (!value)
        return at(t, "duration " + value.error().message);
    if (scale == 0)
        return at(t, "bad duration " + quote_untrusted(s) + ": no unit; expected " +
                         std::string(expected));
    return *value * scale;
}

result<std::string> parser::hex(const token& t) const {
    auto bytes = parse_hex(t.text);
    if (!bytes)
        return at(t.columns[static_cast<std::size_t>(bytes.error().column - 1)],
                  bytes.error().message);
    return bytes;
}

result<text_template> parser::text(const token& t) {
    if (t.kind != token_kind::string)
        return at(t, "expected a quoted string, found " + quote_untrusted(t.text));
    text_template out;
    const std::string& s = t.text;
    auto literal = [&]() -> std::string& {
        if (out.empty() || out.back().counter >= 0)
            out.push_back({});
        return out.back().literal;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '$' || i + 1 >= s.size() || (s[i + 1] != '{' && s[i + 1] != '$')) {
            literal() += s[i];
            continue;
        }
        if (s[i + 1] == '$') { // `$$` is a literal `$`
            literal() += '$';
            ++i;
            continue;
        }
        const auto close = s.find('}', i + 2);
        if (close == std::string::npos)
            return at(t.columns[i], "unterminated variable: write ${NAME}, or $$ for a $");
        const std::string name = s.substr(i + 2, close - i - 2);
        auto it = std::find_if(program_.counters.begin(), program_.counters.end(),
                               [&](const counter& c) { return c.name == name; });
        if (it == program_.counters.end()) {
            std::string known;
            for (const auto& c : program_.counters)
                known += (known.empty() ? "" : ", ") + c.name;
            return at(t.columns[i], "unknown variable ${" + render_excerpt(name) +
                                        "}; known: " + known + " (declare one with: counter NAME)");
        }
        out.push_back({{}, static_cast<int>(it - program_.counters.begin())});
        i = close;
    }
    return out;
}

result<std::size_t> parser::current_target(const token& command_word) const {
    if (!target_)
        return at(command_word, "no target for " + quote_untrusted(command_word.text) +
                                    ": add a line `target PEER|ADDR` above it, or give TARGET "
                                    "on the command line");
    return *target_;
}

result<void> parser::check_size(const token& payload, std::size_t bytes) const {
    const target_spec& t = program_.targets[*target_];
    if (auto fits = t.limit.check(bytes); !fits)
        return at(payload, "payload for " + render_excerpt(t.text) + ": " + fits.error().message);
    return {};
}

result<void> parser::check_family(const target_spec& t, int column) {
    const auto family = known_family(t);
    if (!family)
        return {};
    if (!family_) {
        family_ = first_family{*family, t.text, line_no_};
        return {};
    }
    if (*family == family_->family)
        return {};
    return at(column, "target " + render_excerpt(t.text) + " is " + family_name(*family) +
                          " but target " + render_excerpt(family_->text) +
                          (family_->line == 0 ? std::string(" (the command line's TARGET)")
                                              : " (line " + std::to_string(family_->line) + ")") +
                          " is " + family_name(family_->family) +
                          ": different IP families; a script sends from one socket, of one "
                          "family");
}

result<void> parser::check_broadcast(const target_spec& t, int column) const {
    if (context_.broadcast)
        return {};
    const bool directory_broadcast = t.group != nullptr && t.group->broadcast;
    bool limited = false;
    if (t.address)
        if (auto literal = ip_endpoint::from_host_port(*t.address))
            limited = literal->is_limited_broadcast();
    if (!directory_broadcast && !limited)
        return {};
    return at(column, "target " + render_excerpt(t.text) + " is a broadcast address" +
                          (directory_broadcast ? " (broadcast = true in the directory)" : "") +
                          ": add --broadcast to the command line to send to every host of "
                          "the subnet");
}

std::size_t parser::add_target(target_spec spec) {
    auto same = [&](const target_spec& s) { return s.text == spec.text; };
    auto it = std::find_if(program_.targets.begin(), program_.targets.end(), same);
    const auto index = static_cast<std::size_t>(it - program_.targets.begin());
    if (it == program_.targets.end()) {
        spec.is_group = is_group_target(spec, context_.broadcast);
        program_.targets.push_back(std::move(spec));
    }
    return index;
}

result<void> parser::parse_target(const std::vector<token>& t, command& c) {
    auto arg = argument(t, 1, "a peer name, a group name or an address");
    if (!arg)
        return unexpected{std::move(arg).error()};
    auto spec = make_target((*arg)->text, context_.directory, context_.max_message);
    if (!spec)
        return at(**arg, spec.error().message);
    if (auto done = no_more(t, 2); !done)
        return done;
    if (auto same_family = check_family(*spec, (*arg)->column); !same_family)
        return same_family;
    if (auto allowed = check_broadcast(*spec, (*arg)->column); !allowed)
        return allowed;
    c.target = add_target(std::move(spec).value());
    target_ = c.target;
    return {};
}

result<void> parser::parse_send(const std::vector<token>& t, command& c) {
    auto where = current_target(t[0]);
    if (!where)
        return unexpected{std::move(where).error()};
    auto arg = argument(t, 1, "a quoted string, hex HEX or file PATH");
    if (!arg)
        return unexpected{std::move(arg).error()};
    const token& first = **arg;
    std::size_t next = 2;
    if (first.kind == token_kind::string) {
        auto payload = text(first);
        if (!payload)
            return unexpected{std::move(payload).error()};
        c.payload = std::move(payload).value();
        std::size_t literal_bytes = 0; // counters only add digits
        for (const auto& part : c.payload)
            literal_bytes += part.literal.size();
        if (auto fits = check_size(first, literal_bytes); !fits)
            return fits;
    } else if (first.text == "hex" || first.text == "file") {
        auto value = argument(t, 2, first.text == "hex" ? "hex bytes" : "a file path");
        if (!value)
            return unexpected{std::move(value).error()};
        next = 3;
        result<std::string> bytes = std::string();
        if (first.text == "hex")
            bytes = hex(**value); // its errors point at the bad digit
        else if (!context_.read_file)
            return at(**value, "send file is not available here");
        else if (bytes = context_.read_file((*value)->text); !bytes)
            return at(**value, bytes.error().message);
        if (!bytes)
            return unexpected{std::move(bytes).error()};
        if (auto fits = check_size(**value, bytes->size()); !fits)
            return fits;
        c.bytes = std::move(bytes).value();
    } else {
        return at(first, "send needs a quoted string, hex HEX or file PATH, not " +
                             quote_untrusted(first.text));
    }
    return no_more(t, next);
}

result<void> parser::parse_expect(const std::vector<token>& t, command& c) {
    auto where = current_target(t[0]);
    if (!where)
        return unexpected{std::move(where).error()};
    auto arg = argument(t, 1, "what to expect (\"text\", prefix, regex, hex, size, echo or none)");
    if (!arg)
        return unexpected{std::move(arg).error()};
    const token& kind = **arg;
    matcher& m = c.match;
    std::size_t next = 2;
    auto operand = [&](std::string_view what) -> result<const token*> {
        auto op = argument(t, next, what);
        if (op)
            ++next;
        return op;
    };
    // An optional `mask` / `within` clause.
    auto keyword = [&](std::string_view word) {
        const bool found =
            next < t.size() && t[next].kind == token_kind::word && t[next].text == word;
        next += found;
        return found;
    };
    auto hex_operand = [&](std::string_view what) -> result<std::string> {
        auto op = operand(what);
        if (!op)
            return unexpected{std::move(op).error()};
        return hex(**op);
    };
    if (kind.kind == token_kind::string || kind.text == "text" || kind.text == "prefix") {
        m.kind = kind.text == "prefix" && kind.kind == token_kind::word ? match_kind::prefix
                                                                        : match_kind::text;
        const token* s = &kind;
        if (kind.kind == token_kind::word) {
            auto op = operand("a quoted string");
            if (!op)
                return unexpected{std::move(op).error()};
            s = *op;
        }
        auto tmpl = text(*s);
        if (!tmpl)
            return unexpected{std::move(tmpl).error()};
        m.text = std::move(tmpl).value();
    } else if (kind.text == "regex") {
        auto op = operand("a quoted regular expression");
        if (!op)
            return unexpected{std::move(op).error()};
        if ((*op)->kind != token_kind::string)
            return at(**op, "expected a quoted regular expression, found " +
                                quote_untrusted((*op)->text));
        RE2::Options options;
        options.set_log_errors(false);
        auto re = std::make_shared<const RE2>((*op)->text, options);
        if (!re->ok())
            return at(**op, "invalid regular expression: " + render_excerpt(re->error(), 200));
        m.kind = match_kind::regex;
        m.regex = std::move(re);
    } else if (kind.text == "hex") {
        auto bytes = hex_operand("hex bytes");
        if (!bytes)
            return unexpected{std::move(bytes).error()};
        m.kind = match_kind::hex;
        m.bytes = std::move(bytes).value();
        m.mask.assign(m.bytes.size(), '\xff');
        if (keyword("mask")) {
            auto mask = hex_operand("mask bytes in hex");
            if (!mask)
                return unexpected{std::move(mask).error()};
            if (mask->size() != m.bytes.size())
                return at(t[next - 1], "mask has " + std::to_string(mask->size()) +
                                           " bytes but the expected value has " +
                                           std::to_string(m.bytes.size()) +
                                           "; give one mask byte per byte");
            m.mask = std::move(mask).value();
        }
    } else if (kind.text == "size") {
        auto op = operand("a size N or a range N..M");
        if (!op)
            return unexpected{std::move(op).error()};
        const std::string& s = (*op)->text;
        const auto dots = s.find("..");
        token low = **op, high = **op;
        if (dots != std::string::npos) {
            low.text = s.substr(0, dots);
            high.text = s.substr(dots + 2);
            high.column = dots + 2 < s.size() ? (*op)->columns[dots + 2] : (*op)->end_column;
        }
        auto min = number(low, max_payload_ipv6, "size");
        if (!min)
            return unexpected{std::move(min).error()};
        auto max = number(high, max_payload_ipv6, "size");
        if (!max)
            return unexpected{std::move(max).error()};
        if (*max < *min)
            return at(**op, "size range " + render_excerpt(s) +
                                " is empty: the first number must not exceed "
                                "the second");
        m.kind = match_kind::size;
        m.min_size = *min;
        m.max_size = *max;
    } else if (kind.text == "echo") {
        m.kind = match_kind::echo;
    } else if (kind.text == "none") {
        m.kind = match_kind::none;
    } else {
        return at(kind, "unknown expectation " + quote_untrusted(kind.text) +
                            "; expected a quoted string, text, prefix, regex, hex, size, echo or "
                            "none");
    }
    c.duration_ns = timeout_ns_;
    // `within DURATION` and `from PEER|ADDR`, each at most once, in either order.
    bool within_seen = false;
    for (;;) {
        if (!within_seen && keyword("within")) {
            within_seen = true;
            auto d = operand("a duration, e.g. 500ms");
            if (!d)
                return unexpected{std::move(d).error()};
            auto ns = duration(**d);
            if (!ns)
                return unexpected{std::move(ns).error()};
            if (*ns == 0)
                return at(**d, "an expect needs a timeout above 0");
            c.duration_ns = *ns;
        } else if (!m.from && keyword("from")) {
            const token& from_word = t[next - 1];
            if (auto chosen = parse_from(from_word, operand("a peer name or an address")); !chosen)
                return unexpected{std::move(chosen).error()};
            else
                m.from = *chosen;
        } else {
            break;
        }
    }
    ++program_.expectations;
    return no_more(t, next);
}

result<std::size_t> parser::parse_from(const token& from_word, result<const token*> operand) {
    const target_spec& to = program_.targets[*target_];
    if (!to.is_group)
        return at(from_word, "`from` picks one member's reply after a send to a group, but " +
                                 render_excerpt(to.text) +
                                 " is a single host (a group is a directory group, a multicast "
                                 "address, or a broadcast address with --broadcast)");
    if (!operand)
        return unexpected{std::move(operand).error()};
    const token& who = **operand;
    auto spec = make_target(who.text, context_.directory, context_.max_message);
    if (!spec)
        return at(who, spec.error().message);
    if (spec->group != nullptr || is_group_target(*spec, false))
        return at(who, "`from` names one member, a peer or an address; " +
                           render_excerpt(who.text) + " is a group");
    if (auto same_family = check_family(*spec, who.column); !same_family)
        return unexpected{std::move(same_family).error()};
    return add_target(std::move(spec).value());
}

result<void> parser::parse_counter(const std::vector<token>& t) {
    auto name = argument(t, 1, "a counter name");
    if (!name)
        return unexpected{std::move(name).error()};
    const std::string& n = (*name)->text;
    const bool valid = (*name)->kind == token_kind::word && !n.empty() && n.size() <= 32 &&
                       !std::isdigit(static_cast<unsigned char>(n[0])) &&
                       std::all_of(n.begin(), n.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
                       });
    if (!valid)
        return at(**name, "bad counter name " + quote_untrusted(n) +
                              ": expected 1-32 letters, digits or _, not starting with a digit");
    for (const auto& c : program_.counters)
        if (c.name == n)
            return at(**name, "counter " + n + " is already declared");
    std::uint64_t start = 0;
    if (t.size() > 2) {
        auto value = number(t[2], std::uint64_t{1} << 62, "counter start");
        if (!value)
            return unexpected{std::move(value).error()};
        start = *value;
    }
    program_.counters.push_back({n, start, false});
    return no_more(t, 3);
}

result<void> parser::parse_line(std::vector<token> tokens) {
    const token& word = tokens[0];
    if (word.kind != token_kind::word)
        return at(word, "expected a command, found a string");
    command c;
    c.pos = {line_no_, word.column};
    c.line =
        std::string(line_text_.substr(word.first_byte, tokens.back().end_byte - word.first_byte));
    auto& into = open_.empty() ? program_.commands : open_.back().body;
    const std::string& name = word.text;
    result<void> done;
    if (name == "target") {
        c.kind = op::target;
        done = parse_target(tokens, c);
    } else if (name == "send") {
        c.kind = op::send;
        done = parse_send(tokens, c);
    } else if (name == "expect") {
        c.kind = op::expect;
        done = parse_expect(tokens, c);
    } else if (name == "sleep" || name == "timeout") {
        auto arg = argument(tokens, 1, "a duration, e.g. 500ms");
        if (!arg)
            return unexpected{std::move(arg).error()};
        auto ns = duration(**arg);
        if (!ns)
            return unexpected{std::move(ns).error()};
        if (auto end = no_more(tokens, 2); !end)
            return end;
        if (name == "timeout") {
            if (*ns == 0)
                return at(**arg, "timeout must be above 0");
            timeout_ns_ = *ns;
            return {};
        }
        c.kind = op::sleep;
        c.duration_ns = *ns;
    } else if (name == "rate") {
        c.kind = op::rate;
        auto arg = argument(tokens, 1, "packets per second");
        if (!arg)
            return unexpected{std::move(arg).error()};
        auto pps = number(**arg, max_rate, "rate");
        if (!pps)
            return unexpected{std::move(pps).error()};
        c.number = *pps;
        done = no_more(tokens, 2);
    } else if (name == "counter") {
        return parse_counter(tokens);
    } else if (name == "repeat") {
        c.kind = op::repeat;
        auto arg = argument(tokens, 1, "a count");
        if (!arg)
            return unexpected{std::move(arg).error()};
        auto count = number(**arg, max_repeat, "repeat count");
        if (!count)
            return unexpected{std::move(count).error()};
        auto brace = argument(tokens, 2, "{");
        if (!brace)
            return unexpected{std::move(brace).error()};
        if ((*brace)->text != "{" || (*brace)->kind != token_kind::word)
            return at(**brace, "expected { after the repeat count, found " +
                                   quote_untrusted((*brace)->text));
        if (auto end = no_more(tokens, 3); !end)
            return end;
        if (static_cast<int>(open_.size()) >= max_nesting)
            return at(word, "repeat blocks nest at most " + std::to_string(max_nesting) + " deep");
        c.number = *count;
        open_.push_back(std::move(c));
        return {};
    } else if (name == "}") {
        if (open_.empty())
            return at(word, "} without an open repeat block");
        if (auto end = no_more(tokens, 1); !end)
            return end;
        command block = std::move(open_.back());
        open_.pop_back();
        std::uint64_t body_steps = 0;
        for (const auto& inner : block.body)
            body_steps += inner.steps;
        // Saturating: a nest of large counts must not wrap around below the cap.
        block.steps = block.number != 0 && body_steps > max_steps / block.number
                          ? max_steps + 1
                          : block.number * body_steps;
        if (block.steps > max_steps) {
            line_no_ = block.pos.line;
            return at(block.pos.column, "this repeat block would run more than " +
                                            std::to_string(max_steps) +
                                            " steps (the cap); lower its count");
        }
        (open_.empty() ? program_.commands : open_.back().body).push_back(std::move(block));
        return {};
    } else {
        return at(word, "unknown command " + quote_untrusted(name) +
                            "; expected target, send, expect, sleep, rate, timeout, repeat, "
                            "counter or }");
    }
    if (!done)
        return done;
    into.push_back(std::move(c));
    return {};
}

result<program> parser::run(std::string_view text) {
    if (context_.default_target) {
        auto spec = make_target(*context_.default_target, context_.directory, context_.max_message);
        if (!spec)
            return unexpected{std::move(spec).error()};
        if (auto family = known_family(*spec))
            family_ = first_family{*family, spec->text, 0};
        spec->is_group = is_group_target(*spec, context_.broadcast);
        program_.targets.push_back(std::move(spec).value());
        program_.initial_target = 0;
        target_ = 0;
    }
    // A leading byte order mark is not part of the first line, as in directories.
    std::size_t start = text.starts_with("\xef\xbb\xbf") ? 3 : 0;
    while (start <= text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        ++line_no_;
        line_text_ = line;
        auto tokens = tokenize(line);
        if (!tokens)
            return unexpected{std::move(tokens).error()};
        if (!tokens->empty())
            if (auto done = parse_line(std::move(tokens).value()); !done)
                return unexpected{std::move(done).error()};
        start = end + 1;
    }
    if (!open_.empty()) {
        line_no_ = open_.back().pos.line;
        return at(open_.back().pos.column, "repeat block is not closed: add a line with }");
    }
    std::uint64_t total = 0;
    for (const auto& c : program_.commands)
        total += c.steps;
    if (total > max_steps)
        return unexpected{error{"the script would run " + std::to_string(total) +
                                    " steps; the cap is " + std::to_string(max_steps),
                                context_.source, 0, 0, 0}};
    return std::move(program_);
}

} // namespace

result<std::pair<char, std::size_t>> decode_escape(std::string_view text) {
    if (text.size() < 2)
        return fail("a \\ at the end; use \\\\ for a backslash");
    switch (text[1]) {
    case '\\':
        return std::pair{'\\', std::size_t{2}};
    case '"':
        return std::pair{'"', std::size_t{2}};
    case 'n':
        return std::pair{'\n', std::size_t{2}};
    case 'r':
        return std::pair{'\r', std::size_t{2}};
    case 't':
        return std::pair{'\t', std::size_t{2}};
    case '0':
        return std::pair{'\0', std::size_t{2}};
    case 'x': {
        auto byte = parse_hex(text.substr(2, 2));
        if (!byte || byte->size() != 1)
            return fail("bad escape: \\x needs two hex digits, e.g. \\x1b");
        return std::pair{(*byte)[0], std::size_t{4}};
    }
    default:
        return fail("unknown escape \\" + render_untrusted(text.substr(1, 1)) +
                    "; use \\\\ \\\" \\n \\r \\t \\0 or \\xHH");
    }
}

result<std::string> decode_escapes(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] != '\\') {
            out += text[i++];
            continue;
        }
        auto decoded = decode_escape(text.substr(i));
        if (!decoded)
            return unexpected{error{decoded.error().message, {}, 0, static_cast<int>(i) + 1, 0}};
        out += decoded->first;
        i += decoded->second;
    }
    return out;
}

result<target_spec> make_target(std::string_view text, const peer_directory* directory,
                                std::optional<message_limit> max_message) {
    const bool address = text.find_first_of(":[") != std::string_view::npos ||
                         (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
                             return std::isdigit(static_cast<unsigned char>(c));
                         }));
    target_spec spec;
    spec.text = std::string(text);
    spec.limit = max_message.value_or(message_limit());
    if (address) {
        auto hp = parse_host_port(text);
        if (!hp)
            return unexpected{std::move(hp).error()};
        if (hp->port == 0)
            return fail("target " + render_excerpt(text) + " has port 0; expected a port 1-65535");
        spec.address = std::move(hp).value();
        return spec;
    }
    if (!is_valid_peer_name(text))
        return fail("bad target " + quote_untrusted(text) +
                    ": expected a peer name from --directory or HOST:PORT");
    if (directory == nullptr)
        return fail("unknown peer " + quote_untrusted(text) +
                    ": no --directory given; use an address such as 127.0.0.1:9007, or pass "
                    "--directory FILE");
    if (const group* g = directory->find_group(text)) {
        spec.group = g;
        spec.limit = max_message.value_or(g->limit);
        return spec;
    }
    auto found = directory->require(text);
    if (!found) {
        if (directory->groups().empty())
            return unexpected{std::move(found).error()};
        return fail(found.error().message + "; groups: " + directory->group_names());
    }
    spec.peer = *found;
    spec.limit = max_message.value_or((*found)->limit);
    return spec;
}

bool is_group_target(const target_spec& t, bool broadcast) {
    if (t.group != nullptr)
        return true;
    if (t.peer != nullptr || !t.address)
        return false;
    auto literal = ip_endpoint::from_host_port(*t.address);
    if (!literal)
        return false;
    return literal->is_multicast() || literal->is_limited_broadcast() ||
           (broadcast && literal->family() == ip_family::v4);
}

result<program> parse(std::string_view text, const parse_context& context) {
    return parser(context).run(text);
}

result<program> load(const std::string& path, parse_context context) {
    auto text = read_file_bounded(path, max_script_bytes, "script");
    if (!text)
        return unexpected{std::move(text).error()};
    context.source = path;
    const auto base = std::filesystem::path(path).parent_path();
    context.read_file = [base](const std::string& file) {
        // Over max_payload is over every limit; the parser then names the target's own limit.
        auto bytes = read_file_bounded((base / file).string(), max_payload_ipv6 + 1, "file");
        if (!bytes)
            return result<std::string>(fail(bytes.error().to_string()));
        return bytes;
    };
    return parse(*text, context);
}

} // namespace udpkit::script
