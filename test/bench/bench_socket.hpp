#pragma once
// Shared by the reference responders: bind a UDP socket on 127.0.0.1 (port from argv[1], default
// 0) and print "listening on ADDR" like udp-echo does, so the bench script treats all alike.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>

inline int bind_and_announce(int argc, char** argv) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0));
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof local;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
        std::perror("bind");
        std::exit(1);
    }
    std::printf("listening on 127.0.0.1:%u\n", ntohs(local.sin_port));
    std::fflush(stdout);
    return fd;
}
