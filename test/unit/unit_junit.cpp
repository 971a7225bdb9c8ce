#include <doctest/doctest.h>

#include <string>

#include "udpkit/junit.hpp"

using namespace udpkit;

namespace {
bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}
} // namespace

TEST_SUITE("unit") {
TEST_CASE("xml_escape: markup, quotes, controls, invalid UTF-8 and non-characters") {
    CHECK(xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
    CHECK(xml_escape("]]>") == "]]&gt;");
    CHECK(xml_escape(std::string("\0\x01\x1b[31m\n", 8)) == "\\0\\x01\\x1b[31m\\n");
    CHECK(xml_escape("\xff\xfe") == "\\xff\\xfe");
    CHECK(xml_escape("x\xef\xbf\xbey\xef\xbf\xbf") == "x\\u{fffe}y\\u{ffff}");
    CHECK(xml_escape("héllo ✓") == "héllo ✓");
}

TEST_CASE("junit_xml: counts, one testcase per case, failures with messages") {
    junit_suite s{"smoke <1>", {}};
    s.cases.push_back({"3:1 expect \"a\"", "smoke", 0.0015, false, false, "", "got \"a\""});
    s.cases.push_back(
        {"4:1 expect \"b\"", "smoke", 0.5, true, false, "no reply within 500.0 ms", ""});
    s.cases.push_back({"5:1 expect none", "smoke", 0.1, false, false, "", ""});
    const auto xml = junit_xml(s);
    CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"3\" "
                    "failures=\"1\"",
                    0) == 0);
    CHECK(contains(xml, "<testsuite name=\"smoke &lt;1&gt;\" tests=\"3\" failures=\"1\""));
    CHECK(contains(xml, "<testcase name=\"3:1 expect &quot;a&quot;\" classname=\"smoke\" "
                        "time=\"0.001500\">\n      <system-out>got &quot;a&quot;</system-out>"));
    CHECK(contains(xml, "<failure message=\"no reply within 500.0 ms\">"));
    CHECK(contains(xml, "<testcase name=\"5:1 expect none\" classname=\"smoke\" "
                        "time=\"0.100000\"/>"));
    CHECK(contains(xml, "</testsuite>\n</testsuites>\n"));
}

TEST_CASE("junit_from_script: expectations and failed sends become cases, other steps not") {
    using script::outcome;
    std::vector<script::step_report> reports(4);
    reports[0] = {{2, 1}, "send \"a\"", "", false, outcome::done, "sent", 0, 1000};
    reports[1] = {{3, 1}, "expect \"a\"", "1/2", true, outcome::passed, "got \"a\"", 0, 2000000};
    reports[2] = {{4, 1}, "sleep 1ms", "", false, outcome::done, "slept", 0, 1};
    reports[3] = {{5, 1}, "send \"b\"", "", false, outcome::failed, "not sent: \x1b", 0, 1};
    const auto s = junit_from_script("t.udps", reports);
    REQUIRE(s.cases.size() == 2);
    CHECK(s.cases[0].name == "3:1 expect \"a\" [1/2]"); // the terminal's form
    CHECK(s.cases[0].seconds == doctest::Approx(0.002));
    CHECK_FALSE(s.cases[0].failed);
    CHECK(s.cases[1].failed);
    CHECK(s.cases[1].message == "not sent: \x1b");
    CHECK(contains(junit_xml(s), "message=\"not sent: \\x1b\""));
}
TEST_CASE("junit holds what the terminal showed: rendered step text is not escaped twice") {
    using script::outcome;
    std::vector<script::step_report> reports(1);
    // the line as written in the script, the detail as the interpreter rendered it
    reports[0] = {{3, 1},          "expect \"esc: \\n\"",         "", true,
                  outcome::failed, "got \"a\\\"b\\n\" (4 bytes)", 0,  1};
    const auto xml = junit_xml(junit_from_script("t.udps", reports));
    CHECK(contains(xml, "name=\"3:1 expect &quot;esc: \\n&quot;\""));
    CHECK(contains(xml, "message=\"got &quot;a\\&quot;b\\n&quot; (4 bytes)\""));
    CHECK_FALSE(contains(xml, "\\\\"));
}
TEST_CASE("junit: an invalid script gives a report with one error test case") {
    const auto xml = junit_xml(junit_for_invalid_script(
        "bad.udps", "bad.udps:2:14: invalid regular expression: missing ): ^h(i"));
    CHECK(contains(xml, "<testsuites tests=\"1\" failures=\"0\" errors=\"1\""));
    CHECK(contains(xml, "<testcase name=\"bad.udps\" classname=\"bad.udps\" time=\"0.000000\">\n"
                        "      <error message=\"bad.udps:2:14: invalid regular expression: "
                        "missing ): ^h(i\">"));
    CHECK(contains(xml, "</error>\n    </testcase>"));
}
} // TEST_SUITE("unit")
