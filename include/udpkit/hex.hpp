#pragma once
// Hex text <-> bytes, for payloads typed by people and dumps shown to them.

#include <cstddef>
#include <string>
#include <string_view>

#include "udpkit/result.hpp"

namespace udpkit {

/// The value of one hex digit (0-9, a-f, A-F), or -1.
int hex_digit_value(char c) noexcept;

/// Parses bytes written as pairs of hex digits, with spaces or tabs allowed between pairs:
/// `48656c`, `48 65 6c`, `DE ad`. On error, `column` is the 1-based offset in `text` of the
/// bad digit (or of a lone digit) and the message says what is accepted.
result<std::string> parse_hex(std::string_view text);

/// `48 65 6c`: each byte as two lower-case digits, separated by `separator`; after `max_bytes`
/// bytes the rest is shown as ` ...`.
std::string to_hex(std::string_view bytes, std::size_t max_bytes = std::string_view::npos,
                   std::string_view separator = " ");

} // namespace udpkit
