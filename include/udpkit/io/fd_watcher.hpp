#pragma once
// Readiness of a descriptor the caller owns (a terminal for readline, a socket), reported by the
// loop. The watcher makes no system calls on the descriptor: the callback does the reading.

#include <functional>
#include <string>
#include <string_view>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/handle.hpp"
#include "udpkit/result.hpp"

struct uv_poll_s;

namespace udpkit {

/// Which events to watch for, and which were seen.
struct fd_events {
    bool readable = false;     ///< data, or the end of it, can be read without blocking
    bool writable = false;     ///< a write would not block
    bool disconnected = false; ///< the other side hung up (as interest: report hang-ups too)
};

/// Watches one descriptor for readiness (libuv's poll handle). Not copyable or movable.
///
/// libuv's rules, which the watcher inherits: one watcher per descriptor in a loop (a second
/// one fails with EEXIST), and close() (or destroy) the watcher before closing the descriptor.
class fd_watcher {
public:
    /// Gets the events seen, or an error if polling the descriptor failed (e.g. "watch the
    /// terminal: EBADF (bad file descriptor)"); after an error the watcher stops by itself.
    using ready_handler = std::function<void(result<fd_events>)>;

    /// A watcher on `loop` that watches nothing until watch().
    explicit fd_watcher(event_loop& loop) noexcept;
    ~fd_watcher();
    fd_watcher(const fd_watcher&) = delete;
    fd_watcher& operator=(const fd_watcher&) = delete;

    /// Calls `on_ready` each time `fd` is ready for one of the `interest` events. Calling it
    /// again changes the interest or the handler (or, for another descriptor, starts over).
    /// `what` names the watch in errors. Errors: the descriptor cannot be polled (EBADF, EPERM for
    /// a regular file, EEXIST if another watcher has it).
    result<void> watch(int fd, fd_events interest, std::string_view what, ready_handler on_ready);
    /// Stops reporting; watch() may start again.
    void stop() noexcept;
    /// Stops and releases the descriptor (the memory goes in the loop's next close callbacks).
    /// After close() the descriptor may be closed. Safe to repeat.
    void close() noexcept;
    /// Whether events are being reported.
    [[nodiscard]] bool watching() const noexcept { return watching_; }

private:
    struct trampolines; // libuv's callback, defined with <uv.h> in the .cpp

    event_loop& loop_;
    handle<uv_poll_s> poll_;
    int fd_ = -1;
    std::string what_;
    ready_handler on_ready_;
    bool watching_ = false;
};

} // namespace udpkit
