#pragma once
// Batched sending with sendmmsg, which libuv 1.44 does not wrap. A responder that gathers the
// replies to one receive batch and sends them with one system call also wakes its peer once
// instead of once per datagram, which is what makes the recvmmsg/sendmmsg loop fast. With UDP
// GSO a run of same-size datagrams to one destination goes out as one message of that call.

#include <sys/socket.h>

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/io/local_source.hpp"
#include "udpkit/segmentation.hpp"

namespace udpkit {

/// The signature of sendmmsg(2).
using sendmmsg_function = int (*)(int fd, mmsghdr* messages, unsigned count, int flags);

/// Datagrams waiting to be sent together. All memory is allocated by the constructor: `add`
/// copies the payload into a fixed arena, so the caller's buffer may be reused at once.
class send_batch {
public:
    /// Room for `max_datagrams` datagrams totalling `arena_bytes` bytes of payload.
    send_batch(std::size_t max_datagrams, std::size_t arena_bytes);
    send_batch(const send_batch&) = delete;
    send_batch& operator=(const send_batch&) = delete;

    /// Queues a copy of `payload` for `to`, leaving from `from` if given (a received
    /// datagram's reply_from). Returns false, queuing nothing, when the batch has no room left
    /// for it (flush, clear, then add again); a payload larger than the whole arena never fits.
    bool add(std::string_view payload, const ip_endpoint& to,
             const local_source* from = nullptr) noexcept;

    /// Sends every queued datagram, in order, on the non-blocking UDP socket `fd`, with as few
    /// sendmmsg calls as the kernel allows. Returns one code per datagram: 0 if it was handed
    /// to the kernel, otherwise a negative errno (libuv's UV_E* values on Unix). A datagram
    /// the kernel refuses (e.g. -EACCES for a broadcast address) is skipped and the rest are
    /// still sent; when the socket buffer is full (-EAGAIN) that datagram and all after it are
    /// dropped, never waited for. The datagrams stay readable until clear().
    /// `send` is the system call; tests pass a stand-in to script the kernel's answers.
    /// With `gso` whose `gso` flag is set, each run of datagrams that gso_run accepts (same
    /// destination and source) leaves as one UDP_SEGMENT message, counted in `gso`; if the
    /// kernel refuses one (EIO, EINVAL, EMSGSIZE), GSO is turned off in `gso`, the refusal
    /// counted, and
    /// that run and the rest are sent one datagram per message: none is lost to it.
    /// udp_socket::send_now is the usual caller.
    std::span<const int> flush(int fd, sendmmsg_function send = &::sendmmsg,
                               offload_counters* gso = nullptr) noexcept;
    /// Forgets the queued datagrams (after flush, once their results are read).
    void clear() noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] const ip_endpoint& destination(std::size_t i) const noexcept { return to_[i]; }
    [[nodiscard]] std::string_view payload(std::size_t i) const noexcept;

private:
    /// Builds the messages for datagrams `from`..: with `segment` one per run that gso_run
    /// accepts, else one per datagram. Returns how many.
    std::size_t make_runs(std::size_t from, bool segment) noexcept;
    /// Sends `runs` messages and settles their datagrams' results; returns size() when every
    /// datagram is dealt with, else the first one of a run whose GSO the kernel refused.
    std::size_t send_runs(int fd, sendmmsg_function send, std::size_t runs,
                          offload_counters* gso) noexcept;
    /// Same destination and source.
    [[nodiscard]] bool same_path(std::size_t a, std::size_t b) const noexcept;

    std::vector<char> arena_;
    std::vector<ip_endpoint> to_;
    std::vector<local_source> from_; // where has_from_
    std::vector<char> has_from_;
    std::vector<iovec> iov_;
    std::vector<mmsghdr> messages_;      // one per datagram
    std::vector<char> control_;          // one source-address control message per datagram
    std::vector<mmsghdr> runs_;          // GSO: one per run of datagrams
    std::vector<std::size_t> run_first_; // each run's first datagram, then size()
    std::vector<char> run_control_;      // per run: its source and its segment size
    std::vector<int> results_;
    std::size_t count_ = 0;
    std::size_t used_bytes_ = 0;
};

} // namespace udpkit
