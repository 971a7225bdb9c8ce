#include "udpkit/io/event_loop.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <uv.h>

namespace udpkit {

unexpected uv_failure(std::string_view what, int status) {
    return unexpected{
        error{std::string(what) + ": " + uv_err_name(status) + " (" + uv_strerror(status) + ")",
              {},
              0,
              0,
              status}};
}

event_loop::event_loop() : loop_(new uv_loop_t()) {
    if (int rc = uv_loop_init(loop_); rc != 0) {
        // Without a loop nothing can run; this only fails when the process is out of fds.
        std::fprintf(stderr, "udpkit: uv_loop_init: %s\n", uv_strerror(rc));
        std::abort();
    }
}

event_loop::~event_loop() {
    if (!closed_)
        (void)close();
    // A loop that could not be closed still has handles pointing into it: leak it, as the
    // handles' memory is leaked, rather than free memory libuv may still reach.
    if (closed_)
        delete loop_;
}

void event_loop::run() noexcept {
    uv_run(loop_, UV_RUN_DEFAULT);
}
void event_loop::run_once() noexcept {
    uv_run(loop_, UV_RUN_ONCE);
}
void event_loop::stop() noexcept {
    uv_stop(loop_);
}
std::uint64_t event_loop::now_ms() const noexcept {
    return uv_now(loop_);
}
std::uint64_t event_loop::now_ns() noexcept {
    return uv_hrtime();
}

result<void> event_loop::close() {
    if (closed_)
        return {};
    // Wrappers close their handles in their destructors; run the loop so that the close
    // callbacks (and cancelled send requests) complete, which takes a few iterations.
    for (int i = 0; i < 16 && uv_loop_alive(loop_); ++i)
        uv_run(loop_, UV_RUN_NOWAIT);
    int open_handles = 0;
    uv_walk(
        loop_, [](uv_handle_t* h, void* n) { *static_cast<int*>(n) += !uv_is_closing(h); },
        &open_handles);
    if (open_handles > 0)
        return fail("close event loop: " + std::to_string(open_handles) +
                    " handle(s) still open; destroy sockets, timers and signal watchers first");
    int rc = uv_loop_close(loop_);
    if (rc != 0)
        return uv_failure("close event loop", rc);
    closed_ = true;
    return {};
}

} // namespace udpkit
