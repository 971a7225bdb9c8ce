#include "udpkit/limits.hpp"

#include <string>

namespace udpkit {

result<message_limit> message_limit::make(long long bytes, ip_family family) {
    const auto max = max_payload(family);
    if (bytes < 1 || static_cast<unsigned long long>(bytes) > max)
        return fail("max_message " + std::to_string(bytes) + " is out of range; expected 1 to " +
                    std::to_string(max) + (family == ip_family::v6 ? " (IPv6)" : " (IPv4)") +
                    " bytes");
    return message_limit(static_cast<std::size_t>(bytes));
}

result<void> message_limit::check(std::size_t size) const {
    if (size <= bytes_)
        return {};
    return fail("message of " + std::to_string(size) + " bytes exceeds the limit of " +
                std::to_string(bytes_) + " bytes; it is refused, not split or cut");
}

} // namespace udpkit
