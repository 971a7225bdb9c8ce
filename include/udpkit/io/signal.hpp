#pragma once

#include <functional>

#include <uv.h>

#include "udpkit/io/event_loop.hpp"

namespace udpkit {

/// Watches one signal through the loop (so handlers run on the loop thread, not in a signal
/// context). Not copyable or movable.
class signal_watcher {
public:
    explicit signal_watcher(event_loop& loop);
    ~signal_watcher();
    signal_watcher(const signal_watcher&) = delete;
    signal_watcher& operator=(const signal_watcher&) = delete;

    /// Calls `fn(signum)` each time `signum` arrives.
    result<void> start(int signum, std::function<void(int)> fn);
    void stop() noexcept;
    /// Lets the loop exit even while watching.
    void unref() noexcept;

private:
    static void on_signal(uv_signal_t* handle, int signum) noexcept;
    uv_signal_t* handle_;
    std::function<void(int)> fn_;
};

/// SIGINT and SIGTERM both call `fn` (typically: print counters and stop the loop).
class stop_signals {
public:
    stop_signals(event_loop& loop, std::function<void(int)> fn);

private:
    signal_watcher int_;
    signal_watcher term_;
};

} // namespace udpkit
