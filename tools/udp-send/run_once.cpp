// One-shot mode: a message (TEXT, --hex, --file or stdin) sent --count times, optionally
// waiting for each reply and printing it as one record.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "session.hpp"
#include "udpkit/files.hpp"
#include "udpkit/foreign.hpp"
#include "udpkit/group_send.hpp"
#include "udpkit/hex.hpp"
#include "udpkit/io/signal.hpp"
#include "udpkit/json.hpp"
#include "udpkit/render.hpp"
#include "udpkit/send_schedule.hpp"
#include "udpkit/stats.hpp"

namespace udpkit::send {
namespace {

// After the last send without --wait-reply, how long to listen for an ICMP "port unreachable"
// (on loopback it is back at once; elsewhere it takes a round trip).
constexpr std::uint64_t linger_ms = 50;

// The message, or an exit code: over the limit is refused before anything is sent.
std::variant<std::string, int> message(const send_options& o, const resolved_target& to) {
    const std::size_t limit = to.spec.limit.bytes();
    std::string bytes;
    std::string from;
    if (o.payload) {
        bytes = *o.payload;
        from = "the message";
    } else if (!o.file.empty()) {
        std::FILE* f = std::fopen(o.file.c_str(), "rb");
        if (f == nullptr)
            return report_failure(cli::usage, "--file " + o.file + ": " + std::strerror(errno));
        bytes = read_at_most(f, limit);
        const bool unreadable = std::ferror(f) != 0; // a directory opens, and reads EISDIR
        const int read_error = errno;
        std::fclose(f);
        if (unreadable)
            return report_failure(cli::usage, "--file " + o.file + ": cannot read: " +
                                                  std::strerror(read_error) + "; nothing was sent");
        from = "--file " + o.file;
    } else {
        if (isatty(STDIN_FILENO) == 1)
            return report_failure(cli::usage, "no message: give TEXT, --hex or --file, or pipe "
                                              "the message on stdin");
        bytes = read_at_most(stdin, limit);
        from = "stdin";
    }
    if (bytes.size() > limit)
        return report_failure(cli::usage,
                              from + " holds more than " + std::to_string(limit) +
                                  " bytes, the limit for " + to.label +
                                  "; it is refused, not split into several datagrams, and "
                                  "nothing was sent");
    return bytes;
}

// One reply as printed: for a group target, text and hex lines name the source
// (`192.0.2.1:9200 (alice): hello`); JSON records always carry source and peer.
std::string record(reply_format format, const datagram& d, const resolved_target& to,
                   const peer_directory* directory, std::uint64_t rtt_ns) {
    const responder_name from =
        to.is_group() ? name_of(d.from, directory)
                      : responder_name{d.from, to.spec.peer != nullptr ? to.spec.peer->name : ""};
    switch (format) {
    case reply_format::text:
        return to.is_group() ? group_reply_line(from, render_untrusted(d.payload))
                             : render_untrusted(d.payload) + "\n";
    case reply_format::hex:
        return to.is_group() ? group_reply_line(from, to_hex(d.payload)) : to_hex(d.payload) + "\n";
    case reply_format::json:
        break;
    }
    char rtt[32];
    std::snprintf(rtt, sizeof rtt, "%.1f", static_cast<double>(rtt_ns) / 1000.0);
    std::string out = "{\"source\": " + json_string(d.from.to_string()) + ", \"peer\": ";
    out += !from.peer.empty() ? json_string(from.peer) : "null";
    out += ", \"size\": " + std::to_string(d.size) + ", \"rtt_us\": " + rtt +
           ", \"text\": " + json_string(d.payload) + ", \"hex\": \"" + to_hex(d.payload) + "\"}\n";
    return out;
}

void print(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

// Datagrams that came from other addresses: a line each on stderr, and with --json one record
// on stdout, `{"foreign": [{"address": ..., "datagrams": N}], "target": ...}`.
void report_foreign(const send_options& o, const foreign_sources& foreign,
                    const resolved_target& to) {
    if (foreign.empty())
        return;
    for (const auto& line : foreign.describe("the target " + to.label))
        report_failure(cli::failure, line);
    if (o.format == reply_format::json) {
        const std::string line = "{\"foreign\": " + foreign.json() +
                                 ", \"target\": " + json_string(to.address.to_string()) + "}\n";
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fflush(stdout);
    }
}

// The end of a one-shot to a group: who answered (a line, or a JSON record), then whether
// enough did. False when no member answered or fewer than --expect-responders.
bool group_verdict(const send_options& o, const resolved_target& to, const reply_tally& tally,
                   const send_schedule& schedule) {
    print(o.format == reply_format::json ? tally.json() + "\n" : tally.text() + "\n");
    if (schedule.missed() > 0) {
        report_failure(cli::failure, "no reply from any member of " + to.label + " within " +
                                         std::to_string(o.timeout_ms) + " ms to " +
                                         std::to_string(schedule.missed()) + " of " +
                                         std::to_string(schedule.sent()) +
                                         (schedule.sent() == 1 ? " send" : " sends"));
        return false;
    }
    std::vector<responder_name> names;
    for (const auto& e : tally.sorted())
        names.push_back(e.name);
    const std::string few =
        responders_shortfall(names, tally.unnamed() > 0 ? 1 : 0, o.group.expect_responders);
    if (!few.empty())
        report_failure(cli::failure, few);
    return few.empty();
}

} // namespace

int run_once(const send_options& o) {
    session s;
    auto resolved = s.command_line_target(o);
    if (auto* exit = std::get_if<int>(&resolved))
        return *exit;
    const resolved_target* to = &std::get<resolved_target>(resolved);
    auto payload = message(o, *to);
    if (auto* exit = std::get_if<int>(&payload))
        return *exit;
    const std::string& bytes = std::get<std::string>(payload);
    if (auto fits = check_group_target(to->kind, to->spec.group, o.group, to->label); !fits)
        return report_failure(cli::usage, fits.error().message);
    if (auto exit = s.open_socket(o.bind, {to->address}, to->spec.limit, o.offload))
        return *exit;
    if (auto exit = s.prepare_target(o, *to))
        return *exit;

    const std::uint64_t period_ns =
        o.rate_pps != 0 ? 1'000'000'000 / o.rate_pps : o.interval_ms * 1'000'000;
    // To a group every member answers: each send waits the whole --timeout for all of them.
    send_schedule schedule(o.count, period_ns, o.wait_reply, o.timeout_ms * 1'000'000,
                           to->is_group());
    reply_tally tally;   // a group's responders
    std::string failure; // set once: the run stops
    int failure_code = cli::failure;
    std::uint64_t truncated = 0;
    std::uint64_t replies = 0, not_echoes = 0; // --expect-echo
    foreign_sources foreign;
    auto stop = [&](std::string why) {
        if (failure.empty())
            failure = std::move(why);
        s.loop().stop();
    };
    std::function<void()> pump = [&] {
        for (;;) {
            switch (schedule.next(now_ns())) {
            case send_schedule::step::send: {
                auto sent = s.socket().send(bytes, to->address);
                if (!failure.empty())
                    return; // the send reported an earlier ICMP error
                if (!sent) {
                    auto [code, why] = send_failure(sent.error(), to->label);
                    failure_code = code;
                    return stop(std::move(why));
                }
                if (*sent == send_status::dropped)
                    return stop("send to " + to->label + ": the send queue is full");
                continue;
            }
            case send_schedule::step::wait:
                return s.wake_at(schedule.wake_ns(), pump);
            case send_schedule::step::finished:
                if (o.wait_reply)
                    return s.loop().stop();
                return s.wake().start(linger_ms, 0, [&] { s.loop().stop(); });
            }
        }
    };
    auto started = s.socket().start_receive(
        [&](const datagram& d) {
            // A group's members answer from their own addresses; a host from the target's.
            if (!to->is_group() && !(d.from == to->address))
                return foreign.record(d.from);                 // not from the target: not a reply
            const auto rtt = schedule.on_reply(d.received_ns); // the kernel's receive time
            if (!rtt)
                return;
            if (to->is_group())
                tally.record(d.from, s.directory());
            const std::string source =
                to->is_group() ? describe(name_of(d.from, s.directory())) : to->label;
            if (d.truncated) {
                ++truncated;
                report_failure(cli::failure, "reply of " + std::to_string(d.size) + " bytes from " +
                                                 source + " is over the limit of " +
                                                 std::to_string(s.socket().limit().bytes()) +
                                                 " bytes (truncated; not shown)");
            } else {
                print(record(o.format, d, *to, s.directory(), *rtt));
            }
            ++replies;
            if (o.expect_echo && !d.truncated) {
                if (auto difference = echo_difference(bytes, d.payload); !difference.empty()) {
                    ++not_echoes;
                    report_failure(cli::failure, "reply " + std::to_string(replies) + " from " +
                                                     source +
                                                     " is not what was sent: " + difference);
                }
            }
            if (!to->is_group()) // a group's send waits out its timeout for every member
                pump();
        },
        [&](const socket_error& e) { stop(describe(e)); });
    if (!started)
        return report_failure(cli::failure, started.error().message);
    {
        stop_signals signals(s.loop(), [&](int) { stop("interrupted"); });
        pump();
        if (failure.empty())
            s.loop().run();
    } // the signal handles close before the loop does
    if (!s.close())
        return cli::failure;
    report_foreign(o, foreign, *to);
    if (!failure.empty())
        return report_failure(failure_code, failure);
    if (to->is_group() && o.wait_reply) {
        if (!group_verdict(o, *to, tally, schedule))
            return cli::failure;
    } else if (schedule.missed() > 0)
        return report_failure(
            cli::failure, "no reply from " + to->label + " within " + std::to_string(o.timeout_ms) +
                              " ms to " + std::to_string(schedule.missed()) + " of " +
                              std::to_string(schedule.sent()) + " sends" +
                              (foreign.empty() ? ""
                                               : " (see above: " + std::to_string(foreign.total()) +
                                                     " datagrams came from other addresses)"));
    if (not_echoes > 0)
        return report_failure(cli::failure, std::to_string(not_echoes) + " of " +
                                                std::to_string(replies) +
                                                " replies were not the echo of what was sent "
                                                "(--expect-echo)");
    return truncated > 0 ? cli::failure : cli::ok;
}

} // namespace udpkit::send
