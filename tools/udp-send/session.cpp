#include "session.hpp"

#include <unistd.h>

#include <cstdio>

#include "udpkit/io/error_codes.hpp"
#include "udpkit/io/interfaces.hpp"
#include "udpkit/io/resolve.hpp"

namespace udpkit::send {

int report_failure(int code, const std::string& message) {
    std::fprintf(stderr, "udp-send: %s\n", message.c_str());
    return code;
}

int session::failed(int code, const std::string& message) {
    last_failure_ = message;
    return report_failure(code, message);
}

std::optional<int> session::load_directory(const send_options& options) {
    if (options.directory.empty())
        return std::nullopt;
    auto d = peer_directory::load(options.directory);
    if (!d)
        return failed(cli::usage, d.error().to_string());
    directory_ = std::move(d).value();
    return std::nullopt;
}

std::variant<resolved_target, int> session::command_line_target(const send_options& options) {
    if (auto exit = load_directory(options))
        return *exit;
    auto spec = script::make_target(options.target, directory(), max_message(options));
    if (!spec)
        return failed(cli::usage, spec.error().message);
    auto to = resolve(*spec, options.group.broadcast);
    if (!to)
        return failed(cli::failure, to.error().message);
    if (auto fits = check_family_limit(*to); !fits)
        return failed(cli::usage, fits.error().message);
    return std::move(to).value();
}

result<resolved_target> session::resolve(const script::target_spec& spec, bool broadcast) {
    resolved_target t{spec, {}, spec.text};
    if (spec.peer != nullptr || spec.group != nullptr) {
        t.address = spec.peer != nullptr ? spec.peer->address : spec.group->address;
        t.label = spec.text + " (" + t.address.to_string() + ")";
    } else {
        auto address = resolve_now(loop_, *spec.address);
        if (!address)
            return unexpected{std::move(address).error()};
        t.address = *address;
        if (t.address.to_string() != spec.text)
            t.label = spec.text + " (" + t.address.to_string() + ")";
    }
    // --broadcast lets an IPv4 address be a subnet's broadcast address, but a directory peer
    // is one host: its replies come from it alone.
    t.kind = kind_of(t.address, spec.group, broadcast && spec.peer == nullptr);
    return t;
}

std::optional<int> session::configure_groups(const send_options& options, const group* defaults,
                                             bool multicast) {
    auto refused = [this](const std::string& what, const error& e) {
        return failed(cli::failure, what + ": " + e.message);
    };
    if (options.group.broadcast)
        if (auto on = socket_->set_broadcast(true); !on)
            return refused("--broadcast", on.error());
    if (!multicast)
        return std::nullopt;
    const multicast_settings settings = settings_for(defaults, options.group);
    if (settings.ttl)
        if (auto set = socket_->set_multicast_ttl(*settings.ttl); !set)
            return refused("--ttl " + std::to_string(*settings.ttl), set.error());
    if (settings.loop)
        if (auto set = socket_->set_multicast_loop(*settings.loop); !set)
            return refused(*settings.loop ? "--loop" : "--no-loop", set.error());
    if (!settings.interface.empty()) {
        auto index = find_interface(settings.interface);
        if (!index)
            return failed(cli::usage, "--interface: " + index.error().message);
        if (auto set = socket_->set_multicast_interface(*index); !set)
            return refused("--interface " + settings.interface, set.error());
    }
    return std::nullopt;
}

std::optional<int> session::prepare_target(const send_options& options, const resolved_target& to) {
    if (auto fits = check_group_target(to.kind, to.spec.group, options.group, to.label); !fits)
        return failed(cli::usage, fits.error().message);
    return configure_groups(options, to.spec.group, to.kind == send_kind::multicast);
}

std::optional<int> session::open_socket(const std::string& bind, const std::vector<ip_endpoint>& to,
                                        message_limit limit, bool offload) {
    ip_endpoint local;
    if (!bind.empty()) {
        auto parsed = resolve_now(loop_, bind);
        if (!parsed)
            return failed(cli::failure, "--bind " + bind + ": " + parsed.error().message);
        local = *parsed;
    } else {
        const bool v6 = !to.empty() && to.front().family() == ip_family::v6;
        bool loopback = true;
        for (const auto& t : to)
            loopback = loopback && t.is_loopback();
        local = *ip_endpoint::parse(loopback ? (v6 ? "[::1]:0" : "127.0.0.1:0")
                                             : (v6 ? "[::]:0" : "0.0.0.0:0"));
    }
    for (const auto& t : to)
        if (t.family() != local.family())
            return failed(cli::usage, "target " + t.to_string() + " and local address " +
                                          local.to_string() +
                                          " are of different IP families; one run uses one family");
    socket_options options;
    options.limit = limit;
    options.report_unreachable = true;
    options.offload = offload;
    auto s = udp_socket::bind(loop_, local, options);
    if (!s)
        return failed(cli::failure, s.error().message);
    socket_ = std::move(s).value();
    return std::nullopt;
}

void session::wake_at(std::uint64_t until_ns, std::function<void()> fn) {
    const std::uint64_t now = now_ns();
    const std::uint64_t ms = until_ns > now ? (until_ns - now + 999'999) / 1'000'000 : 0;
    wake_->start(ms, 0, std::move(fn));
}

bool session::close() {
    if (socket_)
        socket_->close();
    socket_.reset();
    wake_.reset();
    auto closed = loop_.close();
    if (!closed)
        failed(cli::failure, closed.error().message);
    return static_cast<bool>(closed);
}

std::optional<message_limit> max_message(const send_options& options) {
    // Checked against the IPv6 maximum by the option parser, against the IPv4 one by
    // check_family_limit once the target's family is known.
    if (!options.max_message)
        return std::nullopt;
    return *message_limit::make(static_cast<long long>(*options.max_message), ip_family::v6);
}

result<void> check_family_limit(const resolved_target& t) {
    if (auto fits =
            message_limit::make(static_cast<long long>(t.spec.limit.bytes()), t.address.family());
        !fits)
        return fail("--max-message for " + t.label + ": " + fits.error().message +
                    "; nothing was sent");
    return {};
}

responder_name name_of(const ip_endpoint& from, const peer_directory* directory) {
    const peer* p = directory != nullptr ? directory->find(from) : nullptr;
    return {from, p != nullptr ? p->name : std::string()};
}

std::pair<int, std::string> send_failure(const error& e, const std::string& label) {
    if (is_permission_denied(e))
        return {cli::usage, broadcast_refused(label)};
    return {cli::failure, e.message};
}

std::pair<int, std::string> send_failure(int code, const resolved_target& to) {
    if (is_permission_denied(code))
        return {cli::usage, broadcast_refused(to.label)};
    return {cli::failure, io_failure("send to " + to.address.to_string(), code).value.message};
}

std::uint64_t now_ns() noexcept {
    return event_loop::now_ns();
}

std::string describe(const socket_error& e) {
    if (is_port_unreachable(e.error))
        return "target " + (e.destination ? e.destination->to_string() + " " : std::string()) +
               "is not listening (ICMP port unreachable)";
    return e.error.message;
}

bool stdout_is_terminal() noexcept {
    return isatty(STDOUT_FILENO) == 1;
}

} // namespace udpkit::send
