#include "udpkit/io/resolve.hpp"

#include <memory>
#include <optional>

#include <uv.h>

namespace udpkit {
namespace {

struct lookup {
    uv_getaddrinfo_t req{};
    host_port where;
    std::function<void(result<ip_endpoint>)> done;
};

void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept {
    std::unique_ptr<lookup> job(static_cast<lookup*>(req->data));
    std::optional<ip_endpoint> found;
    for (addrinfo* ai = res; ai != nullptr && !found; ai = ai->ai_next)
        found = ip_endpoint::from_sockaddr(ai->ai_addr);
    uv_freeaddrinfo(res);
    if (status != 0) {
        job->done(uv_failure("resolve \"" + job->where.host + "\"", status));
    } else if (!found) {
        job->done(fail("resolve \"" + job->where.host + "\": no IPv4 or IPv6 address"));
    } else {
        found->set_port(job->where.port);
        job->done(*found);
    }
}

} // namespace

void resolve(event_loop& loop, const host_port& where,
             std::function<void(result<ip_endpoint>)> done) {
    if (auto literal = ip_endpoint::from_host_port(where)) {
        done(*literal);
        return;
    }
    auto job = std::make_unique<lookup>();
    job->where = where;
    job->done = std::move(done);
    job->req.data = job.get();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    int rc =
        uv_getaddrinfo(loop.get(), &job->req, on_resolved, where.host.c_str(), nullptr, &hints);
    if (rc != 0) {
        job->done(uv_failure("resolve \"" + where.host + "\"", rc));
        return;
    }
    job.release(); // owned by the request until on_resolved
}

result<ip_endpoint> resolve_now(event_loop& loop, const host_port& where) {
    std::optional<result<ip_endpoint>> answer;
    resolve(loop, where, [&](result<ip_endpoint> r) { answer.emplace(std::move(r)); });
    while (!answer)
        loop.run_once();
    return std::move(*answer);
}

result<ip_endpoint> resolve_now(event_loop& loop, std::string_view text) {
    auto hp = parse_host_port(text);
    if (!hp)
        return unexpected{std::move(hp).error()};
    return resolve_now(loop, *hp);
}

} // namespace udpkit
