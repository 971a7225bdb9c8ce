#include "udpkit/number.hpp"

#include <charconv>
#include <cmath>

#include "udpkit/render.hpp"

namespace udpkit {
namespace {

// What the text of a number says, before any range is applied.
struct reading {
    enum class kind { finite, not_a_number, infinite, too_large } what = kind::not_a_number;
    double value = 0;
    bool negative = false; // a minus sign before anything but zero
};

// A value already typed (or read from text, its sign applied).
reading reading_of(double value) {
    reading r;
    if (std::isnan(value))
        return r;
    r.what = std::isinf(value) ? reading::kind::infinite : reading::kind::finite;
    r.value = value;
    r.negative = value < 0; // not -0
    return r;
}

bool all_digits(std::string_view s) {
    for (const char c : s)
        if (c < '0' || c > '9')
            return false;
    return !s.empty();
}

reading read(std::string_view text) {
    reading r;
    std::string_view body = text;
    const bool minus = !body.empty() && body[0] == '-';
    if (!body.empty() && (body[0] == '+' || body[0] == '-'))
        body.remove_prefix(1);
    // from_chars takes no '+' and no spaces; a second sign is not a number either.
    if (body.empty() || body[0] == '+' || body[0] == '-')
        return r;
    const char* end = body.data() + body.size();
    double value = 0;
    const auto [ptr, ec] = std::from_chars(body.data(), end, value, std::chars_format::general);
    if (ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range))
        return r; // also "0x10", "1e", "nanx"
    if (ec == std::errc::result_out_of_range) {
        // Too large for a double (1e400) or too small (1e-400, which is 0 for every range here):
        // the exponent's sign tells which; without an exponent only a long integer part can
        // overflow.
        const auto e = body.find_first_of("eE");
        const bool large =
            e != std::string_view::npos
                ? body.substr(e + 1, 1) != "-"
                : body.substr(0, body.find('.')).find_first_not_of('0') != std::string_view::npos;
        r.what = large ? reading::kind::too_large : reading::kind::finite;
        r.value = 0;
        r.negative = minus && large;
        return r;
    }
    return reading_of(minus ? -value : value);
}

unexpected problem(std::string_view shown, const char* what, const std::string& expected) {
    return fail(std::string(shown) + " is " + what + "; expected " + expected);
}

// What is wrong with a reading before its range is looked at, in the order both kinds of
// number report it, or nullptr.
const char* reading_problem(const reading& r, bool refuse_negative) {
    if (r.what == reading::kind::not_a_number)
        return "not a number";
    if (r.what == reading::kind::infinite)
        return "infinite";
    if (r.negative && refuse_negative)
        return "negative";
    if (r.what == reading::kind::too_large)
        return "out of range";
    return nullptr;
}

// The checks shared by text and typed values, once the value is known to be finite or too
// large. `value` is ignored when too large.
result<std::uint64_t> to_whole(const reading& r, std::string_view shown, const whole_rule& rule) {
    const std::string expected = describe(rule);
    if (const char* why = reading_problem(r, true))
        return problem(shown, why, expected);
    if (r.value != std::floor(r.value))
        return problem(shown, "not a whole number", expected);
    // 2^64 is exact as a double; anything at or above it does not fit.
    if (r.value >= 18446744073709551616.0)
        return problem(shown, "out of range", expected);
    const auto whole = static_cast<std::uint64_t>(r.value);
    if (whole < rule.min || whole > rule.max)
        return problem(shown, "out of range", expected);
    return whole;
}

} // namespace

std::string format_number(double value) {
    if (std::isnan(value))
        return std::signbit(value) ? "-nan" : "nan";
    if (std::isinf(value))
        return value < 0 ? "-inf" : "inf";
    char buffer[128];
    const double magnitude = std::fabs(value);
    const bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
    const auto [end, ec] =
        plain ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
              : std::to_chars(buffer, buffer + sizeof buffer, value);
    return ec == std::errc() ? std::string(buffer, end) : std::string("?");
}

std::string describe(const real_rule& rule) {
    if (rule.above_min)
        return std::string(rule.noun) + " above " + format_number(rule.min) + ", at most " +
               format_number(rule.max);
    return std::string(rule.noun) + " from " + format_number(rule.min) + " to " +
           format_number(rule.max);
}

std::string describe(const whole_rule& rule) {
    if (!rule.expected.empty())
        return std::string(rule.expected);
    return std::string(rule.noun) + " from " + std::to_string(rule.min) + " to " +
           std::to_string(rule.max);
}

result<double> parse_real(std::string_view text, const real_rule& rule, std::string_view shown) {
    const std::string quoted = shown.empty() ? quote_untrusted(text) : std::string(shown);
    const std::string expected = describe(rule);
    const reading r = read(text);
    if (const char* why = reading_problem(r, rule.min >= 0))
        return problem(quoted, why, expected);
    if (r.value < rule.min || r.value > rule.max || (rule.above_min && r.value == rule.min))
        return problem(quoted, "out of range", expected);
    return r.value;
}

result<std::uint64_t> parse_whole(std::string_view text, const whole_rule& rule,
                                  std::string_view shown) {
    const std::string quoted = shown.empty() ? quote_untrusted(text) : std::string(shown);
    std::string_view digits = text;
    const bool minus = !digits.empty() && digits[0] == '-';
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-'))
        digits.remove_prefix(1);
    if (!all_digits(digits))
        return to_whole(read(text), quoted, rule);
    // Exactly, without a trip through double: counters go up to 2^62.
    std::uint64_t value = 0;
    const auto ec = std::from_chars(digits.data(), digits.data() + digits.size(), value).ec;
    if (minus && (ec != std::errc() || value != 0))
        return problem(quoted, "negative", describe(rule));
    if (ec != std::errc() || value < rule.min || value > rule.max)
        return problem(quoted, "out of range", describe(rule));
    return value;
}

result<double> parse_percent(std::string_view text) {
    static constexpr std::string_view expected = "a percentage from 0% to 100%, e.g. 5%";
    const std::string quoted = quote_untrusted(text);
    if (text.empty() || text.back() != '%')
        return fail(quoted + (text.empty() ? " is empty" : " has no % sign") + "; expected " +
                    std::string(expected));
    const reading r = read(text.substr(0, text.size() - 1));
    if (const char* why = reading_problem(r, true))
        return problem(quoted, why, std::string(expected));
    if (r.value > 100)
        return problem(quoted, "out of range", std::string(expected));
    return r.value / 100;
}

result<std::uint64_t> check_whole(std::int64_t value, const whole_rule& rule) {
    const std::string shown = std::to_string(value);
    if (value < 0)
        return problem(shown, "negative", describe(rule));
    const auto whole = static_cast<std::uint64_t>(value);
    if (whole < rule.min || whole > rule.max)
        return problem(shown, "out of range", describe(rule));
    return whole;
}

result<std::uint64_t> check_whole(double value, const whole_rule& rule) {
    return to_whole(reading_of(value), format_number(value), rule);
}

} // namespace udpkit
