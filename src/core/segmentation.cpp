#include "udpkit/segmentation.hpp"

#include <utility>

namespace udpkit {

std::string format_offload(const offload_counters& c, bool json) {
    auto flag = [json](bool on) -> std::string {
        return json ? (on ? "true" : "false") : (on ? "on" : "off");
    };
    const std::pair<const char*, std::string> fields[] = {
        {"gro", flag(c.gro)},
        {"gso", flag(c.gso)},
        {"gro_buffers", std::to_string(c.gro_buffers)},
        {"gro_datagrams", std::to_string(c.gro_datagrams)},
        {"gso_sends", std::to_string(c.gso_sends)},
        {"gso_datagrams", std::to_string(c.gso_datagrams)},
        {"gso_refusals", std::to_string(c.gso_refusals)},
    };
    std::string out = json ? "{" : "";
    bool first = true;
    for (const auto& [name, value] : fields) {
        if (json)
            out += (first ? "\"" : ",\"") + std::string(name) + "\":" + value;
        else
            out += (first ? "" : " ") + std::string(name) + '=' + value;
        first = false;
    }
    if (json)
        out += '}';
    return out;
}

} // namespace udpkit
