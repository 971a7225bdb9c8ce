#pragma once
// Input read through the loop whatever the descriptor is. Pipes, sockets and terminals are
// streams, read as data arrives; regular files and devices such as /dev/null cannot be watched by
// epoll, so they are read on libuv's thread pool instead, one chunk at a time.

#include <functional>
#include <memory>
#include <string_view>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/handle.hpp"
#include "udpkit/result.hpp"

struct uv_tty_s;
struct uv_pipe_s;
struct uv_tcp_s;
struct uv_stream_s;

namespace udpkit {

/// Reads standard input (or another descriptor) through the loop and hands over each chunk as it
/// is read. Not copyable or movable (libuv's handle points back at it).
class stdin_reader {
public:
    /// Reads descriptor 0. `on_data` gets each chunk read (valid during the call); `on_end` is
    /// called once, at the end of input or on a read error (then with the error, "read standard
    /// input: EIO (i/o error)"). Neither is called before start().
    stdin_reader(event_loop& loop, std::function<void(std::string_view)> on_data,
                 std::function<void(result<void>)> on_end);
    /// Reads `fd` instead of descriptor 0 (tests pass a pipe or a file). The descriptor stays the
    /// caller's: the reader never closes it (a stream is read through a duplicate).
    stdin_reader(event_loop& loop, int fd, std::function<void(std::string_view)> on_data,
                 std::function<void(result<void>)> on_end);
    /// Stops reading; a file read still in flight on the thread pool is cancelled or finishes
    /// unseen.
    ~stdin_reader();
    stdin_reader(const stdin_reader&) = delete;
    stdin_reader& operator=(const stdin_reader&) = delete;

    /// Starts reading. A closed or unreadable descriptor (e.g. a UDP socket) is an empty input:
    /// on_end({}) is called at once. Errors: the stream could not be opened.
    result<void> start();
    /// Stops asking for more input until resume() (the data already read is delivered).
    void pause() noexcept;
    void resume() noexcept;
    /// Stops reading for good and closes the stream handle now (the destructor does it
    /// otherwise): neither on_data nor on_end is called again, a file read in flight is
    /// cancelled or finishes unseen, and start()/resume() do nothing. Safe to repeat.
    void close() noexcept;

private:
    struct file_read;
    struct trampolines; // libuv's callbacks, defined with <uv.h> in the .cpp
    void read_file() noexcept;
    void end(result<void> how) noexcept;

    event_loop& loop_;
    int fd_;
    std::function<void(std::string_view)> on_data_;
    std::function<void(result<void>)> on_end_;
    // One of these is open when the input is a stream; stream_ points at it.
    handle<uv_tty_s> tty_;
    handle<uv_pipe_s> pipe_;
    handle<uv_tcp_s> tcp_;
    uv_stream_s* stream_ = nullptr;
    file_read* pending_ = nullptr; // the file read in flight, if any
    bool is_file_ = false;
    bool paused_ = false;
    bool started_ = false; // resume() has started reading once
    bool ended_ = false;
    std::unique_ptr<char[]> buffer_;
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true); // for weak_ptr checks
};

} // namespace udpkit
