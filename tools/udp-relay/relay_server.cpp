#include "relay_server.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "notices.hpp"
#include "udpkit/io/error_codes.hpp"
#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/interfaces.hpp"
#include "udpkit/io/resolve.hpp"
#include "udpkit/io/signal.hpp"
#include "udpkit/io/timer.hpp"
#include "udpkit/io/udp_socket.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/relay.hpp"

namespace udpkit {
namespace {

/// stderr notices (table full, send errors, oversize datagrams): a burst of 5, then one a second.
constexpr bucket_rate notice_rate{1, 5};
/// The back direction's seed: the forward seed with "back" in its low bytes, so that the two
/// directions draw different numbers from one --seed.
constexpr std::uint64_t back_seed_mask = 0x6261636b;

/// Where the relay listens, where it relays to, and the size limit of both sides.
struct relay_ends {
    ip_endpoint listen;
    ip_endpoint upstream;
    message_limit limit;
};

result<relay_ends> resolve_ends(event_loop& loop, const relay_options& o) {
    relay_ends ends;
    std::optional<peer_directory> directory;
    std::optional<message_limit> peer_limit;
    if (!o.directory.empty()) {
        auto loaded = peer_directory::load(o.directory);
        if (!loaded)
            return unexpected{std::move(loaded).error()};
        directory = std::move(loaded).value();
        auto self = directory->require(o.as);
        if (!self)
            return unexpected{std::move(self).error()};
        ends.listen = (*self)->address;
        peer_limit = (*self)->limit;
    } else {
        auto listen = resolve_now(loop, o.listen);
        if (!listen)
            return unexpected{std::move(listen).error()};
        ends.listen = *listen;
    }
    if (const peer* to = directory ? directory->find(o.to) : nullptr) {
        ends.upstream = to->address;
    } else {
        auto upstream = resolve_now(loop, o.to);
        if (!upstream)
            return fail("--to " + upstream.error().message +
                        (directory ? " (nor is it a peer of " + directory->source() + ": " +
                                         directory->names() + ")"
                                   : std::string()));
        ends.upstream = *upstream;
    }
    if (!o.allow_privileged_ports && ends.upstream.port() < 1024)
        return fail("--to " + ends.upstream.to_string() + ": port " +
                    std::to_string(ends.upstream.port()) +
                    " is below 1024 (a system service; relaying to it risks loops and "
                    "reflection); --allow-privileged-ports relays to it anyway");
    if (ends.upstream.is_unspecified())
        return fail("--to " + ends.upstream.to_string() +
                    ": a wildcard address is no upstream (replies would come from another "
                    "address); name the host, e.g. 127.0.0.1:" +
                    std::to_string(ends.upstream.port()));
    if (o.max_message || peer_limit) {
        const auto bytes = o.max_message ? *o.max_message : peer_limit->bytes();
        for (const auto family : {ends.listen.family(), ends.upstream.family()}) {
            auto limit = message_limit::make(static_cast<long long>(bytes), family);
            if (!limit)
                return fail("--max-message: " + limit.error().message);
            ends.limit = *limit;
        }
    }
    return ends;
}

/// Whether datagrams sent to `upstream` reach the relay's own listening socket: its exact
/// address, or, on a wildcard bind, any local address of a family it takes on its port. Such
/// a relay would forward each datagram to itself as a new client, for ever (and with
/// --duplicate, ever more of them).
bool reaches_itself(const udp_socket& listen, const ip_endpoint& upstream) {
    const ip_endpoint& own = listen.local_address();
    if (upstream.port() != own.port())
        return false;
    if (upstream == own)
        return true;
    if (!listen.is_wildcard() || (upstream.family() != own.family() && !listen.is_dual_stack()))
        return false;
    return upstream.is_loopback() || is_local_address(upstream);
}

/// The local address of a client's upstream socket: a free port on the loopback address when
/// the upstream is on loopback (the relay stays off the network), else on every address.
ip_endpoint upstream_local(const ip_endpoint& upstream) {
    const bool v6 = upstream.family() == ip_family::v6;
    const char* host =
        upstream.is_loopback() ? (v6 ? "[::1]:0" : "127.0.0.1:0") : (v6 ? "[::]:0" : "0.0.0.0:0");
    return *ip_endpoint::parse(host);
}

class relay_server {
public:
    relay_server(event_loop& loop, const relay_options& options, udp_socket& listen,
                 const relay_ends& ends, std::uint64_t seed)
        : loop_(loop), options_(options), listen_(listen), ends_(ends), seed_(seed),
          forward_(options.forward, seed), back_(options.back, seed ^ back_seed_mask),
          clients_(options.max_clients, static_cast<std::uint64_t>(options.idle_seconds * 1e9)),
          upstreams_(options.max_clients), due_timer_(loop) {}

    /// A datagram from a client: admitted (a new client gets its upstream socket), impaired,
    /// forwarded.
    void on_client_datagram(const datagram& d) {
        const std::uint64_t now = event_loop::now_ns();
        if (d.truncated) {
            forward_.refuse(relay_drop::oversize);
            if (notices_.due(now))
                notices_.print(oversize_notice(d, "from client " + d.from.to_string()));
            return;
        }
        if (!options_.allow_privileged_ports && d.from.port() < 1024) {
            forward_.refuse(relay_drop::privileged_port);
            if (notices_.due(now))
                notices_.print("client " + d.from.to_string() +
                               ": source port below 1024 refused (replies to it could hit a "
                               "system service; --allow-privileged-ports relays for it)");
            return;
        }
        auto admitted = clients_.admit(d.from, now);
        // A client may have gone quiet since the last tick; a flood of new sources rescans the
        // table at most every 10 ms.
        if (!admitted.slot && now - last_full_scan_ns_ >= 10'000'000) {
            last_full_scan_ns_ = now;
            expire_idle(now);
            admitted = clients_.admit(d.from, now);
        }
        if (!admitted.slot) {
            forward_.refuse(relay_drop::table_full);
            if (notices_.due(now))
                notices_.print("client table full (" + std::to_string(clients_.capacity()) +
                               " clients, --max-clients): new client " + d.from.to_string() +
                               " refused until one is idle for --idle seconds");
            return;
        }
        if (admitted.added)
            close_upstream(*admitted.slot);
        upstream& u = upstreams_[*admitted.slot];
        if (!u.socket && !open_upstream(*admitted.slot, admitted.id, d.from, now)) {
            forward_.refuse(relay_drop::send_error);
            return;
        }
        if (d.reply_from)
            u.reply_from = *d.reply_from;
        out_.clear();
        forward_.receive(d.payload, admitted.id, now, out_);
        send_forward();
        arm_timer(now);
    }

    /// Releases what is due in both directions (the timer's work).
    void on_tick() {
        const std::uint64_t now = event_loop::now_ns();
        out_.clear();
        forward_.release_due(now, out_);
        send_forward();
        out_.clear();
        back_.release_due(now, out_);
        send_back();
        armed_ns_.reset();
        arm_timer(now);
    }

    /// Forgets the clients idle for --idle seconds and closes their upstream sockets.
    void expire_idle(std::uint64_t now) {
        for (const std::size_t slot : clients_.expire(now))
            close_upstream(slot);
    }

    /// Prints one stats line (text or JSON) on stdout, with the kernel's drops: the listening
    /// socket's are the forward direction's, the upstream sockets' (closed ones too) the back's.
    void print_stats() {
        relay_counters forward = forward_.counters();
        relay_counters back = back_.counters();
        forward.kernel_drops = listen_.kernel_drops();
        back.kernel_drops = closed_upstream_drops_;
        for (const auto& u : upstreams_)
            if (u.socket)
                back.kernel_drops += u.socket->kernel_drops();
        const std::string line = format_relay_stats(seed_, clients_, forward, back, options_.json);
        std::fprintf(stdout, "%s\n", line.c_str());
        std::fflush(stdout);
    }

private:
    struct upstream {
        std::unique_ptr<udp_socket> socket;
        std::optional<local_source> reply_from; ///< where replies to the client leave from
    };

    /// Closes a slot's upstream socket (if any), keeping its kernel drop count.
    void close_upstream(std::size_t slot) {
        if (upstreams_[slot].socket)
            closed_upstream_drops_ += upstreams_[slot].socket->kernel_drops();
        upstreams_[slot] = {};
    }

    bool open_upstream(std::size_t slot, std::uint64_t id, const ip_endpoint& client,
                       std::uint64_t now) {
        socket_options config;
        config.limit = ends_.limit;
        config.receive_timestamps = false;
        config.drop_counts = false;
        auto socket = udp_socket::bind(loop_, upstream_local(ends_.upstream), config);
        if (socket) {
            auto receiving = (*socket)->start_receive(
                [this, id](const datagram& d) { on_upstream_datagram(id, d); });
            if (receiving) {
                upstreams_[slot].socket = std::move(socket).value();
                return true;
            }
            if (notices_.due(now))
                notices_.print("client " + client.to_string() + ": " + receiving.error().message);
            return false;
        }
        if (notices_.due(now))
            notices_.print("client " + client.to_string() +
                           ": no upstream socket: " + socket.error().message);
        return false;
    }

    /// A datagram on client `id`'s upstream socket: a reply, impaired and sent back.
    void on_upstream_datagram(std::uint64_t id, const datagram& d) {
        const std::uint64_t now = event_loop::now_ns();
        if (!(d.from == ends_.upstream)) {
            back_.refuse(relay_drop::foreign);
            return;
        }
        if (d.truncated) {
            back_.refuse(relay_drop::oversize);
            if (notices_.due(now))
                notices_.print(oversize_notice(d, "from the upstream"));
            return;
        }
        if (const auto slot = clients_.slot_of(id))
            clients_.touch(*slot, now);
        out_.clear();
        back_.receive(d.payload, id, now, out_);
        send_back();
        arm_timer(now);
    }

    void send_forward() {
        for (const auto& o : out_) {
            const auto slot = clients_.slot_of(o.tag);
            if (!slot || !upstreams_[*slot].socket) {
                forward_.unsend(relay_drop::expired);
                continue;
            }
            check_sent(forward_, upstreams_[*slot].socket->send(o.payload, ends_.upstream),
                       ends_.upstream);
        }
    }

    void send_back() {
        for (const auto& o : out_) {
            const auto slot = clients_.slot_of(o.tag);
            if (!slot) {
                back_.unsend(relay_drop::expired);
                continue;
            }
            const upstream& u = upstreams_[*slot];
            const ip_endpoint& client = clients_.address(*slot);
            check_sent(back_,
                       listen_.send(o.payload, client, u.reply_from ? &*u.reply_from : nullptr),
                       client);
        }
    }

    /// Counts a send that failed (refused, or dropped with the socket's queue full).
    void check_sent(impairment_pipeline& direction, const result<send_status>& sent,
                    const ip_endpoint& to) {
        if (sent && *sent != send_status::dropped)
            return;
        direction.unsend(relay_drop::send_error);
        if (notices_.due(event_loop::now_ns()))
            notices_.print(sent ? "send to " + to.to_string() +
                                      ": socket buffer and send queue full, datagram dropped"
                                : sent.error().message);
    }

    /// Arms the timer for the next datagram due, unless it is armed for that or earlier.
    void arm_timer(std::uint64_t now) {
        const auto f = forward_.next_due_ns();
        const auto b = back_.next_due_ns();
        if (!f && !b)
            return;
        const std::uint64_t next = std::min(f.value_or(UINT64_MAX), b.value_or(UINT64_MAX));
        if (armed_ns_ && *armed_ns_ <= next)
            return;
        armed_ns_ = next;
        // libuv's timers count whole milliseconds: round up, never fire early.
        const std::uint64_t wait_ms = next > now ? (next - now + 999'999) / 1'000'000 : 0;
        due_timer_.start(wait_ms, 0, [this] { on_tick(); });
    }

    std::string oversize_notice(const datagram& d, const std::string& from) const {
        return "datagram of " + std::to_string(d.size) + " bytes " + from +
               " is over the limit of " + std::to_string(ends_.limit.bytes()) +
               " bytes (--max-message): dropped, never forwarded cut";
    }

    event_loop& loop_;
    const relay_options& options_;
    udp_socket& listen_;
    relay_ends ends_;
    std::uint64_t seed_;
    impairment_pipeline forward_;
    impairment_pipeline back_;
    client_table clients_;
    std::vector<upstream> upstreams_; ///< by client slot
    std::vector<relay_output> out_;
    timer due_timer_;
    std::optional<std::uint64_t> armed_ns_;
    std::uint64_t last_full_scan_ns_ = 0;
    std::uint64_t closed_upstream_drops_ = 0; ///< kernel drops of upstream sockets now closed
    cli::notices notices_{"udp-relay", notice_rate, event_loop::now_ns()};
};

std::uint64_t random_seed() {
    std::random_device device;
    return std::uint64_t{device()} << 32 | device();
}

} // namespace

int run_relay(const relay_options& options) {
    event_loop loop;
    int code = 0;
    {
        auto ends = resolve_ends(loop, options);
        if (!ends) {
            std::fprintf(stderr, "udp-relay: %s\n", ends.error().to_string().c_str());
            return 2;
        }
        socket_options socket_config;
        socket_config.limit = ends->limit;
        socket_config.receive_timestamps = false;
        socket_config.drop_counts = false;
        auto socket = udp_socket::bind(loop, ends->listen, socket_config);
        if (!socket) {
            std::fprintf(stderr, "udp-relay: %s\n", socket.error().message.c_str());
            return 1;
        }
        udp_socket& sock = **socket;
        if (reaches_itself(sock, ends->upstream)) {
            std::fprintf(stderr,
                         "udp-relay: --to %s reaches the relay's own socket (listening on %s): "
                         "it would relay to itself\n",
                         ends->upstream.to_string().c_str(),
                         sock.local_address().to_string().c_str());
            return 2;
        }
        const std::uint64_t seed = options.seed ? *options.seed : random_seed();
        relay_server server(loop, options, sock, *ends, seed);

        // Signals are caught before "listening on" is out: a client that stops the relay as
        // soon as it has read that line still gets the counters.
        stats_reports reports(loop, options.stats_interval,
                              [&](stats_reason) { server.print_stats(); });
        if (auto started = reports.start(); !started) {
            std::fprintf(stderr, "udp-relay: %s\n", started.error().message.c_str());
            return 1;
        }
        std::printf("listening on %s\n", sock.local_address().to_string().c_str());
        std::printf("relaying to %s, seed %llu (--seed %llu repeats this run)\n",
                    ends->upstream.to_string().c_str(), static_cast<unsigned long long>(seed),
                    static_cast<unsigned long long>(seed));
        std::fflush(stdout);
        // Idle clients are looked for four times per --idle, at most once a second.
        timer expiry(loop);
        const auto expiry_ms = std::clamp<std::uint64_t>(
            static_cast<std::uint64_t>(options.idle_seconds * 250), 1, 1000);
        expiry.start(expiry_ms, expiry_ms, [&] { server.expire_idle(event_loop::now_ns()); });
        expiry.unref();
        auto receiving =
            sock.start_receive([&](const datagram& d) { server.on_client_datagram(d); });
        if (!receiving) {
            std::fprintf(stderr, "udp-relay: %s\n", receiving.error().message.c_str());
            return 1;
        }
        loop.run();
    }
    if (auto closed = loop.close(); !closed) {
        std::fprintf(stderr, "udp-relay: %s\n", closed.error().message.c_str());
        code = 1;
    }
    return code;
}

} // namespace udpkit
