#include "udpkit/io/after_io.hpp"

#include <uv.h>

namespace udpkit {

struct after_io::trampolines {
    static void on_check(uv_check_t* h) noexcept {
        auto* self = handle<uv_check_t>::owner<after_io>(h);
        if (self == nullptr || !self->fn_)
            return;
        // Copy: the function may destroy the hook.
        auto fn = self->fn_;
        fn();
    }
};

after_io::after_io(std::function<void()> fn) : fn_(std::move(fn)) {}
after_io::~after_io() = default;

result<std::unique_ptr<after_io>> after_io::start(event_loop& loop, std::function<void()> fn) {
    std::unique_ptr<after_io> self(new after_io(std::move(fn)));
    if (auto opened = self->check_.open(loop, self.get(), "hook after I/O", &uv_check_init);
        !opened)
        return unexpected{std::move(opened).error()};
    if (int rc = uv_check_start(self->check_.get(), &trampolines::on_check); rc != 0)
        return uv_failure("hook after I/O", rc);
    uv_unref(self->check_.base());
    return self;
}

void after_io::stop() noexcept {
    if (check_)
        uv_check_stop(check_.get());
}

void after_io::close() noexcept {
    check_.close();
}

} // namespace udpkit
