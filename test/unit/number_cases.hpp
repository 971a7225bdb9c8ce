#pragma once
// Values that no number option or field accepts, with the reason udpkit's number parser gives
// (udpkit/number.hpp): shared by the option, script and directory tests so that every number
// is tried with all of them.

#include <string>

namespace udpkit::test {

/// A value refused everywhere and the reason in its message: `"TEXT" is REASON; expected ...`.
struct refused_number {
    const char* text;
    const char* reason;
};

/// Refused by every number (each has a finite range with a minimum of 0 or more).
inline constexpr refused_number refused_everywhere[] = {
    {"nan", "not a number"},   {"-nan", "not a number"},
    {"NaN", "not a number"},   {"nan(1)", "not a number"},
    {"inf", "infinite"},       {"-inf", "infinite"},
    {"+inf", "infinite"},      {"infinity", "infinite"},
    {"-Infinity", "infinite"}, {"1e400", "out of range"},
    {"-1e400", "negative"},    {"-5", "negative"},
    {"-0.5", "negative"},      {"abc", "not a number"},
    {"0x10", "not a number"},  {"1e", "not a number"},
    {"12abc", "not a number"}, {" 1", "not a number"},
    {"--5", "not a number"},   {"99999999999999999999999", "out of range"},
};

/// The message parse_real/parse_whole give for `value`.
inline std::string number_message(const refused_number& value, const std::string& expected) {
    std::string message = "\"";
    message += value.text;
    return message + "\" is " + value.reason + "; expected " + expected;
}

/// The first line of `text`.
inline std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

} // namespace udpkit::test
