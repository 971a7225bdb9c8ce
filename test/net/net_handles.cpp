// The io layer's handle wrappers over a real loop: the handle template, timer, signal watcher,
// stdin reader, descriptor watcher, after-I/O hook, interface addresses and error names.
// Each loop test arms a watchdog; values are recorded in callbacks and REQUIREd after the loop.

#include <doctest/doctest.h>

#include <algorithm>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <uv.h>

#include "net_support.hpp"
#include "udpkit/io/error_codes.hpp"
#include "udpkit/io/fd_watcher.hpp"
#include "udpkit/io/handle.hpp"
#include "udpkit/io/interfaces.hpp"
#include "udpkit/io/signal.hpp"
#include "udpkit/io/stdin_reader.hpp"
#include "udpkit/io/timer.hpp"

using namespace udpkit;

namespace {

/// Handles registered with the loop and not closing.
int open_handles(event_loop& loop) {
    int n = 0;
    uv_walk(
        loop.get(),
        [](uv_handle_t* h, void* count) { *static_cast<int*>(count) += !uv_is_closing(h); }, &n);
    return n;
}

/// Handles registered with the loop, closing or not (a closing handle leaves in its callback).
int all_handles(event_loop& loop) {
    int n = 0;
    uv_walk(
        loop.get(), [](uv_handle_t*, void* count) { ++*static_cast<int*>(count); }, &n);
    return n;
}

struct pipe_fds {
    int read = -1;
    int write = -1;
    pipe_fds() {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        read = fds[0];
        write = fds[1];
    }
    ~pipe_fds() {
        close_read();
        close_write();
    }
    void close_read() {
        if (read >= 0)
            ::close(std::exchange(read, -1));
    }
    void close_write() {
        if (write >= 0)
            ::close(std::exchange(write, -1));
    }
};

/// A regular file holding `content`, read from its start; removed at once (the descriptor keeps
/// it).
int temporary_file(const std::string& content) {
    char name[] = "/tmp/udpkit-net-handles-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::unlink(name);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

bool descriptor_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

/// What a stdin_reader delivered.
struct read_log {
    std::string data;
    int chunks = 0;
    int ends = 0;
    std::string end_error; // empty: a clean end of input
};

/// Reads `fd` with a stdin_reader until the end of input (or the watchdog).
read_log read_all(int fd) {
    event_loop loop;
    read_log log;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        stdin_reader reader(
            loop, fd,
            [&](std::string_view bytes) {
                log.data.append(bytes);
                ++log.chunks;
            },
            [&](result<void> how) {
                ++log.ends;
                if (!how)
                    log.end_error = how.error().message;
            });
        auto started = reader.start();
        REQUIRE_MESSAGE(started, (started ? "" : started.error().message));
        loop.run();
        fired = guard.fired();
    }
    REQUIRE_FALSE(fired);
    REQUIRE(loop.close());
    return log;
}

} // namespace

TEST_SUITE("handle") {
TEST_CASE("open points data at the owner; close clears it once and frees in the callback") {
    event_loop loop;
    int owner = 0;
    {
        handle<uv_timer_t> h;
        CHECK_FALSE(h.is_open());
        CHECK(h.get() == nullptr);
        h.close(); // closing an empty handle does nothing
        auto opened = h.open(loop, &owner, "create timer", &uv_timer_init);
        REQUIRE(opened);
        REQUIRE(h.is_open());
        CHECK(handle<uv_timer_t>::owner<int>(h.get()) == &owner);
        CHECK(reinterpret_cast<uv_handle_t*>(h.get()) == h.base());
        CHECK(open_handles(loop) == 1);

        uv_timer_t* raw = h.get();
        h.close();
        CHECK_FALSE(h.is_open());
        CHECK(raw->data != &owner); // the owner is no longer reachable from libuv
        CHECK(uv_is_closing(reinterpret_cast<uv_handle_t*>(raw)));
        CHECK(open_handles(loop) == 0);
        CHECK(all_handles(loop) == 1); // until the close callback runs
        h.close();                     // a second close does not call uv_close again
    }                                  // the destructor does not either
    loop.run();                        // runs the close callback, which frees the handle
    CHECK(all_handles(loop) == 0);
    REQUIRE(loop.close());
}

TEST_CASE("the destructor closes an open handle") {
    event_loop loop;
    {
        handle<uv_check_t> h;
        REQUIRE(h.open(loop, nullptr, "hook", &uv_check_init));
        CHECK(open_handles(loop) == 1);
    }
    CHECK(open_handles(loop) == 0);
    REQUIRE(loop.close());
}

TEST_CASE("a failed init reports the libuv error and keeps nothing") {
    event_loop loop;
    const int file = temporary_file("not pollable");
    handle<uv_poll_t> h;
    // epoll refuses regular files: uv_poll_init fails before registering the handle.
    auto opened = h.open(loop, nullptr, "watch the file", &uv_poll_init, file);
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == UV_EPERM);
    CHECK(opened.error().message == "watch the file: EPERM (operation not permitted)");
    CHECK_FALSE(h.is_open());
    CHECK(all_handles(loop) == 0);
    ::close(file);
    REQUIRE(loop.close());
}

TEST_CASE("an init that fails after registering the handle is closed, then freed") {
    event_loop loop;
    handle<uv_pipe_t> h;
    // uv_pipe_init registers the handle; a second step (as uv_pipe_open could) then fails.
    auto opened = h.open(loop, nullptr, "open the pipe", [](uv_loop_t* l, uv_pipe_t* pipe) {
        const int rc = uv_pipe_init(l, pipe, 0);
        return rc != 0 ? rc : UV_EINVAL;
    });
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == UV_EINVAL);
    CHECK(opened.error().message == "open the pipe: EINVAL (invalid argument)");
    CHECK_FALSE(h.is_open());
    CHECK(open_handles(loop) == 0);
    CHECK(all_handles(loop) == 1); // closing: freed in its close callback
    REQUIRE(loop.close());         // nothing left open, and (under LeakSanitizer) nothing leaked
}

TEST_CASE("open after close starts over with a new handle") {
    event_loop loop;
    handle<uv_timer_t> h;
    int a = 0;
    int b = 0;
    REQUIRE(h.open(loop, &a, "create timer", &uv_timer_init));
    h.close();
    REQUIRE(h.open(loop, &b, "create timer", &uv_timer_init));
    CHECK(handle<uv_timer_t>::owner<int>(h.get()) == &b);
    h.close();
    REQUIRE(loop.close());
}
} // TEST_SUITE("handle")

TEST_SUITE("timer") {
TEST_CASE("a one-shot timer fires once; a repeating one until stopped") {
    event_loop loop;
    int once = 0;
    int repeats = 0;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        timer one(loop);
        timer repeat(loop);
        one.start(1, 0, [&] { ++once; });
        repeat.start(1, 1, [&] {
            if (++repeats == 5)
                repeat.stop(); // nothing else is active: run() returns
        });
        loop.run();
        fired = guard.fired();
    }
    REQUIRE_FALSE(fired);
    CHECK(once == 1);
    CHECK(repeats == 5);
    REQUIRE(loop.close());
}

TEST_CASE("an unref'd timer does not keep the loop running") {
    event_loop loop;
    int fired = 0;
    {
        timer t(loop);
        t.start(60'000, 0, [&] { ++fired; });
        t.unref();
        loop.run(); // returns at once
    }
    CHECK(fired == 0);
    REQUIRE(loop.close());
}

TEST_CASE("a timer closed by another timer's callback in the same iteration never fires") {
    event_loop loop;
    std::vector<std::string> order;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        timer first(loop);
        timer second(loop);
        // Both due in the same iteration: libuv runs `first` first (earlier start).
        first.start(5, 0, [&] {
            order.push_back("first");
            second.close();
        });
        second.start(5, 0, [&] { order.push_back("second"); });
        loop.run();
        fired = guard.fired();
        second.start(1, 0, [&] { order.push_back("after close"); }); // ignored
        loop.run();
    }
    REQUIRE_FALSE(fired);
    CHECK(order == std::vector<std::string>{"first"});
    REQUIRE(loop.close());
}

TEST_CASE("a timer may restart itself from its callback") {
    event_loop loop;
    int calls = 0;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        timer t(loop);
        std::function<void()> again = [&] {
            if (++calls < 3)
                t.start(1, 0, again);
        };
        t.start(1, 0, again);
        loop.run();
        fired = guard.fired();
    }
    REQUIRE_FALSE(fired);
    CHECK(calls == 3);
    REQUIRE(loop.close());
}
} // TEST_SUITE("timer")

TEST_SUITE("signal") {
TEST_CASE("a watched signal runs its handler on the loop") {
    event_loop loop;
    std::vector<int> seen;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        signal_watcher usr2(loop);
        auto started = usr2.start(SIGUSR2, [&](int signum) {
            seen.push_back(signum);
            loop.stop();
        });
        REQUIRE_MESSAGE(started, (started ? "" : started.error().message));
        timer raise_later(loop);
        raise_later.start(1, 0, [] { std::raise(SIGUSR2); });
        loop.run();
        fired = guard.fired();
    }
    REQUIRE_FALSE(fired);
    CHECK(seen == std::vector<int>{SIGUSR2});
    REQUIRE(loop.close());
}

TEST_CASE("stats_reports: SIGUSR1 and the interval print with their reason; SIGTERM and SIGHUP "
          "print the final counters and stop the loop") {
    for (const int stop_signal : {SIGTERM, SIGHUP}) {
        CAPTURE(stop_signal);
        event_loop loop;
        std::vector<stats_reason> prints;
        bool fired = false;
        {
            test::watchdog guard(loop, 5000);
            stats_reports reports(loop, 0.005, [&](stats_reason why) { prints.push_back(why); });
            auto started = reports.start();
            REQUIRE_MESSAGE(started, (started ? "" : started.error().message));
            timer usr1(loop);
            usr1.start(1, 0, [] { std::raise(SIGUSR1); });
            timer stop(loop);
            // after a few intervals of 5 ms
            stop.start(40, 0, [stop_signal] { std::raise(stop_signal); });
            loop.run();
            fired = guard.fired();
        }
        REQUIRE_FALSE(fired);
        // SIGUSR1, at least three interval ticks, the stop signal's final print, last
        CHECK(std::count(prints.begin(), prints.end(), stats_reason::sigusr1) == 1);
        CHECK(std::count(prints.begin(), prints.end(), stats_reason::interval) >= 3);
        REQUIRE_FALSE(prints.empty());
        CHECK(prints.back() == stats_reason::final);
        CHECK(std::count(prints.begin(), prints.end(), stats_reason::final) == 1);
        REQUIRE(loop.close());
    }

    event_loop quiet;
    {
        stats_reports none(quiet, 0, [](stats_reason) { FAIL("printed without a signal"); });
        REQUIRE(none.start());
        quiet.run(); // nothing keeps the loop running: returns at once
    }
    REQUIRE(quiet.close());
}

TEST_CASE("an invalid signal and a closed watcher are errors") {
    event_loop loop;
    signal_watcher w(loop);
    auto bad = w.start(0, [](int) {});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "watch signal 0: EINVAL (invalid argument)");
    w.close();
    w.close();
    auto closed = w.start(SIGUSR2, [](int) {});
    REQUIRE_FALSE(closed);
    CHECK(closed.error().message == "watch signal 12: the watcher is closed");
    REQUIRE(loop.close());
}
} // TEST_SUITE("signal")

TEST_SUITE("stdin_reader") {
TEST_CASE("a pipe is read to its end; the caller's descriptor stays open") {
    pipe_fds p;
    const std::string text = "hello\nworld\nno newline at the end";
    REQUIRE(::write(p.write, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    p.close_write();
    const read_log log = read_all(p.read);
    CHECK(log.data == text);
    CHECK(log.ends == 1);
    CHECK(log.end_error.empty());
    CHECK(descriptor_open(p.read));
}

TEST_CASE("close() stops a reader for good: no data, no end, safe to repeat") {
    pipe_fds p;
    event_loop loop;
    read_log log;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        stdin_reader reader(
            loop, p.read,
            [&](std::string_view bytes) {
                log.data.append(bytes);
                ++log.chunks;
            },
            [&](result<void>) { ++log.ends; });
        REQUIRE(reader.start());
        const std::string first = "before close";
        REQUIRE(::write(p.write, first.data(), first.size()) == static_cast<ssize_t>(first.size()));
        // Read what is there, then close from inside the loop; later input is never seen.
        timer later(loop);
        later.start(50, 0, [&] {
            reader.close();
            reader.close();
            const std::string second = "after close";
            REQUIRE(::write(p.write, second.data(), second.size()) ==
                    static_cast<ssize_t>(second.size()));
            p.close_write();
            reader.resume();
            CHECK(reader.start());
        });
        loop.run(); // ends once the reader's and the timer's handles are closed
        fired = guard.fired();
    }
    REQUIRE_FALSE(fired);
    REQUIRE(loop.close());
    CHECK(log.data == "before close");
    CHECK(log.ends == 0);
    CHECK(descriptor_open(p.read));
}

TEST_CASE("a regular file is read to its end in chunks, from the current position") {
    std::string content;
    for (int i = 0; content.size() < 200'000; ++i)
        content += "line " + std::to_string(i) + "\n";
    const int fd = temporary_file("SKIPPED" + content);
    REQUIRE(::lseek(fd, 7, SEEK_SET) == 7); // a parent read this much already
    const read_log log = read_all(fd);
    CHECK(log.data == content);
    CHECK(log.chunks >= 3); // 64 KiB at a time
    CHECK(log.ends == 1);
    CHECK(log.end_error.empty());
    CHECK(descriptor_open(fd));
    ::close(fd);
}

TEST_CASE("/dev/null and a UDP socket are empty inputs") {
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(null >= 0);
    const read_log from_null = read_all(null);
    CHECK(from_null.data.empty());
    CHECK(from_null.ends == 1);
    CHECK(from_null.end_error.empty());
    ::close(null);

    const int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(udp >= 0);
    const read_log from_udp = read_all(udp);
    CHECK(from_udp.data.empty());
    CHECK(from_udp.ends == 1);
    ::close(udp);
}

TEST_CASE("pause holds the input back until resume; nothing is lost") {
    pipe_fds p;
    event_loop loop;
    std::string got;
    int ends = 0;
    bool paused_and_resumed = false;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        timer later(loop);
        std::unique_ptr<stdin_reader> reader;
        reader = std::make_unique<stdin_reader>(
            loop, p.read,
            [&](std::string_view bytes) {
                got.append(bytes);
                if (!paused_and_resumed && got == "first") {
                    reader->pause();
                    // Written while paused: must wait for resume().
                    CHECK(::write(p.write, "second", 6) == 6);
                    p.close_write();
                    later.start(20, 0, [&] {
                        CHECK(got == "first");
                        paused_and_resumed = true;
                        reader->resume();
                    });
                }
            },
            [&](result<void> how) {
                CHECK(how);
                ++ends;
            });
        REQUIRE(::write(p.write, "first", 5) == 5);
        REQUIRE(reader->start());
        loop.run();
        fired = guard.fired();
    }
    REQUIRE_FALSE(fired);
    CHECK(paused_and_resumed);
    CHECK(got == "firstsecond");
    CHECK(ends == 1);
    REQUIRE(loop.close());
}

TEST_CASE("a reader destroyed while a file read is in flight is not called back") {
    const int fd = temporary_file(std::string(100'000, 'x'));
    event_loop loop;
    int calls = 0;
    {
        auto reader = std::make_unique<stdin_reader>(
            loop, fd, [&](std::string_view) { ++calls; }, [&](result<void>) { ++calls; });
        REQUIRE(reader->start());
        reader.reset(); // the read on the thread pool finishes (or is cancelled) unseen
    }
    loop.run(); // until the request is back from the thread pool
    REQUIRE(loop.close());
    CHECK(calls == 0);
    ::close(fd);
}
} // TEST_SUITE("stdin_reader")

TEST_SUITE("fd_watcher") {
TEST_CASE("a pipe becomes readable when written, and reports the writer's hang-up") {
    pipe_fds p;
    event_loop loop;
    std::vector<std::string> events;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        fd_watcher w(loop);
        CHECK_FALSE(w.watching());
        fd_events interest;
        interest.readable = true;
        interest.disconnected = true;
        auto watching = w.watch(p.read, interest, "watch the pipe", [&](result<fd_events> r) {
            CHECK(r);
            if (!r) {
                w.close();
                return;
            }
            char buffer[16];
            const ssize_t n = ::read(p.read, buffer, sizeof buffer);
            if (n > 0) {
                events.push_back("data " + std::string(buffer, static_cast<std::size_t>(n)));
                p.close_write(); // next: the end of input
            } else {
                events.push_back(std::string("end") + (r->disconnected ? " disconnected" : ""));
                w.close();
            }
        });
        REQUIRE_MESSAGE(watching, (watching ? "" : watching.error().message));
        CHECK(w.watching());
        REQUIRE(::write(p.write, "ping", 4) == 4);
        loop.run(); // ends when the watcher closes itself
        fired = guard.fired();
    }
    REQUIRE_FALSE(fired);
    // epoll reports a pipe's hang-up as EPOLLHUP, which libuv passes on as readable; whether
    // UV_DISCONNECT accompanies it depends on the kernel, so only the end is required.
    REQUIRE(events.size() == 2);
    CHECK(events[0] == "data ping");
    CHECK(events[1].rfind("end", 0) == 0);
    REQUIRE(loop.close());
}

TEST_CASE("stop() silences the watcher; watch() again resumes") {
    pipe_fds p;
    event_loop loop;
    int ready = 0;
    bool fired = false;
    {
        test::watchdog guard(loop, 5000);
        fd_watcher w(loop);
        fd_events readable;
        readable.readable = true;
        auto on_ready = [&](result<fd_events>) {
            ++ready;
            w.stop();
        };
        REQUIRE(w.watch(p.read, readable, "watch", on_ready));
        REQUIRE(::write(p.write, "x", 1) == 1);
        loop.run(); // one report, then stopped: nothing keeps the loop running
        CHECK(ready == 1);
        CHECK_FALSE(w.watching());
        loop.run(); // still readable, but not watched
        CHECK(ready == 1);
        REQUIRE(w.watch(p.read, readable, "watch", on_ready));
        loop.run();
        fired = guard.fired();
    }
    REQUIRE_FALSE(fired);
    CHECK(ready == 2);
    REQUIRE(loop.close());
}

TEST_CASE("descriptors that cannot be watched are errors naming the watch") {
    event_loop loop;
    fd_events readable;
    readable.readable = true;
    const int file = temporary_file("x");
    fd_watcher on_file(loop);
    auto refused = on_file.watch(file, readable, "watch the file", [](result<fd_events>) {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "watch the file: EPERM (operation not permitted)");
    CHECK_FALSE(on_file.watching());
    ::close(file);

    pipe_fds p;
    fd_watcher first(loop);
    fd_watcher second(loop);
    REQUIRE(first.watch(p.read, readable, "first", [](result<fd_events>) {}));
    auto twice = second.watch(p.read, readable, "second", [](result<fd_events>) {});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().message == "second: EEXIST (file already exists)");
    first.close();
    REQUIRE(loop.close());
}
} // TEST_SUITE("fd_watcher")
TEST_SUITE("interfaces") {
TEST_CASE("the host's interface addresses include 127.0.0.1 on an internal interface") {
    auto list = local_interface_addresses();
    REQUIRE_MESSAGE(list, (list ? "" : list.error().message));
    bool loopback = false;
    for (const auto& i : *list) {
        CHECK_FALSE(i.interface.empty());
        CHECK(i.address.port() == 0);
        if (i.address.host() == "127.0.0.1") {
            loopback = true;
            CHECK(i.internal);
        }
    }
    CHECK(loopback);
}
} // TEST_SUITE("interfaces")

TEST_SUITE("error_codes") {
TEST_CASE("the named codes match libuv's") {
    CHECK(is_port_unreachable(UV_ECONNREFUSED));
    CHECK(is_port_unreachable(error{"x", {}, 0, 0, UV_ECONNREFUSED}));
    CHECK_FALSE(is_port_unreachable(UV_EAGAIN));
    CHECK_FALSE(is_port_unreachable(error{}));
    CHECK(is_would_block(UV_EAGAIN));
    CHECK(is_would_block(-EWOULDBLOCK));
    CHECK_FALSE(is_would_block(0));
    CHECK(is_message_too_long(UV_EMSGSIZE));
    const auto e = io_failure("send to 127.0.0.1:9", UV_EAGAIN).value;
    CHECK(e.code == UV_EAGAIN);
    CHECK(e.message == "send to 127.0.0.1:9: EAGAIN (resource temporarily unavailable)");
}
} // TEST_SUITE("error_codes")
