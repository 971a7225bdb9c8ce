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

    /// Resolves a target spec (a peer's address, or an address or host name through the loop).
    result<resolved_target> resolve(const script::target_spec& spec);

    /// Binds the socket: --bind if given, otherwise port 0 on loopback when every target is on
    /// loopback, else on the wildcard address, of the targets' family (one family per socket).
    /// `limit` is the largest message sent or received whole. ICMP errors are reported.
    /// `offload`: UDP GSO and GRO where the kernel has them (socket_options::offload).
    std::optional<int> open_socket(const std::string& bind, const std::vector<ip_endpoint>& to,
                                   message_limit limit, bool offload);

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
};

/// --max-message if given: the limit of every target, peers too (see script::make_target).
std::optional<message_limit> max_message(const send_options& options);

/// Refuses a target whose limit is over its family's maximum (`--max-message 65508` to an IPv4
/// address: 65507 is the most an IPv4 datagram carries).
result<void> check_family_limit(const resolved_target& t);

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
