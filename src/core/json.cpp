#include "udpkit/json.hpp"

#include <cstdint>

#include "udpkit/hex.hpp"
#include "udpkit/render.hpp"

namespace udpkit {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

// `\uXXXX`; a code point above U+FFFF as its UTF-16 surrogate pair, as JSON spells it.
void append_json_u(std::string& out, std::uint32_t cp) {
    if (cp > 0xffff) {
        cp -= 0x10000;
        append_json_u(out, 0xd800 + (cp >> 10));
        append_json_u(out, 0xdc00 + (cp & 0x3ff));
        return;
    }
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4)
        out += hex_digits[(cp >> shift) & 0xf];
}

} // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (char c : render_untrusted(text)) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::optional<std::string> json_text(std::string_view payload) {
    // render_untrusted leaves safe text as is and marks everything else with a backslash escape;
    // each escape maps to a JSON escape of the same character, except a byte that is not UTF-8,
    // which JSON text cannot carry.
    const std::string rendered = render_untrusted(payload);
    std::string out;
    out.reserve(rendered.size());
    for (std::size_t i = 0; i < rendered.size(); ++i) {
        const char c = rendered[i];
        if (c == '"') {
            out += "\\\"";
            continue;
        }
        if (c != '\\') {
            out += c;
            continue;
        }
        const char e = rendered[++i];
        switch (e) {
        case '\\':
            out += "\\\\";
            break;
        case 'r':
            out += "\\r";
            break;
        case 'n':
            out += "\\n";
            break;
        case 't':
            out += "\\t";
            break;
        case '0':
            out += "\\u0000";
            break;
        case 'x': {
            const int byte =
                hex_digit_value(rendered[i + 1]) * 16 + hex_digit_value(rendered[i + 2]);
            if (byte >= 0x80)
                return std::nullopt;
            append_json_u(out, static_cast<std::uint32_t>(byte));
            i += 2;
            break;
        }
        default: { // 'u': \u{HEX}, a C1 control, an invisible character or a lone combining mark
            const auto close = rendered.find('}', i);
            std::uint32_t cp = 0;
            for (std::size_t k = i + 2; k < close; ++k)
                cp = cp * 16 + static_cast<std::uint32_t>(hex_digit_value(rendered[k]));
            append_json_u(out, cp);
            i = close;
        }
        }
    }
    return out;
}

void append_counters(std::string& out, std::span<const counter_field> fields, bool json,
                     std::string_view prefix) {
    bool first = true;
    for (const auto& [name, value] : fields) {
        if (json) {
            out += first ? "\"" : ",\"";
            out += name;
            out += "\":";
        } else {
            out += ' ';
            out += prefix;
            out += name;
            out += '=';
        }
        out += std::to_string(value);
        first = false;
    }
}

} // namespace udpkit
