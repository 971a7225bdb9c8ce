#include <doctest/doctest.h>

#include <net/if.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "net_support.hpp"
#include "udpkit/io/error_codes.hpp"
#include "udpkit/io/interfaces.hpp"
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
        auto unicast = (*s)->join_multicast(*ip_endpoint::parse("127.0.0.2:0"));
        REQUIRE_FALSE(unicast);
        CHECK(unicast.error().message == "join multicast group 127.0.0.2: not a multicast "
                                         "address (IPv4 224.0.0.0/4, IPv6 ff00::/8)");
        auto other_family = (*s)->join_multicast(*ip_endpoint::parse("[ff15::77]:0"));
        REQUIRE_FALSE(other_family);
        CHECK(other_family.error().message.find("a different IP family") != std::string::npos);
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
                const unsigned lo = if_nametoindex("lo");
                auto group = *ip_endpoint::parse("239.1.2.3:0");
                if (member && sender && (*member)->join_multicast(group, lo) &&
                    (*sender)->set_multicast_loop(true) && (*sender)->set_multicast_ttl(1)) {
                    group.set_port((*member)->local_address().port());
                    (void)(*member)->start_receive([&](const datagram& d) {
                        status = d.payload == "to the group" && d.kind == destination_kind::group
                                     ? 0
                                     : 2;
                        loop.stop();
                    });
                    if ((*sender)->send("to the group", group))
                        loop.run();
                    if (guard.fired())
                        status = 3;
                    (void)(*member)->leave_multicast(group, lo);
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

TEST_SUITE("net") {
// 127.255.255.255 is loopback's broadcast address (Linux's local routing table lists it), so a
// wildcard socket shows how each datagram was addressed without any other interface.
TEST_CASE("destination kind: a wildcard socket tells a loopback broadcast from unicast") {
    event_loop loop;
    {
        test::watchdog guard(loop, 3000);
        auto receiver = udp_socket::bind(loop, *ip_endpoint::parse("0.0.0.0:0"));
        auto sender = udp_socket::bind(loop, *ip_endpoint::parse("127.0.0.1:0"));
        REQUIRE(receiver);
        REQUIRE(sender);
        REQUIRE((*sender)->set_broadcast(true));
        const auto port = (*receiver)->local_address().port();
        auto unicast = *ip_endpoint::parse("127.0.0.1:0");
        auto broadcast = *ip_endpoint::parse("127.255.255.255:0");
        unicast.set_port(port);
        broadcast.set_port(port);
        std::vector<std::pair<std::string, destination_kind>> seen;
        REQUIRE((*receiver)->start_receive([&](const datagram& d) {
            seen.emplace_back(std::string(d.payload), d.kind);
            if (seen.size() == 2)
                loop.stop();
        }));
        REQUIRE((*sender)->send("one", unicast));
        REQUIRE((*sender)->send("all", broadcast));
        loop.run();
        REQUIRE_FALSE(guard.fired());
        REQUIRE(seen.size() == 2);
        CHECK(seen[0] ==
              std::pair<std::string, destination_kind>{"one", destination_kind::unicast});
        CHECK(seen[1] ==
              std::pair<std::string, destination_kind>{"all", destination_kind::broadcast});
    }
    REQUIRE(loop.close());
}

// What lets several chat peers of one host share a broadcast (or multicast) room: with
// SO_REUSEADDR on both, two sockets bind the same broadcast address and port, and each gets its
// own copy; without it the second bind is refused.
TEST_CASE("reuse_address: two sockets share a broadcast address and each gets every datagram") {
    event_loop loop;
    {
        test::watchdog guard(loop, 3000);
        socket_options shared;
        shared.reuse_address = true;
        auto first = udp_socket::bind(loop, *ip_endpoint::parse("127.255.255.255:0"), shared);
        REQUIRE(first);
        const auto room = (*first)->local_address();
        auto refused = udp_socket::bind(loop, room);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("EADDRINUSE") != std::string::npos);
        auto second = udp_socket::bind(loop, room, shared);
        REQUIRE(second);
        auto sender = udp_socket::bind(loop, *ip_endpoint::parse("127.0.0.1:0"));
        REQUIRE(sender);
        REQUIRE((*sender)->set_broadcast(true));
        std::vector<std::string> seen_first, seen_second;
        auto stop_when_both = [&] {
            if (seen_first.size() == 1 && seen_second.size() == 1)
                loop.stop();
        };
        REQUIRE((*first)->start_receive([&](const datagram& d) {
            seen_first.emplace_back(d.payload);
            stop_when_both();
        }));
        REQUIRE((*second)->start_receive([&](const datagram& d) {
            seen_second.emplace_back(d.payload);
            stop_when_both();
        }));
        REQUIRE((*sender)->send("to the room", room));
        loop.run();
        REQUIRE_FALSE(guard.fired());
        CHECK(seen_first == std::vector<std::string>{"to the room"});
        CHECK(seen_second == std::vector<std::string>{"to the room"});
    }
    REQUIRE(loop.close());
}

TEST_CASE("a broadcast without SO_BROADCAST is refused with EACCES: is_permission_denied") {
    event_loop loop;
    {
        auto sender = udp_socket::bind(loop, *ip_endpoint::parse("127.0.0.1:0"));
        REQUIRE(sender);
        auto sent = (*sender)->send("all", *ip_endpoint::parse("127.255.255.255:9"));
        REQUIRE_FALSE(sent);
        CHECK(is_permission_denied(sent.error()));
        CHECK(sent.error().message.find("EACCES") != std::string::npos);
        CHECK_FALSE(is_permission_denied(-EAGAIN));
        REQUIRE((*sender)->set_broadcast(true));
        CHECK((*sender)->send("all", *ip_endpoint::parse("127.255.255.255:9")));
    }
    REQUIRE(loop.close());
}

TEST_CASE("find_interface takes a name, an index or an address, and lists the interfaces") {
    const unsigned lo = if_nametoindex("lo");
    REQUIRE(lo != 0);
    CHECK(find_interface("lo").value_or(0) == lo);
    CHECK(find_interface(std::to_string(lo)).value_or(0) == lo);
    CHECK(find_interface("127.0.0.1").value_or(0) == lo);
    auto missing = find_interface("nosuch0");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.rfind("no interface \"nosuch0\"; give a name, an index or one "
                                        "of its addresses (interfaces here: ",
                                        0) == 0);
    CHECK(missing.error().message.find("lo") != std::string::npos);
}
} // TEST_SUITE("net")
