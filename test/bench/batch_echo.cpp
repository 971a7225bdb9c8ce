// Reference responder: the practical ceiling. recvmmsg takes up to 64 datagrams per call
// (blocking until at least one), sendmmsg sends all their replies in one call.
#include "bench_socket.hpp"

#include <sys/uio.h>

namespace {
constexpr unsigned batch = 64;
constexpr size_t slot = 65536;
char buffers[batch][slot]; // only the pages datagrams touch become resident
} // namespace

int main(int argc, char** argv) {
    const int fd = bind_and_announce(argc, argv);
    static mmsghdr msgs[batch];
    static iovec iov[batch];
    static sockaddr_storage from[batch];
    for (;;) {
        for (unsigned i = 0; i < batch; ++i) {
            iov[i] = {buffers[i], slot};
            msgs[i].msg_hdr = {};
            msgs[i].msg_hdr.msg_name = &from[i];
            msgs[i].msg_hdr.msg_namelen = sizeof from[i];
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        const int n = recvmmsg(fd, msgs, batch, MSG_WAITFORONE, nullptr);
        if (n <= 0)
            continue;
        for (int i = 0; i < n; ++i)
            iov[i].iov_len = msgs[i].msg_len; // each reply is its request
        for (int done = 0; done < n;) {
            const int sent = sendmmsg(fd, msgs + done, static_cast<unsigned>(n - done), 0);
            if (sent <= 0)
                break; // a reply the kernel refuses is dropped, as UDP may
            done += sent;
        }
    }
}
