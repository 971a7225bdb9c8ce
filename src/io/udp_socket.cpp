#include "udpkit/io/udp_socket.hpp"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29 // linux/in6.h, Linux 4.20; glibc 2.36 does not define it
#endif

#include "control_messages.hpp"
#include "udpkit/io/interfaces.hpp"
#include "udpkit/io/send_batch.hpp"

namespace udpkit {
namespace {

// Receive buffers: one slot of the socket's limit per datagram of a batch (MSG_TRUNC still
// reports the size on the wire of a longer one), within this many bytes in all. With GRO a
// slot must hold a whole coalesced buffer (the kernel cuts a longer one, datagrams and all).
constexpr std::size_t receive_budget_bytes = 1 << 20;
constexpr std::size_t gro_slot_bytes = 65536;
// recvmmsg calls per wake-up at most, so that one busy socket cannot starve the loop.
constexpr int max_reads_per_wakeup = 16;
// ICMP errors read from the error queue per wake-up at most.
constexpr int max_errors_per_wakeup = 64;

unexpected errno_failure(std::string_view what, int error_number) {
    return uv_failure(what, -error_number);
}

std::int64_t realtime_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

} // namespace

/// The buffers of one recvmmsg batch, allocated once per socket.
struct udp_socket::receive_slots {
    // The data is left uninitialised: the kernel writes it before it is read, and pages never
    // written (a GRO slot holds 64 KiB; most datagrams are small) cost no memory.
    receive_slots(std::size_t count, std::size_t bytes)
        : slot_bytes(bytes), data(new char[count * bytes + 1]), names(count), iov(count),
          control(count * detail::receive_control_bytes), messages(count), from(count) {}
    std::size_t slot_bytes;
    std::unique_ptr<char[]> data;
    std::vector<sockaddr_storage> names;
    std::vector<iovec> iov;
    std::vector<char> control;
    std::vector<mmsghdr> messages;
    std::vector<ip_endpoint> from;

    /// Resets the headers that recvmmsg overwrites.
    void prepare() noexcept {
        for (std::size_t i = 0; i < messages.size(); ++i) {
            iov[i] = {data.get() + i * slot_bytes, slot_bytes};
            msghdr& h = messages[i].msg_hdr;
            h = {};
            h.msg_name = &names[i];
            h.msg_namelen = sizeof names[i];
            h.msg_iov = &iov[i];
            h.msg_iovlen = 1;
            h.msg_control = control.data() + i * detail::receive_control_bytes;
            h.msg_controllen = detail::receive_control_bytes;
        }
    }
};

udp_socket::udp_socket(event_loop& loop, const socket_options& options)
    : loop_(loop), options_(options) {}

result<std::unique_ptr<udp_socket>> udp_socket::bind(event_loop& loop, const ip_endpoint& local,
                                                     const socket_options& options) {
    std::unique_ptr<udp_socket> self(new udp_socket(loop, options));
    const bool v6 = local.family() == ip_family::v6;
    self->fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (self->fd_ < 0)
        return errno_failure("create UDP socket", errno);

    const int ip_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
    // A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d; from_sockaddr turns them back into
    // plain IPv4 endpoints, and Linux sends to a plain sockaddr_in on it, so the rest of the
    // library never sees a mapped address.
    const bool dual_stack = v6 && local.is_unspecified() && !options.ipv6_only;
    if (v6)
        if (auto set =
                self->set_option("set IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY, dual_stack ? 0 : 1);
            !set)
            return unexpected{std::move(set).error()};
    self->dual_stack_ = dual_stack;
    struct wanted {
        bool on;
        const char* what;
        int level, name;
    };
    // Each control message costs the kernel a little per datagram: only what is of use. A
    // socket bound to one address only receives datagrams sent to it, so only a wildcard
    // socket needs to be told where each one went, and one bound to an IPv4 address that is no
    // interface's: a broadcast address (or 127.0.0.2, which the kernel then shows as unicast).
    const bool ask_destination =
        local.is_unspecified() || (!v6 && !local.is_multicast() && !is_local_address(local));
    const wanted control[] = {
        {ask_destination, "ask for destination addresses", ip_level,
         v6 ? IPV6_RECVPKTINFO : IP_PKTINFO},
        {options.receive_timestamps, "ask for receive timestamps", SOL_SOCKET, SO_TIMESTAMPNS},
        {options.drop_counts, "ask for drop counts", SOL_SOCKET, SO_RXQ_OVFL},
        // IPV6_PKTINFO gives an IPv4 datagram's destination but not the kernel's choice of
        // reply source, which tells a subnet broadcast apart (classify_destination).
        {dual_stack, "ask for IPv4 destination addresses", IPPROTO_IP, IP_PKTINFO},
        {options.reuse_address, "set SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR},
    };
    for (const auto& w : control)
        if (w.on)
            if (auto set = self->set_option(w.what, w.level, w.name, 1); !set)
                return unexpected{std::move(set).error()};
    // Linux hands a wildcard socket every group datagram that any socket of the host joined, or
    // that the host is always in (224.0.0.1, ff02::1: a forged request to it would be answered
    // by every responder of the link). Off, a socket receives only the groups it joined itself.
    if (!v6 || dual_stack)
        if (auto set =
                self->set_option("turn off IP_MULTICAST_ALL", IPPROTO_IP, IP_MULTICAST_ALL, 0);
            !set)
            return unexpected{std::move(set).error()};
    if (v6) // Linux 4.20 and later; before it, an IPv6 socket keeps the old rule
        (void)self->set_option("turn off IPV6_MULTICAST_ALL", IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);
    if (options.report_unreachable)
        if (auto set = self->set_option("ask for ICMP errors", ip_level,
                                        v6 ? IPV6_RECVERR : IP_RECVERR, 1);
            !set)
            return unexpected{std::move(set).error()};

    if (options.offload) {
        // Kernels without UDP_GRO (before 5.0) simply deliver one datagram per buffer.
        self->offload_.gro = self->set_option("turn on UDP GRO", SOL_UDP, UDP_GRO, 1).has_value();
        self->offload_.gro_unavailable = !self->offload_.gro;
        self->offload_.gso = true; // until the kernel refuses a GSO send
    }

    if (::bind(self->fd_, local.sockaddr_ptr(), local.sockaddr_size()) != 0)
        return errno_failure("bind " + local.to_string(), errno);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(self->fd_, reinterpret_cast<sockaddr*>(&bound), &len) != 0)
        return errno_failure("getsockname", errno);
    self->local_ = ip_endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&bound)).value_or(local);
    self->wildcard_ = self->local_.is_unspecified();
    self->bound_kind_ = classify_destination(self->local_, self->local_);

    if (auto watched =
            self->poll_.open(loop, self.get(), "watch the socket", &uv_poll_init_socket, self->fd_);
        !watched)
        return unexpected{std::move(watched).error()};
    if (auto idle = self->idle_.open(loop, self.get(), "create idle handle", &uv_idle_init); !idle)
        return unexpected{std::move(idle).error()};

    const std::size_t slot =
        self->offload_.gro ? gro_slot_bytes : std::max<std::size_t>(options.limit.bytes(), 1);
    const std::size_t count =
        options.batch_receive
            ? std::clamp<std::size_t>(receive_budget_bytes / slot, 1, receive_batch)
            : 1;
    self->slots_ = std::make_unique<receive_slots>(count, slot);
    return self;
}

udp_socket::~udp_socket() {
    close();
}

void udp_socket::close() noexcept {
    if (fd_ < 0)
        return;
    *alive_ = false;
    // libuv's poll contract: stop watching (uv_close does) before the descriptor is closed.
    poll_.close();
    idle_.close();
    ::close(fd_);
    fd_ = -1;
    receiving_ = false;
    queue_.clear();
    deferred_.clear();
}

result<void> udp_socket::start_receive(receive_handler on_datagram, error_handler on_error) {
    if (fd_ < 0)
        return fail("receive on " + local_.to_string() + ": socket is closed", UV_EBADF);
    on_datagram_ = std::move(on_datagram);
    on_error_ = std::move(on_error);
    receiving_ = true;
    update_poll();
    return {};
}

void udp_socket::stop_receive() noexcept {
    receiving_ = false;
    if (fd_ >= 0)
        update_poll();
}

void udp_socket::update_poll() noexcept {
    const int wanted = (receiving_ ? UV_READABLE : 0) | (queue_.empty() ? 0 : UV_WRITABLE);
    if (wanted == poll_events_ && uv_is_active(poll_.base()))
        return;
    poll_events_ = wanted;
    if (wanted == 0)
        uv_poll_stop(poll_.get());
    else
        uv_poll_start(poll_.get(), wanted, &udp_socket::on_poll); // cannot fail on a live handle
}

void udp_socket::on_poll(uv_poll_s* poll, int status, int events) noexcept {
    auto* self = handle<uv_poll_s>::owner<udp_socket>(poll);
    if (self == nullptr)
        return;
    if (status < 0) {
        // POLLERR: an ICMP error waits in the error queue (IP_RECVERR). libuv has stopped the
        // watcher; take the errors and watch again.
        self->collect_error_queue();
        int pending = 0;
        socklen_t len = sizeof pending;
        (void)getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &pending, &len);
        self->poll_events_ = 0;
        self->update_poll();
        events = UV_READABLE | (self->queue_.empty() ? 0 : UV_WRITABLE);
    }
    if ((events & UV_WRITABLE) != 0) {
        auto alive = self->alive_;
        self->flush_queue();
        if (!*alive)
            return;
    }
    if ((events & UV_READABLE) != 0 && self->receiving_)
        self->read_datagrams();
}

void udp_socket::read_datagrams() noexcept {
    auto alive = alive_;
    receive_slots& s = *slots_;
    const std::size_t limit = options_.limit.bytes();
    for (int round = 0; round < max_reads_per_wakeup && receiving_; ++round) {
        s.prepare();
        const int n = recvmmsg(fd_, s.messages.data(), static_cast<unsigned>(s.messages.size()),
                               MSG_DONTWAIT | MSG_TRUNC, nullptr);
        if (n < 0) {
            const int e = errno;
            if (e == EAGAIN || e == EWOULDBLOCK)
                return;
            if (e == EINTR)
                continue;
            // With IP_RECVERR a pending ICMP error is also returned by the next receive; the
            // error queue names its destination.
            collect_error_queue();
            if (e != ECONNREFUSED && e != EHOSTUNREACH && e != ENETUNREACH)
                defer({errno_failure("receive on " + local_.to_string(), e).value, std::nullopt});
            continue;
        }
        // One clock pair per batch turns the kernel's CLOCK_REALTIME stamps into the loop's
        // monotonic clock.
        const std::uint64_t mono_now = event_loop::now_ns();
        const std::int64_t real_now = realtime_ns();
        for (int i = 0; i < n; ++i) {
            const msghdr& h = s.messages[static_cast<std::size_t>(i)].msg_hdr;
            auto from = ip_endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(h.msg_name));
            if (!from)
                continue;
            detail::receive_info info = detail::read_receive_info(h);
            if (info.drops)
                last_kernel_drops_ = std::max<std::uint64_t>(last_kernel_drops_, *info.drops);
            std::uint64_t received_ns = mono_now;
            if (info.kernel_realtime_ns >= 0) {
                const std::int64_t age = real_now - info.kernel_realtime_ns;
                if (age > 0 && static_cast<std::uint64_t>(age) < mono_now)
                    received_ns = mono_now - static_cast<std::uint64_t>(age);
            }
            if (info.has_destination)
                info.to.set_port(local_.port());
            const bool use_reply_from = wildcard_ && info.has_destination;
            const auto buffer_bytes =
                static_cast<std::size_t>(s.messages[static_cast<std::size_t>(i)].msg_len);
            const bool cut = (h.msg_flags & MSG_TRUNC) != 0;
            // A GRO buffer holds datagrams of segment_size bytes (the last may be shorter):
            // each is delivered on its own, as if read alone.
            const std::size_t datagrams = segment_count(buffer_bytes, info.segment_size);
            counters_.received += datagrams;
            if (datagrams > 1) {
                ++offload_.gro_buffers;
                offload_.gro_datagrams += datagrams;
            }
            if (!on_datagram_)
                continue;
            const auto* bytes = static_cast<const char*>(h.msg_iov->iov_base);
            for (std::size_t k = 0; k < datagrams; ++k) {
                const segment seg = segment_at(buffer_bytes, info.segment_size, k);
                const datagram d{std::string_view(bytes + seg.offset, std::min(seg.size, limit)),
                                 seg.size,
                                 *from,
                                 seg.size > limit || cut,
                                 info.has_destination ? info.to : local_,
                                 use_reply_from ? &info.reply_from : nullptr,
                                 received_ns,
                                 last_kernel_drops_,
                                 info.has_destination ? info.kind : bound_kind_};
                on_datagram_(d);
                if (!*alive || !receiving_)
                    return;
            }
        }
        if (on_batch_end_) {
            on_batch_end_();
            if (!*alive || !receiving_)
                return;
        }
        // A short batch emptied the queue: no final read that would only say EAGAIN.
        if (static_cast<std::size_t>(n) < s.messages.size())
            return;
    }
}

int udp_socket::send_one(std::string_view payload, const ip_endpoint& to,
                         const local_source* from) noexcept {
    int rc = sendmsg_once(payload, to, from);
    // An ICMP error about an earlier datagram is handed to the next send, which then did not
    // leave: report that error later (from the error queue) and send this one again.
    if (rc < 0 && rc != -EAGAIN && options_.report_unreachable) {
        const std::size_t before = deferred_.size();
        collect_error_queue();
        if (deferred_.size() > before)
            rc = sendmsg_once(payload, to, from);
    }
    return rc;
}

int udp_socket::sendmsg_once(std::string_view payload, const ip_endpoint& to,
                             const local_source* from) noexcept {
    iovec iov{const_cast<char*>(payload.data()), payload.size()};
    msghdr m{};
    m.msg_name = const_cast<sockaddr*>(to.sockaddr_ptr());
    m.msg_namelen = to.sockaddr_size();
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    alignas(cmsghdr) char control[detail::source_control_bytes];
    if (from != nullptr && from->address.family() == to.family()) {
        m.msg_control = control;
        m.msg_controllen = detail::write_source(control, *from);
    }
    for (;;) {
        if (::sendmsg(fd_, &m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

result<send_status> udp_socket::send(std::string_view payload, const ip_endpoint& to,
                                     const local_source* from) {
    if (fd_ < 0)
        return fail("send to " + to.to_string() + ": socket is closed", UV_EBADF);
    if (auto fits = options_.limit.check(payload.size()); !fits)
        return fail("send to " + to.to_string() + ": " + fits.error().message, UV_EMSGSIZE);

    int rc = -EAGAIN; // earlier sends still queued: keep the order
    if (queue_.empty())
        rc = send_one(payload, to, from);
    if (rc == 0) {
        ++counters_.sent;
        return send_status::sent;
    }
    if (rc != -EAGAIN && rc != -EWOULDBLOCK) {
        ++counters_.send_errors;
        return errno_failure("send to " + to.to_string(), -rc);
    }
    if (queue_.size() >= options_.max_queued_sends) {
        ++counters_.dropped;
        return send_status::dropped;
    }
    queue_.push_back({std::string(payload), to,
                      from != nullptr ? std::optional<local_source>(*from) : std::nullopt});
    ++counters_.queued;
    update_poll();
    return send_status::queued;
}

std::span<const int> udp_socket::send_now(send_batch& batch) noexcept {
    const auto results = batch.flush(fd_, &::sendmmsg, &offload_);
    bool failed = false;
    for (int r : results) {
        if (r == 0) {
            ++counters_.sent;
        } else {
            ++counters_.send_errors;
            failed = failed || r != -EAGAIN;
        }
    }
    // A send that failed may have been handed an earlier datagram's ICMP error: the error
    // queue names it (see send_one).
    if (failed && options_.report_unreachable)
        collect_error_queue();
    return results;
}

void udp_socket::flush_queue() noexcept {
    while (!queue_.empty()) {
        const queued_send& q = queue_.front();
        const int rc = send_one(q.bytes, q.to, q.from ? &*q.from : nullptr);
        if (rc == -EAGAIN || rc == -EWOULDBLOCK)
            return; // still full: wait for the next writable event
        if (rc == 0) {
            ++counters_.sent;
        } else {
            ++counters_.send_errors;
            defer({errno_failure("send to " + q.to.to_string(), -rc).value, q.to});
        }
        queue_.pop_front();
    }
    update_poll();
    if (on_drained_)
        on_drained_(); // may close the socket: nothing of `this` is used after it
}

void udp_socket::defer(socket_error e) {
    deferred_.push_back(std::move(e));
    if (idle_)
        uv_idle_start(idle_.get(), &udp_socket::on_idle);
}

void udp_socket::on_idle(uv_idle_s* idle) noexcept {
    auto* self = handle<uv_idle_s>::owner<udp_socket>(idle);
    if (self == nullptr)
        return;
    uv_idle_stop(idle);
    std::vector<socket_error> errors;
    errors.swap(self->deferred_);
    auto alive = self->alive_;
    for (const auto& e : errors) {
        if (!*alive || !self->on_error_)
            return;
        self->on_error_(e);
    }
}

void udp_socket::collect_error_queue() noexcept {
    // Each queued ICMP error names the destination of the datagram that caused it.
    for (int i = 0; i < max_errors_per_wakeup && fd_ >= 0; ++i) {
        sockaddr_storage dest{};
        alignas(cmsghdr) char control[512];
        char data[1];
        iovec iov{data, sizeof data};
        msghdr msg{};
        msg.msg_name = &dest;
        msg.msg_namelen = sizeof dest;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (recvmsg(fd_, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return;
        int err = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
                sock_extended_err ee;
                std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
                err = static_cast<int>(ee.ee_errno);
            }
        }
        if (err == 0)
            continue;
        auto destination = ip_endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&dest));
        std::string what = "send";
        if (destination)
            what += " to " + destination->to_string();
        defer({errno_failure(what, err).value, destination});
    }
}

std::uint64_t udp_socket::kernel_drops() const noexcept {
    std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
    socklen_t len = sizeof meminfo;
    if (fd_ >= 0 && getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, meminfo, &len) == 0 &&
        len >= sizeof(std::uint32_t) * (SK_MEMINFO_DROPS + 1))
        return std::max<std::uint64_t>(meminfo[SK_MEMINFO_DROPS], last_kernel_drops_);
    return last_kernel_drops_;
}

std::uint64_t udp_socket::receive_buffer_bytes() const noexcept {
    int value = 0;
    socklen_t len = sizeof value;
    if (fd_ < 0 || getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &value, &len) != 0 || value < 0)
        return 0;
    return static_cast<std::uint64_t>(value);
}

result<void> udp_socket::set_option(std::string_view what, int level, int name, int value) {
    if (fd_ < 0)
        return fail(std::string(what) + ": socket is closed", UV_EBADF);
    if (setsockopt(fd_, level, name, &value, sizeof value) != 0)
        return errno_failure(what, errno);
    return {};
}

namespace {
bool is_v6(const ip_endpoint& e) {
    return e.family() == ip_family::v6;
}
} // namespace

result<void> udp_socket::set_broadcast(bool on) {
    return set_option("set broadcast", SOL_SOCKET, SO_BROADCAST, on ? 1 : 0);
}
result<void> udp_socket::set_ttl(int ttl) {
    if (ttl < 1 || ttl > 255)
        return fail("set TTL: " + std::to_string(ttl) + " is not in 1..255", UV_EINVAL);
    return is_v6(local_) ? set_option("set TTL", IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl)
                         : set_option("set TTL", IPPROTO_IP, IP_TTL, ttl);
}
result<void> udp_socket::set_multicast_ttl(int ttl) {
    if (ttl < 0 || ttl > 255)
        return fail("set multicast TTL: " + std::to_string(ttl) + " is not in 0..255", UV_EINVAL);
    return is_v6(local_) ? set_option("set multicast TTL", IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl)
                         : set_option("set multicast TTL", IPPROTO_IP, IP_MULTICAST_TTL, ttl);
}
result<void> udp_socket::set_multicast_loop(bool on) {
    return is_v6(local_)
               ? set_option("set multicast loop", IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on ? 1 : 0)
               : set_option("set multicast loop", IPPROTO_IP, IP_MULTICAST_LOOP, on ? 1 : 0);
}

result<void> udp_socket::set_multicast_interface(unsigned interface_index) {
    if (is_v6(local_))
        return set_option("set multicast interface", IPPROTO_IPV6, IPV6_MULTICAST_IF,
                          static_cast<int>(interface_index));
    if (fd_ < 0)
        return fail("set multicast interface: socket is closed", UV_EBADF);
    ip_mreqn m{};
    m.imr_ifindex = static_cast<int>(interface_index);
    if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) != 0)
        return errno_failure("set multicast interface", errno);
    return {};
}

namespace {

result<void> membership(int fd, const ip_endpoint& local, const ip_endpoint& group,
                        unsigned interface_index, bool join) {
    const std::string what =
        std::string(join ? "join" : "leave") + " multicast group " + group.host();
    if (fd < 0)
        return fail(what + ": socket is closed", UV_EBADF);
    if (!group.is_multicast())
        return fail(what + ": not a multicast address (IPv4 224.0.0.0/4, IPv6 ff00::/8)",
                    UV_EINVAL);
    if (group.family() != local.family())
        return fail(what + ": the socket is bound to " + local.to_string() +
                        ", a different IP family",
                    UV_EINVAL);
    if (!is_v6(local)) {
        ip_mreqn m{};
        m.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(group.sockaddr_ptr())->sin_addr;
        m.imr_ifindex = static_cast<int>(interface_index);
        if (setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m,
                       sizeof m) != 0) {
            const int e = errno;
            auto failed = errno_failure(what, e);
            if (e == ENODEV && interface_index == 0)
                failed.value.message += "; no route leads to the group to choose an interface "
                                        "by, so name the interface to join it on";
            return failed;
        }
        return {};
    }
    ipv6_mreq m{};
    m.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(group.sockaddr_ptr())->sin6_addr;
    m.ipv6mr_interface = interface_index;
    if (setsockopt(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m, sizeof m) != 0)
        return errno_failure(what, errno);
    return {};
}

} // namespace

result<void> udp_socket::join_multicast(const ip_endpoint& group, unsigned interface_index) {
    return membership(fd_, local_, group, interface_index, true);
}
result<void> udp_socket::leave_multicast(const ip_endpoint& group, unsigned interface_index) {
    return membership(fd_, local_, group, interface_index, false);
}

result<void> udp_socket::set_buffer_sizes(int receive_bytes, int send_bytes) {
    if (receive_bytes > 0)
        if (auto set = set_option("set receive buffer size", SOL_SOCKET, SO_RCVBUF, receive_bytes);
            !set)
            return set;
    if (send_bytes > 0)
        if (auto set = set_option("set send buffer size", SOL_SOCKET, SO_SNDBUF, send_bytes); !set)
            return set;
    return {};
}

} // namespace udpkit
