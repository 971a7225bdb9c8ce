#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace udpkit {

/// Renders untrusted bytes (from the network) so they are safe to write to a terminal.
/// Valid UTF-8 text is kept as is (`你好` stays `你好`). Escaped instead:
/// - C0 controls and DEL: `\r`, `\n`, `\t`, `\0` by name, the others as `\x1b`, `\x07`, `\x7f`;
/// - C1 controls (U+0080-U+009F, e.g. the 8-bit CSI) and bidirectional overrides/isolates
///   (U+202A-U+202E, U+2066-U+2069), which can reorder or hide text: `\u{9b}`, `\u{202e}`;
/// - bytes that are not valid UTF-8 (overlong forms, surrogates, stray continuation bytes,
///   truncated sequences): `\xff` per byte;
/// - the backslash itself as `\\`, so an escaped form can never be forged by the sender.
/// The output therefore contains no byte below 0x20, no DEL and no escape sequence.
std::string render_untrusted(std::string_view bytes);

/// As render_untrusted, appending to `out` (reuses its capacity: no allocation once warmed up).
void render_untrusted_to(std::string& out, std::string_view bytes);

/// The length of the longest prefix of `bytes` that is valid UTF-8 (no overlong forms, no
/// surrogates, nothing beyond U+10FFFF): `bytes.size()` when all of it is.
std::size_t valid_utf8_prefix(std::string_view bytes) noexcept;

/// How much of a bad value error messages show by default.
inline constexpr std::size_t default_excerpt_bytes = 64;

/// render_untrusted of at most the first `max_bytes` bytes, with `...` when cut: bad values
/// (from files, command lines, the network) in error messages can neither drive the terminal
/// nor flood it.
std::string render_excerpt(std::string_view bytes, std::size_t max_bytes = default_excerpt_bytes);

/// A bad value quoted for an error message: `"value"`, or `"valu..." (100000 bytes)` when cut.
std::string quote_untrusted(std::string_view bytes, std::size_t max_bytes = default_excerpt_bytes);

} // namespace udpkit
