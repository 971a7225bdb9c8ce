// peer_directory::parse on arbitrary text: never crash, hang or overflow the stack; an error
// names the file, a line and a column and is terminal-safe; a directory that loads keeps every
// promise of the header (valid unique names in order, lookups both ways, limits in range,
// groups of members that exist).

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "udpkit/peer_directory.hpp"

using udpkit::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto dir = udpkit::peer_directory::parse(text, "fuzz.toml");
    if (!dir) {
        const auto& e = dir.error();
        require(e.source == "fuzz.toml", "a directory error names the file");
        require(e.line >= 1 && e.column >= 1, "a directory error names a line and a column");
        require(!e.message.empty(), "a directory error says something");
        require(udpkit::fuzz::is_terminal_safe(e.to_string()),
                "a directory error is terminal-safe");
        return 0;
    }

    const auto& peers = dir->peers();
    require(!peers.empty(), "a directory that loads has a peer");
    require(dir->source() == "fuzz.toml", "the directory keeps its source name");
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const auto& p = peers[i];
        require(udpkit::is_valid_peer_name(p.name), "peer names are valid");
        require(i == 0 || peers[i - 1].name < p.name, "peers are sorted by name, no duplicates");
        require(dir->find(p.name) == &p, "find(name) finds the peer");
        require(dir->require(p.name).has_value(), "require(name) finds the peer");
        require(p.address.port() != 0, "a peer's port is not 0");
        require(p.limit.bytes() >= 1 && p.limit.bytes() <= udpkit::max_payload(p.address.family()),
                "a peer's limit fits its address family");
        require(dir->find(p.address) == &p, "find(address) finds the peer");
        // Received datagrams are labelled through from_sockaddr's view of the source address.
        const auto seen = udpkit::ip_endpoint::from_sockaddr(p.address.sockaddr_ptr());
        require(seen && dir->find(*seen) == &p, "a datagram from the peer's address finds it");
    }
    const auto& last = peers.back().name;
    require(!dir->require(last + "-missing").has_value() || dir->find(last + "-missing"),
            "require fails only for unknown names");
    const std::string names = dir->names();
    require(std::count(names.begin(), names.end(), ',') ==
                static_cast<std::ptrdiff_t>(peers.size() - 1),
            "names() lists every peer");

    const auto& groups = dir->groups();
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const auto& g = groups[i];
        require(udpkit::is_valid_peer_name(g.name), "group names are valid");
        require(i == 0 || groups[i - 1].name < g.name, "groups are sorted by name");
        require(dir->find_group(g.name) == &g && dir->find(g.name) == nullptr,
                "a group is found by its name and is not a peer");
        require(dir->find_group(g.address) == &g, "find_group(address) finds the group");
        require(g.address.port() != 0, "a group's port is not 0");
        require(g.broadcast
                    ? g.address.family() == udpkit::ip_family::v4 && !g.address.is_multicast()
                    : g.address.is_multicast(),
                "a group is a multicast group, or an IPv4 broadcast address");
        require(g.ttl >= 0 && g.ttl <= 255, "a group's TTL is 0-255");
        for (const auto& m : g.members) {
            const auto* member = dir->find(m);
            require(member != nullptr && member->name == m, "every member is a peer");
            require(member->address.family() == g.address.family(),
                    "members have the group's family");
        }
        require(std::is_sorted(g.members.begin(), g.members.end()), "members are sorted");
    }
    return 0;
}
