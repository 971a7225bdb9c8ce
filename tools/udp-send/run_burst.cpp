// Burst mode: sequence-numbered probes to an echo responder, paced by probe_burst (count,
// rate, window), with statistics and a verdict for CI.
#include <cstdio>
#include <random>

#include "session.hpp"
#include "udpkit/burst.hpp"
#include "udpkit/foreign.hpp"
#include "udpkit/group_send.hpp"
#include "udpkit/io/error_codes.hpp"
#include "udpkit/io/send_batch.hpp"
#include "udpkit/io/signal.hpp"

namespace udpkit::send {
namespace {

constexpr std::uint64_t progress_ms = 250;
// When the kernel buffer and the socket's queue are full, try again this much later.
constexpr std::uint64_t retry_ms = 1;
constexpr std::uint64_t burst_buffer_bytes = 4 << 20;
// The most receive buffer asked for (the kernel caps it at net.core.rmem_max anyway).
constexpr std::uint64_t max_buffer_bytes = 64 << 20;
// Probes sent per turn of the loop before replies are read again: without a window or a rate
// a burst would otherwise send everything before reading a single reply.
constexpr std::uint64_t max_per_pump = 256;

void progress(const burst_stats& stats, std::uint64_t count, std::uint64_t in_flight) {
    std::printf("\r\033[Ksent %llu/%llu  received %llu  unanswered %llu",
                static_cast<unsigned long long>(stats.sent()),
                static_cast<unsigned long long>(count),
                static_cast<unsigned long long>(stats.received()),
                static_cast<unsigned long long>(in_flight));
    std::fflush(stdout);
}

// Prints the report, closes the session and returns the exit code: 1 with `failure`.
int conclude(session& s, const std::string& report, const std::string& failure) {
    std::fwrite(report.data(), 1, report.size(), stdout);
    std::fflush(stdout);
    if (!s.close())
        return cli::failure;
    if (!failure.empty())
        return report_failure(cli::failure, "burst failed: " + failure);
    return cli::ok;
}

// The report of a burst to a group: one line (or JSON object) per responder, then the verdict.
int finish_group(session& s, const send_options& o, const resolved_target& to,
                 burst_summary overall, const responder_stats& responders, std::uint64_t stopped_ns,
                 const std::string& fatal) {
    group_burst_report r;
    r.target = to.label;
    r.probe_size = o.size;
    r.overall = std::move(overall);
    r.responders = responders.summaries(stopped_ns);
    r.unnamed = responders.unnamed();
    r.expected = o.group.expect_responders;
    const std::string failure = fatal.empty() ? group_burst_failure(r, o.max_loss) : fatal;
    return conclude(
        s, o.json ? group_burst_json(r, o.max_loss, failure) + "\n" : group_burst_text(r), failure);
}

} // namespace

int run_burst(const send_options& o) {
    session s;
    auto resolved = s.command_line_target(o);
    if (auto* exit = std::get_if<int>(&resolved))
        return *exit;
    const resolved_target* to = &std::get<resolved_target>(resolved);
    if (auto fits = to->spec.limit.check(o.size); !fits)
        return report_failure(cli::usage, "--size " + std::to_string(o.size) + " for " +
                                              to->spec.text + ": " + fits.error().message);
    if (auto fits = check_group_target(to->kind, to->spec.group, o.group, to->label); !fits)
        return report_failure(cli::usage, fits.error().message);
    const bool group = to->is_group();
    if (group && o.histogram)
        return report_failure(cli::usage, "--histogram is not drawn per responder: a burst to " +
                                              to->label + " reports each one's RTT percentiles");
    if (auto exit = s.open_socket(o.bind, {to->address}, to->spec.limit, o.offload))
        return *exit;
    if (auto exit = s.prepare_target(o, *to))
        return *exit;

    // Replies to a whole window arrive back to back: the receive buffer must hold the window
    // (the default, about 208 KiB, holds three 65527-byte datagrams). Best effort: the kernel
    // caps the size at net.core.rmem_max / wmem_max, so read back what it gave, and keep the
    // window within it (a window of probes our own socket would drop measures nothing).
    std::uint64_t window = probe_window(o.window, o.window_bytes, o.size);
    const std::uint64_t footprint = datagram_footprint(o.size);
    const std::uint64_t needed = window * footprint; // 0 without a window
    const std::uint64_t wanted =
        window == 0 ? max_buffer_bytes : std::clamp(needed, burst_buffer_bytes, max_buffer_bytes);
    (void)s.socket().set_buffer_sizes(static_cast<int>(wanted),
                                      static_cast<int>(burst_buffer_bytes));
    if (const std::uint64_t got = s.socket().receive_buffer_bytes(); got != 0 && got < needed) {
        const std::uint64_t fits = std::max<std::uint64_t>(1, got / footprint);
        report_failure(cli::ok, "the receive buffer is " + std::to_string(got) +
                                    " bytes (net.core.rmem_max caps it): at most " +
                                    std::to_string(fits) + " probes of " + std::to_string(o.size) +
                                    " bytes in flight instead of " + std::to_string(window));
        window = fits;
    }

    // To a group, the window and the timeout count a probe as answered by its first reply;
    // the burst lasts until the last probe's timeout, for the members that answer later.
    const burst_plan plan{o.burst, o.rate_pps, window, o.timeout_ms * 1'000'000, group};
    const auto interval_ns = static_cast<std::uint64_t>(o.report_interval_s * 1e9 + 0.5);
    // A random first sequence number: replies to an earlier run cannot pass for this one's.
    std::random_device seed;
    const auto first_seq = static_cast<std::uint32_t>(seed());
    // Made just before the first send, so the rate schedule starts with it.
    std::optional<probe_burst> burst;
    std::optional<responder_stats> responders; // to a group: one set of statistics per source
    foreign_sources foreign;
    const bool live = stdout_is_terminal();
    std::string fatal;
    int fatal_code = cli::failure;
    std::string probe;
    bool done = false;
    std::uint64_t stopped_ns = burst_stats::never; // when interrupted or failed: probes in flight
    // One line (or JSON object) per --report-interval; the progress line is redrawn after it.
    std::uint64_t last_report_ns = 0;
    auto print_interval = [&](std::uint64_t now) {
        last_report_ns = now;
        const burst_interval i = burst->take_interval(now);
        const std::string line =
            (live ? "\r\033[K" : "") + (o.json ? interval_json(i) + "\n" : interval_text(i));
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fflush(stdout);
    };
    auto finish = [&](std::string why) {
        if (fatal.empty()) {
            fatal = std::move(why);
            stopped_ns = now_ns();
        }
        done = true;
        s.loop().stop();
    };
    // Probes leave in batches that one send_now hands the kernel: with GSO one message of up
    // to 64 same-size probes, which is what lets a burst go past one system call per probe.
    const std::size_t per_batch = std::clamp<std::size_t>(
        max_gso_bytes / std::max<std::size_t>(o.size, 1), 1, max_gso_segments);
    send_batch batch(per_batch, per_batch * std::max<std::size_t>(o.size, probe_header_bytes));
    std::function<void()> pump = [&] {
        if (done)
            return;
        std::uint64_t allowed = burst->sendable(now_ns());
        for (std::uint64_t turn = 0; allowed > 0 && !done;) {
            if (turn >= max_per_pump) // let the loop read replies, then go on
                return s.wake().start(0, 0, pump);
            const std::uint64_t now = now_ns(); // per batch: its probes leave together
            const std::uint64_t n = std::min<std::uint64_t>(allowed, per_batch);
            batch.clear();
            for (std::uint64_t k = 0; k < n; ++k) {
                encode_probe(probe, burst->next_probe(now, k), o.size);
                batch.add(probe, to->address);
            }
            for (const int result : s.socket().send_now(batch)) {
                if (result == 0) {
                    burst->record_sent(now);
                    if (group)
                        responders->record_sent(now);
                    ++turn;
                    continue;
                }
                if (is_would_block(result)) // the kernel buffer is full: these go again later
                    return s.wake().start(retry_ms, 0, pump);
                // An ICMP error for an earlier probe reaches the error handler, which ends the
                // burst with its explanation; anything else ends it here.
                if (!is_port_unreachable(result)) {
                    auto [code, why] = send_failure(result, *to);
                    if (fatal.empty())
                        fatal_code = code;
                    return finish(std::move(why));
                }
                return s.wake().start(retry_ms, 0, pump);
            }
            allowed -= n;
        }
        const std::uint64_t now = now_ns();
        if (burst->finished(now)) {
            done = true;
            return s.loop().stop();
        }
        if (auto wake = burst->wake_at(now))
            s.wake_at(std::max(*wake, now + retry_ms * 1'000'000 / 2), pump);
    };
    // The window's free slots are refilled once per receive batch, not once per reply: the
    // replies that came in one buffer free room for one batch of probes (one GSO send).
    s.socket().on_receive_batch_end([&] { pump(); });
    auto started = s.socket().start_receive(
        [&](const datagram& d) {
            if (group) { // every member answers, each from its own address
                // A source becomes a responder with its first reply to one of this run's
                // probes: a stray or forged datagram must not add a responder that "lost"
                // every probe (nor count towards --expect-responders).
                if (!responders->tracks(d.from) && !burst->has_our_header(d.payload))
                    return foreign.record(d.from);
                responders->record_reply(d.from, s.directory(), d.payload, d.size, d.truncated,
                                         o.size, d.received_ns);
                burst->record_reply(d.payload, d.size, d.truncated, o.size, d.received_ns);
                return;
            }
            if (!(d.from == to->address))
                return foreign.record(d.from); // not a reply, whatever it holds
            // The kernel's receive time: the loop's wake-up is not part of the round trip.
            burst->record_reply(d.payload, d.size, d.truncated, o.size, d.received_ns);
        },
        [&](const socket_error& e) { finish(describe(e)); });
    if (!started)
        return report_failure(cli::failure, started.error().message);
    {
        stop_signals signals(s.loop(), [&](int) { finish("interrupted"); });
        timer ticker(s.loop());
        timer reporter(s.loop());
        // Reports at fixed offsets from the burst's start (a late timer does not shift the
        // next ones); each covers up to the moment it runs.
        std::uint64_t next_report_ns = 0;
        std::function<void()> report = [&] {
            const std::uint64_t now = now_ns();
            if (now >= next_report_ns) // libuv's cached loop time can fire a timer early
                print_interval(now);
            while (next_report_ns <= now)
                next_report_ns += interval_ns;
            reporter.start((next_report_ns - now + 999'999) / 1'000'000, 0, report);
        };
        if (live) {
            ticker.start(progress_ms, progress_ms, [&] {
                progress(burst->stats(), o.burst,
                         burst->stats().sent() - burst->stats().received());
            });
            ticker.unref();
        }
        const std::uint64_t start_ns = now_ns();
        burst.emplace(plan, start_ns, first_seq);
        if (group)
            responders.emplace(first_seq, start_ns, plan.timeout_ns, o.burst);
        if (interval_ns != 0) {
            next_report_ns = start_ns + interval_ns;
            reporter.start((interval_ns + 999'999) / 1'000'000, 0, report);
            reporter.unref();
        }
        pump();
        if (!done)
            s.loop().run();
    } // signal and progress handles close before the loop does
    if (live)
        std::printf("\r\033[K");
    // The rest of the last interval, if any time has passed since the last report.
    const std::uint64_t end_ns = stopped_ns != burst_stats::never ? stopped_ns : now_ns();
    if (interval_ns != 0 && end_ns > last_report_ns)
        print_interval(end_ns);

    if (fatal_code == cli::usage) { // refused before any probe left: no report
        s.close();
        return report_failure(cli::usage, fatal);
    }
    burst_summary summary = burst->stats().summary(stopped_ns);
    summary.kernel_drops = s.socket().kernel_drops();
    summary.offload = s.socket().offload();
    summary.foreign = std::move(foreign);
    summary.window = window;
    if (o.histogram)
        summary.histogram = rtt_histogram(burst->stats().rtts());
    if (group)
        return finish_group(s, o, *to, std::move(summary), *responders, stopped_ns, fatal);
    const std::string failure = fatal.empty() ? burst_failure(summary, o.max_loss) : fatal;
    return conclude(s,
                    o.json ? burst_json(summary, to->label, o.size, failure) + "\n"
                           : burst_text(summary, to->label, o.size),
                    failure);
}

} // namespace udpkit::send
