#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace udpkit {

/// What the renderer does with the two characters that carry a meaning in its output.
enum class render_style {
    untrusted, ///< `\` becomes `\\`, so an escaped form can never be forged by the sender
    quoted,    ///< as untrusted, and `"` becomes `\"`: for a payload shown between double quotes
    written,   ///< `\` and `"` are kept: for text a person wrote (a script line) and for text
               ///< that is already rendered, which rendering again leaves as it is (escaped once)
};

/// Renders untrusted bytes (from the network) so they are safe to write to a terminal.
/// Valid UTF-8 text is kept as is (`你好` stays `你好`). Escaped instead:
/// - C0 controls and DEL: `\r`, `\n`, `\t`, `\0` by name, the others as `\x1b`, `\x07`, `\x7f`;
/// - C1 controls (U+0080-U+009F, e.g. the 8-bit CSI) and every character that is invisible or
///   acts on the reading order or the line: Unicode format characters (category Cf: bidi marks,
///   overrides and isolates, zero-width characters, U+FEFF, tags U+E0000-U+E007F), U+2028 and
///   U+2029: `\u{9b}`, `\u{202e}`, `\u{200b}`;
/// - a combining mark with no character of the text before it to attach to (first, or after an
///   escape), which would otherwise be drawn onto the text around the rendering: `\u{301}`;
/// - bytes that are not valid UTF-8 (overlong forms, surrogates, stray continuation bytes,
///   truncated sequences): `\xff` per byte;
/// - the backslash and the double quote as `style` says.
/// The output therefore contains no byte below 0x20, no DEL and no escape sequence.
std::string render_untrusted(std::string_view bytes, render_style style = render_style::untrusted);

/// As render_untrusted, appending to `out` (reuses its capacity: no allocation once warmed up).
void render_untrusted_to(std::string& out, std::string_view bytes,
                         render_style style = render_style::untrusted);

/// The length of the longest prefix of `bytes` that is valid UTF-8 (no overlong forms, no
/// surrogates, nothing beyond U+10FFFF): `bytes.size()` when all of it is.
std::size_t valid_utf8_prefix(std::string_view bytes) noexcept;

/// How much of a bad value error messages show by default.
inline constexpr std::size_t default_excerpt_bytes = 64;

/// render_untrusted of at most the first `max_bytes` bytes, with `...` when cut: bad values
/// (from files, command lines, the network) in error messages can neither drive the terminal
/// nor flood it.
std::string render_excerpt(std::string_view bytes, std::size_t max_bytes = default_excerpt_bytes);

/// A bad value quoted for an error message: `"value"`, or `"valu..." (100000 bytes)` when cut;
/// a `"` inside it is shown as `\"` (render_style::quoted).
std::string quote_untrusted(std::string_view bytes, std::size_t max_bytes = default_excerpt_bytes);

} // namespace udpkit
