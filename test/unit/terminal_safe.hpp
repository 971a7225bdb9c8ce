#pragma once
// Test oracles for text that reaches a terminal, shared by the hostile-input tests and the fuzz
// targets. Written independently of udpkit's renderer so that they can catch its bugs.

#include <cstddef>
#include <string_view>

namespace udpkit::test {

/// True when `s` is valid UTF-8 (no overlong forms, surrogates or code points over U+10FFFF).
inline bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t n = b < 0x80           ? 1
                              : (b >> 5) == 0x6  ? 2
                              : (b >> 4) == 0xe  ? 3
                              : (b >> 3) == 0x1e ? 4
                                                 : 0;
        if (n == 0 || i + n > s.size())
            return false;
        unsigned long cp = n == 1 ? b : n == 2 ? (b & 0x1fu) : n == 3 ? (b & 0x0fu) : (b & 0x07u);
        for (std::size_t k = 1; k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c >> 6) != 0x2)
                return false;
            cp = (cp << 6) | (c & 0x3fu);
        }
        static constexpr unsigned long smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < smallest[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

/// True when `s` can be written to a terminal as is: valid UTF-8 without C0 controls or DEL.
inline bool is_terminal_safe(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return false;
    return is_valid_utf8(s);
}

} // namespace udpkit::test
