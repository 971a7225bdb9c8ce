#include "udpkit/io/handle.hpp"

#include <uv.h>

namespace udpkit::detail {

void close_handle(uv_handle_s* h, void (*destroy)(uv_handle_s*)) noexcept {
    // uv_handle_t is struct uv_handle_s: `destroy` is a uv_close_cb as it stands.
    uv_close(h, destroy);
}

bool handle_registered(uv_loop_s* loop, uv_handle_s* h) noexcept {
    struct search {
        uv_handle_t* wanted;
        bool found;
    } s{h, false};
    uv_walk(
        loop,
        [](uv_handle_t* each, void* arg) {
            auto* sp = static_cast<search*>(arg);
            sp->found = sp->found || each == sp->wanted;
        },
        &s);
    return s.found;
}

} // namespace udpkit::detail
