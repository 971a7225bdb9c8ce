#include "udpkit/io/signal.hpp"

#include <csignal>
#include <cstdlib>

namespace udpkit {

signal_watcher::signal_watcher(event_loop& loop)
    : handle_(static_cast<uv_signal_t*>(std::calloc(1, sizeof(uv_signal_t)))) {
    uv_signal_init(loop.get(), handle_);
    handle_->data = this;
}

signal_watcher::~signal_watcher() {
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { std::free(h); });
}

result<void> signal_watcher::start(int signum, std::function<void(int)> fn) {
    fn_ = std::move(fn);
    if (int rc = uv_signal_start(handle_, &signal_watcher::on_signal, signum); rc != 0)
        return uv_failure("watch signal " + std::to_string(signum), rc);
    return {};
}

void signal_watcher::stop() noexcept {
    uv_signal_stop(handle_);
}
void signal_watcher::unref() noexcept {
    uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
}

void signal_watcher::on_signal(uv_signal_t* handle, int signum) noexcept {
    auto* self = static_cast<signal_watcher*>(handle->data);
    if (self == nullptr || !self->fn_)
        return;
    auto fn = self->fn_;
    fn(signum);
}

stop_signals::stop_signals(event_loop& loop, std::function<void(int)> fn)
    : int_(loop), term_(loop) {
    // Starting a watcher on SIGINT/SIGTERM cannot fail on Linux; the handles are unref'd so that
    // a tool whose work is done exits without waiting for a signal.
    (void)int_.start(SIGINT, fn);
    (void)term_.start(SIGTERM, std::move(fn));
    int_.unref();
    term_.unref();
}

} // namespace udpkit
