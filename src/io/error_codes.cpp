#include "udpkit/io/error_codes.hpp"

#include <uv.h>

#include "udpkit/io/event_loop.hpp"

namespace udpkit {

bool is_port_unreachable(int code) noexcept {
    return code == UV_ECONNREFUSED;
}
bool is_port_unreachable(const error& e) noexcept {
    return is_port_unreachable(e.code);
}

bool is_would_block(int code) noexcept {
    // On Linux EWOULDBLOCK is EAGAIN; libuv has one name for both.
    return code == UV_EAGAIN;
}
bool is_would_block(const error& e) noexcept {
    return is_would_block(e.code);
}

bool is_message_too_long(int code) noexcept {
    return code == UV_EMSGSIZE;
}

bool is_permission_denied(int code) noexcept {
    return code == UV_EACCES;
}
bool is_permission_denied(const error& e) noexcept {
    return is_permission_denied(e.code);
}

unexpected io_failure(std::string_view what, int code) {
    return uv_failure(what, code);
}

} // namespace udpkit
