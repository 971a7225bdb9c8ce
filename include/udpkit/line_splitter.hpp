#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace udpkit {

/// One line of input, without its line end.
struct input_line {
    std::string text;      ///< the line's bytes (only the first max_line bytes when overlong)
    std::size_t size = 0;  ///< the line's real length in bytes, also when overlong
    bool overlong = false; ///< longer than max_line: `text` is cut and must not be used as whole
};

/// Splits a byte stream (stdin read in chunks) into lines. `\n` ends a line and a `\r` just before
/// it is dropped (CRLF input). A final line without `\n` is returned by finish(). Memory is
/// bounded: a line longer than `max_line` keeps only its first `max_line` bytes and is marked
/// overlong, with its full length counted, so that a caller can refuse it by size without buffering
/// it.
class line_splitter {
public:
    explicit line_splitter(std::size_t max_line) : max_line_(max_line) {}

    /// Adds bytes; complete lines become available through next().
    void feed(std::string_view bytes);
    /// Marks the end of input: a pending unterminated line becomes available through next().
    void finish();
    /// The next complete line, or nullopt when more input is needed.
    std::optional<input_line> next();
    /// True when finish() was called and every line was taken.
    [[nodiscard]] bool done() const noexcept { return finished_ && ready_.empty(); }
    /// Complete lines not yet taken (a reader pauses its input while there are some).
    [[nodiscard]] std::size_t ready() const noexcept { return ready_.size(); }

private:
    void end_line();

    std::size_t max_line_;
    std::deque<input_line> ready_;
    input_line current_;
    bool last_was_cr_ = false; // the last byte fed to current_ was '\r'
    bool finished_ = false;
};

} // namespace udpkit
