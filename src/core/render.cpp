#include "udpkit/render.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "unicode_tables.hpp"

namespace udpkit {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char b) {
    out += "\\x";
    out += hex_digits[b >> 4];
    out += hex_digits[b & 0xf];
}

void append_code_point(std::string& out, std::uint32_t cp) {
    out += "\\u{";
    bool started = false;
    for (int shift = 20; shift >= 0; shift -= 4) {
        unsigned digit = (cp >> shift) & 0xf;
        if (digit != 0 || started || shift == 0) {
            out += hex_digits[digit];
            started = true;
        }
    }
    out += '}';
}

template <std::size_t N>
bool in_table(const unicode::code_point_range (&table)[N], std::uint32_t cp) {
    const auto* it = std::upper_bound(std::begin(table), std::end(table), cp,
                                      [](std::uint32_t c, const auto& r) { return c < r.first; });
    return it != std::begin(table) && cp <= std::prev(it)->last;
}

// Code points that are valid UTF-8 but still act on a terminal, on the reading order or on the
// line, or cannot be seen at all.
bool is_dangerous(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) || in_table(unicode::invisible, cp);
}

// Length of the valid UTF-8 sequence starting at s[i] and its code point; 0 when invalid
// (bad lead byte, missing continuation, overlong form, surrogate or beyond U+10FFFF).
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t min;
    if (lead >= 0xc2 && lead <= 0xdf) {
        len = 2, cp = lead & 0x1f, min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        len = 3, cp = lead & 0x0f, min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        len = 4, cp = lead & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

} // namespace

void render_untrusted_to(std::string& out, std::string_view bytes, render_style style) {
    // Whether the last thing written was a character of the text (not an escape): a combining
    // mark needs one to attach to.
    bool after_character = false;
    for (std::size_t i = 0; i < bytes.size();) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c < 0x80) {
            after_character = false;
            switch (c) {
            case '\r':
                out += "\\r";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\0':
                out += "\\0";
                break;
            case '\\':
                out += style == render_style::written ? "\\" : "\\\\";
                after_character = style == render_style::written;
                break;
            case '"':
                out += style == render_style::quoted ? "\\\"" : "\"";
                after_character = style != render_style::quoted;
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    append_hex_byte(out, c);
                } else {
                    out += static_cast<char>(c);
                    after_character = true;
                }
            }
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t len = decode_utf8(bytes, i, cp);
        if (len == 0) {
            append_hex_byte(out, c);
            after_character = false;
            ++i;
        } else if (is_dangerous(cp) || (!after_character && in_table(unicode::combining, cp))) {
            append_code_point(out, cp);
            after_character = false;
            i += len;
        } else {
            out.append(bytes.substr(i, len));
            after_character = true;
            i += len;
        }
    }
}

std::string render_untrusted(std::string_view bytes, render_style style) {
    std::string out;
    out.reserve(bytes.size());
    render_untrusted_to(out, bytes, style);
    return out;
}

std::size_t valid_utf8_prefix(std::string_view bytes) noexcept {
    std::size_t i = 0;
    while (i < bytes.size()) {
        if (static_cast<unsigned char>(bytes[i]) < 0x80) {
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t len = decode_utf8(bytes, i, cp);
        if (len == 0)
            break;
        i += len;
    }
    return i;
}

std::string render_excerpt(std::string_view bytes, std::size_t max_bytes) {
    if (bytes.size() <= max_bytes)
        return render_untrusted(bytes);
    return render_untrusted(bytes.substr(0, max_bytes)) + "...";
}

std::string quote_untrusted(std::string_view bytes, std::size_t max_bytes) {
    const bool cut = bytes.size() > max_bytes;
    std::string out = '"' + render_untrusted(bytes.substr(0, max_bytes), render_style::quoted) +
                      (cut ? "...\"" : "\"");
    if (cut)
        out += " (" + std::to_string(bytes.size()) + " bytes)";
    return out;
}

} // namespace udpkit
