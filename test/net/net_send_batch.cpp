#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "udpkit/io/send_batch.hpp"

using namespace udpkit;

namespace {

// A plain non-blocking UDP socket on 127.0.0.1, closed by its destructor.
struct plain_socket {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    ip_endpoint address;
    plain_socket() {
        auto local = *ip_endpoint::parse("127.0.0.1:0");
        REQUIRE(bind(fd, local.sockaddr_ptr(), local.sockaddr_size()) == 0);
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0);
        address = *ip_endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&bound));
    }
    ~plain_socket() { close(fd); }
    plain_socket(const plain_socket&) = delete;
    plain_socket& operator=(const plain_socket&) = delete;

    // The next datagram, waiting at most 2 s; "<none>" if nothing came.
    std::string receive() const {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 2000) != 1)
            return "<none>";
        std::string buffer(65536, '\0');
        const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
        REQUIRE(n >= 0);
        buffer.resize(static_cast<std::size_t>(n));
        return buffer;
    }
    bool nothing_more() const {
        pollfd p{fd, POLLIN, 0};
        return poll(&p, 1, 100) == 0;
    }
};

// A scripted stand-in for sendmmsg: each call takes the next answer (>= 0: that many sent;
// < 0: fails with errno = -answer) and records how many datagrams it was offered.
std::vector<int> script;
std::vector<unsigned> offered;
int scripted_sendmmsg(int, mmsghdr*, unsigned count, int) {
    offered.push_back(count);
    REQUIRE(!script.empty());
    const int answer = script.front();
    script.erase(script.begin());
    if (answer >= 0)
        return answer;
    errno = -answer;
    return -1;
}

// Each message a call was offered: its datagrams' sizes, its GSO segment size (0: none) and
// the IPv4 source address it asked for with IP_PKTINFO ("": none).
struct offered_message {
    std::vector<std::size_t> sizes;
    unsigned segment_size;
    std::string source = {};
    bool operator==(const offered_message&) const = default;
};
std::vector<offered_message> messages_seen;
int recording_sendmmsg(int fd, mmsghdr* messages, unsigned count, int flags) {
    for (unsigned m = 0; m < count; ++m) {
        const msghdr& h = messages[m].msg_hdr;
        offered_message seen{{}, 0};
        for (std::size_t i = 0; i < h.msg_iovlen; ++i)
            seen.sizes.push_back(h.msg_iov[i].iov_len);
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
             c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c))
            if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) {
                std::uint16_t size;
                std::memcpy(&size, CMSG_DATA(c), sizeof size);
                seen.segment_size = size;
            } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                in_pktinfo info;
                std::memcpy(&info, CMSG_DATA(c), sizeof info);
                char text[INET_ADDRSTRLEN];
                seen.source = inet_ntop(AF_INET, &info.ipi_spec_dst, text, sizeof text);
            }
        messages_seen.push_back(seen);
    }
    return scripted_sendmmsg(fd, messages, count, flags);
}

void fill(send_batch& batch, std::size_t n) {
    const auto to = *ip_endpoint::parse("127.0.0.1:9");
    for (std::size_t i = 0; i < n; ++i)
        REQUIRE(batch.add('d' + std::to_string(i), to));
}

} // namespace

TEST_SUITE("net") {
TEST_CASE("send_batch: every datagram arrives whole, in order, to its own destination") {
    plain_socket sender;
    plain_socket a;
    plain_socket b;
    send_batch batch(8, 4096);
    const std::vector<std::string> payloads = {"", "x", std::string(1472, 'z'), "to b", "last"};
    for (std::size_t i = 0; i < payloads.size(); ++i)
        REQUIRE(batch.add(payloads[i], i == 3 ? b.address : a.address));
    std::string reused = "overwritten after add";
    REQUIRE(batch.add(reused, a.address));
    reused.assign(reused.size(), '#'); // add copied the bytes: the caller may reuse its buffer
    REQUIRE(batch.size() == 6);
    CHECK(batch.payload(5) == "overwritten after add");
    CHECK(batch.destination(3) == b.address);

    const auto results = batch.flush(sender.fd);
    REQUIRE(results.size() == 6);
    for (int r : results)
        CHECK(r == 0);
    for (std::size_t i : {0u, 1u, 2u, 4u})
        CHECK(a.receive() == payloads[i]);
    CHECK(a.receive() == "overwritten after add");
    CHECK(b.receive() == "to b");
    CHECK(a.nothing_more());
    batch.clear();
    CHECK(batch.empty());
    CHECK(batch.flush(sender.fd).empty());
}

TEST_CASE("send_batch: a datagram the kernel refuses is reported, the others still go") {
    plain_socket sender;
    plain_socket a;
    auto broadcast = *ip_endpoint::parse("255.255.255.255:9"); // EACCES without SO_BROADCAST
    send_batch batch(4, 100);
    REQUIRE(batch.add("one", a.address));
    REQUIRE(batch.add("refused", broadcast));
    REQUIRE(batch.add("three", a.address));
    const auto results = batch.flush(sender.fd);
    REQUIRE(results.size() == 3);
    CHECK(results[0] == 0);
    CHECK(results[1] == -EACCES);
    CHECK(results[2] == 0);
    CHECK(a.receive() == "one");
    CHECK(a.receive() == "three");
}

TEST_CASE("send_batch: room is bounded by datagram count and by bytes") {
    const auto to = *ip_endpoint::parse("127.0.0.1:9");
    send_batch batch(3, 10);
    CHECK(batch.add("12345", to));
    CHECK_FALSE(batch.add("123456", to)); // 11 bytes in all: refused, nothing queued
    CHECK(batch.size() == 1);
    CHECK(batch.add("1234", to));
    CHECK(batch.add("", to));       // empty datagrams take a slot but no bytes
    CHECK_FALSE(batch.add("", to)); // three slots
    batch.clear();
    CHECK_FALSE(batch.add(std::string(11, 'x'), to)); // larger than the arena: never fits
    CHECK(batch.add(std::string(10, 'x'), to));
}

TEST_CASE("send_batch: partial sends continue, EINTR retries, a full buffer drops the rest") {
    send_batch batch(16, 1024);
    offered.clear();
    SUBCASE("the kernel takes the batch in pieces") {
        fill(batch, 5);
        script = {2, 3};
        const auto results = batch.flush(-1, &scripted_sendmmsg);
        CHECK(offered == std::vector<unsigned>{5, 3});
        CHECK(std::vector<int>(results.begin(), results.end()) == std::vector<int>(5, 0));
    }
    SUBCASE("an interrupted call is repeated") {
        fill(batch, 2);
        script = {-EINTR, 2};
        const auto results = batch.flush(-1, &scripted_sendmmsg);
        CHECK(offered == std::vector<unsigned>{2, 2});
        CHECK(std::vector<int>(results.begin(), results.end()) == std::vector<int>{0, 0});
    }
    SUBCASE("EAGAIN drops the datagram and every one after it, without waiting") {
        fill(batch, 5);
        script = {2, -EAGAIN};
        const auto results = batch.flush(-1, &scripted_sendmmsg);
        CHECK(offered == std::vector<unsigned>{5, 3});
        CHECK(std::vector<int>(results.begin(), results.end()) ==
              std::vector<int>{0, 0, -EAGAIN, -EAGAIN, -EAGAIN});
    }
    SUBCASE("an error skips one datagram; a call that sends nothing cannot loop forever") {
        fill(batch, 4);
        script = {-EPERM, 0, 2};
        const auto results = batch.flush(-1, &scripted_sendmmsg);
        CHECK(offered == std::vector<unsigned>{4, 3, 2});
        CHECK(std::vector<int>(results.begin(), results.end()) ==
              std::vector<int>{-EPERM, -EIO, 0, 0});
    }
    CHECK(script.empty());
}

TEST_CASE("send_batch GSO: runs of one size to one destination share a message, the last shorter") {
    const auto a = *ip_endpoint::parse("127.0.0.1:9");
    const auto b = *ip_endpoint::parse("127.0.0.1:10");
    send_batch batch(16, 4096);
    for (const char* p : {"aaaa", "aaaa", "aaaa", "bb"}) // "bb" may end the run
        REQUIRE(batch.add(p, a));
    REQUIRE(batch.add("cccc", b)); // another destination
    REQUIRE(batch.add("", a));     // empty: always alone
    REQUIRE(batch.add("dddd", a));
    REQUIRE(batch.add("ddddd", a)); // longer than the run's segment: starts a new one
    offered.clear();
    messages_seen.clear();
    offload_counters gso;
    gso.gso = true;
    script = {5};
    const auto results = batch.flush(-1, &recording_sendmmsg, &gso);
    CHECK(std::vector<int>(results.begin(), results.end()) == std::vector<int>(8, 0));
    CHECK(messages_seen ==
          std::vector<offered_message>{{{4, 4, 4, 2}, 4}, {{4}, 0}, {{0}, 0}, {{4}, 0}, {{5}, 0}});
    CHECK(gso.gso);
    CHECK(gso.gso_sends == 1);
    CHECK(gso.gso_datagrams == 4);
    CHECK(script.empty());
}

TEST_CASE("send_batch GSO: a run shares its source address too; another source starts a run") {
    // Replies of a wildcard server: one client, one size, but the requests reached two
    // addresses, and each reply must leave from the one its request reached.
    const auto client = *ip_endpoint::parse("127.0.0.1:9");
    const local_source two{*ip_endpoint::parse("127.0.0.2:0")};
    const local_source three{*ip_endpoint::parse("127.0.0.3:0")};
    send_batch batch(16, 4096);
    for (const local_source* from : {&two, &two, &two, &three, &three, &two})
        REQUIRE(batch.add("abcd", client, from));
    offered.clear();
    messages_seen.clear();
    offload_counters gso;
    gso.gso = true;
    script = {3};
    const auto results = batch.flush(-1, &recording_sendmmsg, &gso);
    CHECK(std::vector<int>(results.begin(), results.end()) == std::vector<int>(6, 0));
    CHECK(messages_seen == std::vector<offered_message>{{{4, 4, 4}, 4, "127.0.0.2"},
                                                        {{4, 4}, 4, "127.0.0.3"},
                                                        {{4}, 0, "127.0.0.2"}});
    CHECK(gso.gso_sends == 2);
    CHECK(gso.gso_datagrams == 5);
}

TEST_CASE("send_batch GSO: a refusal (EIO, EINVAL, EMSGSIZE) turns GSO off and sends every "
          "datagram plainly") {
    const auto a = *ip_endpoint::parse("127.0.0.1:9");
    for (const int refusal : {-EIO, -EINVAL, -EMSGSIZE}) {
        CAPTURE(refusal);
        send_batch batch(16, 4096);
        REQUIRE(batch.add("x", *ip_endpoint::parse("127.0.0.1:10"))); // alone: sent first
        for (int i = 0; i < 3; ++i)
            REQUIRE(batch.add("yyy", a));
        messages_seen.clear();
        offered.clear();
        offload_counters gso;
        gso.gso = true;
        script = {1, refusal, 3}; // the lone one goes, the GSO message is refused
        const auto results = batch.flush(-1, &recording_sendmmsg, &gso);
        CHECK(std::vector<int>(results.begin(), results.end()) == std::vector<int>(4, 0));
        CHECK(messages_seen ==
              std::vector<offered_message>{
                  {{1}, 0}, {{3, 3, 3}, 3}, {{3, 3, 3}, 3}, {{3}, 0}, {{3}, 0}, {{3}, 0}});
        CHECK_FALSE(gso.gso);
        CHECK(gso.gso_refusals == 1);
        CHECK(gso.gso_sends == 0);
        CHECK(script.empty());

        // Off from now on: the next flush offers one datagram per message.
        messages_seen.clear();
        script = {3};
        batch.clear();
        for (int i = 0; i < 3; ++i)
            REQUIRE(batch.add("zz", a));
        batch.flush(-1, &recording_sendmmsg, &gso);
        CHECK(messages_seen.size() == 3);
        CHECK(gso.gso_refusals == 1);
    }
}

TEST_CASE("send_batch GSO: another error fails the run's datagrams, EAGAIN drops the rest") {
    const auto a = *ip_endpoint::parse("127.0.0.1:9");
    send_batch batch(16, 4096);
    for (int i = 0; i < 2; ++i)
        REQUIRE(batch.add("pp", a));
    REQUIRE(batch.add("q", *ip_endpoint::parse("127.0.0.1:10")));
    for (int i = 0; i < 2; ++i)
        REQUIRE(batch.add("rr", a));
    offload_counters gso;
    gso.gso = true;
    offered.clear();
    script = {-EPERM, -EAGAIN};
    const auto results = batch.flush(-1, &scripted_sendmmsg, &gso);
    CHECK(std::vector<int>(results.begin(), results.end()) ==
          std::vector<int>{-EPERM, -EPERM, -EAGAIN, -EAGAIN, -EAGAIN});
    CHECK(offered == std::vector<unsigned>{3, 2}); // messages, not datagrams
    CHECK(gso.gso);                                // not a refusal of GSO
    CHECK(script.empty());
}
} // TEST_SUITE("net")
