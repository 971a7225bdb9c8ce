#include "udpkit/io/signal.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>

#include <uv.h>

namespace udpkit {

signal_watcher::signal_watcher(event_loop& loop)
    : opened_(handle_.open(loop, this, "watch signals", &uv_signal_init)) {}

signal_watcher::~signal_watcher() = default;

result<void> signal_watcher::start(int signum, std::function<void(int)> fn) {
    if (!opened_)
        return opened_;
    if (!handle_)
        return fail("watch signal " + std::to_string(signum) + ": the watcher is closed");
    fn_ = std::move(fn);
    if (int rc = uv_signal_start(handle_.get(), &signal_watcher::on_signal, signum); rc != 0)
        return uv_failure("watch signal " + std::to_string(signum), rc);
    return {};
}

void signal_watcher::stop() noexcept {
    if (handle_)
        uv_signal_stop(handle_.get());
}
void signal_watcher::unref() noexcept {
    if (handle_)
        uv_unref(handle_.base());
}
void signal_watcher::close() noexcept {
    handle_.close();
}

void signal_watcher::on_signal(uv_signal_t* handle, int signum) noexcept {
    auto* self = udpkit::handle<uv_signal_t>::owner<signal_watcher>(handle);
    if (self == nullptr || !self->fn_)
        return;
    auto fn = self->fn_;
    fn(signum);
}

stop_signals::stop_signals(event_loop& loop, std::function<void(int)> fn)
    : int_(loop), term_(loop) {
    // The handles are unref'd so that a tool whose work is done exits without waiting for a
    // signal. Watching SIGINT/SIGTERM fails only when libuv could not set up signal handling at
    // all (out of descriptors): the tool then still runs, it just cannot be stopped cleanly.
    for (auto [w, signum] : {std::pair{&int_, SIGINT}, std::pair{&term_, SIGTERM}}) {
        if (auto started = w->start(signum, fn); !started)
            std::fprintf(stderr, "udpkit: %s\n", started.error().message.c_str());
        w->unref();
    }
}

stats_reports::stats_reports(event_loop& loop, double interval_seconds,
                             std::function<void(stats_reason)> print)
    : loop_(loop), print_(std::move(print)), stop_(loop,
                                                   [this](int) {
                                                       print_(stats_reason::final);
                                                       loop_.stop();
                                                   }),
      hup_(loop), usr1_(loop), interval_(loop),
      interval_ms_(interval_seconds > 0 ? std::max<std::uint64_t>(1, static_cast<std::uint64_t>(
                                                                         interval_seconds * 1000))
                                        : 0) {}

result<void> stats_reports::start() {
    if (auto started = hup_.start(SIGHUP,
                                  [this](int) {
                                      print_(stats_reason::final);
                                      loop_.stop();
                                  });
        !started)
        return started;
    hup_.unref();
    if (auto started = usr1_.start(SIGUSR1, [this](int) { print_(stats_reason::sigusr1); });
        !started)
        return started;
    usr1_.unref();
    if (interval_ms_ > 0) {
        interval_.start(interval_ms_, interval_ms_, [this] { print_(stats_reason::interval); });
        interval_.unref();
    }
    return {};
}

} // namespace udpkit
