// Script mode: the pure interpreter driven by the socket and the wake-up timer; a line per
// step, a verdict, and optionally a JUnit XML report.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "session.hpp"
#include "udpkit/foreign.hpp"
#include "udpkit/io/signal.hpp"
#include "udpkit/junit.hpp"
#include "udpkit/render.hpp"

namespace udpkit::send {
namespace {

const char* tag(script::outcome o) {
    switch (o) {
    case script::outcome::passed:
        return "PASS";
    case script::outcome::failed:
        return "FAIL";
    case script::outcome::done:
        break;
    }
    return "  ok";
}

void print_step(const std::string& source, const script::step_report& r) {
    std::string line = std::string(tag(r.result)) + " " + source + ":" +
                       std::to_string(r.pos.line) + ":" + std::to_string(r.pos.column) + " " +
                       render_untrusted(r.line, render_style::written);
    if (!r.iteration.empty())
        line += " [" + r.iteration + "]";
    line += ": " + r.detail + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
}

// The --junit report, opened before anything is sent so that a path that cannot be written
// (a directory that does not exist) is a usage error up front, not a lost report at the end.
class junit_report {
public:
    explicit junit_report(const std::string& path) : path_(path) {
        if (!path.empty())
            out_.open(path, std::ios::binary | std::ios::trunc);
    }
    [[nodiscard]] bool usable() const { return path_.empty() || out_.is_open(); }
    // Writes the report (nothing without --junit); false if it could not be written.
    bool write(const junit_suite& suite) {
        if (path_.empty())
            return true;
        out_ << junit_xml(suite);
        out_.close();
        return static_cast<bool>(out_);
    }

private:
    std::string path_;
    std::ofstream out_;
};

} // namespace

int run_script(const send_options& o) {
    junit_report report(o.junit);
    if (!report.usable())
        return report_failure(cli::usage, "--junit " + o.junit + ": cannot write the report: " +
                                              std::strerror(errno) + "; nothing was sent");
    session s;
    // Every exit before the script runs leaves a report with one error test case (the reason),
    // never an empty file: a CI job reads why nothing ran.
    auto not_run = [&](int code) {
        if (!report.write(junit_for_invalid_script(o.script, s.last_failure())))
            report_failure(cli::failure, "cannot write the JUnit report " + o.junit);
        return code;
    };
    if (auto exit = s.load_directory(o))
        return not_run(*exit);
    script::parse_context context;
    context.directory = s.directory();
    if (!o.target.empty())
        context.default_target = o.target;
    context.max_message = max_message(o);
    context.default_timeout_ns = o.timeout_ms * 1'000'000;
    context.broadcast = o.group.broadcast;
    auto program = script::load(o.script, context);
    if (!program)
        return not_run(s.failed(cli::usage, program.error().to_string()));

    std::vector<resolved_target> targets;
    std::vector<ip_endpoint> addresses;
    std::vector<std::string> labels;
    std::size_t largest = 1;
    std::unordered_map<ip_endpoint, std::size_t, ip_endpoint_hash> index_of;
    for (const auto& spec : program->targets) {
        auto t = s.resolve(spec, o.group.broadcast);
        if (!t)
            return not_run(s.failed(cli::failure, t.error().message));
        if (auto fits = check_family_limit(*t); !fits)
            return not_run(s.failed(cli::usage, fits.error().message));
        index_of.emplace(t->address, targets.size()); // the first name of an address wins
        addresses.push_back(t->address);
        labels.push_back(t->label);
        largest = std::max(largest, spec.limit.bytes());
        targets.push_back(std::move(t).value());
    }
    // Group flags: a broadcast target needs --broadcast; --ttl, --interface and --loop need a
    // multicast target, whose directory group (the first) gives their defaults.
    const resolved_target* multicast = nullptr;
    bool any_group = false;
    for (const auto& t : targets) {
        any_group = any_group || t.is_group();
        if (t.kind == send_kind::multicast && multicast == nullptr)
            multicast = &t;
        if (t.kind == send_kind::broadcast && !o.group.broadcast)
            if (auto fits = check_group_target(t.kind, t.spec.group, o.group, t.label); !fits)
                return not_run(s.failed(cli::usage, fits.error().message));
    }
    if (multicast == nullptr && !targets.empty())
        if (auto fits = check_group_target(targets[0].kind, targets[0].spec.group, o.group,
                                           targets[0].label);
            !fits)
            return not_run(s.failed(cli::usage, fits.error().message));
    if (auto exit = s.open_socket(
            o.bind, addresses, *message_limit::make(static_cast<long long>(largest), ip_family::v6),
            o.offload))
        return not_run(*exit);
    if (auto exit = s.configure_groups(o, multicast != nullptr ? multicast->spec.group : nullptr,
                                       multicast != nullptr))
        return not_run(*exit);

    script::interpreter run(*program, labels);
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].is_group()) // e.g. a host name that resolved to a group
            run.set_group(i);
        run.set_same_address(i, index_of.at(targets[i].address));
    }
    std::size_t printed = 0;
    std::string interrupted;
    foreign_sources foreign;
    auto flush_reports = [&] {
        for (; printed < run.settled(); ++printed)
            print_step(o.script, run.reports()[printed]);
        std::fflush(stdout);
    };
    std::function<void()> drive = [&] {
        for (;;) {
            const std::uint64_t now = now_ns();
            script::action a = run.advance(now);
            if (a.what == script::action::kind::send) {
                auto sent = s.socket().send(a.payload, addresses[a.target]);
                if (!sent)
                    run.send_failed(send_failure(sent.error(), labels[a.target]).second);
                else if (*sent == send_status::dropped)
                    run.send_failed("the send queue is full");
                continue;
            }
            flush_reports();
            if (a.what == script::action::kind::wait)
                return s.wake_at(a.until_ns, drive);
            return s.loop().stop();
        }
    };
    auto started = s.socket().start_receive(
        [&](const datagram& d) {
            auto it = index_of.find(d.from);
            if (it == index_of.end() && !any_group) // with a group, any address may answer
                foreign.record(d.from);
            // The kernel's receive time: reply delays do not include the loop's wake-up.
            run.on_datagram(d.received_ns,
                            it == index_of.end() ? std::nullopt
                                                 : std::optional<std::size_t>(it->second),
                            d.payload, d.size, d.truncated,
                            any_group ? describe(name_of(d.from, s.directory())) : std::string());
            drive();
        },
        [&](const socket_error& e) {
            std::optional<std::size_t> about;
            if (e.destination)
                if (auto it = index_of.find(*e.destination); it != index_of.end())
                    about = it->second;
            run.on_error(now_ns(), about, describe(e));
            drive();
        });
    if (!started)
        return not_run(s.failed(cli::failure, started.error().message));
    {
        stop_signals signals(s.loop(), [&](int) {
            interrupted = "interrupted";
            s.loop().stop();
        });
        drive();
        if (!run.finished())
            s.loop().run();
    } // the signal handles close before the loop does
    if (!s.close())
        return cli::failure;

    std::size_t held = 0, failed_sends = 0;
    for (const auto& r : run.reports()) {
        held += r.expectation && r.result == script::outcome::passed;
        failed_sends += !r.expectation && r.result == script::outcome::failed;
    }
    const bool passed = run.passed() && interrupted.empty();
    std::printf("%s: %zu of %zu expectations held", passed ? "PASS" : "FAIL", held,
                run.expectations());
    if (failed_sends > 0)
        std::printf(", %zu sends failed", failed_sends);
    std::printf("%s\n", interrupted.empty() ? "" : " (interrupted)");
    std::fflush(stdout);
    for (const auto& line :
         foreign.describe(targets.size() == 1 ? "the target " + labels[0] : "any target"))
        report_failure(cli::failure, line);
    if (!report.write(junit_from_script(o.script, run.reports())))
        return report_failure(cli::failure, "cannot write the JUnit report " + o.junit);
    if (!interrupted.empty())
        return report_failure(cli::failure, "interrupted");
    return passed ? cli::ok : cli::failure;
}

} // namespace udpkit::send
