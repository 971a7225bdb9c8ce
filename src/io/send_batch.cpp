#include "udpkit/io/send_batch.hpp"

#include <cerrno>
#include <cstring>

#include "control_messages.hpp"

namespace udpkit {

send_batch::send_batch(std::size_t max_datagrams, std::size_t arena_bytes)
    : arena_(arena_bytes), to_(max_datagrams), iov_(max_datagrams), messages_(max_datagrams),
      control_(max_datagrams * detail::source_control_bytes), results_(max_datagrams) {}

bool send_batch::add(std::string_view payload, const ip_endpoint& to,
                     const local_source* from) noexcept {
    if (count_ == messages_.size() || payload.size() > arena_.size() - used_bytes_)
        return false;
    char* bytes = arena_.data() + used_bytes_;
    if (!payload.empty())
        std::memcpy(bytes, payload.data(), payload.size());
    used_bytes_ += payload.size();
    to_[count_] = to;
    iov_[count_] = {bytes, payload.size()};
    mmsghdr& m = messages_[count_];
    m = {};
    m.msg_hdr.msg_name = const_cast<sockaddr*>(to_[count_].sockaddr_ptr());
    m.msg_hdr.msg_namelen = to_[count_].sockaddr_size();
    m.msg_hdr.msg_iov = &iov_[count_];
    m.msg_hdr.msg_iovlen = 1;
    if (from != nullptr) {
        void* control = control_.data() + count_ * detail::source_control_bytes;
        m.msg_hdr.msg_control = control;
        m.msg_hdr.msg_controllen = detail::write_source(control, *from);
    }
    ++count_;
    return true;
}

std::span<const int> send_batch::flush(int fd, sendmmsg_function send) noexcept {
    std::size_t done = 0;
    while (done < count_) {
        const int sent =
            send(fd, messages_.data() + done, static_cast<unsigned>(count_ - done), MSG_DONTWAIT);
        if (sent > 0) {
            for (int i = 0; i < sent; ++i)
                results_[done++] = 0;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        // sendmmsg reports an error only for the first datagram of the call.
        const int error = sent < 0 ? -errno : -EIO;
        if (error == -EAGAIN || error == -EWOULDBLOCK) {
            while (done < count_)
                results_[done++] = -EAGAIN;
            break;
        }
        results_[done++] = error;
    }
    return {results_.data(), count_};
}

void send_batch::clear() noexcept {
    count_ = 0;
    used_bytes_ = 0;
}

std::string_view send_batch::payload(std::size_t i) const noexcept {
    return {static_cast<const char*>(iov_[i].iov_base), iov_[i].iov_len};
}

} // namespace udpkit
