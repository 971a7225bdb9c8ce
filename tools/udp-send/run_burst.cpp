// Burst mode: sequence-numbered probes to an echo responder, paced by probe_burst (count,
// rate, window), with statistics and a verdict for CI.
#include <cstdio>
#include <random>

#include "session.hpp"
#include "udpkit/burst.hpp"
#include "udpkit/foreign.hpp"
#include "udpkit/io/signal.hpp"

namespace udpkit::send {
namespace {

constexpr std::uint64_t progress_ms = 250;
// When the kernel buffer and the socket's queue are full, try again this much later.
constexpr std::uint64_t retry_ms = 1;
constexpr int burst_buffer_bytes = 4 << 20;
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
    if (auto exit = s.open_socket(o.bind, {to->address}, to->spec.limit))
        return *exit;

    // Replies to a whole window arrive back to back; the default receive buffer (about
    // 208 KiB) holds only a few hundred small datagrams. Best effort: the kernel caps the size
    // at net.core.rmem_max / wmem_max.
    (void)s.socket().set_buffer_sizes(burst_buffer_bytes, burst_buffer_bytes);

    const burst_plan plan{o.burst, o.rate_pps, o.window, o.timeout_ms * 1'000'000};
    // A random first sequence number: replies to an earlier run cannot pass for this one's.
    std::random_device seed;
    const auto first_seq = static_cast<std::uint32_t>(seed());
    // Made just before the first send, so the rate schedule starts with it.
    std::optional<probe_burst> burst;
    foreign_sources foreign;
    const bool live = stdout_is_terminal();
    std::string fatal;
    std::string probe;
    bool done = false;
    auto finish = [&](std::string why) {
        if (fatal.empty())
            fatal = std::move(why);
        done = true;
        s.loop().stop();
    };
    std::function<void()> pump = [&] {
        if (done)
            return;
        const std::uint64_t allowed = burst->sendable(now_ns());
        for (std::uint64_t i = 0; i < allowed && !done; ++i) {
            if (i == max_per_pump) // let the loop read replies, then go on
                return s.wake().start(0, 0, pump);
            const std::uint64_t now = now_ns(); // per probe: exact send times and RTTs
            encode_probe(probe, burst->next_probe(now), o.size);
            auto sent = s.socket().send(probe, to->address);
            if (done)
                return; // the send reported an ICMP error for an earlier probe
            if (!sent)
                return finish(sent.error().message);
            if (*sent == send_status::dropped)
                return s.wake().start(retry_ms, 0, pump);
            burst->record_sent(now);
        }
        const std::uint64_t now = now_ns();
        if (burst->finished(now)) {
            done = true;
            return s.loop().stop();
        }
        if (auto wake = burst->wake_at(now))
            s.wake_at(std::max(*wake, now + retry_ms * 1'000'000 / 2), pump);
    };
    auto started = s.socket().start_receive(
        [&](const datagram& d) {
            if (!(d.from == to->address))
                return foreign.record(d.from); // not a reply, whatever it holds
            // The kernel's receive time: the loop's wake-up is not part of the round trip.
            burst->record_reply(d.payload, d.size, d.truncated, o.size, d.received_ns);
            pump();
        },
        [&](const socket_error& e) { finish(describe(e)); });
    if (!started)
        return report_failure(cli::failure, started.error().message);
    {
        stop_signals signals(s.loop(), [&](int) { finish("interrupted"); });
        timer ticker(s.loop());
        if (live) {
            ticker.start(progress_ms, progress_ms, [&] {
                progress(burst->stats(), o.burst,
                         burst->stats().sent() - burst->stats().received());
            });
            ticker.unref();
        }
        burst.emplace(plan, now_ns(), first_seq);
        pump();
        if (!done)
            s.loop().run();
    } // signal and progress handles close before the loop does
    if (live)
        std::printf("\r\033[K");

    burst_summary summary = burst->stats().summary();
    summary.kernel_drops = s.socket().kernel_drops();
    summary.foreign = std::move(foreign);
    const std::string failure = fatal.empty() ? burst_failure(summary, o.max_loss) : fatal;
    const std::string report = o.json ? burst_json(summary, to->label, o.size, failure) + "\n"
                                      : burst_text(summary, to->label, o.size);
    std::fwrite(report.data(), 1, report.size(), stdout);
    std::fflush(stdout);
    if (!s.close())
        return cli::failure;
    if (!failure.empty())
        return report_failure(cli::failure, "burst failed: " + failure);
    return cli::ok;
}

} // namespace udpkit::send
