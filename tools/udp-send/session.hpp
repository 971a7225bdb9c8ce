#pragma once
// What udp-send's three modes share: the peer directory, targets resolved to addresses, the
// local socket (with ICMP errors reported), the clock, and error output.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "send_options.hpp"
#include "udpkit/group_send.hpp"
#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/timer.hpp"
#include "udpkit/io/udp_socket.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/script.hpp"

namespace udpkit::send {

/// Prints `udp-send: message` on stderr and returns `code`.
int report_failure(int code, const std::string& message);

/// A target resolved to an address, with the label used in reports: `echo (127.0.0.1:9007)`.
struct resolved_target {
    script::target_spec spec;
    ip_endpoint address;
    std::string label;
    send_kind kind = send_kind::unicast; ///< kind_of(address, spec.group, --broadcast)

    /// Replies come from every member, from any address.
    [[nodiscard]] bool is_group() const noexcept { return kind != send_kind::unicast; }
};

/// The loop, the directory and the socket of one run. Handles are closed before the loop.
class session {
public:
    session() = default;

    /// Loads --directory if given (errors: exit 2, with FILE:LINE:COL).
    std::optional<int> load_directory(const send_options& options);
    [[nodiscard]] const peer_directory* directory() const noexcept {
        return directory_ ? &*directory_ : nullptr;
    }

    /// The command line's TARGET: loads --directory, then makes and resolves the target.
    /// Errors are printed; the exit code is returned instead (2 for configuration, 1 when a
    /// name does not resolve).
    std::variant<resolved_target, int> command_line_target(const send_options& options);

    /// Resolves a target spec (a peer's or a group's address, or an address or host name
    /// through the loop); `broadcast` is --broadcast (see kind_of).
    result<resolved_target> resolve(const script::target_spec& spec, bool broadcast);

    /// After open_socket: the socket options the targets need (SO_BROADCAST with --broadcast;
    /// for a multicast target its TTL, interface and loop, from the directory group and the
    /// flags). `group` is the directory group whose settings are the defaults, if any. Errors
    /// are printed; the exit code is returned (2 for an unknown interface).
    std::optional<int> configure_groups(const send_options& options, const group* defaults,
                                        bool multicast);

    /// Checks the command line's target against the group flags (exit 2 on a mismatch) and
    /// configures the socket for it (configure_groups).
    std::optional<int> prepare_target(const send_options& options, const resolved_target& to);

    /// Binds the socket: --bind if given, otherwise port 0 on loopback when every target is on
    /// loopback, else on the wildcard address, of the targets' family (one family per socket).
    /// `limit` is the largest message sent or received whole. ICMP errors are reported.
    /// `offload`: UDP GSO and GRO where the kernel has them (socket_options::offload).
    std::optional<int> open_socket(const std::string& bind, const std::vector<ip_endpoint>& to,
                                   message_limit limit, bool offload);

    /// Prints `udp-send: message` (report_failure), remembers it as last_failure() and
    /// returns `code`: every error of the methods above goes through here.
    int failed(int code, const std::string& message);
    /// The last error printed through failed(): what a JUnit report says when the run stopped.
    [[nodiscard]] const std::string& last_failure() const noexcept { return last_failure_; }

    event_loop& loop() noexcept { return loop_; }
    udp_socket& socket() noexcept { return *socket_; }
    timer& wake() noexcept { return *wake_; }

    /// Arms the wake-up timer for `until_ns` (rounded up to the millisecond libuv timers use).
    void wake_at(std::uint64_t until_ns, std::function<void()> fn);

    /// Closes the socket and the timer, then the loop; false if the loop did not close cleanly.
    bool close();

private:
    event_loop loop_; // first: destroyed last, after every handle
    std::optional<peer_directory> directory_;
    std::unique_ptr<udp_socket> socket_;
    std::unique_ptr<timer> wake_ = std::make_unique<timer>(loop_);
    std::string last_failure_;
};

/// --max-message if given: the limit of every target, peers too (see script::make_target).
std::optional<message_limit> max_message(const send_options& options);

/// Refuses a target whose limit is over its family's maximum (`--max-message 65508` to an IPv4
/// address: 65507 is the most an IPv4 datagram carries).
result<void> check_family_limit(const resolved_target& t);

/// The name of a reply's source: its address and the directory's peer name for it.
responder_name name_of(const ip_endpoint& from, const peer_directory* directory);

/// A failed send as udp-send reports it: EACCES (an IPv4 broadcast address without
/// --broadcast) becomes broadcast_refused's usage message with exit code 2; anything else is a
/// runtime failure (exit 1) with the error's own message.
std::pair<int, std::string> send_failure(const error& e, const std::string& label);
std::pair<int, std::string> send_failure(int code, const resolved_target& to);

/// Monotonic nanoseconds (event_loop::now_ns, not cached by the loop).
std::uint64_t now_ns() noexcept;

/// A socket error as udp-send reports it: an ICMP port unreachable reads
/// `target 127.0.0.1:9 is not listening (ICMP port unreachable)`.
std::string describe(const socket_error& e);

/// True when stdout is a terminal (live progress lines are only drawn there).
bool stdout_is_terminal() noexcept;

/// Runs each mode; each returns the process exit code.
int run_once(const send_options& options);
int run_burst(const send_options& options);
int run_script(const send_options& options);

} // namespace udpkit::send
