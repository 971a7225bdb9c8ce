#pragma once

#include <cstdint>
#include <functional>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/handle.hpp"
#include "udpkit/io/timer.hpp"
#include "udpkit/stats_reason.hpp"

struct uv_signal_s;

namespace udpkit {

/// Watches one signal through the loop (so handlers run on the loop thread, not in a signal
/// context). Not copyable or movable.
class signal_watcher {
public:
    /// Creates the watcher on `loop`. If libuv cannot set up its signal handling (uv_signal_init
    /// fails, e.g. out of descriptors), start() reports that error.
    explicit signal_watcher(event_loop& loop);
    ~signal_watcher();
    signal_watcher(const signal_watcher&) = delete;
    signal_watcher& operator=(const signal_watcher&) = delete;

    /// Calls `fn(signum)` each time `signum` arrives. Errors: the watcher could not be created,
    /// or libuv refused the signal ("watch signal N: EINVAL (invalid argument)").
    result<void> start(int signum, std::function<void(int)> fn);
    void stop() noexcept;
    /// Lets the loop exit even while watching.
    void unref() noexcept;
    /// Stops watching and closes the handle now (the destructor does it otherwise).
    void close() noexcept;

private:
    static void on_signal(uv_signal_s* handle, int signum) noexcept;
    handle<uv_signal_s> handle_;
    result<void> opened_;
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

/// How a long-running tool (udp-echo, udp-relay) reports its counters: SIGINT, SIGTERM and
/// SIGHUP (a closed terminal, a service manager) call `print` with stats_reason::final and stop
/// the loop, SIGUSR1 calls it with sigusr1, and a timer every `interval_seconds` (if above 0)
/// with interval. None of them keeps the loop running.
class stats_reports {
public:
    stats_reports(event_loop& loop, double interval_seconds,
                  std::function<void(stats_reason)> print);

    /// Starts watching SIGHUP, SIGUSR1 and the interval timer. Error: a signal cannot be
    /// watched.
    result<void> start();

private:
    event_loop& loop_;
    std::function<void(stats_reason)> print_;
    stop_signals stop_;
    signal_watcher hup_;
    signal_watcher usr1_;
    timer interval_;
    std::uint64_t interval_ms_;
};

} // namespace udpkit
