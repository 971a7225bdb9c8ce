// Reference responder: the textbook blocking loop, one recvfrom and one sendto per datagram.
#include "bench_socket.hpp"

int main(int argc, char** argv) {
    const int fd = bind_and_announce(argc, argv);
    static char buffer[65536];
    for (;;) {
        sockaddr_storage from{};
        socklen_t from_len = sizeof from;
        const ssize_t n =
            recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n >= 0)
            sendto(fd, buffer, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from),
                   from_len);
    }
}
