#pragma once
// The little JSON the tools print (one object per line): strings only need escaping, either
// terminal-safe for display (json_string) or exact for payloads (json_text).

#include <cstdint>
#include <optional>
#include <span>
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

/// One named counter of a stats line.
struct counter_field {
    std::string_view name;
    std::uint64_t value = 0;
};

/// Appends `fields` to `out` for a stats line: with `json` as JSON members `"name":value` joined
/// by commas (no braces, no leading comma), else as text ` PREFIXname=value`, each with a leading
/// space (`prefix` e.g. `forward.`). The names are plain identifiers and are not escaped.
void append_counters(std::string& out, std::span<const counter_field> fields, bool json,
                     std::string_view prefix = {});

} // namespace udpkit
