#include "echo_server.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "udpkit/event_loop.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/rate_limiter.hpp"
#include "udpkit/resolve.hpp"
#include "udpkit/responder.hpp"
#include "udpkit/signal.hpp"
#include "udpkit/timer.hpp"
#include "udpkit/udp_socket.hpp"

namespace udpkit {
namespace {

/// Sources the rate limiter tracks at most: about 0.75 MiB of table, allocated once.
constexpr std::size_t max_rate_limited_sources = 16384;
/// The send queue (used only while the kernel buffer is full) holds at most this many bytes
/// of replies; beyond it replies are dropped and counted, so memory stays flat under a flood.
constexpr std::size_t send_queue_bytes = 256 * 1024;
/// stderr notices (rate limit, send errors): a burst of 5, then one per second.
constexpr bucket_rate notice_rate{1, 5};

/// Where the socket goes and its limit: from --directory/--as or --bind/--max-message.
struct endpoint_and_limit {
    ip_endpoint address;
    message_limit limit;
};

result<endpoint_and_limit> resolve_endpoint(event_loop &loop, const echo_options &o) {
    endpoint_and_limit where;
    std::optional<message_limit> peer_limit;
    if (!o.directory.empty()) {
        auto directory = peer_directory::load(o.directory);
        if (!directory)
            return unexpected{std::move(directory).error()};
        auto peer = directory->require(o.as);
        if (!peer)
            return unexpected{std::move(peer).error()};
        where.address = (*peer)->address;
        peer_limit = (*peer)->limit;
    } else {
        auto address = resolve_now(loop, o.bind);
        if (!address)
            return unexpected{std::move(address).error()};
        where.address = *address;
    }
    if (o.max_message) {
        auto limit =
            message_limit::make(static_cast<long long>(*o.max_message), where.address.family());
        if (!limit)
            return fail("--max-message: " + limit.error().message);
        where.limit = *limit;
    } else if (peer_limit) {
        where.limit = *peer_limit;
    }
    if (auto fits = check_reply_sizes(o, where.limit); !fits)
        return unexpected{std::move(fits).error()};
    return where;
}

bool is_wildcard(const ip_endpoint &e) {
    const std::string host = e.host();
    return host == "0.0.0.0" || host == "::";
}

/// The addresses replies leave from: the bound one, or with a wildcard bind every local
/// interface address of the family, on the bound port.
std::vector<ip_endpoint> own_addresses(const ip_endpoint &bound) {
    std::vector<ip_endpoint> own{bound};
    if (!is_wildcard(bound))
        return own;
    uv_interface_address_t *interfaces = nullptr;
    int count = 0;
    if (uv_interface_addresses(&interfaces, &count) != 0)
        return own;
    for (int i = 0; i < count; ++i) {
        auto address =
            ip_endpoint::from_sockaddr(reinterpret_cast<const sockaddr *>(&interfaces[i].address));
        if (address && address->family() == bound.family()) {
            address->set_port(bound.port());
            own.push_back(*address);
        }
    }
    uv_free_interface_addresses(interfaces, count);
    return own;
}

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class echo_server {
public:
    echo_server(event_loop &loop, const echo_options &options, udp_socket &socket,
                responder_config config)
        : loop_(loop), options_(options), socket_(socket), responder_(std::move(config)) {
        if (options.rate_limit > 0)
            limiter_.emplace(options.bucket(), max_rate_limited_sources, std::random_device{}());
    }

    void on_datagram(const datagram &d) {
        reply_decision decision = responder_.decide(d.payload, d.truncated, d.from);
        if (decision.action == echo_action::replied && limiter_)
            decision.action = rate_limit(d.from);
        std::size_t sent_bytes = 0;
        if (decision.action == echo_action::replied) {
            auto sent = socket_.send(decision.reply, d.from);
            if (sent && *sent != send_status::dropped) {
                sent_bytes = decision.reply.size();
            } else {
                decision.action = echo_action::send_error;
                ++immediate_send_errors_;
                if (!sent)
                    notice(sent.error().message);
                else
                    notice("send to " + d.from.to_string() +
                           ": kernel buffer and send queue full; reply dropped");
            }
        }
        counters_.record(decision.action, d.size, sent_bytes);
        if (options_.log)
            log(d, decision.action);
    }

    void on_error(const socket_error &e) { notice(e.error.message); }

    /// Prints one stats line (text or JSON) on stdout.
    void print_stats() {
        // Replies that went through the send queue and failed there were counted as replied.
        const std::uint64_t failed = socket_.counters().send_errors + socket_.counters().dropped;
        const std::uint64_t late = failed - immediate_send_errors_;
        counters_.late_send_failures(late - late_seen_);
        late_seen_ = late;
        const std::string line = format_counters(counters_, options_.json);
        std::fprintf(stdout, "%s\n", line.c_str());
        std::fflush(stdout);
    }

private:
    echo_action rate_limit(const ip_endpoint &from) {
        const rate_decision verdict = limiter_->check(from, event_loop::now_ns());
        if (verdict.allowed())
            return echo_action::replied;
        if (verdict.started) {
            const auto rate = limiter_->rate();
            char what[96];
            std::snprintf(what, sizeof what, "%g/s, burst %g", rate.per_second, rate.burst);
            const char *consequence =
                options_.rate_limit_log_only ? "log only: still replying" : "dropping";
            if (verdict.verdict == rate_verdict::table_full)
                notice("rate limit: already tracking " + std::to_string(limiter_->capacity()) +
                       " active sources; new source " + from.host() + " refused (" + consequence +
                       ")");
            else
                notice("rate limit: " + from.host() + " is over " + what + " (" + consequence +
                       ")");
        }
        if (!options_.rate_limit_log_only)
            return echo_action::rate_limited;
        ++counters_.over_rate_limit;
        return echo_action::replied;
    }

    void log(const datagram &d, echo_action action) {
        log_line_.clear();
        format_log_line(log_line_, unix_ms(), d.from, d.size, to_string(action));
        log_line_ += '\n';
        std::fwrite(log_line_.data(), 1, log_line_.size(), stdout);
    }

    /// A line on stderr, at most notice_rate of them: a flood cannot flood the terminal.
    void notice(const std::string &message) {
        if (!notices_.try_take(notice_rate, event_loop::now_ns())) {
            ++suppressed_notices_;
            return;
        }
        std::fprintf(stderr, "udp-echo: %s", message.c_str());
        if (suppressed_notices_ > 0)
            std::fprintf(stderr, " (%llu similar notices suppressed)",
                         static_cast<unsigned long long>(suppressed_notices_));
        std::fputc('\n', stderr);
        suppressed_notices_ = 0;
    }

    event_loop &loop_;
    const echo_options &options_;
    udp_socket &socket_;
    responder responder_;
    std::optional<rate_limiter> limiter_;
    echo_counters counters_;
    std::uint64_t immediate_send_errors_ = 0; ///< sends that failed or were dropped at once
    std::uint64_t late_seen_ = 0;             ///< queued sends already moved to send_errors
    std::string log_line_;
    token_bucket notices_{event_loop::now_ns()};
    std::uint64_t suppressed_notices_ = 0;
};

} // namespace

int run_echo(const echo_options &options) {
    event_loop loop;
    int code = 0;
    {
        auto where = resolve_endpoint(loop, options);
        if (!where) {
            std::fprintf(stderr, "udp-echo: %s\n", where.error().to_string().c_str());
            return 2;
        }
        socket_options socket_config;
        socket_config.limit = where->limit;
        socket_config.max_queued_sends = std::max<std::size_t>(
            1, std::min<std::size_t>(1024, send_queue_bytes / where->limit.bytes()));
        auto socket = udp_socket::bind(loop, where->address, socket_config);
        if (!socket) {
            std::fprintf(stderr, "udp-echo: %s\n", socket.error().message.c_str());
            return 1;
        }
        udp_socket &sock = **socket;

        responder_config config;
        config.mode = options.mode;
        config.rules = options.rules;
        config.allow_privileged_ports = options.allow_privileged_ports;
        config.allow_amplification = options.allow_amplification;
        config.own_addresses = own_addresses(sock.local_address());
        config.max_message = where->limit.bytes();
        echo_server server(loop, options, sock, std::move(config));

        if (options.log)
            std::setvbuf(stdout, nullptr, _IOLBF, 0); // each --log line as it happens
        std::printf("listening on %s\n", sock.local_address().to_string().c_str());
        std::fflush(stdout);

        stop_signals stop(loop, [&](int) {
            server.print_stats();
            loop.stop();
        });
        signal_watcher usr1(loop);
        if (auto started = usr1.start(SIGUSR1, [&](int) { server.print_stats(); }); !started) {
            std::fprintf(stderr, "udp-echo: %s\n", started.error().message.c_str());
            return 1;
        }
        usr1.unref();
        timer stats(loop);
        if (options.stats_interval > 0) {
            const auto ms = static_cast<std::uint64_t>(options.stats_interval * 1000);
            stats.start(ms, ms, [&] { server.print_stats(); });
            stats.unref();
        }
        auto receiving = sock.start_receive([&](const datagram &d) { server.on_datagram(d); },
                                            [&](const socket_error &e) { server.on_error(e); });
        if (!receiving) {
            std::fprintf(stderr, "udp-echo: %s\n", receiving.error().message.c_str());
            return 1;
        }
        loop.run();
    }
    if (auto closed = loop.close(); !closed) {
        std::fprintf(stderr, "udp-echo: %s\n", closed.error().message.c_str());
        code = 1;
    }
    return code;
}

} // namespace udpkit
