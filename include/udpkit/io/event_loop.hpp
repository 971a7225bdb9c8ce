#pragma once

#include <cstdint>
#include <string_view>

#include "udpkit/result.hpp"

// libuv's loop type, declared so that this header (which tools include) needs no <uv.h>;
// uv_loop_t is this struct.
struct uv_loop_s;

namespace udpkit {

/// Turns a libuv status code into an error naming the operation: "bind 127.0.0.1:9000:
/// EADDRINUSE (address already in use)".
unexpected uv_failure(std::string_view what, int status);

/// Owns the process's one uv_loop_t. Handles (sockets, timers, signals) must be closed before
/// the loop is destroyed; the destructor drains pending close callbacks and asserts that the
/// loop closed cleanly.
class event_loop {
public:
    event_loop();
    ~event_loop();
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    /// The libuv loop, for the io layer's own wrappers (a uv_loop_t*). Valid until destruction.
    [[nodiscard]] uv_loop_s* get() noexcept { return loop_; }

    /// Runs until stop() is called or no active handle is left.
    void run() noexcept;
    /// Runs one iteration, waiting for at least one event.
    void run_once() noexcept;
    /// Makes run() return after the current iteration.
    void stop() noexcept;
    /// Milliseconds since an arbitrary point, as cached by the loop (uv_now).
    [[nodiscard]] std::uint64_t now_ms() const noexcept;
    /// Nanoseconds of a monotonic clock (uv_hrtime), not cached.
    [[nodiscard]] static std::uint64_t now_ns() noexcept;

    /// Closes every handle still open, runs their close callbacks and closes the loop.
    /// Fails (and says how many handles were left) if the loop could not be closed.
    result<void> close();

private:
    uv_loop_s* loop_; // its own allocation: libuv's loop is large and keeps <uv.h> out of here
    bool closed_ = false;
};

} // namespace udpkit
