#include "relay_options.hpp"

#include <cmath>
#include <functional>
#include <utility>

#include "udpkit/number.hpp"
#include "udpkit/render.hpp"

namespace udpkit {
namespace {

const char* const tool = "udp-relay";

const char* const examples =
    "  udp-relay --listen 9000 --to 9007               a clean relay 127.0.0.1:9000 -> :9007\n"
    "  udp-relay --listen 0 --to 9007 --loss 5% --duplicate 2% --reorder 5% --seed 1\n"
    "  udp-relay --to 9007 --loss forward:10% --delay back:50 --jitter back:10\n"
    "  udp-relay --to 9007 --loss-burst 3%:8 --rate 1000 --queue 100\n"
    "  udp-relay --directory peers.toml --as relay --to echo --bandwidth 1e6 --json\n"
    "\nExit codes: 0 stopped by SIGINT, SIGTERM or SIGHUP (after printing the counters), 1 a\n"
    "runtime failure (e.g. the address is in use), 2 usage or configuration error (bad option,\n"
    "an upstream that reaches the relay itself, invalid directory: FILE:LINE:COL).\n";

/// Reads one impairment's value (without its direction prefix) into an impairment.
using value_reader = std::function<result<void>(std::string_view, impairment&)>;

value_reader percent(double impairment::*field) {
    return [field](std::string_view text, impairment& i) -> result<void> {
        auto p = parse_percent(text);
        if (!p)
            return unexpected{std::move(p).error()};
        i.*field = *p;
        return {};
    };
}

constexpr real_rule millis_rule{0, 3'600'000, false, "a number of milliseconds"};

value_reader millis(std::uint64_t impairment::*field) {
    return [field](std::string_view text, impairment& i) -> result<void> {
        auto v = parse_real(text, millis_rule);
        if (!v)
            return unexpected{std::move(v).error()};
        i.*field = static_cast<std::uint64_t>(std::llround(*v * 1e6));
        return {};
    };
}

value_reader per_second(double impairment::*field, real_rule rule) {
    return [field, rule](std::string_view text, impairment& i) -> result<void> {
        auto v = parse_real(text, rule);
        if (!v)
            return unexpected{std::move(v).error()};
        i.*field = *v;
        return {};
    };
}

/// A whole number stored as a `T` (the rule's bounds fit it) into `field` (a T or an optional).
template <class T, class Field> value_reader whole(Field impairment::*field, whole_rule rule) {
    return [field, rule](std::string_view text, impairment& i) -> result<void> {
        auto v = parse_whole(text, rule);
        if (!v)
            return unexpected{std::move(v).error()};
        i.*field = static_cast<T>(*v);
        return {};
    };
}

// --loss-burst P%:LEN: the long-run loss and the mean length of a burst.
result<void> read_burst(std::string_view text, impairment& i) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos)
        return fail(quote_untrusted(text) + " has no :LEN; expected P%:LEN, the long-run loss " +
                    "and the mean burst length in datagrams, e.g. 5%:4");
    auto loss = parse_percent(text.substr(0, colon));
    if (!loss)
        return unexpected{std::move(loss).error()};
    auto length =
        parse_real(text.substr(colon + 1), {1, 1e6, false, "a mean burst length in datagrams"});
    if (!length)
        return unexpected{std::move(length).error()};
    i.burst_loss = *loss;
    i.burst_length = *length;
    return {};
}

/// An impairment option: `--NAME [forward:|back:]VALUE`, repeatable.
struct impairment_option {
    const char* name;
    const char* value_name;
    const char* help;
    value_reader read;
    std::vector<std::string> values = {};
};

} // namespace

cli::parsed<relay_options> parse_relay_options(std::vector<std::string> args) {
    relay_options o;
    auto app = cli::make_app(
        tool,
        "An impairing UDP relay: forwards each client's datagrams to the upstream (one upstream "
        "socket per client) and the replies back, one datagram per datagram, byte for byte, and "
        "can lose, duplicate, reorder, delay, rate-limit, corrupt or truncate them, per "
        "direction (forward: client to upstream, back: upstream to client), repeatably with "
        "--seed. Prints 'listening on ADDR' and the seed first; counters on "
        "SIGINT/SIGTERM/SIGHUP (then exits 0), SIGUSR1 and every --stats-interval.",
        examples);
    std::string listen_text;
    std::string direction_text;
    std::size_t max_message = 0;
    std::uint64_t seed = 0;
    auto* listen = app->add_option("--listen", listen_text,
                                   "address to listen on for clients: HOST:PORT, [IPV6]:PORT or "
                                   "PORT (default 127.0.0.1:9008; port 0 picks a free one)")
                       ->check(cli::address_validator);
    app->add_option("--to", o.to,
                    "the upstream: HOST:PORT, [IPV6]:PORT or PORT, or with --directory a peer's "
                    "name")
        ->type_name("ADDR|PEER")
        ->required();
    cli::add_directory_as(*app, o.directory, o.as, listen);
    app->add_option("--direction", direction_text,
                    "where impairments without a forward:/back: prefix apply: forward, back or "
                    "both (default)")
        ->type_name("DIR");

    impairment_option options[] = {
        {"--loss", "[DIR:]P%", "drop each datagram with probability P%",
         percent(&impairment::loss)},
        {"--loss-burst", "[DIR:]P%:LEN",
         "Gilbert-Elliott burst loss: P% lost in the long run, in bursts of LEN datagrams on "
         "average",
         read_burst},
        {"--duplicate", "[DIR:]P%", "send a second copy right after with probability P%",
         percent(&impairment::duplicate)},
        {"--reorder", "[DIR:]P%",
         "hold a datagram back behind the next --reorder-gap ones with probability P% (at most "
         "100 ms)",
         percent(&impairment::reorder)},
        {"--reorder-gap", "[DIR:]N", "how many later datagrams overtake a held one (default 1)",
         whole<std::uint32_t>(&impairment::reorder_gap,
                              {1, 1'000'000, "a whole number of datagrams"})},
        {"--delay", "[DIR:]MS", "delay every datagram by MS milliseconds",
         millis(&impairment::delay_ns)},
        {"--jitter", "[DIR:]MS",
         "vary the delay uniformly within DELAY-MS..DELAY+MS (at most --delay); datagrams may "
         "overtake each other",
         millis(&impairment::jitter_ns)},
        {"--rate", "[DIR:]PPS", "carry at most PPS datagrams per second (bounded queue)",
         per_second(&impairment::rate_pps, {0, 1e9, true, "a number of datagrams per second"})},
        {"--bandwidth", "[DIR:]BITS",
         "carry at most BITS bits of payload per second (bounded queue), e.g. 1e6",
         per_second(&impairment::bandwidth_bps, {0, 1e12, true, "a number of bits per second"})},
        {"--queue", "[DIR:]N",
         "datagrams waiting for --rate/--bandwidth at most; more are dropped (default 1000)",
         whole<std::size_t>(&impairment::queue_limit,
                            {1, 1'000'000, "a whole number of datagrams"})},
        {"--corrupt", "[DIR:]P%", "change one byte of a datagram with probability P%",
         percent(&impairment::corrupt)},
        {"--truncate", "[DIR:]BYTES", "cut datagrams longer than BYTES to BYTES",
         whole<std::size_t>(&impairment::truncate,
                            {0, max_payload_ipv6, "a whole number of bytes"})},
        {"--mtu", "[DIR:]BYTES", "drop datagrams larger than BYTES",
         whole<std::size_t>(&impairment::mtu, {0, max_payload_ipv6, "a whole number of bytes"})},
    };
    for (auto& option : options)
        app->add_option(option.name, option.values, option.help)
            ->type_name(option.value_name)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

    auto* seed_option = cli::add_number(*app, "--seed", seed,
                                        "seed of the impairments' random numbers: the same seed "
                                        "and traffic give the same run (default: random, printed)",
                                        {0, UINT64_MAX, "a whole number"});
    auto* max = cli::add_number(*app, "--max-message", max_message,
                                "largest datagram relayed, bytes (default 1472, or the peer's; "
                                "up to 65507 IPv4, 65527 IPv6); larger ones are counted and "
                                "dropped, never forwarded cut",
                                {1, max_payload_ipv6, "a whole number of bytes"});
    cli::add_number(*app, "--max-clients", o.max_clients,
                    "clients relayed at once (one upstream socket each); a new client beyond "
                    "them is refused and counted (default 256)",
                    {1, 65536, "a whole number of clients"});
    cli::add_number(*app, "--idle", o.idle_seconds,
                    "forget a client silent both ways for SECONDS (default 60)",
                    {0.001, 1e7, false, "a number of seconds"})
        ->type_name("SECONDS");
    app->add_flag("--allow-privileged-ports", o.allow_privileged_ports,
                  "relay to an upstream port and for client ports below 1024 (risks loops and "
                  "reflection towards services)");
    cli::add_stats_options(*app, o.stats_interval, o.json);

    if (auto exit = cli::parse(*app, std::move(args)))
        return *exit;

    if (*listen)
        o.listen = *parse_host_port(listen_text); // the validator has accepted it
    if (*max)
        o.max_message = max_message;
    if (*seed_option)
        o.seed = seed;
    direction_set fallback;
    if (!direction_text.empty()) {
        auto d = parse_direction_set(direction_text);
        if (!d)
            return cli::usage_error(tool, "--direction: " + d.error().message);
        fallback = *d;
    }
    for (const auto& option : options) {
        for (const auto& text : option.values) {
            auto split = split_direction(text, fallback);
            if (!split)
                return cli::usage_error(tool,
                                        std::string(option.name) + ": " + split.error().message);
            for (auto [on, target] : {std::pair{split->directions.forward, &o.forward},
                                      std::pair{split->directions.back, &o.back}}) {
                if (!on)
                    continue;
                if (auto read = option.read(split->value, *target); !read)
                    return cli::usage_error(tool,
                                            std::string(option.name) + ": " + read.error().message);
            }
        }
    }
    for (auto [name, config] : {std::pair{"forward", &o.forward}, std::pair{"back", &o.back}})
        if (auto valid = config->check(); !valid)
            return cli::usage_error(tool, valid.error().message + " (" + name + ")");
    return o;
}

} // namespace udpkit
