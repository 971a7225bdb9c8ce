#include "udpkit/io/stdin_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <new>

#include <uv.h>

namespace udpkit {
namespace {
constexpr std::size_t buffer_bytes = 64 * 1024;
constexpr const char* what = "read standard input";

/// libuv closes a stream's descriptor with the handle unless it is 0, 1 or 2: any other
/// descriptor is read through a duplicate so that the caller's stays open.
int stream_descriptor(int fd) {
    return fd <= STDERR_FILENO ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
}
} // namespace

// A file read owns its request and outlives the reader if the reader goes first: libuv calls
// back once the thread pool is done with it, and only then may it be freed.
struct stdin_reader::file_read {
    uv_fs_t req{};
    stdin_reader* owner = nullptr;
    char bytes[buffer_bytes];
};

struct stdin_reader::trampolines {
    static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
        auto* self = static_cast<stdin_reader*>(h->data);
        *buf = self == nullptr
                   ? uv_buf_init(nullptr, 0)
                   : uv_buf_init(self->buffer_.get(), static_cast<unsigned>(buffer_bytes));
    }

    static void on_stream_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
        auto* self = static_cast<stdin_reader*>(stream->data);
        if (self == nullptr)
            return;
        if (nread > 0)
            self->on_data_(std::string_view(buf->base, static_cast<std::size_t>(nread)));
        else if (nread == UV_EOF)
            self->end({});
        else if (nread < 0)
            self->end(uv_failure(what, static_cast<int>(nread)));
    }

    static void on_file_read(uv_fs_t* req) noexcept {
        std::unique_ptr<file_read> read(static_cast<file_read*>(req->data));
        const auto nread = req->result;
        uv_fs_req_cleanup(req);
        stdin_reader* self = read->owner;
        if (self == nullptr)
            return; // the reader is gone (or the read was cancelled with it)
        self->pending_ = nullptr;
        if (nread > 0) {
            // The handler may destroy the reader: read on only if it is still there.
            std::weak_ptr<const bool> alive = self->alive_;
            self->on_data_(std::string_view(read->bytes, static_cast<std::size_t>(nread)));
            if (!alive.expired())
                self->read_file();
        } else if (nread == 0) {
            self->end({});
        } else {
            self->end(uv_failure(what, static_cast<int>(nread)));
        }
    }
};

stdin_reader::stdin_reader(event_loop& loop, std::function<void(std::string_view)> on_data,
                           std::function<void(result<void>)> on_end)
    : stdin_reader(loop, STDIN_FILENO, std::move(on_data), std::move(on_end)) {}

stdin_reader::stdin_reader(event_loop& loop, int fd, std::function<void(std::string_view)> on_data,
                           std::function<void(result<void>)> on_end)
    : loop_(loop), fd_(fd), on_data_(std::move(on_data)), on_end_(std::move(on_end)) {}

stdin_reader::~stdin_reader() {
    close();
}

void stdin_reader::close() noexcept {
    if (pending_ != nullptr) {
        pending_->owner = nullptr;
        uv_cancel(reinterpret_cast<uv_req_t*>(&pending_->req));
        pending_ = nullptr;
    }
    ended_ = true; // quietly: on_end is for the end of input, not for closing
    stream_ = nullptr;
    // Closing a stream closes its duplicated descriptor, never the caller's.
    tty_.close();
    pipe_.close();
    tcp_.close();
}

result<void> stdin_reader::start() {
    if (stream_ != nullptr || is_file_ || ended_)
        return {};
    const uv_handle_type type = uv_guess_handle(fd_);
    if (type == UV_FILE) {
        is_file_ = true;
        read_file();
        return {};
    }
    if (type != UV_TTY && type != UV_NAMED_PIPE && type != UV_TCP) {
        // No input (closed) or something unreadable such as a UDP socket: no input.
        end({});
        return {};
    }
    const int fd = stream_descriptor(fd_);
    if (fd < 0)
        return uv_failure(what, uv_translate_sys_error(errno));
    result<void> opened;
    if (type == UV_TTY) {
        opened = tty_.open(loop_, this, what, &uv_tty_init, fd, 1);
        stream_ = reinterpret_cast<uv_stream_t*>(tty_.get());
    } else if (type == UV_NAMED_PIPE) {
        opened = pipe_.open(loop_, this, what, [fd](uv_loop_t* loop, uv_pipe_t* pipe) {
            const int rc = uv_pipe_init(loop, pipe, 0);
            return rc != 0 ? rc : uv_pipe_open(pipe, fd);
        });
        stream_ = reinterpret_cast<uv_stream_t*>(pipe_.get());
    } else {
        opened = tcp_.open(loop_, this, what, [fd](uv_loop_t* loop, uv_tcp_t* tcp) {
            const int rc = uv_tcp_init(loop, tcp);
            return rc != 0 ? rc : uv_tcp_open(tcp, fd);
        });
        stream_ = reinterpret_cast<uv_stream_t*>(tcp_.get());
    }
    if (!opened) {
        // The stream did not adopt the duplicate: it is still ours to close.
        if (fd != fd_)
            ::close(fd);
        stream_ = nullptr;
        return opened;
    }
    buffer_ = std::make_unique<char[]>(buffer_bytes);
    resume();
    return {};
}

void stdin_reader::pause() noexcept {
    paused_ = true;
    if (stream_ != nullptr)
        uv_read_stop(stream_);
}

void stdin_reader::resume() noexcept {
    if (ended_ || (!paused_ && started_))
        return;
    paused_ = false;
    started_ = true;
    if (stream_ != nullptr) {
        if (int rc = uv_read_start(stream_, &trampolines::on_alloc, &trampolines::on_stream_read);
            rc != 0)
            end(uv_failure(what, rc));
    } else if (is_file_ && pending_ == nullptr) {
        read_file();
    }
}

void stdin_reader::end(result<void> how) noexcept {
    if (ended_)
        return;
    ended_ = true;
    if (stream_ != nullptr)
        uv_read_stop(stream_);
    if (on_end_)
        on_end_(std::move(how));
}

void stdin_reader::read_file() noexcept {
    if (paused_ || ended_ || pending_ != nullptr)
        return;
    auto* read = new (std::nothrow) file_read;
    if (read == nullptr) {
        end(fail(std::string(what) + ": out of memory"));
        return;
    }
    read->owner = this;
    read->req.data = read;
    uv_buf_t buf = uv_buf_init(read->bytes, sizeof read->bytes);
    // Offset -1: read from the current position, like read(2), so that input a parent process
    // has already consumed is not read again.
    if (int rc = uv_fs_read(loop_.get(), &read->req, fd_, &buf, 1, -1, &trampolines::on_file_read);
        rc != 0) {
        delete read;
        end(uv_failure(what, rc));
        return;
    }
    pending_ = read;
}

} // namespace udpkit
