#pragma once
// udp-relay's impairments, free of I/O (in the manner of KCP and ENet): a pipeline per direction
// is fed datagrams and the current time (nanoseconds of any monotonic clock) and returns what to
// send now; what it holds back comes out of release_due() at its time. It never reads a clock or
// touches a socket, so tests drive it by hand and, with a seed, check every counter exactly.
//
// The stages, in order, for one datagram:
//   mtu (drop if larger) -> burst loss (Gilbert-Elliott) -> loss -> corrupt -> truncate ->
//   duplicate -> reorder (hold back) -> rate/bandwidth (bounded queue, tail drop) ->
//   delay + jitter.
// Nothing else changes a datagram: what leaves is what came in, byte for byte, unless corrupt or
// truncate said otherwise, and every output is one datagram (a duplicate is the only extra one).

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/result.hpp"

namespace udpkit {

/// The relay's random numbers: xoshiro256** (Blackman and Vigna), its state seeded from the
/// 64-bit seed by splitmix64, as its authors recommend. Stated exactly, unlike the std::
/// distributions, so that a seed gives the same run with any standard library.
class relay_random {
public:
    explicit relay_random(std::uint64_t seed) noexcept;

    /// The next 64 random bits.
    std::uint64_t next() noexcept;
    /// A uniform number in [0, 1): the top 53 bits of next() times 2^-53.
    double uniform() noexcept;
    /// True with probability `p` (uniform() < p): one draw, whatever `p`.
    bool chance(double p) noexcept { return uniform() < p; }
    /// A uniform whole number below `n` (> 0): next() scaled by multiplication (Lemire), whose
    /// bias, below n / 2^64, is immaterial here.
    std::uint64_t below(std::uint64_t n) noexcept;

private:
    std::uint64_t s_[4];
};

/// The two directions through the relay.
enum class relay_direction : std::uint8_t {
    forward, ///< client to upstream
    back     ///< upstream to client
};

/// Which directions an impairment option applies to.
struct direction_set {
    bool forward = true;
    bool back = true;
};

/// Reads `--direction`'s value: `forward`, `back` or `both`.
result<direction_set> parse_direction_set(std::string_view text);

/// An impairment option's value split into its directions and the value proper: `forward:5%`
/// applies to forward only, `back:5%` to back only, a value without prefix to `fallback` (the
/// --direction option).
struct directed_value {
    direction_set directions;
    std::string_view value;
};

/// Splits an optional `forward:` or `back:` prefix off `text`. An unknown prefix (a word of
/// letters before a colon) is an error that names it and the accepted ones; `5%:4` has none.
result<directed_value> split_direction(std::string_view text, direction_set fallback);

/// One direction's impairments; every one is off by default.
struct impairment {
    double loss = 0;                ///< probability of an independent loss, 0 to 1
    double burst_loss = 0;          ///< long-run loss of the Gilbert-Elliott model, 0 (off) to < 1
    double burst_length = 1;        ///< its mean burst of losses, datagrams (>= 1)
    double duplicate = 0;           ///< probability of a second copy right after the datagram
    double reorder = 0;             ///< probability that a datagram is held back...
    std::uint32_t reorder_gap = 1;  ///< ...behind this many later datagrams (>= 1)
    std::uint64_t delay_ns = 0;     ///< added to every datagram
    std::uint64_t jitter_ns = 0;    ///< the delay varies uniformly by +-jitter (<= delay)
    double rate_pps = 0;            ///< datagrams per second the link carries; 0: no limit
    double bandwidth_bps = 0;       ///< bits per second of payload; 0: no limit
    std::size_t queue_limit = 1000; ///< datagrams waiting for the rate at most (tail drop)
    double corrupt = 0;             ///< probability that one byte is changed
    std::optional<std::size_t> truncate; ///< longer datagrams are cut to this many bytes
    std::optional<std::size_t> mtu;      ///< larger datagrams are dropped

    /// Whether any impairment is on (off: every datagram passes at once, untouched).
    [[nodiscard]] bool any() const noexcept;
    /// Checks the combinations: jitter at most the delay, rate or bandwidth, a burst-loss model
    /// that exists (its chance of starting a burst at most 1). Errors name the options.
    [[nodiscard]] result<void> check() const;
};

/// How long a reordered datagram waits at most for its gap of later datagrams: after that it
/// leaves anyway (counted as reordered only if some later datagram did overtake it).
inline constexpr std::uint64_t reorder_hold_ns = 100'000'000;

/// Why the relay dropped a datagram. The first four are the pipeline's; the others are the
/// tool's, counted through impairment_pipeline::refuse and unsend so that one set of counters
/// adds up.
enum class relay_drop : std::uint8_t {
    loss,            ///< --loss
    burst_loss,      ///< --loss-burst
    mtu,             ///< larger than --mtu
    queue_full,      ///< --rate/--bandwidth queue full (tail drop)
    oversize,        ///< larger than the socket's limit (--max-message): never forwarded cut
    table_full,      ///< a new client while the client table is full (fails closed)
    privileged_port, ///< a client or upstream port below 1024 without the flag
    foreign,         ///< on a client's upstream socket, but not from the upstream
    expired,         ///< its client expired (--idle) while it was held or delayed
    send_error,      ///< the kernel refused it or the socket buffer was full
};
inline constexpr std::size_t relay_drop_count = 10;

/// `loss`, `burst_loss`, `mtu`, `queue_full`, ...: the counter names.
std::string_view to_string(relay_drop cause) noexcept;

/// One direction's counters. Invariant (adds_up): received + duplicated == forwarded +
/// dropped() + pending, whatever happens.
struct relay_counters {
    std::uint64_t received = 0;   ///< datagrams that arrived for this direction
    std::uint64_t forwarded = 0;  ///< datagrams sent on (duplicates included)
    std::uint64_t duplicated = 0; ///< extra copies made
    std::uint64_t reordered = 0;  ///< held back and overtaken by a later datagram
    /// Left later than they arrived (delay, jitter, rate queue, or held for reordering until
    /// the timeout with nothing overtaking them).
    std::uint64_t delayed = 0;
    std::uint64_t queued = 0;     ///< waited for the rate or bandwidth
    std::uint64_t corrupted = 0;  ///< one byte changed
    std::uint64_t truncated = 0;  ///< cut to --truncate bytes
    std::uint64_t pending = 0;    ///< held or delayed now, not yet forwarded or dropped
    /// Datagrams the kernel dropped before the relay read them (a full receive buffer): never
    /// received, so outside adds_up(). Set by the I/O layer's owner from its sockets.
    std::uint64_t kernel_drops = 0;
    std::array<std::uint64_t, relay_drop_count> dropped_by{};

    [[nodiscard]] std::uint64_t dropped(relay_drop cause) const noexcept {
        return dropped_by[static_cast<std::size_t>(cause)];
    }
    [[nodiscard]] std::uint64_t dropped() const noexcept;
    [[nodiscard]] bool adds_up() const noexcept;
};

/// A datagram to send now: its bytes and the tag it came in with (the relay's client id).
/// `payload` is valid until the next call into the pipeline.
struct relay_output {
    std::string_view payload;
    std::uint64_t tag = 0;
};

/// One direction's impairments over time.
class impairment_pipeline {
public:
    /// Precondition: config.check() succeeded. `seed` starts the pipeline's relay_random.
    impairment_pipeline(impairment config, std::uint64_t seed);

    /// Takes one datagram that arrived at `now_ns` and appends to `out` what leaves now:
    /// first whatever was due by then (as release_due), then this datagram (unless dropped,
    /// held or delayed), its duplicate, and datagrams held back behind it whose gap it ends.
    /// Without impairments the output views `payload` itself: no copy.
    void receive(std::string_view payload, std::uint64_t tag, std::uint64_t now_ns,
                 std::vector<relay_output>& out);
    /// Appends to `out` the held and delayed datagrams due by `now_ns`, in order of their time.
    void release_due(std::uint64_t now_ns, std::vector<relay_output>& out);
    /// When release_due() has something next, if anything is pending.
    [[nodiscard]] std::optional<std::uint64_t> next_due_ns() const noexcept;

    /// Counts a datagram the tool refused before the pipeline (received and dropped by `cause`).
    void refuse(relay_drop cause) noexcept;
    /// Counts a datagram the pipeline output that the tool could not send (no longer forwarded
    /// but dropped by `cause`).
    void unsend(relay_drop cause) noexcept;

    [[nodiscard]] const relay_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] const impairment& config() const noexcept { return config_; }

private:
    struct held {
        std::string bytes;
        std::uint64_t tag;
        std::uint32_t gap_left;
        std::uint64_t deadline_ns;
        std::uint8_t copies; ///< 2 when duplicated: the copies are held together
        bool overtaken = false;
    };
    struct scheduled {
        std::uint64_t due_ns;
        std::uint64_t order; ///< arrival order among equal times
        std::string bytes;
        std::uint64_t tag;
        friend bool operator>(const scheduled& a, const scheduled& b) noexcept {
            return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.order > b.order;
        }
    };

    /// Decides loss, corruption and truncation; returns false if the datagram is dropped.
    bool survive(std::string_view& payload);
    /// A datagram and its duplicate, if any, after the duplicate stage: holds them back
    /// together or passes them on.
    void reorder_stage(std::string_view payload, std::uint8_t copies, std::uint64_t tag,
                       std::uint64_t now_ns, std::vector<relay_output>& out);
    /// The rate queue and the delay: sends the copy now or schedules it. `held_back`: it was
    /// held for reordering and nothing overtook it, so it leaves late even now (delayed).
    void timing_stage(std::string_view payload, std::uint64_t tag, std::uint64_t now_ns,
                      std::vector<relay_output>& out, bool held_back = false);
    /// Appends a datagram leaving now, copying bytes that would not outlive the call.
    void emit(std::string&& bytes, std::uint64_t tag, std::vector<relay_output>& out);
    /// Passes the front held datagram on to the timing stage.
    void release_held(std::uint64_t now_ns, std::vector<relay_output>& out);
    /// release_due() without starting a new call (receive() calls it first).
    void release_due(std::uint64_t now_ns, std::vector<relay_output>& out, bool update_pending);
    void drop(relay_drop cause) noexcept;

    impairment config_;
    relay_random random_;
    bool bad_state_ = false; ///< Gilbert-Elliott: in a burst of losses
    double enter_burst_ = 0; ///< chance of starting a burst
    double leave_burst_ = 1; ///< chance of ending it
    std::string scratch_;    ///< a corrupted copy
    std::deque<held> held_;
    std::size_t held_copies_ = 0;          ///< datagrams in held_, duplicates included
    std::vector<scheduled> scheduled_;     ///< a min-heap on (due_ns, order)
    std::deque<std::uint64_t> departures_; ///< rate stage: when queued datagrams leave
    double link_free_ns_ = 0;              ///< when the link has sent what it holds
    std::uint64_t order_ = 0;
    std::deque<std::string> released_; ///< bytes of this call's outputs that the pipeline owns
    relay_counters counters_;
};

/// The relay's clients: one slot per client address (IP and port), each with its own upstream
/// socket in the tool, at most `capacity` of them. A client idle (no datagram either way) for
/// `idle_ns` is expired; a new client when every slot is taken is refused (fails closed: the
/// relay never drops a live client's mapping to make room). No allocation after construction
/// apart from the address index.
class client_table {
public:
    /// Precondition: capacity in 1..2^32-1, idle_ns > 0.
    client_table(std::size_t capacity, std::uint64_t idle_ns);

    /// admit()'s answer: the client's slot and id (unique over the table's life: a slot reused
    /// gets a new id, so datagrams still pending for the old client are not sent to the new),
    /// or nothing when the table is full.
    struct admission {
        std::optional<std::size_t> slot;
        std::uint64_t id = 0;
        bool added = false; ///< a new client: the caller sets up its upstream socket
    };

    /// Finds `client` or adds it, and marks it active at `now_ns`.
    admission admit(const ip_endpoint& client, std::uint64_t now_ns);
    /// The slot of client `id`, or nothing if it has expired.
    [[nodiscard]] std::optional<std::size_t> slot_of(std::uint64_t id) const noexcept;
    /// Marks slot `slot`'s client active at `now_ns` (a reply came).
    void touch(std::size_t slot, std::uint64_t now_ns) noexcept;
    /// The address of slot `slot`'s client.
    [[nodiscard]] const ip_endpoint& address(std::size_t slot) const noexcept;
    /// Removes every client idle for `idle_ns` by `now_ns` and returns their slots.
    std::vector<std::size_t> expire(std::uint64_t now_ns);

    [[nodiscard]] std::size_t size() const noexcept { return by_address_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
    [[nodiscard]] std::uint64_t expired() const noexcept { return expired_; }

private:
    struct slot_state {
        ip_endpoint client;
        std::uint64_t last_ns = 0;
        std::uint32_t generation = 0;
        bool used = false;
    };
    std::vector<slot_state> slots_;
    std::vector<std::size_t> free_;
    std::unordered_map<ip_endpoint, std::size_t, ip_endpoint_hash> by_address_;
    std::uint64_t idle_ns_;
    std::uint64_t expired_ = 0;
};

/// The relay's stats line: `stats: seed=N clients=N clients_expired=N forward.received=N ...
/// back.received=N ...`, or with `json` one object `{"seed":N,"clients":N,...,"forward":{...},
/// "back":{...}}`. No newline.
std::string format_relay_stats(std::uint64_t seed, const client_table& clients,
                               const relay_counters& forward, const relay_counters& back,
                               bool json);

} // namespace udpkit
