#include <doctest/doctest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
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
} // TEST_SUITE("net")
