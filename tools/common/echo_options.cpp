#include "echo_options.hpp"

#include <algorithm>
#include <utility>

#include "udpkit/hex.hpp"
#include "udpkit/render.hpp"
#include "udpkit/script.hpp"

namespace udpkit {
namespace {

const char* const tool = "udp-echo";

const char* const examples =
    "  udp-echo                                   echo on 127.0.0.1:9007\n"
    "  udp-echo --bind 0 --mode upper             upper-case replies on a free port\n"
    "  udp-echo --mode reply --match '^PING' --reply PONG --reply '?'\n"
    "  udp-echo --directory peers.toml --as echo --rate-limit 100 --burst 20 --log\n"
    "  udp-echo --bind 0.0.0.0:9007 --stats-interval 10 --json\n"
    "  udp-echo --join 239.1.2.3:9100 --interface eth0   answer a multicast group\n"
    "\nExit codes: 0 stopped by SIGINT, SIGTERM or SIGHUP (after printing the counters), 1 a\n"
    "runtime failure (e.g. the address is in use), 2 usage or configuration error (bad option,\n"
    "invalid directory: FILE:LINE:COL).\n";

// A reply as given: --reply TEXT with the script language's escapes, or --reply-hex HEX.
result<std::string> decode_reply(const std::string& given, bool hex) {
    auto bytes = hex ? parse_hex(given) : script::decode_escapes(given);
    if (!bytes)
        return fail(std::string(hex ? "--reply-hex" : "--reply") + " " + quote_untrusted(given) +
                    ": at character " + std::to_string(bytes.error().column) + ": " +
                    bytes.error().message);
    return bytes;
}

// Pairs --match/--reply by their order on the command line: each --match takes the next
// --reply (or --reply-hex); a reply with no --match before it is the default, used when no rule
// matches.
result<std::vector<std::pair<std::string, std::string>>> pair_rules(const CLI::App& app,
                                                                    const CLI::Option* match,
                                                                    const CLI::Option* reply,
                                                                    const CLI::Option* reply_hex) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::optional<std::string> fallback;
    std::optional<std::string> pending;
    std::size_t next_match = 0;
    std::size_t next_reply = 0;
    std::size_t next_hex = 0;
    for (const CLI::Option* opt : app.parse_order()) {
        if (opt == match) {
            if (pending)
                return fail("--match \"" + *pending + "\" has no --reply TEXT after it");
            pending = match->results().at(next_match++);
        } else if (opt == reply || opt == reply_hex) {
            const bool hex = opt == reply_hex;
            auto decoded = decode_reply(opt->results().at(hex ? next_hex++ : next_reply++), hex);
            if (!decoded)
                return unexpected{std::move(decoded).error()};
            std::string text = std::move(decoded).value();
            if (pending) {
                pairs.emplace_back(std::move(*pending), std::move(text));
                pending.reset();
            } else if (fallback) {
                return fail("--reply " + quote_untrusted(text) +
                            ": only one --reply without --match (the default reply, now " +
                            quote_untrusted(*fallback) + ") is allowed");
            } else {
                fallback = std::move(text);
            }
        }
    }
    if (pending)
        return fail("--match \"" + *pending + "\" has no --reply TEXT after it");
    if (fallback)
        pairs.emplace_back(std::string(), std::move(*fallback));
    return pairs;
}

} // namespace

bucket_rate echo_options::bucket() const noexcept {
    return {rate_limit, burst > 0 ? burst : std::max(1.0, rate_limit)};
}

cli::parsed<echo_options> parse_echo_options(std::vector<std::string> args) {
    echo_options o;
    auto app = cli::make_app(
        tool,
        "A UDP responder: replies to each datagram with one datagram (echo, upper-case or a "
        "fixed text), safely: no replies to privileged ports or itself, no amplification, "
        "no echo loops, optional per-source rate limit. Prints 'listening on ADDR' first; "
        "counters on SIGINT/SIGTERM/SIGHUP (then exits 0), SIGUSR1 and every --stats-interval.",
        examples);
    std::string bind_text;
    std::string mode_text;
    std::size_t max_message = 0;
    double burst = 0;
    auto* bind = app->add_option("--bind", bind_text,
                                 "address to listen on: HOST:PORT, [IPV6]:PORT or PORT "
                                 "(default 127.0.0.1:9007; port 0 picks a free one)")
                     ->check(cli::address_validator);
    auto* directory =
        cli::add_directory_as(*app, o.directory, o.as, bind, "alone for --join's group names");
    auto* mode = app->add_option("--mode", mode_text,
                                 "echo (default); upper: the datagram with ASCII a-z upper-cased, "
                                 "every other byte (UTF-8 too) unchanged; reply; sink: no reply "
                                 "at all (with --log --log-payload: what nc -u -l shows)")
                     ->check(CLI::IsMember({"echo", "upper", "reply", "sink"}));
    auto* match = app->add_option("--match", "reply mode: a rule's pattern (RE2); the next "
                                             "--reply is its reply; first match wins")
                      ->type_name("REGEX")
                      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    auto* reply = app->add_option("--reply", "reply mode: the reply of the --match before it, "
                                             "or the default reply; escapes as in udp-send "
                                             "scripts: \\n \\r \\t \\\" \\\\ \\0 \\xHH")
                      ->type_name("TEXT")
                      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    auto* reply_hex =
        app->add_option("--reply-hex", "as --reply, the reply given as hex bytes ('00 ff')")
            ->type_name("HEX")
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    auto* max = cli::add_number(*app, "--max-message", max_message,
                                "largest datagram accepted, bytes (default 1472, or the "
                                "peer's; up to 65507 IPv4, 65527 IPv6); larger ones are "
                                "counted as truncated, not echoed",
                                {1, max_payload_ipv6, "a whole number of bytes"});
    auto* rate = cli::add_number(*app, "--rate-limit", o.rate_limit,
                                 "datagrams per second per source address (token bucket)",
                                 {0, 1e9, true, "a number of datagrams per second"})
                     ->type_name("PPS");
    cli::add_number(*app, "--burst", burst, "token bucket size (default: one second's worth)",
                    {1, 1e9, false, "a number of datagrams"})
        ->type_name("N")
        ->needs(rate);
    app->add_flag("--rate-limit-log-only", o.rate_limit_log_only,
                  "log sources over the limit but still reply")
        ->needs(rate);
    app->add_flag("--allow-privileged-ports", o.allow_privileged_ports,
                  "also reply to source ports below 1024 (risks echo loops, reflection)");
    app->add_flag("--allow-amplification", o.allow_amplification,
                  "allow replies larger than the request");
    auto* join =
        app->add_option("--join", o.join,
                        "answer a multicast group too (repeatable): GROUP:PORT, GROUP (the "
                        "bind's port) or a --directory group name; binds the wildcard of the "
                        "group's family on its port; replies go unicast, from this host's own "
                        "address")
            ->type_name("GROUP")
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app->add_option("--interface", o.interface,
                    "the interface to join the --join groups on: a name, an index or one of its "
                    "addresses (default: the directory group's, else the routing table's)")
        ->type_name("IF")
        ->needs(join);
    app->add_flag("--ipv6-only", o.ipv6_only,
                  "with --bind [::]:PORT, IPv6 clients only; by default that socket is "
                  "dual-stack and answers IPv4 clients too (it says which on start)");
    app->add_flag("--allow-broadcast", o.allow_broadcast,
                  "also answer datagrams sent to a broadcast address (a wildcard --bind "
                  "receives them); refused by default, so that one forged broadcast cannot make "
                  "every responder of a subnet answer its victim");
    bool no_loop_breaker = false;
    app->add_flag("--no-loop-breaker", no_loop_breaker,
                  "answer echo loops too: by default, once a source has repeated the same bytes "
                  "(each within 50 ms) faster than 1000/s for 0.5 s and 4096 times, its repeats "
                  "are refused until it pauses for 50 ms");
    bool no_offload = false;
    app->add_flag("--no-offload", no_offload,
                  "no UDP GRO or GSO: read and answer one datagram per kernel buffer (by default "
                  "a batch of one client's same-size datagrams arrives as one buffer, split by "
                  "its segment size, and same-size replies to one client leave as one send)");
    auto* log = app->add_flag("--log", o.log, "one line per datagram: time, source, size, action");
    std::string shown;
    auto* log_payload_option =
        app->add_option("--log-payload", shown,
                        "with --log and --mode sink: each datagram's payload too, as "
                        "terminal-safe text or hex, one datagram per line")
            ->type_name("text|hex")
            ->check(CLI::IsMember({"text", "hex"}))
            ->needs(log);
    cli::add_stats_options(*app, o.stats_interval, o.json);

    if (auto exit = cli::parse(*app, std::move(args)))
        return *exit;

    if (*bind) {
        o.bind = *parse_host_port(bind_text); // the validator has accepted it
        o.bind_given = true;
    }
    if (*max)
        o.max_message = max_message;
    if (*directory && o.as.empty() && o.join.empty())
        return cli::usage_error(tool, "--directory needs --as NAME (the peer to listen as), or "
                                      "--join GROUP for its group names");
    o.burst = burst;
    o.loop_breaker = !no_loop_breaker;
    o.offload = !no_offload;
    if (*mode)
        o.mode = mode_text == "upper"   ? echo_mode::upper
                 : mode_text == "reply" ? echo_mode::reply
                 : mode_text == "sink"  ? echo_mode::sink
                                        : echo_mode::echo;
    if (*log_payload_option) {
        if (o.mode != echo_mode::sink)
            return cli::usage_error(tool, "--log-payload needs --mode sink (the other modes' "
                                          "replies say what came)");
        o.shown = shown == "hex" ? log_payload::hex : log_payload::text;
    }

    const bool has_rules = *match || *reply || *reply_hex;
    if (has_rules && *mode && o.mode != echo_mode::reply)
        return cli::usage_error(tool,
                                "--match and --reply need --mode reply, not --mode " + mode_text);
    if (has_rules)
        o.mode = echo_mode::reply;
    else if (o.mode == echo_mode::reply)
        return cli::usage_error(tool, "--mode reply needs --reply TEXT (and optionally "
                                      "--match REGEX --reply TEXT rules)");
    auto pairs = pair_rules(*app, match, reply, reply_hex);
    if (!pairs)
        return cli::usage_error(tool, pairs.error().message);
    auto rules = compile_rules(*pairs);
    if (!rules)
        return cli::usage_error(tool, "--match: " + rules.error().message);
    o.rules = std::move(rules).value();
    return o;
}

namespace {

// A --join value: a group address with or without a port, else a directory group's name.
result<echo_join> resolve_join(const std::string& given, std::uint16_t port,
                               const peer_directory* directory) {
    const std::string what = "--join " + quote_untrusted(given);
    if (directory != nullptr)
        if (const group* g = directory->find_group(given)) {
            if (g->broadcast)
                return fail(what + ": group \"" + g->name + "\" of " + directory->source() +
                            " is a broadcast address, not a multicast group; a wildcard --bind "
                            "with --allow-broadcast answers broadcasts");
            return echo_join{g->address, g->interface,
                             g->name + " (" + g->address.to_string() + ")"};
        }
    auto address = ip_endpoint::parse(given);
    if (!address) { // perhaps a bare group address: the bind's port
        if (auto bare = ip_endpoint::parse(given.find(':') != std::string::npos
                                               ? "[" + given + "]:" + std::to_string(port)
                                               : given + ":" + std::to_string(port)))
            address = *bare;
    }
    if (!address || !address->is_multicast()) {
        std::string known = directory != nullptr ? "; groups in " + directory->source() + ": " +
                                                       directory->group_names()
                                                 : "";
        return fail(what +
                    ": not a multicast group address (IPv4 224.0.0.0/4 such as "
                    "239.1.2.3:9100, IPv6 ff00::/8 such as [ff15::77]:9100)" +
                    (directory != nullptr ? " nor a group name" + known
                                          : "; a group name needs --directory"));
    }
    return echo_join{*address, {}, address->to_string()};
}

ip_endpoint wildcard(ip_family family, std::uint16_t port) {
    auto any = *ip_endpoint::parse(family == ip_family::v6 ? "[::]:0" : "0.0.0.0:0");
    any.set_port(port);
    return any;
}

} // namespace

result<echo_bind_plan> plan_binding(const echo_options& options, const ip_endpoint& configured,
                                    const peer_directory* directory) {
    echo_bind_plan plan{configured, {}};
    for (const auto& given : options.join) {
        auto join = resolve_join(given, configured.port(), directory);
        if (!join)
            return unexpected{std::move(join).error()};
        if (!options.interface.empty())
            join->interface = options.interface;
        if (!plan.joins.empty()) {
            const ip_endpoint& first = plan.joins.front().group;
            if (join->group.family() != first.family() || join->group.port() != first.port())
                return fail("--join " + join->label + " and " + plan.joins.front().label +
                            ": one socket answers every group, so they need the same IP family "
                            "and port");
        }
        plan.joins.push_back(std::move(*join));
    }
    if (plan.joins.empty())
        return plan;
    const echo_join& first = plan.joins.front();
    const std::uint16_t port = first.group.port();
    plan.bind = wildcard(first.group.family(), port);
    const bool named_port = options.bind_given || !options.as.empty();
    if (named_port && configured.port() != port && configured.port() != 0)
        return fail("--join " + first.label + ": the group's port " + std::to_string(port) +
                    " is not the port " + std::to_string(configured.port()) + " of " +
                    (options.as.empty() ? "--bind" : "peer \"" + options.as + "\"") +
                    "; one socket answers the groups and its unicast requests");
    if (options.bind_given &&
        !(configured.is_unspecified() && configured.family() == first.group.family()))
        return fail("--join " + first.label + ": --bind " + configured.to_string() +
                    " would receive no group datagrams; leave --bind out or give the wildcard " +
                    plan.bind.to_string());
    return plan;
}

result<void> check_reply_sizes(const echo_options& options, message_limit limit) {
    for (const auto& rule : options.rules)
        if (auto fits = limit.check(rule.text.size()); !fits)
            return fail("--reply " + quote_untrusted(rule.text, 40) + ": " + fits.error().message +
                        " (--max-message)");
    return {};
}

} // namespace udpkit
