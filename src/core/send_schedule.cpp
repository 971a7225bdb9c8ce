#include "udpkit/send_schedule.hpp"

namespace udpkit {

send_schedule::send_schedule(std::uint64_t count, std::uint64_t period_ns, bool wait_reply,
                             std::uint64_t timeout_ns, bool collect) noexcept
    : count_(count), period_ns_(period_ns), wait_reply_(wait_reply), timeout_ns_(timeout_ns),
      collect_(collect) {}

send_schedule::step send_schedule::next(std::uint64_t now_ns) noexcept {
    if (waiting_) {
        const std::uint64_t deadline = last_send_ns_ + timeout_ns_;
        if (now_ns < deadline) {
            wake_ns_ = deadline;
            return step::wait;
        }
        waiting_ = false;
        if (!replied_)
            ++missed_;
    }
    if (sent_ >= count_)
        return step::finished;
    if (sent_ > 0 && now_ns < next_slot_ns_) {
        wake_ns_ = next_slot_ns_;
        return step::wait;
    }
    // Waiting for replies, the period counts from the previous send: a slow reply delays the
    // schedule rather than causing a burst of catch-up sends.
    next_slot_ns_ = (sent_ == 0 || wait_reply_ ? now_ns : next_slot_ns_) + period_ns_;
    ++sent_;
    last_send_ns_ = now_ns;
    waiting_ = wait_reply_;
    replied_ = false;
    return step::send;
}

std::optional<std::uint64_t> send_schedule::on_reply(std::uint64_t now_ns) noexcept {
    if (!waiting_ || (collect_ && now_ns >= last_send_ns_ + timeout_ns_))
        return std::nullopt;
    if (!collect_)
        waiting_ = false;
    answered_ += !replied_;
    replied_ = true;
    // A kernel receive time may precede the latest send stamp (a late reply to an earlier send).
    return now_ns > last_send_ns_ ? now_ns - last_send_ns_ : 0;
}

} // namespace udpkit
