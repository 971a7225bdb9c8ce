#pragma once
// Length-prefixed framing for byte streams: what TCP needs and UDP does not. Used by the
// sticky-packet example to show the classic fix (a 4-byte length header before each message).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "udpkit/result.hpp"

namespace udpkit {

/// Size of the length header: 4 bytes, big-endian (network byte order).
inline constexpr std::size_t frame_header_bytes = 4;

/// Appends `message` to `out` with its 4-byte big-endian length in front.
void append_frame(std::string& out, std::string_view message);

/// Splits a byte stream back into messages, however the stream was cut into reads.
class frame_decoder {
public:
    /// Frames longer than `max_message` are an error (a corrupt or hostile length header).
    explicit frame_decoder(std::size_t max_message) : max_message_(max_message) {}

    /// Consumes `bytes`, appending every message completed by them to `messages`.
    /// After an error the decoder stays failed.
    result<void> feed(std::string_view bytes, std::vector<std::string>& messages);

    /// Bytes of an incomplete frame waiting for the rest.
    [[nodiscard]] std::size_t pending() const noexcept { return buffer_.size(); }

private:
    std::size_t max_message_;
    std::string buffer_;
    bool failed_ = false;
};

} // namespace udpkit
