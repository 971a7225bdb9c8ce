#include "udpkit/io/timer.hpp"

#include <cstdio>
#include <cstdlib>

#include <uv.h>

namespace udpkit {

timer::timer(event_loop& loop) {
    if (auto opened = handle_.open(loop, this, "create timer", &uv_timer_init); !opened) {
        std::fprintf(stderr, "udpkit: %s\n", opened.error().message.c_str());
        std::abort();
    }
}

timer::~timer() = default;

void timer::start(std::uint64_t timeout_ms, std::uint64_t repeat_ms, std::function<void()> fn) {
    if (!handle_)
        return;
    fn_ = std::move(fn);
    // Fails only on a closing handle, which handle_ never holds.
    (void)uv_timer_start(handle_.get(), &timer::on_timer, timeout_ms, repeat_ms);
}

void timer::stop() noexcept {
    if (handle_)
        uv_timer_stop(handle_.get());
}
void timer::unref() noexcept {
    if (handle_)
        uv_unref(handle_.base());
}
void timer::close() noexcept {
    handle_.close();
}

void timer::on_timer(uv_timer_t* handle) noexcept {
    auto* self = udpkit::handle<uv_timer_t>::owner<timer>(handle);
    if (self == nullptr || !self->fn_)
        return;
    // Copy: the callback may restart this timer with a new function (or destroy it).
    auto fn = self->fn_;
    fn();
}

} // namespace udpkit
