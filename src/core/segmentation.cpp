#include "udpkit/segmentation.hpp"

#include <utility>

namespace udpkit {

std::string describe_offload(const offload_counters& c) {
    if (!c.gro && !c.gso && c.gso_refusals == 0)
        return "offload: off (one datagram per send and per buffer)";
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    std::string gso = c.gso_refusals > 0
                          ? "GSO refused by the kernel " + n(c.gso_refusals) +
                                (c.gso_refusals == 1 ? " time" : " times") + ", then plain sends"
                          : (c.gso ? "GSO on" : "GSO off");
    gso += " (" + n(c.gso_sends) + " sends carried " + n(c.gso_datagrams) + " datagrams)";
    const std::string gro = std::string(c.gro ? "GRO on" : "GRO off") + " (" + n(c.gro_buffers) +
                            " buffers held " + n(c.gro_datagrams) + " datagrams)";
    return "offload: " + gso + ", " + gro;
}

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
