#include "udpkit/framing.hpp"

namespace udpkit {

void append_frame(std::string& out, std::string_view message) {
    const auto n = static_cast<std::uint32_t>(message.size());
    out += static_cast<char>(n >> 24);
    out += static_cast<char>(n >> 16);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n);
    out.append(message);
}

result<void> frame_decoder::feed(std::string_view bytes, std::vector<std::string>& messages) {
    if (failed_)
        return fail("frame decoder stopped after an earlier error");
    buffer_.append(bytes);
    std::size_t at = 0;
    while (buffer_.size() - at >= frame_header_bytes) {
        const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + at);
        const std::size_t length = (std::size_t{h[0]} << 24) | (std::size_t{h[1]} << 16) |
                                   (std::size_t{h[2]} << 8) | std::size_t{h[3]};
        if (length > max_message_) {
            failed_ = true;
            return fail("frame header announces " + std::to_string(length) +
                        " bytes; the limit is " + std::to_string(max_message_));
        }
        if (buffer_.size() - at - frame_header_bytes < length)
            break;
        messages.emplace_back(buffer_, at + frame_header_bytes, length);
        at += frame_header_bytes + length;
    }
    buffer_.erase(0, at);
    return {};
}

} // namespace udpkit
