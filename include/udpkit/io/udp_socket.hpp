#pragma once
// The datagram engine: a non-blocking UDP socket that the io layer creates and owns. libuv only
// watches it for readiness (uv_poll); the engine makes the system calls itself (recvmmsg,
// sendmsg/sendmmsg) with control messages, because libuv's UDP handle hands out none: which
// local address a datagram reached, when the kernel received it, how many the kernel dropped,
// and the segment size of a UDP GRO buffer (several datagrams of one flow read as one).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/handle.hpp"
#include "udpkit/io/local_source.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/result.hpp"
#include "udpkit/segmentation.hpp"

struct uv_poll_s;
struct uv_idle_s;

namespace udpkit {

class send_batch;

/// One received datagram. The views are valid only during the receive handler.
struct datagram {
    std::string_view payload; ///< the message, at most the socket's limit in bytes
    std::size_t size;         ///< the size on the wire (> payload.size() when truncated)
    const ip_endpoint& from;  ///< the sender
    bool truncated;           ///< larger than the socket's limit: never to be used as whole
    /// The local address the datagram was sent to (its IP header's destination, which on a
    /// wildcard socket may be any of the host's addresses, a broadcast or a group address).
    const ip_endpoint& to;
    /// Where a reply to it must leave from so that the sender sees its own request's peer:
    /// set on wildcard sockets only (elsewhere the bound address already is the source).
    /// Pass it to send().
    const local_source* reply_from;
    /// When the kernel received it, on the event_loop::now_ns() clock (SO_TIMESTAMPNS): the
    /// loop's wake-up latency is not in it. (Linux turns timestamping on system-wide a moment
    /// after the first socket asks; datagrams before that are stamped when read.) The time it was
    /// read when the socket was made without socket_options::receive_timestamps.
    std::uint64_t received_ns;
    /// The socket's running count of datagrams the kernel dropped (receive buffer full) before
    /// this one was queued (SO_RXQ_OVFL; 0 without socket_options::drop_counts).
    std::uint64_t kernel_drops;
    /// Whether `to` is one of the host's addresses, a joined group or a broadcast address.
    destination_kind kind;
};

/// An error reported by the socket outside a send call, e.g. an ICMP "port unreachable" for an
/// earlier datagram (only with socket_options::report_unreachable).
struct socket_error {
    udpkit::error error;
    std::optional<ip_endpoint> destination; ///< where the failed datagram was going, if known
};

struct socket_options {
    message_limit limit;             ///< sends over it are refused; receives over it are truncated
    bool batch_receive = true;       ///< recvmmsg: up to receive_batch datagrams per system call
    bool report_unreachable = false; ///< IP_RECVERR: deliver ICMP errors to the error handler
    std::size_t max_queued_sends = 1024; ///< bound of the send queue used when the kernel is full
    /// SO_TIMESTAMPNS: datagram::received_ns is the kernel's receive time (else the time the
    /// datagram was read). A responder that never looks at it saves the kernel the work.
    bool receive_timestamps = true;
    /// SO_RXQ_OVFL: each datagram carries the running drop count (datagram::kernel_drops).
    /// kernel_drops() reads the exact count from the socket either way.
    bool drop_counts = true;
    /// UDP segmentation offloads where the kernel has them: UDP_GRO on receive (a buffer of
    /// several datagrams is split back into them by its segment size, so the receive handler
    /// still sees one datagram at a time) and UDP_SEGMENT in send_now() (runs of same-size
    /// datagrams to one destination leave as one message). See offload().
    bool offload = true;
    /// A socket bound to the IPv6 wildcard `[::]` takes IPv6 only (IPV6_V6ONLY). When false it
    /// is dual-stack: IPv4 datagrams arrive too, from plain IPv4 endpoints, and replies to them
    /// go out as IPv4. Ignored for other addresses.
    bool ipv6_only = true;
    /// SO_REUSEADDR, set before bind: several sockets of the host (each with this on) share the
    /// address, and each gets its own copy of every multicast or broadcast datagram to it. Off
    /// by default: on a unicast address it lets another socket take the port silently.
    bool reuse_address = false;
};

/// What happened to one send() call that did not fail.
enum class send_status {
    sent,   ///< handed to the kernel at once
    queued, ///< the kernel buffer was full; a copy waits in the bounded queue
    dropped ///< the kernel buffer and the queue were full; counted, not sent
};

/// Counters kept by the socket itself.
struct socket_counters {
    std::uint64_t sent = 0;        ///< datagrams handed to the kernel (immediately or queued)
    std::uint64_t queued = 0;      ///< datagrams that went through the queue
    std::uint64_t dropped = 0;     ///< datagrams dropped because the queue was full
    std::uint64_t send_errors = 0; ///< datagrams the kernel refused (e.g. ENOBUFS, EPERM)
    std::uint64_t received = 0;    ///< datagrams read (truncated ones included; GRO split)
};

/// A UDP socket on the loop. Not copyable or movable: libuv's poll handle points back at it.
///
/// Callbacks: the receive and error handlers run only from the loop, never from inside a call
/// into this class. An error that send() finds about an earlier datagram (an ICMP error the
/// kernel hands to the next send) is delivered to the error handler on a later loop turn,
/// after send() has returned. A handler may close() the socket; it must not destroy it.
class udp_socket {
public:
    using receive_handler = std::function<void(const datagram&)>;
    using error_handler = std::function<void(const socket_error&)>;

    /// Buffers read per recvmmsg call at most (with GRO each may hold up to 64 datagrams).
    static constexpr std::size_t receive_batch = 64;

    /// Creates a socket bound to `local` (port 0 picks a free port: read it back with
    /// local_address()). Errors read like "bind 127.0.0.1:9000: EADDRINUSE (address already in
    /// use)".
    static result<std::unique_ptr<udp_socket>> bind(event_loop& loop, const ip_endpoint& local,
                                                    const socket_options& options = {});
    ~udp_socket();
    udp_socket(const udp_socket&) = delete;
    udp_socket& operator=(const udp_socket&) = delete;

    /// Starts delivering datagrams to `on_datagram`; errors (ICMP, receive failures) go to
    /// `on_error` if given. Empty datagrams are delivered as empty payloads.
    result<void> start_receive(receive_handler on_datagram, error_handler on_error = {});
    void stop_receive() noexcept;

    /// Sends one datagram, from `from` if given (a received datagram's reply_from): refused
    /// with an error if it exceeds the limit; otherwise tried at once and queued (bounded) if
    /// the kernel buffer is full. Errors about this datagram are returned (with the errno
    /// name); none is delivered to a handler from inside this call.
    result<send_status> send(std::string_view payload, const ip_endpoint& to,
                             const local_source* from = nullptr);

    /// Sends every datagram of `batch` with as few sendmmsg calls as the kernel allows (with GSO
    /// unless the socket was made without offload or the kernel refused it) and counts them;
    /// returns one code per datagram (0 sent, else a negative errno; -EAGAIN when the kernel
    /// buffer was full: dropped, not queued). See send_batch::flush. An ICMP error handed to
    /// one of these sends reaches the error handler later, as for send().
    std::span<const int> send_now(send_batch& batch) noexcept;

    /// Calls `fn` after the receive handler has seen each batch of datagrams read with one
    /// system call (one datagram when they come one at a time): where a responder sends the
    /// replies it gathered, so a lone request is answered at once and a flood in batches.
    void on_receive_batch_end(std::function<void()> fn) { on_batch_end_ = std::move(fn); }

    /// Calls `fn` each time the send queue becomes empty (use to finish after a burst).
    void on_drained(std::function<void()> fn) { on_drained_ = std::move(fn); }
    [[nodiscard]] std::size_t queued_sends() const noexcept { return queue_.size(); }

    [[nodiscard]] const ip_endpoint& local_address() const noexcept { return local_; }
    /// Bound to 0.0.0.0 or [::]: datagrams may reach any local address.
    [[nodiscard]] bool is_wildcard() const noexcept { return wildcard_; }
    /// Bound to `[::]` without socket_options::ipv6_only: receives IPv4 datagrams too.
    [[nodiscard]] bool is_dual_stack() const noexcept { return dual_stack_; }
    [[nodiscard]] message_limit limit() const noexcept { return options_.limit; }
    [[nodiscard]] const socket_counters& counters() const noexcept { return counters_; }
    /// Which offloads are on and what they did.
    [[nodiscard]] const offload_counters& offload() const noexcept { return offload_; }
    /// Datagrams the kernel dropped on this socket because its receive buffer was full, read
    /// from the socket now (SO_MEMINFO), so drops after the last datagram read count too.
    [[nodiscard]] std::uint64_t kernel_drops() const noexcept;

    result<void> set_broadcast(bool on);
    result<void> set_ttl(int ttl);
    result<void> set_multicast_ttl(int ttl);
    result<void> set_multicast_loop(bool on);
    /// The interface that datagrams to a group leave by (IP_MULTICAST_IF / IPV6_MULTICAST_IF;
    /// an index from find_interface(), 0 for the routing table's choice).
    result<void> set_multicast_interface(unsigned interface_index);
    /// Joins (or leaves) the multicast group `group` (its port is ignored; the family must be
    /// the socket's) on the interface with this index, 0 for the routing table's choice. Every
    /// socket receives only the groups it joined itself (IP_MULTICAST_ALL is off from bind()),
    /// not those the host is in or other sockets of it joined on the same port.
    result<void> join_multicast(const ip_endpoint& group, unsigned interface_index = 0);
    result<void> leave_multicast(const ip_endpoint& group, unsigned interface_index = 0);
    /// Sets SO_RCVBUF / SO_SNDBUF (the kernel may double or cap the value).
    result<void> set_buffer_sizes(int receive_bytes, int send_bytes);
    /// The receive buffer the kernel gave the socket (SO_RCVBUF as read back: the kernel
    /// memory its queued datagrams may take, already doubled); 0 if the socket is closed.
    [[nodiscard]] std::uint64_t receive_buffer_bytes() const noexcept;

    /// Stops receiving and closes the descriptor; queued sends are dropped.
    void close() noexcept;

private:
    struct receive_slots;
    struct queued_send {
        std::string bytes;
        ip_endpoint to;
        std::optional<local_source> from;
    };
    udp_socket(event_loop& loop, const socket_options& options);

    static void on_poll(uv_poll_s* handle, int status, int events) noexcept;
    static void on_idle(uv_idle_s* handle) noexcept;
    /// Reads up to a few batches, delivering each datagram and each batch end.
    void read_datagrams() noexcept;
    void flush_queue() noexcept;
    /// Watches for readable (when receiving) and writable (when sends are queued).
    void update_poll() noexcept;
    /// Sends one datagram (repeated once when the kernel handed it an earlier datagram's ICMP
    /// error); returns 0 or a negative errno.
    int send_one(std::string_view payload, const ip_endpoint& to,
                 const local_source* from) noexcept;
    /// One sendmsg call; returns 0 or a negative errno.
    int sendmsg_once(std::string_view payload, const ip_endpoint& to,
                     const local_source* from) noexcept;
    /// Queues an error for the error handler, delivered on the next loop turn.
    void defer(socket_error e);
    /// Moves the ICMP errors of the error queue (IP_RECVERR) to the deferred list.
    void collect_error_queue() noexcept;
    result<void> set_option(std::string_view what, int level, int name, int value);

    event_loop& loop_;
    socket_options options_;
    int fd_ = -1;
    handle<uv_poll_s> poll_;
    handle<uv_idle_s> idle_; // runs while deferred errors wait
    int poll_events_ = 0;
    ip_endpoint local_;
    bool wildcard_ = false;
    bool dual_stack_ = false;
    destination_kind bound_kind_ = destination_kind::unicast; // of datagrams without pktinfo
    bool receiving_ = false;
    std::unique_ptr<receive_slots> slots_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true); // false once closed
    receive_handler on_datagram_;
    error_handler on_error_;
    std::function<void()> on_drained_;
    std::function<void()> on_batch_end_;
    std::deque<queued_send> queue_;
    std::vector<socket_error> deferred_;
    socket_counters counters_;
    offload_counters offload_;
    std::uint64_t last_kernel_drops_ = 0;
};

} // namespace udpkit
