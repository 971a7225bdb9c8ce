#include "udpkit/io/interfaces.hpp"

#include <uv.h>

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

} // namespace udpkit
