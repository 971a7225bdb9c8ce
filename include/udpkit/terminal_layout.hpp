#pragma once
// Where text lands on a terminal that wraps it at its width, for a line editor that must find
// the first row of what it drew after the terminal rewrapped it (a resize).

#include <cstddef>

namespace udpkit {

/// The cursor of a terminal `columns` wide that wraps automatically, as characters are written
/// from the start of a row. A character that does not fit in what is left of a row starts the
/// next one, so a double-width character (CJK) at a row's last column leaves that column empty,
/// as terminals and readline draw it.
class terminal_cursor {
public:
    /// `columns` 0 counts as 1.
    explicit terminal_cursor(std::size_t columns) noexcept : columns_(columns ? columns : 1) {}

    /// Writes one character `width` columns wide (0 for a combining mark, 1, or 2).
    void put(std::size_t width) noexcept;

    /// The row the cursor is on, 0 for the first: after a row filled to its end, the start of
    /// the next (readline moves the cursor there).
    [[nodiscard]] std::size_t row() const noexcept;

private:
    std::size_t columns_;
    std::size_t row_ = 0;
    std::size_t column_ = 0;
};

} // namespace udpkit
