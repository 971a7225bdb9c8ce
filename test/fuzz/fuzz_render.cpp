// render_untrusted: the output is always terminal-safe (valid UTF-8, no C0 control, no DEL, no
// C1 control, bidi control or invisible character left as a character), and it is reversible:
// decoding the escapes gives back the input bytes, so no two inputs render the same and escapes
// cannot be forged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "udpkit/render.hpp"

using udpkit::fuzz::require;

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// The inverse of the renderer's escapes; nullopt for text the renderer cannot produce.
std::optional<std::string> unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out += s[i];
            continue;
        }
        if (++i == s.size())
            return std::nullopt;
        switch (s[i]) {
        case '\\':
            out += '\\';
            break;
        case 'r':
            out += '\r';
            break;
        case 'n':
            out += '\n';
            break;
        case 't':
            out += '\t';
            break;
        case '0':
            out += '\0';
            break;
        case 'x': {
            if (i + 2 >= s.size())
                return std::nullopt;
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
            break;
        }
        case 'u': {
            if (i + 1 >= s.size() || s[i + 1] != '{')
                return std::nullopt;
            std::uint32_t cp = 0;
            std::size_t k = i + 2;
            for (; k < s.size() && s[k] != '}'; ++k) {
                const int d = hex_value(s[k]);
                if (d < 0 || k - (i + 2) >= 6)
                    return std::nullopt;
                cp = cp * 16 + static_cast<std::uint32_t>(d);
            }
            if (k == s.size() || k == i + 2)
                return std::nullopt;
            append_utf8(out, cp);
            i = k;
            break;
        }
        default:
            return std::nullopt;
        }
    }
    return out;
}

// C1 controls, bidi controls, invisible characters and separators must never survive as
// characters (a sample of category Cf, listed here independently of the renderer's table).
bool has_dangerous_code_point(std::string_view s) {
    static constexpr std::string_view banned[] = {
        "\u202a", "\u202b", "\u202c",     "\u202d",     "\u202e",    "\u2066", "\u2067",
        "\u2068", "\u2069", "\u200e",     "\u200f",     "\u061c",    "\u200b", "\ufeff",
        "\u2028", "\u2029", "\U000e0001", "\U000e0041", "\U000e007f"};
    for (auto b : banned)
        if (s.find(b) != std::string_view::npos)
            return true;
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
        if (static_cast<unsigned char>(s[i]) == 0xc2 &&
            static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
            static_cast<unsigned char>(s[i + 1]) <= 0x9f)
            return true;
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::string out = udpkit::render_untrusted(input);

    require(udpkit::fuzz::is_terminal_safe(out), "rendered output is valid UTF-8 without C0/DEL");
    require(!has_dangerous_code_point(out), "rendered output has no C1 control or bidi override");
    const auto back = unescape(out);
    require(back.has_value(), "rendered output uses only the documented escapes");
    require(*back == input, "unescaping the rendered output gives back the input");

    // Escaped once: rendered text rendered again as written text is unchanged.
    require(udpkit::render_untrusted(out, udpkit::render_style::written) == out,
            "rendering rendered text as written changes nothing");

    // The appending form keeps what was there and adds exactly the same rendering.
    std::string appended = "prefix:";
    udpkit::render_untrusted_to(appended, input);
    require(appended == "prefix:" + out, "render_untrusted_to appends render_untrusted's output");
    return 0;
}
