// Load generator for echo responders (benchmark only, not part of the test suite).
//
//   load_gen flood HOST:PORT SIZE SECONDS [IN_FLIGHT]   keeps IN_FLIGHT (64) datagrams of SIZE
//                                                        bytes outstanding; prints the reply rate
//   load_gen flood1 HOST:PORT SIZE SECONDS [IN_FLIGHT]  the same, one datagram per send() and
//                                                        recv() call: the usual client
//   load_gen pingpong HOST:PORT SIZE SECONDS            one datagram at a time; prints RTTs
//
// flood uses batched system calls (sendmmsg/recvmmsg) so that it is not the bottleneck of
// what it measures. Replies that do not come within 50 ms count as lost and free their slots.
// Each datagram starts with a running number (as udp-send's probes do): a stream of identical
// datagrams for seconds is what udp-echo's loop breaker refuses.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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

using bench_clock = std::chrono::steady_clock;
constexpr int max_batch = 64;
constexpr double warm_up_s = 0.5;

int connect_to(const std::string& target) {
    const auto colon = target.rfind(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    if (colon == std::string::npos ||
        inet_pton(AF_INET, target.substr(0, colon).c_str(), &to.sin_addr) != 1) {
        std::fprintf(stderr, "load_gen: bad target %s (want IPv4:PORT)\n", target.c_str());
        std::exit(2);
    }
    to.sin_port = htons(static_cast<std::uint16_t>(std::atoi(target.c_str() + colon + 1)));
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    // A large receive buffer on the generator's side only, so that it never drops replies.
    const int bytes = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        std::perror("load_gen: connect");
        std::exit(1);
    }
    return fd;
}

double seconds_since(bench_clock::time_point t) {
    return std::chrono::duration<double>(bench_clock::now() - t).count();
}

/// Writes the running number `n` over the first (up to 8) bytes of `datagram`.
void number(char* datagram, std::size_t size, unsigned long long n) {
    std::memcpy(datagram, &n, std::min(size, sizeof n));
}

/// Up to `count` datagrams from `msgs`: one sendmmsg/recvmmsg, or (batched false) one send or
/// recv per datagram, as most clients do. Returns how many, or <= 0 if none.
int send_some(int fd, mmsghdr* msgs, int count, bool batched) {
    if (batched)
        return sendmmsg(fd, msgs, static_cast<unsigned>(count), 0);
    int n = 0;
    for (; n < count; ++n) {
        const iovec& v = *msgs[n].msg_hdr.msg_iov;
        if (send(fd, v.iov_base, v.iov_len, 0) < 0)
            break;
    }
    return n > 0 ? n : -1;
}

int receive_some(int fd, mmsghdr* msgs, int count, bool batched) {
    if (batched)
        return recvmmsg(fd, msgs, static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
    int n = 0;
    for (; n < count; ++n) {
        const iovec& v = *msgs[n].msg_hdr.msg_iov;
        const ssize_t got = recv(fd, v.iov_base, v.iov_len, MSG_DONTWAIT);
        if (got < 0)
            break;
        msgs[n].msg_len = static_cast<unsigned>(got);
    }
    return n > 0 ? n : -1;
}

int flood(int fd, std::size_t size, double seconds, int in_flight, bool batched) {
    std::vector<char> out(max_batch * size, 'x');
    unsigned long long sent = 0;
    std::vector<char> in(max_batch * 65536);
    mmsghdr send_msgs[max_batch] = {};
    iovec send_iov[max_batch];
    mmsghdr recv_msgs[max_batch] = {};
    iovec recv_iov[max_batch];
    for (int i = 0; i < max_batch; ++i) {
        send_iov[i] = {out.data() + i * size, size};
        send_msgs[i].msg_hdr.msg_iov = &send_iov[i];
        send_msgs[i].msg_hdr.msg_iovlen = 1;
        recv_iov[i] = {in.data() + i * 65536, 65536};
        recv_msgs[i].msg_hdr.msg_iov = &recv_iov[i];
        recv_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    long long outstanding = 0;
    long long received = 0;
    long long lost = 0;
    long long wrong_size = 0;
    long long received_at_start = -1;
    long long lost_at_start = 0;
    const auto start = bench_clock::now();
    bench_clock::time_point measure_start;
    for (;;) {
        const double t = seconds_since(start);
        if (received_at_start < 0 && t >= warm_up_s) {
            received_at_start = received;
            lost_at_start = lost;
            measure_start = bench_clock::now();
        }
        if (t >= warm_up_s + seconds)
            break;
        while (outstanding < in_flight) {
            const int batch =
                static_cast<int>(std::min<long long>(max_batch, in_flight - outstanding));
            for (int i = 0; i < batch; ++i)
                number(out.data() + i * size, size, sent + static_cast<unsigned>(i));
            const int n = send_some(fd, send_msgs, batch, batched);
            if (n <= 0)
                break; // ECONNREFUSED (nobody listening yet) or a full buffer: wait for replies
            outstanding += n;
            sent += static_cast<unsigned>(n);
        }
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) == 0) {
            lost += outstanding;
            outstanding = 0;
            continue;
        }
        const int n = receive_some(fd, recv_msgs, max_batch, batched);
        if (n <= 0)
            continue;
        for (int i = 0; i < n; ++i)
            wrong_size += recv_msgs[i].msg_len != size ? 1 : 0;
        received += n;
        outstanding = std::max(0LL, outstanding - n);
    }
    const double elapsed = seconds_since(measure_start);
    const long long counted = received - received_at_start;
    std::printf("rate=%.0f received=%lld lost=%lld wrong_size=%lld seconds=%.2f total=%lld\n",
                static_cast<double>(counted) / elapsed, counted, lost - lost_at_start, wrong_size,
                elapsed, received);
    return wrong_size == 0 ? 0 : 1;
}

int pingpong(int fd, std::size_t size, double seconds) {
    std::vector<char> out(size, 'p');
    unsigned long long sent = 0;
    std::vector<char> in(65536);
    std::vector<double> rtt_us;
    long long lost = 0;
    const auto start = bench_clock::now();
    while (seconds_since(start) < warm_up_s + seconds) {
        const bool counting = seconds_since(start) >= warm_up_s;
        const auto t0 = bench_clock::now();
        number(out.data(), size, sent++);
        if (send(fd, out.data(), size, 0) < 0) {
            usleep(10000); // nobody listening yet
            continue;
        }
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0 || recv(fd, in.data(), in.size(), 0) < 0) {
            ++lost;
            continue;
        }
        if (counting)
            rtt_us.push_back(
                std::chrono::duration<double, std::micro>(bench_clock::now() - t0).count());
    }
    if (rtt_us.empty()) {
        std::printf("median_us=nan n=0 lost=%lld\n", lost);
        return 1;
    }
    std::sort(rtt_us.begin(), rtt_us.end());
    auto at = [&](double q) { return rtt_us[static_cast<std::size_t>(q * (rtt_us.size() - 1))]; };
    std::printf("median_us=%.2f p90_us=%.2f p99_us=%.2f n=%zu lost=%lld\n", at(0.5), at(0.9),
                at(0.99), rtt_us.size(), lost);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr,
                     "usage: load_gen flood|flood1|pingpong HOST:PORT SIZE SECONDS [IN_FLIGHT]\n");
        return 2;
    }
    const std::string mode = argv[1];
    const int fd = connect_to(argv[2]);
    const auto size = static_cast<std::size_t>(std::atol(argv[3]));
    const double seconds = std::atof(argv[4]);
    const int in_flight = argc > 5 ? std::atoi(argv[5]) : 64;
    if (mode == "flood" || mode == "flood1")
        return flood(fd, size, seconds, in_flight, mode == "flood");
    if (mode == "pingpong")
        return pingpong(fd, size, seconds);
    std::fprintf(stderr, "load_gen: unknown mode %s\n", mode.c_str());
    return 2;
}
