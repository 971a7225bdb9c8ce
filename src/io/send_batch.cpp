#include "udpkit/io/send_batch.hpp"

#include <cerrno>
#include <cstring>

#include "control_messages.hpp"

namespace udpkit {
namespace {

// A GSO message's control messages: the source address, then the segment size.
constexpr std::size_t run_control_bytes =
    detail::source_control_bytes + detail::segment_control_bytes;

} // namespace

send_batch::send_batch(std::size_t max_datagrams, std::size_t arena_bytes)
    : arena_(arena_bytes), to_(max_datagrams), from_(max_datagrams), has_from_(max_datagrams),
      iov_(max_datagrams), messages_(max_datagrams),
      control_(max_datagrams * detail::source_control_bytes), runs_(max_datagrams),
      run_first_(max_datagrams + 1), run_control_(max_datagrams * run_control_bytes),
      results_(max_datagrams) {}

bool send_batch::add(std::string_view payload, const ip_endpoint& to,
                     const local_source* from) noexcept {
    if (count_ == messages_.size() || payload.size() > arena_.size() - used_bytes_)
        return false;
    char* bytes = arena_.data() + used_bytes_;
    if (!payload.empty())
        std::memcpy(bytes, payload.data(), payload.size());
    used_bytes_ += payload.size();
    to_[count_] = to;
    has_from_[count_] = from != nullptr;
    if (from != nullptr)
        from_[count_] = *from;
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

std::span<const int> send_batch::flush(int fd, sendmmsg_function send,
                                       offload_counters* gso) noexcept {
    // Runs from `from` on; again from where the kernel refused GSO, if it does, the plain way.
    for (std::size_t from = 0; from < count_;) {
        const std::size_t runs = make_runs(from, gso != nullptr && gso->gso);
        from = send_runs(fd, send, runs, gso);
    }
    return {results_.data(), count_};
}

bool send_batch::same_path(std::size_t a, std::size_t b) const noexcept {
    if (!(to_[a] == to_[b]) || has_from_[a] != has_from_[b])
        return false;
    return has_from_[a] == 0 || (from_[a].address == from_[b].address &&
                                 from_[a].interface_index == from_[b].interface_index);
}

std::size_t send_batch::make_runs(std::size_t from, bool segment) noexcept {
    // One message per run: the run's first datagram's header, with all of the run's payloads
    // (contiguous in iov_) and the segment size that gives their boundaries back.
    std::size_t runs = 0;
    for (std::size_t first = from; first < count_; ++runs) {
        gso_run run(iov_[first].iov_len);
        std::size_t end = first + 1;
        while (segment && end < count_ && same_path(first, end) && run.add(iov_[end].iov_len))
            ++end;
        run_first_[runs] = first;
        mmsghdr& m = runs_[runs];
        m = messages_[first];
        if (run.count() > 1) {
            char* control = run_control_.data() + runs * run_control_bytes;
            std::size_t length = 0;
            if (has_from_[first] != 0)
                length = detail::write_source(control, from_[first]);
            length += detail::write_segment_size(control + length,
                                                 static_cast<std::uint16_t>(run.segment_size()));
            m.msg_hdr.msg_iovlen = run.count();
            m.msg_hdr.msg_control = control;
            m.msg_hdr.msg_controllen = length;
        }
        first = end;
    }
    run_first_[runs] = count_;
    return runs;
}

std::size_t send_batch::send_runs(int fd, sendmmsg_function send, std::size_t runs,
                                  offload_counters* gso) noexcept {
    auto settle = [&](std::size_t run, int code) {
        const std::size_t datagrams = run_first_[run + 1] - run_first_[run];
        for (std::size_t i = run_first_[run]; i < run_first_[run + 1]; ++i)
            results_[i] = code;
        if (code == 0 && datagrams > 1) {
            ++gso->gso_sends;
            gso->gso_datagrams += datagrams;
        }
    };
    std::size_t done = 0;
    while (done < runs) {
        const int sent =
            send(fd, runs_.data() + done, static_cast<unsigned>(runs - done), MSG_DONTWAIT);
        if (sent > 0) {
            for (int i = 0; i < sent; ++i)
                settle(done++, 0);
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        // sendmmsg reports an error only for the first message of the call.
        const int error = sent < 0 ? -errno : -EIO;
        if ((error == -EIO || error == -EINVAL || error == -EMSGSIZE) &&
            run_first_[done + 1] - run_first_[done] > 1) {
            // The kernel cannot segment here: EIO without checksum offload on the interface,
            // EMSGSIZE (EINVAL before Linux 6.x) for a segment over the path MTU, which a
            // plain send may still fragment. The plain way from this run on, and from now on.
            gso->gso = false;
            ++gso->gso_refusals;
            return run_first_[done];
        }
        if (error == -EAGAIN || error == -EWOULDBLOCK) {
            while (done < runs)
                settle(done++, -EAGAIN);
            break;
        }
        settle(done++, error);
    }
    return count_;
}

void send_batch::clear() noexcept {
    count_ = 0;
    used_bytes_ = 0;
}

std::string_view send_batch::payload(std::size_t i) const noexcept {
    return {static_cast<const char*>(iov_[i].iov_base), iov_[i].iov_len};
}

} // namespace udpkit
