#include "udpkit/json.hpp"

#include "udpkit/render.hpp"

namespace udpkit {

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (char c : render_untrusted(text)) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

} // namespace udpkit
