#include "udpkit/io/timer.hpp"

#include <cstdlib>

namespace udpkit {

timer::timer(event_loop& loop)
    : handle_(static_cast<uv_timer_t*>(std::calloc(1, sizeof(uv_timer_t)))) {
    uv_timer_init(loop.get(), handle_);
    handle_->data = this;
}

timer::~timer() {
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { std::free(h); });
}

void timer::start(std::uint64_t timeout_ms, std::uint64_t repeat_ms, std::function<void()> fn) {
    fn_ = std::move(fn);
    uv_timer_start(handle_, &timer::on_timer, timeout_ms, repeat_ms);
}

void timer::stop() noexcept {
    uv_timer_stop(handle_);
}
void timer::unref() noexcept {
    uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
}

void timer::on_timer(uv_timer_t* handle) noexcept {
    auto* self = static_cast<timer*>(handle->data);
    if (self == nullptr || !self->fn_)
        return;
    // Copy: the callback may restart this timer with a new function.
    auto fn = self->fn_;
    fn();
}

} // namespace udpkit
