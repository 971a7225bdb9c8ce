#include "udpkit/hex.hpp"

#include "udpkit/render.hpp"

namespace udpkit {

int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

namespace {

unexpected bad(std::size_t index, std::string message) {
    return unexpected{error{std::move(message), {}, 0, static_cast<int>(index) + 1, 0}};
}

} // namespace

result<std::string> parse_hex(std::string_view text) {
    std::string bytes;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == ' ' || text[i] == '\t') {
            ++i;
            continue;
        }
        for (std::size_t k = i; k < i + 2; ++k) {
            if (k >= text.size() || text[k] == ' ' || text[k] == '\t')
                return bad(i, "odd hex digit: write each byte as two digits, e.g. 0a");
            if (hex_digit_value(text[k]) < 0)
                return bad(k, "bad hex digit " + quote_untrusted(text.substr(k, 1)) +
                                  ": expected 0-9, a-f or A-F");
        }
        bytes += static_cast<char>(hex_digit_value(text[i]) * 16 + hex_digit_value(text[i + 1]));
        i += 2;
    }
    return bytes;
}

std::string to_hex(std::string_view bytes, std::size_t max_bytes, std::string_view separator) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        if (i != 0)
            out += separator;
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    if (bytes.size() > max_bytes)
        out += " ...";
    return out;
}

} // namespace udpkit
