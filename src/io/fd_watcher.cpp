#include "udpkit/io/fd_watcher.hpp"

#include <uv.h>

namespace udpkit {

struct fd_watcher::trampolines {
    static void on_poll(uv_poll_t* h, int status, int events) noexcept {
        auto* self = handle<uv_poll_t>::owner<fd_watcher>(h);
        if (self == nullptr || !self->on_ready_)
            return;
        // Copy: the handler may call watch() with a new handler, or destroy the watcher.
        auto fn = self->on_ready_;
        if (status < 0) {
            self->stop();
            fn(uv_failure(self->what_, status));
            return;
        }
        fn(fd_events{(events & UV_READABLE) != 0, (events & UV_WRITABLE) != 0,
                     (events & UV_DISCONNECT) != 0});
    }
};

fd_watcher::fd_watcher(event_loop& loop) noexcept : loop_(loop) {}
fd_watcher::~fd_watcher() = default;

result<void> fd_watcher::watch(int fd, fd_events interest, std::string_view what,
                               ready_handler on_ready) {
    if (poll_ && fd != fd_)
        close();
    if (!poll_) {
        // uv_poll_init (not _socket): on Unix both take any descriptor epoll accepts.
        if (auto opened = poll_.open(loop_, this, what, &uv_poll_init, fd); !opened)
            return opened;
        fd_ = fd;
    }
    what_ = what;
    on_ready_ = std::move(on_ready);
    const int events = (interest.readable ? UV_READABLE : 0) |
                       (interest.writable ? UV_WRITABLE : 0) |
                       (interest.disconnected ? UV_DISCONNECT : 0);
    if (int rc = uv_poll_start(poll_.get(), events, &trampolines::on_poll); rc != 0) {
        watching_ = false;
        return uv_failure(what, rc);
    }
    watching_ = true;
    return {};
}

void fd_watcher::stop() noexcept {
    if (poll_)
        uv_poll_stop(poll_.get());
    watching_ = false;
}

void fd_watcher::close() noexcept {
    stop();
    poll_.close();
    fd_ = -1;
}

} // namespace udpkit
