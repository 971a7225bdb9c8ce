#pragma once
// Numbers typed by people (command-line options, script arguments, directory values), read one
// way everywhere: decimal only, no locale, no NaN and no infinity, every value checked against a
// finite range. Errors say what is wrong with the value and what is accepted, in one vocabulary:
//
//     "abc" is not a number; expected a number of seconds from 0.001 to 10000000
//     "nan" is not a number; ...          "-inf" is infinite; ...
//     "-5" is negative; expected a whole number of bytes from 1 to 65527
//     "1.5" is not a whole number; ...    "1e400" is out of range; expected ... from 0 to 100
//
// Callers put the option's name (`--burst: `) or the file position in front.

#include <cstdint>
#include <string>
#include <string_view>

#include "udpkit/result.hpp"

namespace udpkit {

/// What a real number must be. Bounds are finite; `min` is accepted unless `above_min`.
struct real_rule {
    double min = 0;
    double max = 0;
    bool above_min = false;             ///< refuse `min` itself: "above 0"
    std::string_view noun = "a number"; ///< e.g. "a number of seconds", "a percentage"
};

/// What a whole number must be: `min` to `max` inclusive.
struct whole_rule {
    std::uint64_t min = 0;
    std::uint64_t max = 0;
    std::string_view noun = "a whole number"; ///< e.g. "a whole number of bytes"
    std::string_view expected = {};           ///< replaces the whole of describe() when not empty
};

/// What is accepted, for messages and help: "a number of seconds from 0.001 to 10000000",
/// "a number above 0, at most 1000000000".
std::string describe(const real_rule& rule);
/// "a whole number of bytes from 1 to 65527", or the rule's own `expected` text.
std::string describe(const whole_rule& rule);

/// A bound or value for people: `10000000`, `0.001`, `1e+30`, never 300 digits.
std::string format_number(double value);

/// Reads a decimal number: optional sign, digits with an optional fraction and exponent
/// (`2`, `+0.5`, `.5`, `1e3`). Refuses, each with its own reason: text that is not such a number
/// (`abc`, `0x10`, ` 1`, ``), NaN in any spelling, infinity (`inf`, `-infinity`, and `1e400`,
/// which does not fit a double), negative values when `min >= 0`, and values out of range.
/// `shown` replaces the quoted text at the start of the message (e.g. the whole token when
/// `text` is a part of it).
result<double> parse_real(std::string_view text, const real_rule& rule,
                          std::string_view shown = {});

/// Reads a whole number: decimal digits exactly (up to 2^64 - 1), or a number in parse_real's
/// form whose value is whole (`1e3`). Refuses what parse_real refuses, and fractions.
result<std::uint64_t> parse_whole(std::string_view text, const whole_rule& rule,
                                  std::string_view shown = {});

/// Reads a percentage written with its sign, `5%`, `0.25%`, `100%` (0% to 100%), and returns it
/// as a probability from 0 to 1. A number without `%` is refused rather than guessed at (is `0.05`
/// five percent or a twentieth of one?): `"5" has no % sign; expected a percentage from 0% to
/// 100%, e.g. 5%`. Other errors are parse_real's, with the same ending.
result<double> parse_percent(std::string_view text);

/// Checks an integer already typed (a TOML integer); the message shows it as `-5`.
result<std::uint64_t> check_whole(std::int64_t value, const whole_rule& rule);
/// Checks a real number that should be whole (a TOML float: `nan`, `inf`, `1.5`, `1472.0`); the
/// message shows it as format_number does.
result<std::uint64_t> check_whole(double value, const whole_rule& rule);

} // namespace udpkit
