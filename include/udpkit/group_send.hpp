#pragma once
// Sending to many: what kind of destination a target is (one host, a multicast group, a
// broadcast address), the multicast settings a run uses (a directory group's, overridden by the
// command line), and the checks and messages around them. Pure: no socket.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "udpkit/address.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/result.hpp"
#include "udpkit/stats.hpp"

namespace udpkit {

/// Where one datagram to a target goes.
enum class send_kind {
    unicast,   ///< one host: its replies come from the target's address
    multicast, ///< a multicast group: every member may answer, each from its own address
    broadcast  ///< a broadcast address: every host of the subnet may answer
};

/// The most responders of one run named and counted one by one (each of a burst keeps its own
/// statistics); datagrams from further sources are counted together.
inline constexpr std::size_t max_responders = 256;

/// The command line's settings for group targets; unset: not given.
struct group_flags {
    bool broadcast = false;   ///< --broadcast: the target may be a broadcast address
    std::optional<int> ttl;   ///< --ttl 0-255: multicast TTL / hop limit
    std::string interface;    ///< --interface: a name, index or address; empty: not given
    std::optional<bool> loop; ///< --loop / --no-loop
    std::uint64_t expect_responders = 0; ///< --expect-responders N; 0: not given
};

/// What the socket is set to for a multicast target: the directory group's values (its ttl and
/// loop always, its interface if it names one), each overridden by a flag that was given.
struct multicast_settings {
    std::optional<int> ttl;
    std::string interface; ///< empty: the routing table's choice
    std::optional<bool> loop;
};

/// The kind of `address`: a multicast group; a broadcast address (255.255.255.255, a directory
/// group with `broadcast = true`, or with --broadcast any IPv4 address, since a subnet's
/// broadcast address such as 192.0.2.255 looks like a host's); else one host.
send_kind kind_of(const ip_endpoint& address, const group* directory_group,
                  bool broadcast_flag) noexcept;

/// Refuses a run that does not fit its target, with a message naming the option: a broadcast
/// target without --broadcast; --ttl, --interface, --loop or --no-loop for a target that is no
/// multicast group; --expect-responders for a single host. `label` names the target.
result<void> check_group_target(send_kind kind, const group* directory_group,
                                const group_flags& flags, std::string_view label);

/// The multicast settings of a run to `directory_group` (nullptr: an address) with `flags`.
multicast_settings settings_for(const group* directory_group, const group_flags& flags);

/// The usage message for a send the kernel refused with EACCES (an IPv4 subnet broadcast
/// address without SO_BROADCAST), e.g. `send to 192.0.2.255:9: permission denied: it is a
/// broadcast address; add --broadcast to send to every host of the subnet (nothing was sent)`.
std::string broadcast_refused(std::string_view label);

/// One source that answered a group target: its address and, if the directory knows it, its
/// peer name (empty otherwise).
struct responder_name {
    ip_endpoint address;
    std::string peer;
};

/// `192.0.2.1:9200 (alice)`, or the address alone without a peer name.
std::string describe(const responder_name& r);

/// A reply from `from` as one line of the one-shot text output for a group target:
/// `192.0.2.1:9200 (alice): hello` (`rendered` is the payload, already made terminal-safe).
std::string group_reply_line(const responder_name& from, std::string_view rendered);

/// Why too few responders answered, or an empty string when at least `expected` did (0: no
/// expectation): `2 of the 3 expected responders answered: 192.0.2.1:9200 (alice),
/// 192.0.2.2:9200` (`none of the 3 expected responders answered`). `more` counts sources
/// beyond the named ones.
std::string responders_shortfall(const std::vector<responder_name>& answered, std::size_t more,
                                 std::uint64_t expected);

/// Orders addresses for reports: IPv4 before IPv6, then by address bytes, then by port.
bool address_before(const ip_endpoint& a, const ip_endpoint& b) noexcept;

/// The sources that answered a one-shot send to a group, each with its reply count: at most
/// max_responders are named, further datagrams are only counted.
class reply_tally {
public:
    struct entry {
        responder_name name;
        std::uint64_t replies = 0;
    };

    /// Counts a reply from `from`, named with `directory`'s peer name if it has one.
    void record(const ip_endpoint& from, const peer_directory* directory);
    /// The named sources, sorted by address.
    [[nodiscard]] std::vector<entry> sorted() const;
    /// Replies from sources beyond the first max_responders.
    [[nodiscard]] std::uint64_t unnamed() const noexcept { return unnamed_; }
    [[nodiscard]] std::size_t distinct() const noexcept { return entries_.size(); }
    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }

    /// `2 responders answered: 192.0.2.1:9200 (alice) 1 reply, 192.0.2.2:9200 1 reply`, or
    /// `no responder answered`.
    [[nodiscard]] std::string text() const;
    /// `{"responders": [{"address": "192.0.2.1:9200", "peer": "alice", "replies": 1}],
    /// "unnamed_replies": 0}`.
    [[nodiscard]] std::string json() const;

private:
    std::vector<entry> entries_; // in order of the first reply
    std::uint64_t unnamed_ = 0;
    std::uint64_t total_ = 0;
};

/// One responder's counters in a burst to a group.
struct responder_summary {
    responder_name name;
    burst_summary summary;
};

/// The statistics of a burst to a group, one burst_stats per source that answered: each counts
/// every probe sent to the group (a responder that answers late in the burst has lost the
/// probes before its first reply). A source is tracked from its first datagram, at most
/// `limit()` of them (max_responders, fewer for long bursts: each keeps 9 bytes per probe, and
/// all of them together at most max_records); datagrams from further sources are counted only.
class responder_stats {
public:
    /// The most probe records (probes x responders) kept: about 150 MB.
    static constexpr std::uint64_t max_records = 16'000'000;

    /// As burst_stats' constructor; `probes` is the burst's length (it bounds the responders).
    responder_stats(std::uint32_t first_seq, std::uint64_t origin_ns, std::uint64_t timeout_ns,
                    std::uint64_t probes);

    /// Records a probe sent to the group at `now_ns` (for every responder, and those to come).
    void record_sent(std::uint64_t now_ns);
    /// Counts a datagram from `from` (see burst_stats::record_reply), named with `directory`'s
    /// peer name the first time the source is seen.
    reply_kind record_reply(const ip_endpoint& from, const peer_directory* directory,
                            std::string_view payload, std::size_t size, bool truncated,
                            std::size_t probe_size, std::uint64_t now_ns);

    /// Whether datagrams from `from` are counted as a responder's.
    [[nodiscard]] bool tracks(const ip_endpoint& from) const noexcept {
        return index_.find(from) != index_.end();
    }
    /// The most responders tracked one by one.
    [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
    [[nodiscard]] std::size_t size() const noexcept { return responders_.size(); }
    /// Datagrams from sources beyond limit().
    [[nodiscard]] std::uint64_t unnamed() const noexcept { return unnamed_; }
    /// Every responder's summary at `now_ns` (see burst_stats::summary), sorted by address.
    [[nodiscard]] std::vector<responder_summary>
    summaries(std::uint64_t now_ns = burst_stats::never) const;

private:
    struct responder {
        responder_name name;
        burst_stats stats;
    };
    std::uint32_t first_seq_;
    std::uint64_t origin_ns_;
    std::uint64_t timeout_ns_;
    std::size_t limit_;
    std::vector<std::uint64_t> send_times_; // replayed into a responder seen late
    std::vector<responder> responders_;
    std::unordered_map<ip_endpoint, std::size_t, ip_endpoint_hash> index_;
    std::uint64_t unnamed_ = 0;
};

/// The report of a burst to a group.
struct group_burst_report {
    std::string target; ///< the target's label
    std::size_t probe_size = 0;
    burst_summary overall; ///< the probes sent: sent, rate, duration, window, kernel drops
    std::vector<responder_summary> responders; ///< sorted by address
    std::uint64_t unnamed = 0;                 ///< datagrams from sources beyond the limit
    std::uint64_t expected = 0;                ///< --expect-responders; 0: none
};

/// Why a burst to a group failed, or an empty string: nothing was sent; no responder answered;
/// fewer than `expected` answered (responders_shortfall); a responder's own burst_failure
/// (loss over `max_loss_percent`, corrupt or truncated replies), prefixed with its name.
/// Several reasons are joined by "; ".
std::string group_burst_failure(const group_burst_report& r, double max_loss_percent);
/// The failure of one responder (burst_failure of its summary), or an empty string.
std::string responder_failure(const responder_summary& r, double max_loss_percent);

/// The text report: a title line, one line per responder sorted by address,
///
///     burst to team (239.77.0.2:9200): 1000 probes of 64 bytes, at most 64 in flight; 2 responders
///     192.0.2.1:9200 (alice): sent 1000, received 1000, lost 0 (0.00%), late 0, ...,
///         rtt p50 31.2 us, p90 40.1 us, p99 50.0 us, max 80.1 us
///     ...
///     rate 1000 pps, 1000.0 ms; kernel drops 0
///
/// then the offload line (as burst_text).
std::string group_burst_text(const group_burst_report& r);

/// The JSON report: `{"target": ..., "size": ..., "window": ..., "sent": ..., "rate_pps": ...,
/// "duration_ms": ..., "kernel_drops": ..., "offload": ..., "responders": [{"address": ...,
/// "peer": ... or null, "sent": ..., "received": ..., "lost": ..., "late": ..., "in_flight": ...,
/// "reordered": ..., "duplicated": ..., "corrupt": ..., "truncated": ..., "invalid": ...,
/// "first_corrupt": ..., "rtt_us": {"p50", "p90", "p99", "max"} or null, "jitter_us": ...,
/// "error": ... or null}], "unnamed_datagrams": N, "expected_responders": N or null,
/// "error": ... or null}`, where a responder's error is responder_failure with --max-loss.
std::string group_burst_json(const group_burst_report& r, double max_loss_percent,
                             std::string_view error);

} // namespace udpkit
