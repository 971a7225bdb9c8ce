// Flood generator for the flood and fault tests (test/tool/tool_flood.py): sends UDP datagrams to
// one IPv4 target as fast as the kernel takes them, from several sockets, for a bounded time, and
// counts exactly how many the kernel accepted, so that the test can account for each of them.
//
//   flood_gen HOST:PORT SECONDS [--sockets N] [--size BYTES] [--big-every K --big-size BYTES]
//             [--privileged]
//
// Every socket is connected to the target and sends batches of 64 with sendmmsg. With
// --big-every K, every Kth datagram has --big-size bytes instead of --size (e.g. over the
// responder's limit). --privileged binds the first socket to a free port below 1024 (root), one
// a responder must refuse to answer.
// Replies are never read: the sockets' receive buffers fill and the kernel drops the rest.
// A refused send (ECONNREFUSED: the target's port was closed, an ICMP error came back) is not
// counted and sending goes on, so the responder may stop and restart under the flood.
// Prints one line at the end: `sent N datagrams B bytes T s`. Exits 0, or 2 on bad arguments,
// 1 if a socket cannot be made.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr unsigned batch = 64;

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "flood_gen: %s\nusage: flood_gen HOST:PORT SECONDS [--sockets N] [--size BYTES] "
                 "[--big-every K --big-size BYTES] [--privileged]\n",
                 why);
    std::exit(2);
}

sockaddr_in ipv4(const std::string& text) {
    const auto colon = text.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    if (colon == std::string::npos ||
        inet_pton(AF_INET, text.substr(0, colon).c_str(), &a.sin_addr) != 1)
        usage(("bad address (want IPv4:PORT): " + text).c_str());
    a.sin_port = htons(static_cast<std::uint16_t>(std::atoi(text.c_str() + colon + 1)));
    return a;
}

unsigned long number(const char* text, unsigned long lo, unsigned long hi) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(text, &end, 10);
    if (*text == '\0' || *end != '\0' || n < lo || n > hi)
        usage((std::string("bad number: ") + text).c_str());
    return n;
}

/// Binds `fd` to 127.0.0.1 on the first free port from 600 to 1023.
bool bind_below_1024(int fd) {
    for (std::uint16_t port = 600; port < 1024; ++port) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        local.sin_port = htons(port);
        if (bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0)
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3)
        usage("missing arguments");
    const sockaddr_in target = ipv4(argv[1]);
    const double seconds = static_cast<double>(number(argv[2], 1, 3600));
    unsigned long sockets = 4, size = 64, big_every = 0, big_size = 0;
    bool privileged = false;
    for (int i = 3; i < argc; ++i) {
        const std::string option = argv[i];
        if (option == "--privileged") {
            privileged = true;
            continue;
        }
        if (i + 1 == argc)
            usage(("no value for " + option).c_str());
        ++i;
        if (option == "--sockets")
            sockets = number(argv[i], 1, 256);
        else if (option == "--size")
            size = number(argv[i], 0, 65507);
        else if (option == "--big-every")
            big_every = number(argv[i], 1, batch);
        else if (option == "--big-size")
            big_size = number(argv[i], 0, 65507);
        else
            usage(("unknown option " + option).c_str());
    }

    std::vector<int> fds;
    for (unsigned long i = 0; i < sockets; ++i) {
        const int fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) {
            std::perror("flood_gen: socket");
            return 1;
        }
        if (privileged && i == 0 && !bind_below_1024(fd)) {
            std::fprintf(stderr, "flood_gen: no free port below 1024 (not root?)\n");
            return 1;
        }
        if (connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
            std::perror("flood_gen: connect");
            return 1;
        }
        fds.push_back(fd);
    }

    std::size_t sizes[batch];
    std::size_t batch_bytes = 0;
    for (unsigned i = 0; i < batch; ++i) {
        const bool is_big = big_every != 0 && (i + 1) % big_every == 0;
        sizes[i] = is_big ? big_size : size;
        batch_bytes += sizes[i];
    }
    // A buffer per datagram, each starting with a running number (as udp-send's probes do):
    // a flood of identical datagrams from one port would be refused by udp-echo's loop breaker.
    std::vector<char> data(batch_bytes, 'f');
    mmsghdr msgs[batch] = {};
    iovec iov[batch];
    for (unsigned i = 0, at = 0; i < batch; at += static_cast<unsigned>(sizes[i]), ++i) {
        iov[i] = iovec{data.data() + at, sizes[i]};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned long long numbered = 0;

    unsigned long long sent = 0, bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    for (std::size_t turn = 0; std::chrono::steady_clock::now() < end; ++turn) {
        for (unsigned i = 0; i < batch; ++i, ++numbered)
            std::memcpy(iov[i].iov_base, &numbered, std::min(sizes[i], sizeof numbered));
        const int n = sendmmsg(fds[turn % fds.size()], msgs, batch, 0);
        if (n < 0) {
            // The target's port is closed right now (ECONNREFUSED from an ICMP error) or the
            // kernel is short of buffers: nothing of this batch was sent; go on.
            if (errno == ECONNREFUSED || errno == ENOBUFS || errno == EINTR)
                continue;
            std::perror("flood_gen: sendmmsg");
            return 1;
        }
        sent += static_cast<unsigned>(n);
        if (static_cast<unsigned>(n) == batch) {
            bytes += batch_bytes;
        } else {
            for (int i = 0; i < n; ++i)
                bytes += iov[i].iov_len;
        }
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("sent %llu datagrams %llu bytes %.3f s\n", sent, bytes, took);
    for (const int fd : fds)
        close(fd);
    return 0;
}
