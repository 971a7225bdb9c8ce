#include "chat_tool.hpp"

#include <algorithm>
#include <chrono>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <unistd.h>
#include <unordered_map>

#include "console.hpp"
#include "udpkit/io/error_codes.hpp"
#include "udpkit/io/interfaces.hpp"
#include "udpkit/io/resolve.hpp"
#include "udpkit/io/signal.hpp"
#include "udpkit/io/stdin_reader.hpp"
#include "udpkit/io/timer.hpp"
#include "udpkit/io/udp_socket.hpp"
#include "udpkit/line_splitter.hpp"

namespace udpkit {
namespace {

constexpr const char* tool = "udp-chat";
// Lines from unknown senders shown per second on a terminal (see chat_session::settings).
constexpr std::uint32_t unknown_lines_per_second = 20;

// Whom lines go to at start (--to): a peer, a group (a room), or neither.
struct chat_target {
    const peer* to_peer = nullptr;
    const group* to_group = nullptr;
};

chat_time now() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm local{};
    localtime_r(&seconds, &local);
    return {static_cast<std::int64_t>(ms), static_cast<std::int32_t>(local.tm_gmtoff)};
}

void print_error(const std::string& message) {
    std::fprintf(stderr, "%s: %s\n", tool, message.c_str());
}

// The largest limit of any peer or group: the socket must be able to send that much. What we
// accept ourselves is checked by chat_session against our own peer's limit.
message_limit socket_limit(const peer_directory& directory) {
    message_limit largest = directory.default_limit();
    for (const auto& p : directory.peers())
        if (p.limit.bytes() > largest.bytes())
            largest = p.limit;
    for (const auto& g : directory.groups())
        if (g.limit.bytes() > largest.bytes())
            largest = g.limit;
    return largest;
}

// The index of a group's interface (find_interface), 0 when the group names none: the routing
// table's choice.
result<unsigned> room_interface(const group& g) {
    if (g.interface.empty())
        return 0U;
    return find_interface(g.interface);
}

chat_session make_session(const peer_directory& directory, const peer& self,
                          const chat_target& target, chat_session::settings s) {
    if (target.to_group != nullptr)
        return {directory, self, *target.to_group, s};
    return {directory, self, target.to_peer, s};
}

// One chat peer: the socket, the session, and either the terminal or piped input.
class chat_tool {
public:
    chat_tool(event_loop& loop, const peer_directory& directory, const peer& self,
              const chat_target& target, const chat_options& options, bool interactive,
              ip_family family)
        : loop_(loop), directory_(directory), interactive_(interactive),
          session_(make_session(directory, self, target,
                                {options.format, options.known_only,
                                 interactive ? unknown_lines_per_second : 0, family})),
          linger_ms_(options.linger_ms), splitter_(socket_limit(directory).bytes()), tick_(loop),
          linger_(loop), winch_(loop), signals_(loop, [this](int) { stop(); }) {}

    result<void> start(const ip_endpoint& address, message_limit limit) {
        socket_options so;
        so.limit = limit;
        so.report_unreachable = true;
        auto sock = udp_socket::bind(loop_, address, so);
        if (!sock)
            return unexpected{std::move(sock).error()};
        socket_ = std::move(*sock);
        // Rooms first: once "listening on" is out, whatever is sent to a room reaches us.
        std::vector<std::string> room_notices;
        for (const group* g : session_.rooms_to_join())
            room_notices.push_back(join_room(*g));
        std::printf("listening on %s\n", socket_->local_address().to_string().c_str());
        std::fflush(stdout);

        auto started = socket_->start_receive(
            [this](const datagram& d) {
                remember_route(d);
                if (auto line = session_.on_datagram(d.payload, d.size, d.from, now()))
                    show({std::move(*line)});
            },
            [this](const socket_error& e) {
                notice(is_port_unreachable(e.error) || e.destination
                           ? session_.on_unreachable(e.destination ? &*e.destination : nullptr,
                                                     e.error.message)
                           : e.error.message);
            });
        if (!started)
            return started;
        socket_->on_drained([this] { pump(); });
        auto input = interactive_ ? start_console() : start_input();
        for (const auto& n : room_notices)
            notice(n);
        return input;
    }

    /// Counters for the end: the session's, and what the kernel dropped before we could read.
    std::string summary() const {
        std::string s = session_.summary();
        if (socket_)
            s += "; kernel dropped " + std::to_string(socket_->kernel_drops()) +
                 " (receive buffer full)";
        return s;
    }

    /// Exit code: with piped input, 1 when a line was not sent, a peer was unreachable or a
    /// room could not be joined.
    int exit_code() const {
        const auto& c = session_.counters();
        return failed_ ||
                       (!interactive_ && (c.not_sent > 0 || c.unreachable > 0 || c.not_joined > 0))
                   ? 1
                   : 0;
    }

    void finish() {
        if (auto n = session_.take_suppressed_notice())
            notice(*n);
        console_.reset(); // gives the terminal back before the summary is printed
        std::fprintf(stderr, "%s: %s\n", tool, summary().c_str());
    }

private:
    result<void> start_console() {
        auto c = console::start(loop_, session_.prompt(), [this](std::optional<std::string> line) {
            if (!line) {
                stop();
                return;
            }
            carry_out(session_.on_command_line(*line));
            if (console_)
                console_->set_prompt(session_.prompt());
        });
        if (!c)
            return unexpected{std::move(c).error()};
        console_ = std::move(*c);
        console_->set_completer([this](std::string_view before, std::string_view word) {
            return chat_completions(directory_, before, word);
        });
        (void)winch_.start(SIGWINCH, [this](int) {
            if (console_)
                console_->resize();
        });
        winch_.unref();
        tick_.start(1000, 1000, [this] {
            if (auto n = session_.take_suppressed_notice())
                notice(*n);
        });
        return {};
    }

    result<void> start_input() {
        reader_ = std::make_unique<stdin_reader>(
            loop_,
            [this](std::string_view bytes) {
                splitter_.feed(bytes);
                pump();
            },
            [this](result<void> how) {
                if (!how) {
                    print_error(how.error().to_string());
                    failed_ = true;
                }
                splitter_.finish();
                pump();
            });
        return reader_->start();
    }

    // Sends piped lines while the socket keeps up: a full kernel buffer queues a send, and the
    // rest waits (input paused) until the queue drains, so no line is dropped for speed.
    void pump() {
        if (interactive_ || stopping_)
            return;
        while (socket_->queued_sends() == 0) {
            auto line = splitter_.next();
            if (!line)
                break;
            carry_out(line->overlong ? session_.on_overlong_line(line->size)
                                     : session_.on_message_line(line->text));
        }
        if (splitter_.ready() > 0 || socket_->queued_sends() > 0) {
            reader_->pause();
            return;
        }
        reader_->resume();
        if (splitter_.done() && !lingering_) {
            lingering_ = true;
            if (linger_ms_)
                linger_.start(*linger_ms_, 0, [this] { stop(); });
        }
    }

    void carry_out(const chat_reaction& r) {
        for (const peer* p : r.send_to)
            send(r.payload, *p);
        if (r.send_to_group != nullptr)
            send(r.payload, *r.send_to_group);
        if (r.join != nullptr)
            notice(join_room(*r.join));
        if (r.leave != nullptr)
            notice(leave_room(*r.leave));
        if (interactive_) {
            if (console_)
                console_->print(r.notices);
        } else {
            for (const auto& n : r.notices)
                print_error(n);
        }
        if (r.quit)
            stop();
    }

    // On a wildcard socket, a peer is answered from the address its last datagram reached, so
    // that it sees the address it wrote to. Only peers of the directory are remembered: the
    // table stays as small as the directory.
    void remember_route(const datagram& d) {
        if (d.reply_from != nullptr && directory_.find(d.from) != nullptr)
            reply_routes_.insert_or_assign(d.from, *d.reply_from);
    }

    void send(const std::string& payload, const peer& to) {
        const auto route = reply_routes_.find(to.address);
        session_.on_sent(
            to, outcome(socket_->send(payload, to.address,
                                      route == reply_routes_.end() ? nullptr : &route->second),
                        to.name));
    }

    // To a room: from our own socket, so that the members see our peer address as the source,
    // with the group's options. They are set before each send because groups differ; a send
    // that waits in the queue (kernel buffer full) leaves with those of the latest one.
    void send(const std::string& payload, const group& to) {
        const std::string name = "room " + to.name;
        auto ready = to.broadcast ? socket_->set_broadcast(true) : multicast_options(to);
        session_.on_sent(to, ready ? outcome(socket_->send(payload, to.address), name)
                                   : outcome(unexpected{std::move(ready).error()}, name));
    }

    result<void> multicast_options(const group& g) {
        auto interface = room_interface(g);
        if (!interface)
            return unexpected{std::move(interface).error()};
        if (auto set = socket_->set_multicast_interface(*interface); !set)
            return set;
        if (auto set = socket_->set_multicast_ttl(g.ttl); !set)
            return set;
        return socket_->set_multicast_loop(g.loop);
    }

    // The error of one send for the session's counters (empty when sent), told to the user.
    std::string outcome(const result<send_status>& sent, const std::string& to) {
        std::string error;
        if (!sent)
            error = sent.error().message;
        else if (*sent == send_status::dropped)
            error = "the send queue is full";
        if (!error.empty())
            notice("message to " + to + " not sent: " + error);
        return error;
    }

    // Joins a room: a socket of its own bound to the group's address and port (Linux hands a
    // socket bound to a multicast address only that group's datagrams, and one bound to a
    // broadcast address only those), shared with the host's other members (SO_REUSEADDR),
    // joined on the group's interface. Returns the session's notice either way.
    std::string join_room(const group& g) {
        auto opened = open_room(g);
        if (!opened)
            return session_.on_joined(g, opened.error().message);
        rooms_.emplace_back(&g, std::move(*opened));
        return session_.on_joined(g);
    }

    result<std::unique_ptr<udp_socket>> open_room(const group& g) {
        auto interface = room_interface(g);
        if (!interface)
            return unexpected{std::move(interface).error()};
        socket_options so;
        so.limit = g.limit;
        so.reuse_address = true;
        auto sock = udp_socket::bind(loop_, g.address, so);
        if (!sock)
            return sock;
        if (!g.broadcast)
            if (auto joined = (*sock)->join_multicast(g.address, *interface); !joined)
                return unexpected{std::move(joined).error()};
        auto started = (*sock)->start_receive(
            [this, &g](const datagram& d) {
                if (auto line = session_.on_datagram(d.payload, d.size, d.from, now(), &g))
                    show({std::move(*line)});
            },
            [this, &g](const socket_error& e) {
                notice("room " + g.name + ": " + e.error.message);
            });
        if (!started)
            return unexpected{std::move(started).error()};
        return sock;
    }

    // Only from a typed /leave, never from inside a room socket's own handler, so the socket
    // may be destroyed here. Closing it drops the membership.
    std::string leave_room(const group& g) {
        rooms_.erase(std::remove_if(rooms_.begin(), rooms_.end(),
                                    [&g](const auto& room) { return room.first == &g; }),
                     rooms_.end());
        return session_.on_left(g);
    }

    void show(std::vector<std::string> lines) {
        if (console_) {
            console_->print(lines);
            return;
        }
        for (const auto& line : lines) {
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fputc('\n', stdout);
        }
        if (std::fflush(stdout) != 0 && !stopping_) {
            print_error("cannot write to standard output; stopping");
            failed_ = true;
            stop();
        }
    }

    void notice(const std::string& text) {
        if (console_)
            console_->print({"* " + text});
        else
            print_error(text);
    }

    void stop() {
        if (stopping_)
            return;
        stopping_ = true;
        if (console_)
            console_->stop();
        if (reader_)
            reader_->pause();
        loop_.stop();
    }

    event_loop& loop_;
    const peer_directory& directory_;
    bool interactive_;
    chat_session session_;
    std::optional<std::uint64_t> linger_ms_;
    line_splitter splitter_;
    std::unique_ptr<udp_socket> socket_;
    std::vector<std::pair<const group*, std::unique_ptr<udp_socket>>> rooms_; // joined rooms
    std::unordered_map<ip_endpoint, local_source, ip_endpoint_hash> reply_routes_;
    std::unique_ptr<console> console_;
    std::unique_ptr<stdin_reader> reader_;
    timer tick_;
    timer linger_;
    signal_watcher winch_;
    stop_signals signals_;
    bool stopping_ = false;
    bool lingering_ = false;
    bool failed_ = false;
};

} // namespace

int run_chat(const chat_options& options) {
    auto directory = peer_directory::load(options.directory);
    if (!directory) {
        print_error(directory.error().to_string());
        return cli::exit_code::usage;
    }
    auto self = directory->require(options.as);
    if (!self) {
        print_error("--as: " + self.error().message);
        return cli::exit_code::usage;
    }
    chat_target target;
    if (!options.to.empty()) {
        target.to_peer = directory->find(options.to);
        target.to_group = target.to_peer ? nullptr : directory->find_group(options.to);
        if (target.to_peer == nullptr && target.to_group == nullptr) {
            print_error("--to: no peer or group named \"" + options.to + "\" in " +
                        directory->source() + "; known peers: " + directory->names() +
                        "; groups: " + directory->group_names());
            return cli::exit_code::usage;
        }
    }
    const bool interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1;
    if (interactive)
        std::setlocale(LC_ALL, ""); // readline edits multibyte (UTF-8) text by the locale

    event_loop loop;
    int code = cli::exit_code::ok;
    {
        auto local =
            options.bind ? resolve_now(loop, *options.bind) : result<ip_endpoint>((*self)->address);
        if (!local) {
            print_error("--bind: " + local.error().message);
            code = cli::exit_code::failure;
        } else {
            chat_tool chat(loop, *directory, **self, target, options, interactive, local->family());
            if (auto started = chat.start(*local, socket_limit(*directory)); !started) {
                print_error(started.error().to_string());
                code = cli::exit_code::failure;
            } else {
                loop.run();
                chat.finish();
                code = chat.exit_code();
            }
        }
    }
    if (auto closed = loop.close(); !closed) {
        print_error(closed.error().to_string());
        code = cli::exit_code::failure;
    }
    return code;
}

} // namespace udpkit
