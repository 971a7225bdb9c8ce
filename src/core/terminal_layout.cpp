#include "udpkit/terminal_layout.hpp"

namespace udpkit {

void terminal_cursor::put(std::size_t width) noexcept {
    if (width == 0)
        return;
    if (column_ > 0 && column_ + width > columns_) {
        ++row_;
        column_ = 0;
    }
    column_ += width;
}

std::size_t terminal_cursor::row() const noexcept {
    return row_ + (column_ >= columns_ ? 1 : 0);
}

} // namespace udpkit
