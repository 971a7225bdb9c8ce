#pragma once
// The one owner of every libuv handle in udpkit. libuv's rules for a handle's memory: it must stay
// put while libuv knows it (so it lives in its own heap allocation and its owner is neither copied
// nor moved), and it may be freed only in the close callback. handle<T> does exactly that, once.
//
// This header does not include <uv.h>: T may be the forward-declared struct (`struct uv_timer_s;`
// then `handle<uv_timer_s>`), so that headers tools include stay free of libuv. The members that
// need a complete T (open, close, the destructor) are instantiated only in the io layer's .cpp
// files, which include <uv.h>. With <uv.h> included, `handle<uv_timer_t>` is the same type.

#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/result.hpp"

struct uv_loop_s;
struct uv_handle_s;

namespace udpkit {

namespace detail {
/// uv_close(h, destroy): `destroy` frees the handle as its real type. In src/io/handle.cpp.
void close_handle(uv_handle_s* h, void (*destroy)(uv_handle_s*)) noexcept;
/// Whether `h` is registered with `loop` (listed by uv_walk): true when an init call failed after
/// it had registered the handle, which then has to go through uv_close before being freed.
bool handle_registered(uv_loop_s* loop, uv_handle_s* h) noexcept;
} // namespace detail

/// Owns one libuv handle of type T (uv_timer_t, uv_signal_t, uv_poll_t, uv_check_t, uv_pipe_t,
/// uv_tty_t, uv_tcp_t, ...): heap-allocates it, runs its init with the result checked, points its
/// `data` at the owner, and closes it once, freeing the memory in libuv's close callback.
///
/// Not copyable or movable. Typical use, as a member of a wrapper class:
/// ```
/// handle<uv_timer_t> timer_;                                     // empty
/// if (auto opened = timer_.open(loop, this, "create timer", &uv_timer_init); !opened) ...
/// uv_timer_start(timer_.get(), &on_timer, 100, 0);               // use the raw handle
/// static void on_timer(uv_timer_t* h) noexcept {                 // the trampoline
///     auto* self = handle<uv_timer_t>::owner<my_class>(h);        // null once closed
///     if (self == nullptr) return; ... }
/// timer_.close();                                                // or let the destructor do it
/// ```
/// Closing does not wait: the memory is freed when the loop next runs the close callbacks
/// (event_loop::close drains them). Every handle must be closed before its loop is destroyed.
template <class T> class handle {
public:
    /// An empty owner: no libuv handle yet (get() is null).
    handle() noexcept = default;
    /// Closes the handle if open (see close()).
    ~handle() { close(); }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    handle(handle&&) = delete;
    handle& operator=(handle&&) = delete;

    /// Allocates a zeroed T and calls `init(loop.get(), raw, args...)`, which must return a libuv
    /// status (e.g. `&uv_timer_init`, or `&uv_poll_init_socket` with the descriptor in `args`).
    /// On success the handle is open and `raw->data == owner`. On failure nothing is kept (the
    /// memory is freed, through uv_close if init had registered the handle) and the error reads
    /// "WHAT: ECODE (text)" with the libuv code in error::code. `init` may take several steps
    /// (a lambda: uv_pipe_init, then uv_pipe_open); if a later one fails, the registered handle
    /// goes through uv_close as it must. An owner that is already open closes its old handle first.
    template <class Init, class... Args>
    result<void> open(event_loop& loop, void* owner, std::string_view what, Init&& init,
                      Args&&... args) {
        close();
        T* raw = new (std::nothrow) T();
        if (raw == nullptr)
            return fail(std::string(what) + ": out of memory");
        const int rc = std::forward<Init>(init)(loop.get(), raw, std::forward<Args>(args)...);
        if (rc != 0) {
            auto* h = reinterpret_cast<uv_handle_s*>(raw);
            if (detail::handle_registered(loop.get(), h))
                detail::close_handle(h, &destroy);
            else
                delete raw;
            return uv_failure(what, rc);
        }
        raw->data = owner;
        raw_ = raw;
        return {};
    }

    /// Clears `data` (so pending callbacks see a null owner), calls uv_close and forgets the
    /// handle; its memory is freed in the close callback. Does nothing when not open, so it is
    /// safe to call any number of times, including from the owner's own callbacks.
    void close() noexcept {
        if (raw_ == nullptr)
            return;
        T* raw = std::exchange(raw_, nullptr);
        raw->data = nullptr;
        detail::close_handle(reinterpret_cast<uv_handle_s*>(raw), &destroy);
    }

    /// The libuv handle, or null when not open. Borrowed: valid until close().
    [[nodiscard]] T* get() const noexcept { return raw_; }
    /// The same handle as a uv_handle_t* (for uv_ref, uv_unref, uv_is_active, ...).
    [[nodiscard]] uv_handle_s* base() const noexcept {
        return reinterpret_cast<uv_handle_s*>(raw_);
    }
    /// Whether open() succeeded and close() has not been called since.
    [[nodiscard]] bool is_open() const noexcept { return raw_ != nullptr; }
    explicit operator bool() const noexcept { return is_open(); }

    /// In a trampoline: the owner passed to open(), or null once the handle was closed.
    template <class Owner> [[nodiscard]] static Owner* owner(const T* raw) noexcept {
        return static_cast<Owner*>(raw->data);
    }

private:
    static void destroy(uv_handle_s* h) noexcept { delete reinterpret_cast<T*>(h); }

    T* raw_ = nullptr;
};

} // namespace udpkit
