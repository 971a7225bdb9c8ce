#include "udpkit/segmentation.hpp"

#include <utility>

namespace udpkit {

std::string describe_offload(const offload_counters& c) {
    if (!c.gro && !c.gso && c.gso_refusals == 0 && !c.gro_unavailable)
        return "offload: off (one datagram per send and per buffer)";
    // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict, PR 105329) about
    // "literal" + std::string&&.
    std::string out = "offload: ";
    if (c.gso_refusals > 0) {
        out += "GSO refused by the kernel ";
        out += std::to_string(c.gso_refusals);
        out += c.gso_refusals == 1 ? " time, then plain sends" : " times, then plain sends";
    } else {
        out += c.gso ? "GSO on" : "GSO off";
    }
    out += " (";
    out += std::to_string(c.gso_sends);
    out += " sends carried ";
    out += std::to_string(c.gso_datagrams);
    out += " datagrams), ";
    out += c.gro               ? "GRO on ("
           : c.gro_unavailable ? "GRO unavailable on this kernel ("
                               : "GRO off (";
    out += std::to_string(c.gro_buffers);
    out += " buffers held ";
    out += std::to_string(c.gro_datagrams);
    out += " datagrams)";
    return out;
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
        out += json ? (first ? "\"" : ",\"") : (first ? "" : " ");
        out += name;
        out += json ? "\":" : "=";
        out += value;
        first = false;
    }
    if (json)
        out += '}';
    return out;
}

} // namespace udpkit
