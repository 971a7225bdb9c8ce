#pragma once
// Helpers for loopback tests: a watchdog so that no loop test can hang.

#include <cstdint>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/timer.hpp"

namespace udpkit::test {

/// Stops the loop after `ms` and records that it fired; tests REQUIRE(!fired) after run().
class watchdog {
public:
    watchdog(event_loop& loop, std::uint64_t ms) : timer_(loop) {
        timer_.start(ms, 0, [this, &loop] {
            fired_ = true;
            loop.stop();
        });
        timer_.unref();
    }
    [[nodiscard]] bool fired() const noexcept { return fired_; }

private:
    timer timer_;
    bool fired_ = false;
};

} // namespace udpkit::test
