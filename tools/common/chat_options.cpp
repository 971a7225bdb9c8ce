#include "chat_options.hpp"

#include <cmath>

namespace udpkit {

result<std::optional<std::uint64_t>> parse_linger(std::string_view text) {
    if (text == "forever")
        return std::optional<std::uint64_t>();
    auto seconds = parse_real(text, {0, 86400, false, "a number of seconds"});
    if (!seconds)
        return fail("--linger: " + seconds.error().message + ", or forever");
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(std::llround(*seconds * 1000)));
}

cli::parsed<chat_options> parse_chat_options(std::vector<std::string> args) {
    chat_options o;
    std::string format = "text";
    std::string linger = "1";
    auto app = cli::make_app(
        "udp-chat",
        "Chat with the peers of a TOML directory over UDP, one message per datagram, and in\n"
        "the rooms of its groups (multicast or broadcast), each member joined at start.\n"
        "Interactive when stdin and stdout are terminals; otherwise each input line is one\n"
        "message to --to PEER (or GROUP) and each received message one output line.",
        "  udp-chat --directory examples/peers.toml --as alice --to bob\n"
        "  printf 'hi\\nbye\\n' | udp-chat --directory peers.toml --as alice --to bob --linger 2\n"
        "  udp-chat --directory peers.toml --as bob --format json --linger forever </dev/null\n"
        "  udp-chat --directory peers.toml --as alice --to team   # a [groups.team] room\n"
        "\nExit codes: 0 done, 1 a runtime failure (e.g. our address is in use), or in piped\n"
        "mode a line was not sent, a peer was unreachable or a room could not be joined,\n"
        "2 usage or directory error (FILE:LINE:COL).\n");
    app->add_option("--directory", o.directory, "the peer directory (TOML)")
        ->required()
        ->type_name("FILE");
    const auto name_check = CLI::Validator(
        [](std::string& name) -> std::string {
            return is_valid_peer_name(name)
                       ? std::string()
                       : "\"" + name + "\" is not a peer name (1-32 of A-Z a-z 0-9 _ -)";
        },
        "");
    app->add_option("--as", o.as, "our name in the directory; we bind to its address")
        ->required()
        ->type_name("NAME")
        ->check(name_check);
    app->add_option("--to", o.to,
                    "the peer, or the group (a room), to talk to (interactive: /to changes it)")
        ->type_name("PEER|GROUP")
        ->check(name_check);
    std::string bind;
    auto* bind_option =
        app->add_option("--bind", bind,
                        "bind here instead of our peer's address, e.g. the wildcard 0.0.0.0:9001 "
                        "(replies leave from the address each peer wrote to)")
            ->type_name("ADDR")
            ->check(cli::address_validator);
    app->add_flag("--known-only", o.known_only,
                  "drop (and count) datagrams from addresses not in the directory");
    app->add_option("--format", format, "received messages as text lines or JSON lines")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app->add_option("--linger", linger,
                    "seconds to keep receiving after the end of piped input, or forever")
        ->type_name("SECONDS")
        ->capture_default_str();
    if (auto exit = cli::parse(*app, std::move(args)))
        return *exit;
    auto linger_ms = parse_linger(linger);
    if (!linger_ms)
        return cli::usage_error("udp-chat", linger_ms.error().message);
    o.linger_ms = *linger_ms;
    if (bind_option->count() > 0)
        o.bind = *parse_host_port(bind);
    o.format = format == "json" ? chat_format::json : chat_format::text;
    return o;
}

} // namespace udpkit
