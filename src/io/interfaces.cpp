#include "udpkit/io/interfaces.hpp"

#include <net/if.h>
#include <uv.h>

#include <algorithm>
#include <charconv>

#include "udpkit/render.hpp"

#include "udpkit/io/event_loop.hpp"

namespace udpkit {

result<std::vector<interface_address>> local_interface_addresses() {
    uv_interface_address_t* interfaces = nullptr;
    int count = 0;
    if (int rc = uv_interface_addresses(&interfaces, &count); rc != 0)
        return uv_failure("list interface addresses", rc);
    std::vector<interface_address> list;
    list.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        // Addresses of other families (none on Linux today) are left out.
        auto address =
            ip_endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&interfaces[i].address));
        if (address)
            list.push_back({interfaces[i].name, *address, interfaces[i].is_internal != 0});
    }
    uv_free_interface_addresses(interfaces, count);
    return list;
}

namespace {

/// The entry of `addresses` whose address is `address` (port and IPv6 scope ignored), or nullptr.
const interface_address* find_address(const std::vector<interface_address>& addresses,
                                      const ip_endpoint& address) {
    const std::string host = address.host();
    const auto it =
        std::find_if(addresses.begin(), addresses.end(),
                     [&](const interface_address& a) { return a.address.host() == host; });
    return it == addresses.end() ? nullptr : &*it;
}

} // namespace

bool is_local_address(const ip_endpoint& address) {
    auto addresses = local_interface_addresses();
    return addresses && find_address(*addresses, address) != nullptr;
}

result<unsigned> find_interface(std::string_view name_or_address) {
    const std::string text(name_or_address);
    unsigned index = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
    const bool numeric = ec == std::errc() && end == text.data() + text.size() && index > 0;
    char name[IF_NAMESIZE] = {};
    if (numeric && if_indextoname(index, name) != nullptr)
        return index;
    if (!numeric && !text.empty() && text.size() < IF_NAMESIZE)
        if (unsigned found = if_nametoindex(text.c_str()); found != 0)
            return found;
    auto addresses = local_interface_addresses();
    if (!addresses)
        return unexpected{std::move(addresses).error()};
    if (auto address = ip_endpoint::parse(text.find(':') != std::string::npos ? "[" + text + "]:0"
                                                                              : text + ":0"))
        if (const auto* found = find_address(*addresses, *address))
            return if_nametoindex(found->interface.c_str());
    std::vector<std::string> names; // each interface once, in the kernel's order
    for (const auto& a : *addresses)
        if (std::find(names.begin(), names.end(), a.interface) == names.end())
            names.push_back(a.interface);
    std::string known;
    for (const auto& n : names)
        known += (known.empty() ? "" : ", ") + n;
    return fail("no interface " + quote_untrusted(text) +
                "; give a name, an index or one of its addresses (interfaces here: " + known + ")");
}

} // namespace udpkit
