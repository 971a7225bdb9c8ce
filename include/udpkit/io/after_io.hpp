#pragma once
// A hook at the end of each loop iteration's I/O: after the loop has polled and run every I/O
// callback of the iteration. The place to send what the receive callbacks gathered, with one
// system call for the whole batch.

#include <functional>
#include <memory>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/handle.hpp"
#include "udpkit/result.hpp"

struct uv_check_s;

namespace udpkit {

/// Calls a function after each loop iteration's I/O (libuv's check handle). It does not keep
/// the loop running on its own: the sockets and timers do. Not copyable or movable.
class after_io {
public:
    /// Starts calling `fn` after the I/O of every iteration until stop(), close() or
    /// destruction. Errors: libuv could not create the hook.
    static result<std::unique_ptr<after_io>> start(event_loop& loop, std::function<void()> fn);
    ~after_io();
    after_io(const after_io&) = delete;
    after_io& operator=(const after_io&) = delete;

    /// Stops calling the function (it is not called again, even later in this iteration).
    void stop() noexcept;
    /// Stops and closes the hook now (the destructor does it otherwise); safe to repeat.
    void close() noexcept;

private:
    explicit after_io(std::function<void()> fn);
    struct trampolines; // libuv's callback, defined with <uv.h> in the .cpp

    handle<uv_check_s> check_;
    std::function<void()> fn_;
};

} // namespace udpkit
