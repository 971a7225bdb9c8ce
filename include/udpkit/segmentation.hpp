#pragma once
// UDP segmentation offloads, the pure part. With UDP_SEGMENT (GSO) a sender hands the kernel
// several datagrams of one size for one destination in one call; with UDP_GRO a receiver gets
// several datagrams of one flow back as one buffer plus their segment size. Either way every
// datagram keeps its boundary: the segment size says where each one ends (only the last may be
// shorter). These rules decide what may share one send and how a buffer splits back.

#include <cstddef>
#include <cstdint>
#include <string>

#include "udpkit/limits.hpp"

namespace udpkit {

/// The most datagrams one GSO send may carry (the kernel's UDP_MAX_SEGMENTS).
inline constexpr std::size_t max_gso_segments = 64;
/// The most payload bytes one GSO send may carry: what one IPv4 datagram may (the kernel
/// refuses more than 65535 bytes of IP packet), used for both families.
inline constexpr std::size_t max_gso_bytes = max_payload_ipv4;

/// One datagram of a received buffer.
struct segment {
    std::size_t offset;
    std::size_t size;
};

/// How many datagrams a received buffer of `buffer_bytes` holds when the kernel gave it
/// `segment_size` (0: no GRO, one datagram, which may be empty).
[[nodiscard]] constexpr std::size_t segment_count(std::size_t buffer_bytes,
                                                  std::size_t segment_size) noexcept {
    if (segment_size == 0 || buffer_bytes <= segment_size)
        return 1;
    return (buffer_bytes + segment_size - 1) / segment_size;
}

/// Datagram `i` (< segment_count) of such a buffer: every one `segment_size` bytes, the last
/// the rest.
[[nodiscard]] constexpr segment segment_at(std::size_t buffer_bytes, std::size_t segment_size,
                                           std::size_t i) noexcept {
    if (segment_size == 0)
        return {0, buffer_bytes};
    const std::size_t offset = i * segment_size;
    const std::size_t rest = buffer_bytes - offset;
    return {offset, rest < segment_size ? rest : segment_size};
}

/// A run of datagrams (same destination, same source) that may leave as one GSO send: every
/// one the size of the first, except that the last may be shorter; at most max_gso_segments
/// and max_gso_bytes. Empty datagrams never share a send (a segment size of 0 means none).
class gso_run {
public:
    /// A run that starts with a datagram of `first_size` bytes.
    explicit constexpr gso_run(std::size_t first_size) noexcept
        : segment_size_(first_size), bytes_(first_size) {}

    /// Adds the next datagram of `size` bytes if it may join; false (run unchanged) if not.
    constexpr bool add(std::size_t size) noexcept {
        if (closed_ || segment_size_ == 0 || size == 0 || size > segment_size_ ||
            count_ == max_gso_segments || bytes_ + size > max_gso_bytes)
            return false;
        closed_ = size < segment_size_; // a shorter datagram can only be the last
        ++count_;
        bytes_ += size;
        return true;
    }

    [[nodiscard]] constexpr std::size_t count() const noexcept { return count_; }
    [[nodiscard]] constexpr std::size_t segment_size() const noexcept { return segment_size_; }
    [[nodiscard]] constexpr std::size_t bytes() const noexcept { return bytes_; }

private:
    std::size_t segment_size_;
    std::size_t bytes_;
    std::size_t count_ = 1;
    bool closed_ = false;
};

/// What a socket's offloads did: which path ran, for the tools' reports.
struct offload_counters {
    bool gro = false; ///< UDP_GRO is on: the kernel may hand over several datagrams as one buffer
    /// Offload was asked for but the kernel refused UDP_GRO (before Linux 5.0): one datagram
    /// per buffer, as with offload off, but the report says why.
    bool gro_unavailable = false;
    bool gso = false; ///< runs of datagrams may leave as one send (turned off when refused)
    std::uint64_t gro_buffers = 0;   ///< received buffers that held more than one datagram
    std::uint64_t gro_datagrams = 0; ///< datagrams in those buffers
    std::uint64_t gso_sends = 0;     ///< sends that carried more than one datagram
    std::uint64_t gso_datagrams = 0; ///< datagrams in those sends
    /// GSO sends the kernel refused (EIO: no checksum offload on the interface; EMSGSIZE or
    /// EINVAL: a segment over the path MTU);
    /// GSO was turned off and their datagrams were sent one by one.
    std::uint64_t gso_refusals = 0;
};

/// For people: `offload: GSO on (3 sends carried 192 datagrams), GRO on (3 buffers held 192
/// datagrams)`, a refusal as `GSO refused by the kernel 1 time, then plain sends`, a kernel
/// without UDP_GRO as `GRO unavailable on this kernel (...)`, both off as `offload: off (one
/// datagram per send and per buffer)`.
std::string describe_offload(const offload_counters& c);

/// `gro=on gso=on gro_buffers=3 gro_datagrams=192 gso_sends=3 gso_datagrams=192
/// gso_refusals=0`, or with `json` the same as one JSON object. No newline.
std::string format_offload(const offload_counters& c, bool json);

} // namespace udpkit
