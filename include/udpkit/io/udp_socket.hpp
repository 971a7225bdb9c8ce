#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <uv.h>

#include "udpkit/address.hpp"
#include "udpkit/io/event_loop.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/result.hpp"

namespace udpkit {

/// One received datagram. The views are valid only during the receive handler.
struct datagram {
    std::string_view payload; ///< the message, at most the socket's limit in bytes
    std::size_t size;         ///< the size on the wire (> payload.size() when truncated)
    const ip_endpoint& from;  ///< the sender
    bool truncated;           ///< larger than the socket's limit: never to be used as whole
};

/// An error reported by the socket outside a send call, e.g. an ICMP "port unreachable" for an
/// earlier datagram (only with socket_options::report_unreachable).
struct socket_error {
    udpkit::error error;
    std::optional<ip_endpoint> destination; ///< where the failed datagram was going, if known
};

struct socket_options {
    message_limit limit;             ///< sends over it are refused; receives over it are truncated
    bool batch_receive = true;       ///< recvmmsg: up to 20 datagrams per system call
    bool report_unreachable = false; ///< IP_RECVERR: deliver ICMP errors to the error handler
    std::size_t max_queued_sends = 1024; ///< bound of the send queue used when the kernel is full
};

/// What happened to one send() call that did not fail.
enum class send_status {
    sent,   ///< handed to the kernel at once (uv_udp_try_send)
    queued, ///< the kernel buffer was full; a copy waits in the bounded queue
    dropped ///< the kernel buffer and the queue were full; counted, not sent
};

/// Counters kept by the socket itself.
struct socket_counters {
    std::uint64_t sent = 0;        ///< datagrams handed to the kernel (immediately or queued)
    std::uint64_t queued = 0;      ///< datagrams that went through the queue
    std::uint64_t dropped = 0;     ///< datagrams dropped because the queue was full
    std::uint64_t send_errors = 0; ///< datagrams the kernel refused (e.g. ENOBUFS, EPERM)
};

/// A UDP socket on the loop (RAII over uv_udp_t). Not copyable or movable: libuv's handle points
/// back at it. Closing (or destroying) it stops receiving; the libuv handle is freed in its close
/// callback, so the loop must run once more (event_loop::close does).
class udp_socket {
public:
    using receive_handler = std::function<void(const datagram&)>;
    using error_handler = std::function<void(const socket_error&)>;

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

    /// Sends one datagram: refused with an error if it exceeds the limit; otherwise tried at once
    /// and queued (bounded) if the kernel buffer is full. Errors carry the libuv code.
    result<send_status> send(std::string_view payload, const ip_endpoint& to);

    /// Calls `fn` each time the send queue becomes empty (use to finish after a burst).
    void on_drained(std::function<void()> fn) { on_drained_ = std::move(fn); }
    [[nodiscard]] std::size_t queued_sends() const noexcept;

    [[nodiscard]] const ip_endpoint& local_address() const noexcept { return local_; }
    [[nodiscard]] message_limit limit() const noexcept { return options_.limit; }
    [[nodiscard]] const socket_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] bool batch_receive_active() const noexcept;
    /// The OS descriptor, for system calls libuv 1.44 does not wrap (e.g. sendmmsg).
    [[nodiscard]] int fd() const noexcept;

    result<void> set_broadcast(bool on);
    result<void> set_ttl(int ttl);
    result<void> set_multicast_ttl(int ttl);
    result<void> set_multicast_loop(bool on);
    /// Joins (or leaves) a multicast group, on `interface_address` or the default interface.
    result<void> join_multicast(const std::string& group,
                                const std::string& interface_address = {});
    result<void> leave_multicast(const std::string& group,
                                 const std::string& interface_address = {});
    /// Sets SO_RCVBUF / SO_SNDBUF (the kernel may double or cap the value).
    result<void> set_buffer_sizes(int receive_bytes, int send_bytes);

    /// Stops receiving and closes the handle; pending queued sends are cancelled.
    void close() noexcept;

private:
    struct send_request;
    udp_socket(event_loop& loop, const socket_options& options);

    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_receive(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                           const sockaddr* addr, unsigned flags) noexcept;
    static void on_sent(uv_udp_send_t* req, int status) noexcept;
    void report(socket_error e) noexcept;
    /// Reads queued ICMP errors (IP_RECVERR), reports each; returns how many were reported.
    int drain_error_queue() noexcept;

    event_loop& loop_;
    socket_options options_;
    uv_udp_t* handle_ = nullptr;
    ip_endpoint local_;
    std::unique_ptr<char[]> receive_buffer_;
    std::size_t receive_buffer_size_ = 0;
    receive_handler on_datagram_;
    error_handler on_error_;
    std::function<void()> on_drained_;
    socket_counters counters_;
};

} // namespace udpkit
