#pragma once
// The one-shot mode of udp-send as a pure state machine: N sends, spaced by an interval (or a
// rate), each optionally followed by a wait for its reply. Fed the current time; the tool's
// libuv timer and receive handler drive it.

#include <cstdint>
#include <optional>

namespace udpkit {

/// Drives `count` sends. Without wait_reply, sends follow a schedule (send k at
/// `first + k * period`), so a late timer is caught up. With wait_reply, send k+1 waits until
/// send k was answered or timed out, and at least `period` after send k. With `collect` (a send
/// to a group or broadcast address, answered by every responder), each wait lasts the whole
/// timeout and every reply within it is one.
class send_schedule {
public:
    /// What to do next.
    enum class step {
        send,    ///< send the message now, then call next() again
        wait,    ///< call next() at wake_ns(), or earlier when a reply arrives
        finished ///< all sent (and every reply answered or timed out)
    };

    send_schedule(std::uint64_t count, std::uint64_t period_ns, bool wait_reply,
                  std::uint64_t timeout_ns, bool collect = false) noexcept;

    step next(std::uint64_t now_ns) noexcept;
    /// The wake-up time after next() returned step::wait.
    [[nodiscard]] std::uint64_t wake_ns() const noexcept { return wake_ns_; }
    /// A reply came at `now_ns`: its round-trip time if a send was waiting for it; nullopt for
    /// a reply nobody waits for (late, duplicated, or without wait_reply). With `collect`, every
    /// reply before the send's timeout has one.
    std::optional<std::uint64_t> on_reply(std::uint64_t now_ns) noexcept;

    [[nodiscard]] std::uint64_t sent() const noexcept { return sent_; }
    /// Sends answered (with `collect`: by at least one reply).
    [[nodiscard]] std::uint64_t answered() const noexcept { return answered_; }
    /// Sends whose reply did not come within the timeout (with `collect`: not a single one).
    [[nodiscard]] std::uint64_t missed() const noexcept { return missed_; }

private:
    std::uint64_t count_;
    std::uint64_t period_ns_;
    bool wait_reply_;
    std::uint64_t timeout_ns_;
    bool collect_;
    bool replied_ = false; // collect: the send waited for has a reply
    std::uint64_t sent_ = 0;
    std::uint64_t answered_ = 0;
    std::uint64_t missed_ = 0;
    bool waiting_ = false;
    std::uint64_t last_send_ns_ = 0;
    std::uint64_t next_slot_ns_ = 0;
    std::uint64_t wake_ns_ = 0;
};

} // namespace udpkit
