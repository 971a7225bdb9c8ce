#include "send_options.hpp"

#include "udpkit/hex.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/script.hpp"
#include "udpkit/stats.hpp"

namespace udpkit {
namespace {

constexpr const char* tool = "udp-send";

constexpr const char* examples =
    "  udp-send 127.0.0.1:9007 hello --wait-reply          one message, print the reply\n"
    "  udp-send --directory examples/peers.toml echo hi    a peer by name\n"
    "  udp-send 9007 --hex '01 02 ff' --count 5 --rate 10  five binary messages, 10 per second\n"
    "  printf 'line1\\nline2' | udp-send 9007               stdin as ONE datagram\n"
    "  udp-send --burst 10000 --size 64 127.0.0.1:9007     loss, reordering and RTT\n"
    "  udp-send --burst 1000 --size 512 --rate 500 --json 9007\n"
    "  udp-send 239.77.0.2:9200 hi --wait-reply --expect-responders 2   every member answers\n"
    "  udp-send --burst 1000 --size 64 --interface eth0 '[ff15::77]:9200'   per responder\n"
    "  udp-send --broadcast 192.0.2.255:9300 hi --wait-reply             a subnet broadcast\n"
    "  udp-send --script examples/echo-smoke.udps --directory examples/peers.toml "
    "--junit report.xml\n"
    "\nScript language (--script FILE), one command a line, # comments:\n"
    "  target PEER|GROUP|ADDR      send to / expect from this peer, group or address\n"
    "  send \"text ${seq}\"          text (escapes \\n \\r \\t \\\" \\\\ \\0 \\xHH; $$ is a $)\n"
    "  send hex \"48 69\" | send file PATH\n"
    "  expect \"text\" | prefix \"t\" | regex \"^T.*$\" | hex \"48 00\" mask \"ff 00\"\n"
    "         | size 64 | size 10..20 | echo | none      [within 500ms] [from PEER|ADDR]\n"
    "         (echo: byte for byte what the latest send sent; after a send to a group:\n"
    "         the first reply from any member, or from the one that `from` names)\n"
    "  timeout 500ms   sleep 100ms   rate PPS (paces every send; 0 = no limit)\n"
    "  repeat N {  ...  }   counter NAME [START]\n"
    "  ${seq} counts every send; a counter advances on each send that mentions it; in an\n"
    "  expect, ${NAME} is the value of the latest send. Durations: 250us, 500ms, 2s.\n"
    "\nExit codes: 0 sent (and replied, with --wait-reply; every expectation held, with\n"
    "--script; the burst passed), 1 no reply, target not listening, an expectation failed or\n"
    "the burst failed (nothing valid came back, loss over --max-loss, corrupt or truncated\n"
    "replies), fewer responders than --expect-responders, 2 usage error, a broadcast address\n"
    "without --broadcast, invalid script, a message over the size limit, --max-message\n"
    "over the target's IP family's maximum, a --junit path that cannot be written or a --file\n"
    "that cannot be read (nothing is sent).\n";

} // namespace

cli::parsed<send_options> parse_send_options(std::vector<std::string> args) {
    send_options o;
    auto app = cli::make_app(tool,
                             "Send UDP datagrams and check the replies: one-shot messages, "
                             "probe bursts with loss/RTT statistics, and send/expect scripts.",
                             examples);
    std::string text, hex, output;
    app->add_option("target", o.target,
                    "Peer or group name (with --directory), or HOST:PORT, PORT; a multicast "
                    "group or (with --broadcast) a broadcast address is answered by every host");
    app->add_option("text", text, "The message (default: --hex, --file, or stdin whole)");
    app->add_option("--directory", o.directory, "Peer directory (TOML) for peer and group names");
    app->add_option("--bind", o.bind, "Local address (default: loopback for loopback targets)")
        ->check(cli::address_validator);
    app->add_option("--hex", hex, "The message as hex bytes, e.g. '48 65 6c 6c 6f'");
    app->add_option("--file", o.file, "The message is this file's bytes");
    cli::add_number(*app, "--count", o.count, "Send the message N times (default 1)",
                    {1, 1'000'000'000, "a whole number"});
    cli::add_number(*app, "--interval", o.interval_ms, "Milliseconds between sends",
                    {0, 3'600'000, "a whole number of milliseconds"})
        ->type_name("MS");
    cli::add_number(*app, "--rate", o.rate_pps,
                    "At most PPS sends per second (once and --burst); 0 = no limit, as a "
                    "script's rate 0",
                    {0, script::max_rate, "a whole number of datagrams per second"})
        ->type_name("PPS");
    app->add_flag("--wait-reply", o.wait_reply, "Wait for a reply to each send and print it");
    cli::add_number(*app, "--timeout", o.timeout_ms,
                    "Milliseconds to wait for a reply / a probe / an expect (default 1000)",
                    {1, 3'600'000, "a whole number of milliseconds"})
        ->type_name("MS");
    app->add_option("--output", output, "Reply format: text, hex or json (one line each)")
        ->check(CLI::IsMember({"text", "hex", "json"}));
    app->add_flag("--json", o.json, "JSON: reply lines (--wait-reply), or the burst report");
    std::size_t max_message = default_max_message;
    cli::add_number(*app, "--max-message", max_message,
                    "Largest message in bytes (default: a peer's max_message, 1472 for an "
                    "address); given, it is every target's limit, peers too",
                    {1, max_payload_ipv6, "a whole number of bytes"})
        ->type_name("BYTES");
    cli::add_number(*app, "--burst", o.burst,
                    "Send N sequence-numbered probes to an echo responder; lost, late, "
                    "duplicated, reordered, corrupt, foreign, in flight and jitter are defined "
                    "in README.md (udp-send, \"Burst counters\")",
                    {1, burst_stats::max_probes, "a whole number of probes"});
    // Checked against the probe header and --max-message once both are known.
    cli::add_number(*app, "--size", o.size, "Probe size in bytes (--burst)",
                    {0, max_payload_ipv6, "a whole number of bytes"})
        ->type_name("BYTES");
    cli::add_number(*app, "--window", o.window, "Most probes in flight, 0 = no limit (default 64)",
                    {0, burst_stats::max_probes, "a whole number of probes"});
    cli::add_number(*app, "--max-loss", o.max_loss,
                    "Percent of probes that may be lost or late (default 0)",
                    {0, 100, false, "a percentage"})
        ->type_name("PERCENT");
    cli::add_number(*app, "--window-bytes", o.window_bytes,
                    "Most bytes of probes in flight, 0 = no limit (default 65536: what a "
                    "responder's default receive buffer holds)",
                    {0, 1ull << 30, "a whole number of bytes"})
        ->type_name("BYTES");
    app->add_flag("--histogram", o.histogram, "Print an RTT histogram (--burst)");
    bool no_offload = false;
    app->add_flag("--no-offload", no_offload,
                  "No UDP GSO or GRO: one datagram per kernel call and buffer (by default a "
                  "burst hands the kernel runs of up to 64 probes in one send, and replies may "
                  "come back as one buffer split by its segment size)");
    cli::add_number(*app, "--report-interval", o.report_interval_s,
                    "Print the counters of every SECONDS of the burst (JSON: one object each)",
                    {0.01, 3600, false, "a number of seconds"})
        ->type_name("SECONDS");
    app->add_flag("--expect-echo", o.expect_echo,
                  "With --wait-reply: each reply must be what was sent, byte for byte");
    app->add_flag("--broadcast", o.group.broadcast,
                  "Allow a broadcast target (255.255.255.255, a subnet's such as 192.0.2.255, a "
                  "directory group with broadcast = true); replies from any address count");
    unsigned ttl = 1;
    cli::add_number(*app, "--ttl", ttl,
                    "Multicast TTL / hop limit of datagrams to a group (default: the directory "
                    "group's ttl, else 1)",
                    {0, 255, "a whole number of hops"})
        ->type_name("N");
    app->add_option("--interface", o.group.interface,
                    "Send to the group by this interface: a name, index or address (default: "
                    "the directory group's, else the routing table's)")
        ->type_name("IF");
    bool loop = false, no_loop = false;
    app->add_flag("--loop", loop,
                  "Members on this host hear datagrams to the group (IP_MULTICAST_LOOP; the "
                  "default, unless the directory group says loop = false)");
    app->add_flag("--no-loop", no_loop, "Members on this host do not hear them");
    cli::add_number(*app, "--expect-responders", o.group.expect_responders,
                    "To a group or broadcast: fail (exit 1) unless at least N distinct sources "
                    "answered (--wait-reply or --burst)",
                    {1, max_responders, "a whole number of responders"})
        ->type_name("N");
    app->add_option("--script", o.script, "Run this script of sends and expects");
    app->add_option("--junit", o.junit, "Write a JUnit XML report of the script here");
    if (auto exit = cli::parse(*app, std::move(args)))
        return *exit;

    auto given = [&](const char* name) { return app->get_option(name)->count() > 0; };
    if (given("--max-message"))
        o.max_message = max_message;
    auto refuse = [&](const std::string& message) { return cli::usage_error(tool, message); };
    auto none_of = [&](std::initializer_list<const char*> names,
                       const std::string& why) -> std::optional<cli::exit_now> {
        for (const char* name : names)
            if (given(name))
                return refuse(std::string(name[0] == '-' ? "" : "a ") + name +
                              (name[0] == '-' ? "" : " argument") + " cannot be used " + why);
        return std::nullopt;
    };

    if (given("--script") && given("--burst"))
        return refuse("--script and --burst cannot be used together");
    if (given("--interval") && given("--rate"))
        return refuse("--interval and --rate cannot be used together; pick one");
    if (given("--output") && given("--json") && output != "json")
        return refuse("--json and --output " + output + " disagree; pick one");
    if (given("--junit") && !given("--script"))
        return refuse("--junit FILE needs --script FILE");
    if (loop && no_loop)
        return refuse("--loop and --no-loop disagree; pick one");
    if (given("--ttl"))
        o.group.ttl = static_cast<int>(ttl);
    if (loop || no_loop)
        o.group.loop = loop;
    if (given("--interface") && o.group.interface.empty())
        return refuse("--interface needs an interface: a name (eth0), an index (2) or one of its "
                      "addresses");
    o.offload = !no_offload;
    o.mode = given("--script")  ? send_mode::script
             : given("--burst") ? send_mode::burst
                                : send_mode::once;
    if (o.mode != send_mode::burst)
        if (auto e = none_of({"--size", "--window", "--window-bytes", "--max-loss", "--histogram",
                              "--report-interval"},
                             "without --burst"))
            return *e;
    if (given("--expect-echo") && o.mode == send_mode::script)
        return refuse("--expect-echo cannot be used with --script: write `expect echo` after a "
                      "send in the script");
    if (given("--expect-echo") && o.mode == send_mode::burst)
        return refuse("--expect-echo cannot be used with --burst: a burst checks every reply "
                      "whole anyway");

    if (given("--expect-responders") && o.mode == send_mode::once && !o.wait_reply)
        return refuse("--expect-responders counts the sources that replied: add --wait-reply "
                      "(or use --burst)");

    if (o.mode == send_mode::script) {
        if (auto e = none_of({"text", "--hex", "--file", "--count", "--interval", "--rate",
                              "--wait-reply", "--output", "--json", "--expect-responders"},
                             "with --script (the script says what to send)"))
            return *e;
        return o;
    }
    if (o.target.empty())
        return refuse("TARGET is missing: give a peer name (with --directory) or an address "
                      "such as 127.0.0.1:9007");

    if (o.mode == send_mode::burst) {
        if (auto e = none_of(
                {"text", "--hex", "--file", "--count", "--interval", "--wait-reply", "--output"},
                "with --burst (probes are generated)"))
            return *e;
        if (!given("--size"))
            return refuse("--burst needs --size BYTES (at least " +
                          std::to_string(probe_header_bytes) + ")");
        // Without --max-message the target's own limit applies (checked once it is known).
        if (o.size < probe_header_bytes || (o.max_message && o.size > *o.max_message))
            return refuse("--size " + std::to_string(o.size) + " is out of range: a probe needs " +
                          std::to_string(probe_header_bytes) +
                          " bytes for its header (sequence number, timestamp) and at "
                          "most --max-message " +
                          std::to_string(max_message) + " bytes");
        return o;
    }

    const int sources = given("text") + given("--hex") + given("--file");
    if (sources > 1)
        return refuse("give the message once: TEXT, --hex or --file");
    if (given("--hex")) {
        auto bytes = parse_hex(hex);
        if (!bytes)
            return refuse("--hex \"" + hex + "\": at character " +
                          std::to_string(bytes.error().column) + ": " + bytes.error().message);
        o.payload = std::move(bytes).value();
    } else if (given("text")) {
        o.payload = text;
    }
    o.payload_from_stdin = sources == 0;
    if ((given("--output") || given("--json")) && !o.wait_reply)
        return refuse("--output and --json format replies: add --wait-reply");
    if (o.expect_echo && !o.wait_reply)
        return refuse("--expect-echo checks the replies: add --wait-reply");
    if (o.json || output == "json")
        o.format = reply_format::json;
    else if (output == "hex")
        o.format = reply_format::hex;
    return o;
}

} // namespace udpkit
