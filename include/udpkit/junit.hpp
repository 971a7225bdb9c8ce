#pragma once
// JUnit XML reports for CI systems (Jenkins, GitLab, GitHub actions read this format).

#include <string>
#include <string_view>
#include <vector>

#include "udpkit/script.hpp"

namespace udpkit {

/// One <testcase>.
struct junit_case {
    std::string name;
    std::string classname;
    double seconds = 0;
    bool failed = false;
    bool errored = false; ///< could not run at all (an invalid script): <error>, not <failure>
    std::string message;  ///< the failure or error message (a failed or errored case only)
    std::string detail;   ///< more text: inside <failure>/<error>, or <system-out> when passed
};

/// One <testsuite> inside <testsuites>.
struct junit_suite {
    std::string name;
    std::vector<junit_case> cases;
};

/// Escapes text for XML text and attribute values: rendered as by render_untrusted with
/// render_style::written (valid UTF-8, no control characters, which XML 1.0 cannot carry even as
/// references; text that is already rendered, as the step reports are, stays what the terminal
/// showed: nothing is escaped twice), then
/// `& < > " '` as entities and U+FFFE/U+FFFF (not XML characters) as `\u{fffe}`.
std::string xml_escape(std::string_view text);

/// The whole document: XML declaration, <testsuites> with tests/failures/errors counts, one
/// suite.
std::string junit_xml(const junit_suite& suite);

/// A suite with one case per expectation the script ran (an expect inside `repeat 3` gives three),
/// plus one per send that failed. Case names: `LINE:COL expect ... [iteration 2/3]`.
junit_suite junit_from_script(std::string_view source,
                              const std::vector<script::step_report>& reports);

/// The report of a script that could not be loaded (unreadable or invalid): one errored case
/// named after the script, with the error (`t.udps:3:14: invalid regular expression: ...`).
junit_suite junit_for_invalid_script(std::string_view source, std::string_view message);

} // namespace udpkit
