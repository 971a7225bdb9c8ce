#include "udpkit/junit.hpp"

#include <cstdio>

#include "udpkit/render.hpp"

namespace udpkit {
namespace {

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", s);
    return buf;
}

} // namespace

std::string xml_escape(std::string_view text) {
    const std::string safe = render_untrusted(text, render_style::written);
    std::string out;
    out.reserve(safe.size());
    for (std::size_t i = 0; i < safe.size(); ++i) {
        const char c = safe[i];
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
            if (c == '\xef' && i + 2 < safe.size() && safe[i + 1] == '\xbf' &&
                (safe[i + 2] == '\xbe' || safe[i + 2] == '\xbf')) {
                out += safe[i + 2] == '\xbe' ? "\\u{fffe}" : "\\u{ffff}";
                i += 2;
            } else {
                out += c;
            }
        }
    }
    return out;
}

std::string junit_xml(const junit_suite& suite) {
    std::size_t failures = 0, errors = 0;
    double total = 0;
    for (const auto& c : suite.cases) {
        failures += c.failed;
        errors += c.errored;
        total += c.seconds;
    }
    const std::string counts = " tests=\"" + std::to_string(suite.cases.size()) + "\" failures=\"" +
                               std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
                               "\" time=\"" + seconds(total) + "\"";
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" + counts +
                      ">\n  <testsuite name=\"" + xml_escape(suite.name) + "\"" + counts +
                      " skipped=\"0\">\n";
    for (const auto& c : suite.cases) {
        out += "    <testcase name=\"" + xml_escape(c.name) + "\" classname=\"" +
               xml_escape(c.classname) + "\" time=\"" + seconds(c.seconds) + "\"";
        if (c.failed || c.errored) {
            const char* tag = c.errored ? "error" : "failure";
            out += std::string(">\n      <") + tag + " message=\"" + xml_escape(c.message) + "\">" +
                   xml_escape(c.detail) + "</" + tag + ">\n    </testcase>\n";
        } else if (!c.detail.empty()) {
            out +=
                ">\n      <system-out>" + xml_escape(c.detail) + "</system-out>\n    </testcase>\n";
        } else {
            out += "/>\n";
        }
    }
    return out + "  </testsuite>\n</testsuites>\n";
}

junit_suite junit_from_script(std::string_view source,
                              const std::vector<script::step_report>& reports) {
    junit_suite suite{std::string(source), {}};
    for (const auto& r : reports) {
        const bool failed = r.result == script::outcome::failed;
        if (!r.expectation && !failed)
            continue;
        junit_case c;
        c.name = std::to_string(r.pos.line) + ":" + std::to_string(r.pos.column) + " " + r.line;
        if (!r.iteration.empty())
            c.name += " [" + r.iteration + "]"; // as the terminal shows it
        c.classname = std::string(source);
        c.seconds = static_cast<double>(r.finished_ns - r.started_ns) / 1e9;
        c.failed = failed;
        c.message = failed ? r.detail : std::string();
        c.detail = r.detail;
        suite.cases.push_back(std::move(c));
    }
    return suite;
}

junit_suite junit_for_invalid_script(std::string_view source, std::string_view message) {
    junit_case c;
    c.name = std::string(source);
    c.classname = std::string(source);
    c.errored = true;
    c.message = std::string(message);
    c.detail = std::string(message);
    return {std::string(source), {std::move(c)}};
}

} // namespace udpkit
