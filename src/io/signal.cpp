#include "udpkit/io/signal.hpp"

#include <csignal>
#include <cstdio>
#include <string>

#include <uv.h>

namespace udpkit {

signal_watcher::signal_watcher(event_loop& loop)
    : opened_(handle_.open(loop, this, "watch signals", &uv_signal_init)) {}

signal_watcher::~signal_watcher() = default;

result<void> signal_watcher::start(int signum, std::function<void(int)> fn) {
    if (!opened_)
        return opened_;
    if (!handle_)
        return fail("watch signal " + std::to_string(signum) + ": the watcher is closed");
    fn_ = std::move(fn);
    if (int rc = uv_signal_start(handle_.get(), &signal_watcher::on_signal, signum); rc != 0)
        return uv_failure("watch signal " + std::to_string(signum), rc);
    return {};
}

void signal_watcher::stop() noexcept {
    if (handle_)
        uv_signal_stop(handle_.get());
}
void signal_watcher::unref() noexcept {
    if (handle_)
        uv_unref(handle_.base());
}
void signal_watcher::close() noexcept {
    handle_.close();
}

void signal_watcher::on_signal(uv_signal_t* handle, int signum) noexcept {
    auto* self = udpkit::handle<uv_signal_t>::owner<signal_watcher>(handle);
    if (self == nullptr || !self->fn_)
        return;
    auto fn = self->fn_;
    fn(signum);
}

stop_signals::stop_signals(event_loop& loop, std::function<void(int)> fn)
    : int_(loop), term_(loop) {
    // The handles are unref'd so that a tool whose work is done exits without waiting for a
    // signal. Watching SIGINT/SIGTERM fails only when libuv could not set up signal handling at
    // all (out of descriptors): the tool then still runs, it just cannot be stopped cleanly.
    for (auto [w, signum] : {std::pair{&int_, SIGINT}, std::pair{&term_, SIGTERM}}) {
        if (auto started = w->start(signum, fn); !started)
            std::fprintf(stderr, "udpkit: %s\n", started.error().message.c_str());
        w->unref();
    }
}

} // namespace udpkit
