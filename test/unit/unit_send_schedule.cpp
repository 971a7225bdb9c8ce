#include <doctest/doctest.h>

#include "udpkit/send_schedule.hpp"

using namespace udpkit;
using step = send_schedule::step;

namespace {
constexpr std::uint64_t ms = 1'000'000;
}

TEST_SUITE("unit") {
TEST_CASE("send_schedule: one send without waiting") {
    send_schedule s(1, 0, false, 1000 * ms);
    CHECK(s.next(0) == step::send);
    CHECK(s.next(0) == step::finished);
    CHECK_FALSE(s.on_reply(1 * ms)); // nobody waits for it
    CHECK(s.sent() == 1);
}

TEST_CASE("send_schedule: sends follow the period and catch up a late timer") {
    send_schedule s(4, 10 * ms, false, 1000 * ms);
    CHECK(s.next(0) == step::send);
    CHECK(s.next(0) == step::wait);
    CHECK(s.wake_ns() == 10 * ms);
    CHECK(s.next(21 * ms) == step::send); // slot 10 ms
    CHECK(s.next(21 * ms) == step::send); // slot 20 ms, also due
    CHECK(s.next(21 * ms) == step::wait);
    CHECK(s.wake_ns() == 30 * ms);
    CHECK(s.next(30 * ms) == step::send);
    CHECK(s.next(30 * ms) == step::finished);
}

TEST_CASE("send_schedule: with wait_reply each send waits for its reply or its timeout") {
    send_schedule s(3, 0, true, 100 * ms);
    CHECK(s.next(0) == step::send);
    CHECK(s.next(5 * ms) == step::wait);
    CHECK(s.wake_ns() == 100 * ms);
    CHECK(s.on_reply(7 * ms) == 7 * ms);
    CHECK_FALSE(s.on_reply(8 * ms)); // a duplicate is nobody's reply
    CHECK(s.next(8 * ms) == step::send);
    CHECK(s.next(108 * ms) == step::send); // the second reply never came
    CHECK(s.next(150 * ms) == step::wait);
    CHECK(s.on_reply(160 * ms) == 52 * ms);
    CHECK(s.next(160 * ms) == step::finished);
    CHECK(s.answered() == 2);
    CHECK(s.missed() == 1);
}

TEST_CASE("send_schedule: a slow reply delays the next send instead of causing a burst") {
    send_schedule s(3, 10 * ms, true, 1000 * ms);
    CHECK(s.next(0) == step::send);
    CHECK(s.on_reply(50 * ms));
    CHECK(s.next(50 * ms) == step::send);
    CHECK(s.on_reply(51 * ms));
    CHECK(s.next(51 * ms) == step::wait);
    CHECK(s.wake_ns() == 60 * ms);
}
} // TEST_SUITE("unit")
