#include "udpkit/result.hpp"

namespace udpkit {

std::string error::to_string() const {
    if (source.empty())
        return message;
    std::string out = source;
    if (line > 0) {
        out += ':' + std::to_string(line);
        if (column > 0)
            out += ':' + std::to_string(column);
    }
    return out + ": " + message;
}

} // namespace udpkit
