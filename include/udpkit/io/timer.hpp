#pragma once

#include <cstdint>
#include <functional>

#include <uv.h>

#include "udpkit/io/event_loop.hpp"

namespace udpkit {

/// A libuv timer. Not copyable or movable (the libuv handle points back at it).
class timer {
public:
    explicit timer(event_loop& loop);
    ~timer();
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;

    /// Calls `fn` after `timeout_ms`, then every `repeat_ms` if non-zero. Restarts if running.
    void start(std::uint64_t timeout_ms, std::uint64_t repeat_ms, std::function<void()> fn);
    void stop() noexcept;
    /// Lets the loop exit even while this timer is armed (for watchdogs and stats ticks).
    void unref() noexcept;

private:
    static void on_timer(uv_timer_t* handle) noexcept;
    uv_timer_t* handle_;
    std::function<void()> fn_;
};

} // namespace udpkit
