#pragma once
// Piped input for udp-chat: stdin read through the loop whatever it is. Pipes, sockets and
// terminals are streams (uv_read_start); regular files and devices such as /dev/null cannot be
// watched by epoll, so they are read with uv_fs_read on libuv's thread pool instead.

#include <functional>
#include <memory>
#include <string_view>

#include <uv.h>

#include "udpkit/io/event_loop.hpp"

namespace udpkit {

class stdin_reader {
public:
    /// `on_data` gets each chunk read; `on_end` is called once, at the end of input or on a read
    /// error (then with the error).
    stdin_reader(event_loop& loop, std::function<void(std::string_view)> on_data,
                 std::function<void(result<void>)> on_end);
    ~stdin_reader();
    stdin_reader(const stdin_reader&) = delete;
    stdin_reader& operator=(const stdin_reader&) = delete;

    /// Starts reading fd 0.
    result<void> start();
    /// Stops asking for more input until resume() (the data already read is delivered).
    void pause() noexcept;
    void resume() noexcept;

private:
    struct file_read;
    static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) noexcept;
    static void on_stream_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_file_read(uv_fs_t* req) noexcept;
    void read_file() noexcept;
    void end(result<void> how) noexcept;

    event_loop& loop_;
    std::function<void(std::string_view)> on_data_;
    std::function<void(result<void>)> on_end_;
    uv_stream_t* stream_ = nullptr; // pipe, socket or terminal
    file_read* pending_ = nullptr;  // the file read in flight, if any
    bool is_file_ = false;
    bool paused_ = false;
    bool started_ = false; // resume() has started reading once
    bool ended_ = false;
    std::unique_ptr<char[]> buffer_;
};

} // namespace udpkit
