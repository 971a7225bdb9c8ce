#pragma once

#include <cstdint>
#include <functional>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/handle.hpp"

struct uv_timer_s;

namespace udpkit {

/// A libuv timer. Not copyable or movable (the libuv handle points back at it).
class timer {
public:
    /// Creates the timer on `loop`. uv_timer_init only fills in memory and cannot fail in
    /// libuv 1.44; its result is still checked, and a failure aborts with the message (as
    /// event_loop's constructor does), since no caller could go on without its timer.
    explicit timer(event_loop& loop);
    ~timer();
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;

    /// Calls `fn` after `timeout_ms`, then every `repeat_ms` if non-zero. Restarts if running.
    /// Does nothing after close().
    void start(std::uint64_t timeout_ms, std::uint64_t repeat_ms, std::function<void()> fn);
    void stop() noexcept;
    /// Lets the loop exit even while this timer is armed (for watchdogs and stats ticks).
    void unref() noexcept;
    /// Stops and closes the timer now (the destructor does it otherwise); safe to repeat.
    void close() noexcept;

private:
    static void on_timer(uv_timer_s* handle) noexcept;
    handle<uv_timer_s> handle_;
    std::function<void()> fn_;
};

} // namespace udpkit
