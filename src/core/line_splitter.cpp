#include "udpkit/line_splitter.hpp"

#include <algorithm>

namespace udpkit {

void line_splitter::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto newline = bytes.find('\n');
        const auto piece = bytes.substr(0, newline);
        // Keep at most max_line_ bytes but count them all.
        current_.text.append(
            piece.substr(0, max_line_ - std::min(current_.text.size(), max_line_)));
        current_.size += piece.size();
        if (!piece.empty())
            last_was_cr_ = piece.back() == '\r';
        if (newline == std::string_view::npos)
            return;
        end_line();
        bytes.remove_prefix(newline + 1);
    }
}

void line_splitter::finish() {
    if (finished_)
        return;
    finished_ = true;
    if (current_.size > 0)
        end_line();
}

void line_splitter::end_line() {
    // CRLF input: the '\r' is part of the line end, not of the message (whether or not it was
    // among the bytes kept of an overlong line).
    if (last_was_cr_) {
        if (current_.text.size() == current_.size)
            current_.text.pop_back();
        --current_.size;
    }
    current_.overlong = current_.size > max_line_;
    ready_.push_back(std::move(current_));
    current_ = {};
    last_was_cr_ = false;
}

std::optional<input_line> line_splitter::next() {
    if (ready_.empty())
        return std::nullopt;
    input_line line = std::move(ready_.front());
    ready_.pop_front();
    return line;
}

} // namespace udpkit
