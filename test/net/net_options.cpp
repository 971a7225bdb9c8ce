#include <doctest/doctest.h>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "net_support.hpp"
#include "udpkit/io/udp_socket.hpp"

using namespace udpkit;

TEST_SUITE("net") {
TEST_CASE("socket options: broadcast and TTL accept valid values and refuse bad ones") {
    event_loop loop;
    {
        auto s = udp_socket::bind(loop, *ip_endpoint::parse("127.0.0.1:0"));
        REQUIRE(s);
        CHECK((*s)->set_broadcast(true));
        CHECK((*s)->set_broadcast(false));
        CHECK((*s)->set_ttl(1));
        CHECK((*s)->set_ttl(255));
        auto bad = (*s)->set_ttl(256);
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message == "set TTL: 256 is not in 1..255");
        CHECK((*s)->set_multicast_ttl(4));
        CHECK((*s)->set_multicast_loop(true));
        auto group = (*s)->join_multicast("not-an-address");
        REQUIRE_FALSE(group);
        CHECK(group.error().message.rfind("join multicast group not-an-address: ", 0) == 0);
    }
    REQUIRE(loop.close());
}

// Multicast needs an interface that carries it; loopback does not by default. The child process
// gets a network namespace of its own (root), turns multicast on for its lo and routes the
// multicast range there, so the test changes nothing on the machine.
TEST_CASE("multicast: a member receives what is sent to the group") {
    if (geteuid() != 0) {
        MESSAGE("skipped: a private network namespace needs root");
        return;
    }
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (unshare(CLONE_NEWNET) != 0 ||
            std::system("ip link set lo up multicast on && ip route add 224.0.0.0/4 dev lo") != 0)
            _exit(77);
        int status = 1;
        {
            event_loop loop;
            {
                test::watchdog guard(loop, 3000);
                auto member = udp_socket::bind(loop, *ip_endpoint::parse("0.0.0.0:0"));
                auto sender = udp_socket::bind(loop, *ip_endpoint::parse("127.0.0.1:0"));
                if (member && sender && (*member)->join_multicast("239.1.2.3", "127.0.0.1") &&
                    (*sender)->set_multicast_loop(true) && (*sender)->set_multicast_ttl(1)) {
                    auto group = *ip_endpoint::parse("239.1.2.3:0");
                    group.set_port((*member)->local_address().port());
                    (void)(*member)->start_receive([&](const datagram& d) {
                        status = d.payload == "to the group" ? 0 : 2;
                        loop.stop();
                    });
                    if ((*sender)->send("to the group", group))
                        loop.run();
                    if (guard.fired())
                        status = 3;
                    (void)(*member)->leave_multicast("239.1.2.3", "127.0.0.1");
                }
            }
            (void)loop.close();
        }
        _exit(status);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        MESSAGE("skipped: could not set up a private network namespace with ip(8)");
        return;
    }
    CHECK(WEXITSTATUS(status) == 0);
}
} // TEST_SUITE("net")
