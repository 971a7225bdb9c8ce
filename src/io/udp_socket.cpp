#include "udpkit/io/udp_socket.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace udpkit {
namespace {

// libuv's recvmmsg splits the receive buffer into chunks of this size (UV__UDP_DGRAM_MAXSIZE)
// and uses at most 20 of them per call. A chunk holds any UDP datagram whole, so sizes over the
// socket's limit are measured exactly rather than cut by the kernel.
constexpr std::size_t chunk_bytes = 64 * 1024;
constexpr std::size_t batch_chunks = 20;

uv_handle_t* as_handle(uv_udp_t* h) {
    return reinterpret_cast<uv_handle_t*>(h);
}

} // namespace

struct udp_socket::send_request {
    uv_udp_send_t req;
    std::unique_ptr<char[]> bytes; // lives until the send callback, as libuv requires
};

udp_socket::udp_socket(event_loop& loop, const socket_options& options)
    : loop_(loop), options_(options) {}

result<std::unique_ptr<udp_socket>> udp_socket::bind(event_loop& loop, const ip_endpoint& local,
                                                     const socket_options& options) {
    std::unique_ptr<udp_socket> self(new udp_socket(loop, options));
    self->handle_ = static_cast<uv_udp_t*>(std::calloc(1, sizeof(uv_udp_t)));
    const unsigned family = local.family() == ip_family::v6 ? AF_INET6 : AF_INET;
    const unsigned flags = family | (options.batch_receive ? unsigned{UV_UDP_RECVMMSG} : 0u);
    if (int rc = uv_udp_init_ex(loop.get(), self->handle_, flags); rc != 0) {
        std::free(self->handle_);
        self->handle_ = nullptr;
        return uv_failure("create UDP socket", rc);
    }
    self->handle_->data = self.get();

    unsigned bind_flags = options.report_unreachable ? unsigned{UV_UDP_LINUX_RECVERR} : 0u;
    if (local.family() == ip_family::v6)
        bind_flags |= UV_UDP_IPV6ONLY; // one address family per socket keeps addresses exact
    if (int rc = uv_udp_bind(self->handle_, local.sockaddr_ptr(), bind_flags); rc != 0)
        return uv_failure("bind " + local.to_string(), rc);

    sockaddr_storage bound{};
    int len = sizeof bound;
    if (int rc = uv_udp_getsockname(self->handle_, reinterpret_cast<sockaddr*>(&bound), &len);
        rc != 0)
        return uv_failure("getsockname", rc);
    self->local_ = ip_endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&bound)).value_or(local);
    return self;
}

udp_socket::~udp_socket() {
    close();
}

void udp_socket::close() noexcept {
    if (handle_ == nullptr)
        return;
    handle_->data = nullptr;
    uv_close(as_handle(handle_), [](uv_handle_t* h) { std::free(h); });
    handle_ = nullptr;
}

result<void> udp_socket::start_receive(receive_handler on_datagram, error_handler on_error) {
    on_datagram_ = std::move(on_datagram);
    on_error_ = std::move(on_error);
    if (!receive_buffer_) {
        receive_buffer_size_ = chunk_bytes * (batch_receive_active() ? batch_chunks : 1);
        receive_buffer_ = std::make_unique<char[]>(receive_buffer_size_);
    }
    if (int rc = uv_udp_recv_start(handle_, &udp_socket::on_alloc, &udp_socket::on_receive);
        rc != 0)
        return uv_failure("receive on " + local_.to_string(), rc);
    return {};
}

void udp_socket::stop_receive() noexcept {
    if (handle_ != nullptr)
        uv_udp_recv_stop(handle_);
}

bool udp_socket::batch_receive_active() const noexcept {
    return handle_ != nullptr && uv_udp_using_recvmmsg(handle_) == 1;
}

int udp_socket::fd() const noexcept {
    uv_os_fd_t fd = -1;
    if (handle_ != nullptr)
        uv_fileno(as_handle(handle_), &fd);
    return fd;
}

std::size_t udp_socket::queued_sends() const noexcept {
    return handle_ == nullptr ? 0 : uv_udp_get_send_queue_count(handle_);
}

void udp_socket::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) noexcept {
    auto* self = static_cast<udp_socket*>(handle->data);
    if (self == nullptr) {
        *buf = uv_buf_init(nullptr, 0);
        return;
    }
    // One buffer per socket, reused: libuv is done with it when the receive callbacks return.
    *buf =
        uv_buf_init(self->receive_buffer_.get(), static_cast<unsigned>(self->receive_buffer_size_));
}

void udp_socket::on_receive(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                            const sockaddr* addr, unsigned flags) noexcept {
    auto* self = static_cast<udp_socket*>(handle->data);
    if (self == nullptr || (flags & UV_UDP_MMSG_FREE) != 0)
        return; // closed, or the end-of-batch call: the buffer is ours and is kept
    if (nread < 0) {
        self->report(
            {uv_failure("receive on " + self->local_.to_string(), static_cast<int>(nread)).value,
             std::nullopt});
        return;
    }
    if (addr == nullptr) {
        // "Nothing more to read". With IP_RECVERR an ICMP error can still sit in the error
        // queue (its pending error already taken by a send); drain it so epoll stops waking us.
        if (self->options_.report_unreachable)
            self->drain_error_queue();
        return;
    }
    auto from = ip_endpoint::from_sockaddr(addr);
    if (!from || !self->on_datagram_)
        return;
    const auto size = static_cast<std::size_t>(nread);
    const auto limit = self->options_.limit.bytes();
    const bool truncated = (flags & UV_UDP_PARTIAL) != 0 || size > limit;
    const datagram d{std::string_view(buf->base, size > limit ? limit : size), size, *from,
                     truncated};
    self->on_datagram_(d); // may close the socket: `self` is not used after this
}

void udp_socket::report(socket_error e) noexcept {
    // An ICMP error is better reported from the error queue, which names its destination.
    if (options_.report_unreachable && drain_error_queue() > 0)
        return;
    if (on_error_)
        on_error_(e);
}

int udp_socket::drain_error_queue() noexcept {
    const int s = fd();
    int reported = 0;
    // Each queued ICMP error names the destination of the datagram that caused it.
    for (int i = 0; i < 64 && s >= 0; ++i) {
        sockaddr_storage dest{};
        char control[512];
        char data[1];
        iovec iov{data, sizeof data};
        msghdr msg{};
        msg.msg_name = &dest;
        msg.msg_namelen = sizeof dest;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (recvmsg(s, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            break;
        int err = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
                sock_extended_err ee;
                std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
                err = static_cast<int>(ee.ee_errno);
            }
        }
        if (err == 0 || !on_error_)
            continue;
        auto destination = ip_endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&dest));
        std::string what = "send";
        if (destination)
            what += " to " + destination->to_string();
        on_error_({uv_failure(what, -err).value, destination});
        ++reported;
    }
    return reported;
}

result<send_status> udp_socket::send(std::string_view payload, const ip_endpoint& to) {
    if (handle_ == nullptr)
        return fail("send to " + to.to_string() + ": socket is closed", UV_EBADF);
    if (auto fits = options_.limit.check(payload.size()); !fits)
        return fail("send to " + to.to_string() + ": " + fits.error().message, UV_EMSGSIZE);

    uv_buf_t buf =
        uv_buf_init(const_cast<char*>(payload.data()), static_cast<unsigned>(payload.size()));
    int rc = uv_udp_try_send(handle_, &buf, 1, to.sockaddr_ptr());
    if (rc >= 0) {
        ++counters_.sent;
        return send_status::sent;
    }
    if (rc != UV_EAGAIN) {
        ++counters_.send_errors;
        if (rc == UV_ECONNREFUSED && options_.report_unreachable)
            (void)drain_error_queue(); // this send returned the error; clear its queue entry
        return uv_failure("send to " + to.to_string(), rc);
    }
    // The kernel buffer is full (or earlier sends are still queued: order is kept).
    if (uv_udp_get_send_queue_count(handle_) >= options_.max_queued_sends) {
        ++counters_.dropped;
        return send_status::dropped;
    }
    auto* request = new send_request;
    request->bytes = std::make_unique<char[]>(payload.size() ? payload.size() : 1);
    std::memcpy(request->bytes.get(), payload.data(), payload.size());
    buf = uv_buf_init(request->bytes.get(), static_cast<unsigned>(payload.size()));
    rc = uv_udp_send(&request->req, handle_, &buf, 1, to.sockaddr_ptr(), &udp_socket::on_sent);
    if (rc != 0) {
        delete request;
        ++counters_.send_errors;
        return uv_failure("send to " + to.to_string(), rc);
    }
    ++counters_.queued;
    return send_status::queued;
}

void udp_socket::on_sent(uv_udp_send_t* req, int status) noexcept {
    std::unique_ptr<send_request> request(reinterpret_cast<send_request*>(req));
    auto* self = static_cast<udp_socket*>(req->handle->data);
    if (self == nullptr || status == UV_ECANCELED)
        return;
    if (status < 0)
        ++self->counters_.send_errors;
    else
        ++self->counters_.sent;
    if (self->on_drained_ && uv_udp_get_send_queue_count(self->handle_) == 0)
        self->on_drained_();
}

namespace {
result<void> check(std::string_view what, int rc) {
    if (rc != 0)
        return uv_failure(what, rc);
    return {};
}
} // namespace

result<void> udp_socket::set_broadcast(bool on) {
    return check("set broadcast", uv_udp_set_broadcast(handle_, on ? 1 : 0));
}
result<void> udp_socket::set_ttl(int ttl) {
    return check("set TTL", uv_udp_set_ttl(handle_, ttl));
}
result<void> udp_socket::set_multicast_ttl(int ttl) {
    return check("set multicast TTL", uv_udp_set_multicast_ttl(handle_, ttl));
}
result<void> udp_socket::set_multicast_loop(bool on) {
    return check("set multicast loop", uv_udp_set_multicast_loop(handle_, on ? 1 : 0));
}
result<void> udp_socket::join_multicast(const std::string& group,
                                        const std::string& interface_address) {
    return check(
        "join multicast group " + group,
        uv_udp_set_membership(handle_, group.c_str(),
                              interface_address.empty() ? nullptr : interface_address.c_str(),
                              UV_JOIN_GROUP));
}
result<void> udp_socket::leave_multicast(const std::string& group,
                                         const std::string& interface_address) {
    return check(
        "leave multicast group " + group,
        uv_udp_set_membership(handle_, group.c_str(),
                              interface_address.empty() ? nullptr : interface_address.c_str(),
                              UV_LEAVE_GROUP));
}
result<void> udp_socket::set_buffer_sizes(int receive_bytes, int send_bytes) {
    if (receive_bytes > 0)
        if (int rc = uv_recv_buffer_size(as_handle(handle_), &receive_bytes); rc != 0)
            return uv_failure("set receive buffer size", rc);
    if (send_bytes > 0)
        if (int rc = uv_send_buffer_size(as_handle(handle_), &send_bytes); rc != 0)
            return uv_failure("set send buffer size", rc);
    return {};
}

} // namespace udpkit
