#include <doctest/doctest.h>

#include <cstddef>
#include <string>

#include "udpkit/terminal_layout.hpp"

using namespace udpkit;

namespace {

// The cursor's row after `prompt_columns` columns of a prompt (width 1 each) and the characters
// of `widths`, one digit each, on a terminal `columns` wide.
std::size_t row_after(std::size_t columns, std::size_t prompt_columns, const std::string& widths) {
    terminal_cursor cursor(columns);
    for (std::size_t i = 0; i < prompt_columns; ++i)
        cursor.put(1);
    for (char w : widths)
        cursor.put(static_cast<std::size_t>(w - '0'));
    return cursor.row();
}

} // namespace

TEST_SUITE("unit") {
TEST_CASE("terminal_cursor: single-width text wraps every `columns` columns") {
    CHECK(row_after(10, 0, "") == 0);
    CHECK(row_after(10, 9, "") == 0);
    CHECK(row_after(10, 10, "") == 1); // a full row: the cursor is at the next one's start
    CHECK(row_after(10, 19, "") == 1);
    CHECK(row_after(10, 25, "") == 2);
    CHECK(row_after(1, 3, "") == 3);
    CHECK(row_after(0, 3, "") == 3); // 0 columns count as 1
}

TEST_CASE("terminal_cursor: a double-width character that does not fit starts the next row") {
    CHECK(row_after(10, 8, "2") == 1);  // fills the row exactly
    CHECK(row_after(10, 9, "2") == 1);  // column 9 stays empty; it takes 0-1 of row 1
    CHECK(row_after(10, 9, "21") == 1); // so the next one fits on row 1 too
    CHECK(row_after(10, 9, "1") == 1);
    CHECK(row_after(3, 0, "22") == 1); // one per row: the 3rd column of each stays empty
    CHECK(row_after(3, 0, "222") == 2);
    CHECK(row_after(3, 0, "2222") == 3); // 8 columns, yet 4 rows: 8 / 3 would say 2
    // Combining marks take no column.
    CHECK(row_after(10, 9, "0") == 0);
    CHECK(row_after(10, 8, "10") == 0);
}

TEST_CASE("terminal_cursor: 32 CJK characters after the chat's prompt at 25 columns") {
    // "[to bob]> " is 10 columns: 7 characters fit on the first row (column 24 stays empty),
    // 12 on each of the next two, and the 32nd is on the 4th row. 74 / 25 would say the 3rd.
    CHECK(row_after(25, 10, std::string(32, '2')) == 3);
    CHECK(row_after(25, 10, std::string(31, '2')) == 2); // the last of row 2, at columns 22-23
    CHECK(row_after(25, 10, std::string(20, '2')) == 2);
    CHECK(row_after(25, 10, std::string(19, '2')) == 1);
    CHECK(row_after(25, 10, std::string(8, '2')) == 1);
    CHECK(row_after(25, 10, std::string(7, '2')) == 0);
}

TEST_CASE("terminal_cursor: a character wider than the terminal takes a row of its own") {
    CHECK(row_after(1, 0, "2") == 1);
    CHECK(row_after(1, 0, "22") == 2);
    CHECK(row_after(1, 1, "2") == 2);
}
} // TEST_SUITE("unit")
