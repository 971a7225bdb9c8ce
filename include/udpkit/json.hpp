#pragma once
// The little JSON the tools print (one object per line): strings only need escaping.

#include <string>
#include <string_view>

namespace udpkit {

/// Appends `text` to `out` as a JSON string literal, quotes included. The text is first rendered
/// as by render_untrusted (so untrusted bytes arrive as valid UTF-8 without control characters:
/// a newline shows as `\n`, two characters), then `"` and `\` are escaped for JSON.
void append_json_string(std::string& out, std::string_view text);

/// `text` as a JSON string literal (see append_json_string).
std::string json_string(std::string_view text);

} // namespace udpkit
