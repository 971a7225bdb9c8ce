#pragma once
// The little JSON the tools print (one object per line): strings only need escaping, either
// terminal-safe for display (json_string) or exact for payloads (json_text).

#include <optional>
#include <string>
#include <string_view>

namespace udpkit {

/// Appends `text` to `out` as a JSON string literal, quotes included. The text is first rendered
/// as by render_untrusted (so untrusted bytes arrive as valid UTF-8 without control characters:
/// a newline shows as `\n`, two characters), then `"` and `\` are escaped for JSON.
void append_json_string(std::string& out, std::string_view text);

/// `text` as a JSON string literal (see append_json_string).
std::string json_string(std::string_view text);

/// JSON string contents for the payload when it is valid UTF-8 (every control character, DEL,
/// C1 control and bidirectional override escaped as `\uXXXX`, so the JSON line is also safe to
/// print); nullopt when the payload is not valid UTF-8. Built on render_untrusted, whose
/// classification of bytes it re-encodes, so both agree on what is text.
std::optional<std::string> json_text(std::string_view payload);

} // namespace udpkit
