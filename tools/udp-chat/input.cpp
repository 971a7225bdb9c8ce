#include "input.hpp"

#include <cstdlib>
#include <new>
#include <unistd.h>

namespace udpkit {
namespace {
constexpr std::size_t buffer_bytes = 64 * 1024;
}

// A file read owns its request and outlives the reader if the reader goes first: libuv calls
// back once the thread pool is done with it, and only then may it be freed.
struct stdin_reader::file_read {
    uv_fs_t req{};
    stdin_reader* owner = nullptr;
    char bytes[buffer_bytes];
};

stdin_reader::stdin_reader(event_loop& loop, std::function<void(std::string_view)> on_data,
                           std::function<void(result<void>)> on_end)
    : loop_(loop), on_data_(std::move(on_data)), on_end_(std::move(on_end)) {}

stdin_reader::~stdin_reader() {
    if (pending_ != nullptr) {
        pending_->owner = nullptr;
        uv_cancel(reinterpret_cast<uv_req_t*>(&pending_->req));
    }
    if (stream_ != nullptr) {
        stream_->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(stream_), [](uv_handle_t* h) { std::free(h); });
    }
}

result<void> stdin_reader::start() {
    int rc = 0;
    switch (uv_guess_handle(STDIN_FILENO)) {
    case UV_TTY: {
        auto* tty = static_cast<uv_tty_t*>(std::calloc(1, sizeof(uv_tty_t)));
        rc = uv_tty_init(loop_.get(), tty, STDIN_FILENO, 1);
        stream_ = reinterpret_cast<uv_stream_t*>(tty);
        break;
    }
    case UV_NAMED_PIPE: {
        auto* pipe = static_cast<uv_pipe_t*>(std::calloc(1, sizeof(uv_pipe_t)));
        rc = uv_pipe_init(loop_.get(), pipe, 0);
        if (rc == 0)
            rc = uv_pipe_open(pipe, STDIN_FILENO);
        stream_ = reinterpret_cast<uv_stream_t*>(pipe);
        break;
    }
    case UV_TCP: {
        auto* tcp = static_cast<uv_tcp_t*>(std::calloc(1, sizeof(uv_tcp_t)));
        rc = uv_tcp_init(loop_.get(), tcp);
        if (rc == 0)
            rc = uv_tcp_open(tcp, STDIN_FILENO);
        stream_ = reinterpret_cast<uv_stream_t*>(tcp);
        break;
    }
    case UV_FILE:
        is_file_ = true;
        read_file();
        return {};
    default:
        // No stdin (closed) or something unreadable such as a UDP socket: no input.
        end({});
        return {};
    }
    if (rc != 0) {
        // An initialised handle must be closed; a failed init leaves nothing to close.
        if (stream_->type != UV_UNKNOWN_HANDLE) {
            stream_->data = nullptr;
            uv_close(reinterpret_cast<uv_handle_t*>(stream_), [](uv_handle_t* h) { std::free(h); });
        } else {
            std::free(stream_);
        }
        stream_ = nullptr;
        return uv_failure("read standard input", rc);
    }
    stream_->data = this;
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
        if (int rc = uv_read_start(stream_, &stdin_reader::on_alloc, &stdin_reader::on_stream_read);
            rc != 0)
            end(uv_failure("read standard input", rc));
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

void stdin_reader::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) noexcept {
    auto* self = static_cast<stdin_reader*>(handle->data);
    *buf = self == nullptr ? uv_buf_init(nullptr, 0)
                           : uv_buf_init(self->buffer_.get(), static_cast<unsigned>(buffer_bytes));
}

void stdin_reader::on_stream_read(uv_stream_t* stream, ssize_t nread,
                                  const uv_buf_t* buf) noexcept {
    auto* self = static_cast<stdin_reader*>(stream->data);
    if (self == nullptr)
        return;
    if (nread > 0)
        self->on_data_(std::string_view(buf->base, static_cast<std::size_t>(nread)));
    else if (nread == UV_EOF)
        self->end({});
    else if (nread < 0)
        self->end(uv_failure("read standard input", static_cast<int>(nread)));
}

void stdin_reader::read_file() noexcept {
    if (paused_ || ended_ || pending_ != nullptr)
        return;
    auto* read = new (std::nothrow) file_read;
    if (read == nullptr) {
        end(fail("read standard input: out of memory"));
        return;
    }
    read->owner = this;
    read->req.data = read;
    uv_buf_t buf = uv_buf_init(read->bytes, sizeof read->bytes);
    // Offset -1: read from the current position, like read(2), so that input a parent process
    // has already consumed is not read again.
    if (int rc = uv_fs_read(loop_.get(), &read->req, STDIN_FILENO, &buf, 1, -1,
                            &stdin_reader::on_file_read);
        rc != 0) {
        delete read;
        end(uv_failure("read standard input", rc));
        return;
    }
    pending_ = read;
}

void stdin_reader::on_file_read(uv_fs_t* req) noexcept {
    std::unique_ptr<file_read> read(static_cast<file_read*>(req->data));
    const auto nread = req->result;
    uv_fs_req_cleanup(req);
    stdin_reader* self = read->owner;
    if (self == nullptr)
        return; // the reader is gone (or the read was cancelled with it)
    self->pending_ = nullptr;
    if (nread > 0) {
        self->on_data_(std::string_view(read->bytes, static_cast<std::size_t>(nread)));
        self->read_file();
    } else if (nread == 0) {
        self->end({});
    } else {
        self->end(uv_failure("read standard input", static_cast<int>(nread)));
    }
}

} // namespace udpkit
