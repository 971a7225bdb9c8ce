#include "echo_server.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "notices.hpp"
#include "udpkit/io/error_codes.hpp"
#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/interfaces.hpp"
#include "udpkit/io/resolve.hpp"
#include "udpkit/io/send_batch.hpp"
#include "udpkit/io/signal.hpp"
#include "udpkit/io/timer.hpp"
#include "udpkit/io/udp_socket.hpp"
#include "udpkit/loop_breaker.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/rate_limiter.hpp"
#include "udpkit/responder.hpp"

namespace udpkit {
namespace {

/// Sources the rate limiter tracks at most: about 0.75 MiB of table, allocated once.
constexpr std::size_t max_rate_limited_sources = 16384;
/// The loop breaker's tables: runs of 4096 sources and the last 16384 datagrams, 576 KiB,
/// allocated once (on by default, so sized to stay small).
constexpr std::size_t loop_breaker_sources = 4096;
constexpr std::size_t loop_breaker_recent = 16384;
/// Replies gathered from one receive batch and sent with one sendmmsg: at most this many, in an
/// arena of this many bytes (or one datagram of the limit, if larger). When the kernel buffer
/// is full, replies are dropped and counted rather than queued: memory stays flat.
constexpr std::size_t batch_datagrams = 64;
constexpr std::size_t batch_arena_bytes = 256 * 1024;
/// stderr notices (rate limit, send errors): a burst of 5, then one per second.
constexpr bucket_rate notice_rate{1, 5};

/// Where the socket goes, its limit, and the groups it joins: from --directory/--as or
/// --bind/--max-message, and --join.
struct endpoint_and_limit {
    echo_bind_plan plan;
    message_limit limit;
};

result<endpoint_and_limit> resolve_endpoint(event_loop& loop, const echo_options& o) {
    endpoint_and_limit where;
    std::optional<message_limit> peer_limit;
    std::optional<peer_directory> directory;
    ip_endpoint configured;
    if (!o.directory.empty()) {
        auto loaded = peer_directory::load(o.directory);
        if (!loaded)
            return unexpected{std::move(loaded).error()};
        directory = std::move(*loaded);
    }
    if (!o.as.empty()) {
        auto peer = directory->require(o.as);
        if (!peer)
            return unexpected{std::move(peer).error()};
        configured = (*peer)->address;
        peer_limit = (*peer)->limit;
    } else {
        auto address = resolve_now(loop, o.bind);
        if (!address)
            return unexpected{std::move(address).error()};
        configured = *address;
    }
    auto plan = plan_binding(o, configured, directory ? &*directory : nullptr);
    if (!plan)
        return unexpected{std::move(plan).error()};
    where.plan = std::move(*plan);
    for (auto& j : where.plan.joins)
        if (!j.interface.empty()) {
            auto found = find_interface(j.interface);
            if (!found)
                return fail("--join " + j.label + ": " + found.error().message);
            j.interface_index = *found;
        }
    const ip_family family = where.plan.bind.family();
    if (o.max_message) {
        auto limit = message_limit::make(static_cast<long long>(*o.max_message), family);
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

/// Joins the planned groups on their interfaces.
result<void> join_groups(udp_socket& socket, const std::vector<echo_join>& joins) {
    for (const auto& j : joins)
        if (auto joined = socket.join_multicast(j.group, j.interface_index); !joined)
            return joined;
    return {};
}

/// The addresses replies leave from: the bound one, or with a wildcard bind every local
/// interface address of the family (both families when dual-stack), on the bound port.
std::vector<ip_endpoint> own_addresses(const udp_socket& socket) {
    const ip_endpoint& bound = socket.local_address();
    std::vector<ip_endpoint> own{bound};
    if (!socket.is_wildcard())
        return own;
    auto interfaces = local_interface_addresses();
    if (!interfaces)
        return own;
    for (const auto& i : *interfaces) {
        if (i.address.family() == bound.family() || socket.is_dual_stack()) {
            own.push_back(i.address);
            own.back().set_port(bound.port());
        }
    }
    return own;
}

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class echo_server {
public:
    echo_server(const echo_options& options, udp_socket& socket, responder_config config)
        : options_(options), socket_(socket), responder_(std::move(config)),
          batch_(batch_datagrams, std::max<std::size_t>(batch_arena_bytes, socket.limit().bytes())),
          requests_(batch_datagrams) {
        if (options.rate_limit > 0)
            limiter_.emplace(options.bucket(), max_rate_limited_sources, std::random_device{}());
        if (options.loop_breaker)
            breaker_.emplace(loop_rule{}, loop_breaker_sources, loop_breaker_recent,
                             std::uint64_t{std::random_device{}()} << 32 | std::random_device{}());
    }

    void on_datagram(const datagram& d) {
        reply_decision decision = responder_.decide(d.payload, d.truncated, d.from, d.kind);
        // Before the rate limit, so that a loop's datagrams spend no tokens.
        if (decision.action == echo_action::replied && breaker_)
            decision.action = break_loop(d);
        if (decision.action == echo_action::replied && limiter_)
            decision.action = rate_limit(d.from);
        if (decision.action != echo_action::replied) {
            counters_.record(decision.action, d.size, d.kind);
            if (options_.log)
                log(d.from, d.size, to_string(decision.action),
                    decision.action == echo_action::sunk ? options_.shown : log_payload::none,
                    d.payload);
            return;
        }
        // The reply is copied: the receive buffer is reused by the next recvmmsg.
        // On a wildcard socket the reply leaves from the address the request reached.
        if (!batch_.add(decision.reply, d.from, d.reply_from)) {
            flush();
            // an empty batch holds any reply within the limit
            batch_.add(decision.reply, d.from, d.reply_from);
        }
        requests_[batch_.size() - 1] = {d.size, d.kind, over_limit_now_};
        over_limit_now_ = false;
        // With --log every reply goes at once, so lines keep arrival order and each reply's
        // fate; otherwise the replies to one receive batch leave together (on_batch_end).
        if (options_.log)
            flush();
    }

    /// After each receive batch: a lone request (ping-pong) is answered at once, a flood's
    /// replies go out with one sendmmsg per batch.
    void on_batch_end() { flush(); }

    /// Sends the gathered replies and counts each as replied or as a send error.
    void flush() {
        if (batch_.empty())
            return;
        const auto results = socket_.send_now(batch_);
        for (std::size_t i = 0; i < results.size(); ++i) {
            const bool sent = results[i] == 0;
            const echo_action action = sent ? echo_action::replied : echo_action::send_error;
            const batched_request& request = requests_[i];
            counters_.record(action, request.size, request.kind,
                             sent ? batch_.payload(i).size() : 0);
            if (options_.log)
                log(batch_.destination(i), request.size,
                    sent && request.over_rate_limit ? "replied-over-rate-limit"
                                                    : to_string(action));
            if (!sent && notice_due())
                notice(io_failure("send to " + batch_.destination(i).to_string(), results[i])
                           .value.message +
                       (is_would_block(results[i]) ? "; socket buffer full, reply dropped" : ""));
        }
        batch_.clear();
    }

    void on_error(const socket_error& e) {
        if (notice_due())
            notice(e.error.message);
    }

    /// Prints one stats line (text or JSON) on stdout, replies gathered so far included.
    void print_stats(stats_reason reason) {
        flush();
        counters_.kernel_drops = socket_.kernel_drops();
        counters_.offload = socket_.offload();
        const std::string line = format_counters(counters_, options_.json, unix_ms(), reason);
        std::fprintf(stdout, "%s\n", line.c_str());
        std::fflush(stdout);
    }

private:
    echo_action break_loop(const datagram& d) {
        const loop_decision verdict = breaker_->check(d.from, d.payload, d.received_ns);
        if (!verdict.refused)
            return echo_action::replied;
        if (verdict.started && notice_due()) {
            char what[192];
            std::snprintf(what, sizeof what,
                          "loop breaker: %s repeated the same %zu bytes %u times in %.2f s; "
                          "refusing its repeats until it pauses (--no-loop-breaker: answer them)",
                          d.from.to_string().c_str(), d.payload.size(), verdict.repeats,
                          static_cast<double>(verdict.run_ns) / 1e9);
            notice(what);
        }
        return echo_action::refused_loop;
    }

    echo_action rate_limit(const ip_endpoint& from) {
        const rate_decision verdict = limiter_->check(from, event_loop::now_ns());
        if (verdict.allowed())
            return echo_action::replied;
        if (verdict.started && notice_due()) {
            const auto rate = limiter_->rate();
            char what[96];
            std::snprintf(what, sizeof what, "%g/s, burst %g", rate.per_second, rate.burst);
            const char* consequence =
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
        over_limit_now_ = true; // logged as such when its reply goes
        return echo_action::replied;
    }

    void log(const ip_endpoint& from, std::size_t size, std::string_view action,
             log_payload shown = log_payload::none, std::string_view payload = {}) {
        log_line_.clear();
        format_log_line(log_line_, unix_ms(), from, size, action, options_.json, shown, payload);
        log_line_ += '\n';
        std::fwrite(log_line_.data(), 1, log_line_.size(), stdout);
    }

    /// Whether a notice may be printed now: at most notice_rate of them, so that a flood cannot
    /// flood the terminal (checked before the message is even built).
    bool notice_due() { return notices_.due(event_loop::now_ns()); }

    void notice(const std::string& message) { notices_.print(message); }

    const echo_options& options_;
    udp_socket& socket_;
    responder responder_;
    std::optional<rate_limiter> limiter_;
    std::optional<loop_breaker> breaker_;
    send_batch batch_;
    /// What a batched reply's counters and --log line need of its request.
    struct batched_request {
        std::size_t size = 0;                              ///< on the wire
        destination_kind kind = destination_kind::unicast; ///< where it was sent
        bool over_rate_limit = false;                      ///< over --rate-limit (log only)
    };
    std::vector<batched_request> requests_;  ///< one per reply in batch_, in its order
    bool over_limit_now_ = false;            ///< the datagram being decided is over the limit
    echo_counters counters_;
    std::string log_line_;
    cli::notices notices_{"udp-echo", notice_rate, event_loop::now_ns()};
};

} // namespace

int run_echo(const echo_options& options) {
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
        // Replies need no arrival times, and the stats read the drop count from the socket:
        // control messages the kernel would build for every datagram of a flood.
        socket_config.receive_timestamps = false;
        socket_config.drop_counts = false;
        socket_config.offload = options.offload;
        socket_config.ipv6_only = options.ipv6_only;
        auto socket = udp_socket::bind(loop, where->plan.bind, socket_config);
        if (!socket) {
            std::fprintf(stderr, "udp-echo: %s\n", socket.error().message.c_str());
            return 1;
        }
        udp_socket& sock = **socket;

        responder_config config;
        config.mode = options.mode;
        config.rules = options.rules;
        config.allow_privileged_ports = options.allow_privileged_ports;
        config.allow_amplification = options.allow_amplification;
        config.allow_broadcast = options.allow_broadcast;
        config.own_addresses = own_addresses(sock);
        config.max_message = where->limit.bytes();
        echo_server server(options, sock, std::move(config));
        sock.on_receive_batch_end([&] { server.on_batch_end(); });

        if (options.log)
            std::setvbuf(stdout, nullptr, _IOLBF, 0); // each --log line as it happens
        if (auto joined = join_groups(sock, where->plan.joins); !joined) {
            std::fprintf(stderr, "udp-echo: %s\n", joined.error().message.c_str());
            return 1;
        }
        // Signals are caught before "listening on" is out: a client that stops udp-echo as soon
        // as it has read that line still gets the counters.
        stats_reports reports(loop, options.stats_interval,
                              [&](stats_reason why) { server.print_stats(why); });
        if (auto started = reports.start(); !started) {
            std::fprintf(stderr, "udp-echo: %s\n", started.error().message.c_str());
            return 1;
        }
        const bool v6_wildcard =
            sock.is_wildcard() && sock.local_address().family() == ip_family::v6;
        std::printf("%s\n", format_listening(sock.local_address(), options.json,
                                             v6_wildcard ? std::optional(sock.is_dual_stack())
                                                         : std::nullopt)
                                .c_str());
        if (v6_wildcard && !options.json)
            std::fprintf(stderr, "udp-echo: %s\n",
                         sock.is_dual_stack()
                             ? "[::] is dual-stack: IPv4 clients are answered too (--ipv6-only "
                               "for IPv6 alone)"
                             : "[::] takes IPv6 only (--ipv6-only)");
        for (const auto& j : where->plan.joins)
            std::printf("%s\n", format_joined(j.label, j.interface, options.json).c_str());
        std::fflush(stdout);

        auto receiving = sock.start_receive([&](const datagram& d) { server.on_datagram(d); },
                                            [&](const socket_error& e) { server.on_error(e); });
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
