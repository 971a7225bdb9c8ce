#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "number_cases.hpp"
#include "udpkit/peer_directory.hpp"
#include "udpkit/script.hpp"

using namespace udpkit;
using namespace udpkit::script;
using namespace std::string_literals;

namespace {

constexpr std::uint64_t ms = 1'000'000;

const peer_directory& directory() {
    static const peer_directory d = *peer_directory::parse(R"(
[peers.echo]
address = "127.0.0.1:9007"
[peers.small]
address = "127.0.0.1:9008"
max_message = 8
)",
                                                           "peers.toml");
    return d;
}

parse_context context() {
    parse_context c;
    c.source = "t.udps";
    c.directory = &directory();
    c.read_file = [](const std::string& path) -> result<std::string> {
        static const std::map<std::string, std::string> files = {
            {"hello.bin", std::string("hi\0there", 8)}, {"big.bin", std::string(2000, 'x')}};
        auto it = files.find(path);
        if (it == files.end())
            return fail("cannot open file " + path + ": No such file or directory");
        return it->second;
    };
    return c;
}

result<program> parse_text(const std::string& text) {
    return parse(text, context());
}

// Drives an interpreter: advance() until it waits or finishes, collecting sends.
struct driver {
    program prog;
    interpreter run;
    std::uint64_t now = 0;
    std::vector<std::pair<std::size_t, std::string>> sent;

    explicit driver(const std::string& text) : prog(must(parse_text(text))), run(prog, {}) {}
    static program must(result<program> p) {
        REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
        return std::move(p).value();
    }
    // Runs at `now` until the interpreter waits; returns the action that stopped it.
    action step() {
        for (;;) {
            action a = run.advance(now);
            if (a.what != action::kind::send)
                return a;
            sent.emplace_back(a.target, a.payload);
        }
    }
    void reply(std::string_view bytes, std::size_t from = 0) {
        run.on_datagram(now, from, bytes, bytes.size(), false);
    }
    std::vector<outcome> outcomes() const {
        std::vector<outcome> out;
        for (const auto& r : run.reports())
            out.push_back(r.result);
        return out;
    }
};

} // namespace

TEST_SUITE("unit") {
TEST_CASE("script: a full program parses into commands, targets and counters") {
    auto p = parse_text(R"(# smoke test
target echo
counter req 100
timeout 250ms
send "ping ${seq}"      # comment after a command
expect "ping ${seq}"
send hex "de ad BEEF"
expect hex "de 00 be ef" mask "ff 00 ff ff" within 2s
send file hello.bin
expect size 8
expect size 1..10
expect prefix "hi"
expect regex "^h.*e$"
repeat 3 {
  rate 1000
  send "req ${req} $$ \x41\n"
  expect none within 10ms
}
sleep 5ms
target 127.0.0.1:9009
send ""
)");
    REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
    CHECK(p->targets.size() == 2);
    CHECK(p->targets[0].text == "echo");
    REQUIRE(p->targets[0].peer != nullptr);
    CHECK(p->targets[1].address->port == 9009);
    CHECK(p->counters.size() == 2);
    CHECK(p->counters[1].start == 100);
    CHECK(p->expectations == 7);
    REQUIRE(p->commands.size() == 14);
    CHECK(p->commands[0].kind == op::target);
    CHECK(p->commands[1].line == "send \"ping ${seq}\"");
    CHECK(p->commands[1].pos.line == 5);
    CHECK(p->commands[2].duration_ns == 250 * ms);
    CHECK(*p->commands[3].bytes == "\xde\xad\xbe\xef");
    CHECK(p->commands[4].match.mask == "\xff\x00\xff\xff"s);
    CHECK(p->commands[4].duration_ns == 2000 * ms);
    CHECK(*p->commands[5].bytes == std::string("hi\0there", 8));
    CHECK(p->commands[7].match.max_size == 10);
    const auto& loop = p->commands[10];
    CHECK(loop.kind == op::repeat);
    CHECK(loop.number == 3);
    REQUIRE(loop.body.size() == 3);
    CHECK(loop.steps == 9);
    const auto& text = loop.body[1].payload;
    REQUIRE(text.size() == 3);
    CHECK(text[0].literal == "req ");
    CHECK(text[1].counter == 1);
    CHECK(text[2].literal == " $ A\n");
    CHECK(p->commands[11].duration_ns == 5 * ms);
}

TEST_CASE("script: errors name FILE:LINE:COL and say what is accepted") {
    struct row {
        std::string text;
        std::string where; // FILE:LINE:COL
        std::string says;
    };
    const std::string big_repeat = "target echo\nrepeat 1000001 {\n}\n";
    const row rows[] = {
        {"target echo\nsend \"abc", "t.udps:2:6", "unterminated string"},
        {"target echo\nsend \"a\\qb\"", "t.udps:2:8", "unknown escape \\q"},
        {"target echo\nsend \"\\x4g\"", "t.udps:2:7", "\\x needs two hex digits"},
        {"target echo\nsend \"ab\"cd", "t.udps:2:10", "expected a space after the string"},
        {"target echo\nsend hex \"0a 1g\"", "t.udps:2:15", "bad hex digit \"g\""},
        {"target echo\nsend hex \"0a 1\"", "t.udps:2:14", "odd hex digit"},
        {"target echo\nsend hex zz", "t.udps:2:10", "bad hex digit \"z\""},
        {"target echo\nexpect regex \"a(b\"", "t.udps:2:14",
         "invalid regular expression: missing )"},
        {"target echo\nexpect regex \"(a\"", "t.udps:2:14", "invalid regular expression"},
        {"target echo\n  snd \"x\"", "t.udps:2:3",
         "unknown command \"snd\"; expected target, send"},
        {"repeat 5000000 {\n}", "t.udps:1:8",
         "repeat count \"5000000\" is out of range; expected a whole number from 0 to 1000000"},
        {"repeat many {\n}", "t.udps:1:8", "repeat count \"many\" is not a number"},
        {"repeat 1000 {\nrepeat 1000 {\nrepeat 1000 {\nsleep 1us\n}\n}\n}", "t.udps:1:1",
         "would run more than 10000000 steps"},
        {"sleep 10", "t.udps:1:7",
         "bad duration \"10\": no unit; expected a whole number with a unit"},
        {"sleep 1.5s", "t.udps:1:7", "duration \"1.5s\" is not a whole number"},
        {"sleep 10parsecs", "t.udps:1:7", "duration \"10parsecs\" is not a number"},
        {"sleep 7200s", "t.udps:1:7",
         "duration \"7200s\" is out of range; expected a whole number with a unit us, ms or s, "
         "at most 3600s"},
        {"target echo\nexpect none within 0ms", "t.udps:2:20", "timeout above 0"},
        {"target echo\nsend \"x ${sq}\"", "t.udps:2:9", "unknown variable ${sq}; known: seq"},
        {"target echo\nsend \"x ${seq\"", "t.udps:2:9", "unterminated variable"},
        {"target echo\ncounter 9x", "t.udps:2:9", "bad counter name \"9x\""},
        {"target echo\ncounter seq", "t.udps:2:9", "counter seq is already declared"},
        {"target nobody", "t.udps:1:8",
         "no peer named \"nobody\" in peers.toml; known peers: echo"},
        {"target no.body", "t.udps:1:8", "bad target \"no.body\""},
        {"target 127.0.0.1:99999", "t.udps:1:8", "out of range"},
        {"target 127.0.0.1:0", "t.udps:1:8", "port 0"},
        {"send \"x\"", "t.udps:1:1", "no target for \"send\""},
        {"target small\nsend \"123456789\"", "t.udps:2:6",
         "message of 9 bytes exceeds the limit of 8 bytes"},
        {"target echo\nsend file big.bin", "t.udps:2:11", "exceeds the limit of 1472 bytes"},
        {"target echo\nsend file nope.bin", "t.udps:2:11", "cannot open file nope.bin"},
        {"target echo\nsend bytes", "t.udps:2:6", "send needs a quoted string"},
        {"target echo\nsend", "t.udps:2:5", "missing a quoted string, hex HEX or file PATH"},
        {"target echo\nexpect maybe", "t.udps:2:8", "unknown expectation \"maybe\""},
        {"target echo\nexpect size 10..2", "t.udps:2:13", "size range 10..2 is empty"},
        {"target echo\nexpect size 1..x", "t.udps:2:16", "size \"x\" is not a number"},
        {"target echo\nexpect hex \"00 01\" mask \"ff\"", "t.udps:2:25", "mask has 1 bytes"},
        {"target echo\nexpect \"a\" within", "t.udps:2:18", "missing a duration"},
        {"target echo\nexpect \"a\" extra", "t.udps:2:12", "unexpected \"extra\""},
        {"rate 2000000", "t.udps:1:6",
         "rate \"2000000\" is out of range; expected a whole number from 0 to 1000000"},
        {"repeat 2 {\nsleep 1ms", "t.udps:1:1", "repeat block is not closed"},
        {"sleep 1ms\n}", "t.udps:2:1", "} without an open repeat block"},
        {"repeat 2\n}", "t.udps:1:9", "missing { after \"repeat\""},
        {"\"send\"", "t.udps:1:1", "expected a command, found a string"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto p = parse_text(r.text);
        REQUIRE_FALSE(p);
        const std::string got = p.error().to_string();
        CAPTURE(got);
        CHECK(got.rfind(r.where + ": ", 0) == 0);
        CHECK(got.find(r.says) != std::string::npos);
    }
}

TEST_CASE("script: a regex that would backtrack exponentially elsewhere runs in linear time") {
    driver d("target echo\nexpect regex \"^(a+)+$\"\n");
    CHECK(d.step().what == action::kind::wait);
    d.reply(std::string(5000, 'a') + "!");
    CHECK(d.step().what == action::kind::finished);
    CHECK(d.outcomes() == std::vector<outcome>{outcome::failed});
}

TEST_CASE("script: the command line's TARGET is the initial target") {
    auto c = context();
    c.default_target = "127.0.0.1:7";
    auto p = parse("send \"x\"\n", c);
    REQUIRE(p);
    CHECK(p->initial_target == 0u);
    CHECK(p->targets[0].address->port == 7);
    c.default_target = "nobody";
    auto bad = parse("send \"x\"\n", c);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("no peer named \"nobody\"") != std::string::npos);
}

TEST_CASE("interpreter: send, matching reply, verdict passed") {
    driver d("target echo\nsend \"ping ${seq}\"\nexpect \"ping ${seq}\" within 100ms\n"
             "send \"ping ${seq}\"\nexpect prefix \"ping \"\n");
    auto a = d.step();
    REQUIRE(d.sent.size() == 1);
    CHECK(d.sent[0].second == "ping 0");
    CHECK(a.what == action::kind::wait);
    CHECK(a.until_ns == 100 * ms);
    d.now = 1 * ms;
    d.reply("ping 0");
    a = d.step();
    REQUIRE(d.sent.size() == 2);
    CHECK(d.sent[1].second == "ping 1");
    d.reply("ping 1");
    CHECK(d.step().what == action::kind::finished);
    CHECK(d.run.passed());
    CHECK(d.run.expectations() == 2);
    CHECK(d.outcomes() ==
          std::vector<outcome>{outcome::done, outcome::passed, outcome::done, outcome::passed});
    CHECK(d.run.reports()[1].detail == "got \"ping 0\" (6 bytes) after 1.0 ms");
}

TEST_CASE("interpreter: a wrong reply fails at once; silence fails at the deadline") {
    driver d("target echo\nsend \"a\"\nexpect \"a\" within 50ms\nexpect \"b\" within 50ms\n");
    d.step();
    d.reply("A\x1b[2J");
    auto a = d.step(); // first expect failed; the second now waits
    CHECK(a.what == action::kind::wait);
    CHECK(a.until_ns == 50 * ms);
    d.now = 49 * ms;
    CHECK(d.step().what == action::kind::wait);
    d.now = 50 * ms;
    CHECK(d.step().what == action::kind::finished);
    CHECK_FALSE(d.run.passed());
    CHECK(d.run.failures() == 2);
    const auto& r = d.run.reports();
    CHECK(r[1].detail == "got \"A\\x1b[2J\" (5 bytes) after 0.0 ms, expected \"a\" (1 bytes)");
    CHECK(r[2].detail == "no reply within 50.0 ms");
    CHECK(r[2].pos.line == 4);
}

TEST_CASE("interpreter: hex with mask, size range, regex, expect none") {
    driver d("target echo\nexpect hex \"01 00 03\" mask \"ff 00 ff\"\nexpect size 2..3\n"
             "expect regex \"^[A-Z]+ [0-9]+$\"\nexpect none within 20ms\n"
             "expect none within 20ms\n");
    d.reply("\x01\x7f\x03");
    d.reply("abcd"); // size 4: fails 2..3
    d.reply("PING 42");
    d.step();
    d.now = 20 * ms; // first expect none passes
    d.step();
    d.reply("late");
    CHECK(d.step().what == action::kind::finished);
    CHECK(d.outcomes() == std::vector<outcome>{outcome::passed, outcome::failed, outcome::passed,
                                               outcome::passed, outcome::failed});
    CHECK(d.run.reports()[4].detail == "got \"late\" (4 bytes), expected none");
}

TEST_CASE("interpreter: expect echo compares with the latest send byte for byte") {
    driver d("target echo\nexpect echo within 10ms\nsend \"hello\"\nexpect echo\n"
             "send hex \"00 ff\"\nexpect echo\nsend \"hi ${seq}\"\nexpect echo\n");
    CHECK(d.prog.commands[1].match.kind == match_kind::echo);
    d.step();
    d.reply("stray"); // nothing was sent yet
    d.step();
    d.reply("hello");
    d.step();
    d.reply(std::string("\0\xfe", 2));
    d.step();
    d.reply("hi 2!");
    CHECK(d.step().what == action::kind::finished);
    CHECK(d.outcomes() == std::vector<outcome>{outcome::failed, outcome::done, outcome::passed,
                                               outcome::done, outcome::failed, outcome::done,
                                               outcome::failed});
    const auto& r = d.run.reports();
    CHECK(r[0].detail == "got \"stray\" (5 bytes) after 0.0 ms, expected the echo of a send, but "
                         "nothing was sent before");
    CHECK(r[2].detail == "got \"hello\" (5 bytes) after 0.0 ms");
    CHECK(r[4].detail == "got \"\\0\\xfe\" (2 bytes) after 0.0 ms, expected the echo of the latest "
                         "send, \"\\0\\xff\" (2 bytes): byte 1 is 0xfe instead of 0xff");
    CHECK(r[6].detail == "got \"hi 2!\" (5 bytes) after 0.0 ms, expected the echo of the latest "
                         "send, \"hi 2\" (4 bytes): 5 bytes instead of 4");
    // Parse errors name echo among the expectations.
    auto bad = parse_text("target echo\nexpect echos\n");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("size, echo or none") != std::string::npos);
}

TEST_CASE("interpreter: replies are matched per target; strangers are ignored") {
    driver d("target echo\nsend \"x\"\ntarget 127.0.0.1:9009\nsend \"y\"\nexpect \"Y\"\n"
             "target echo\nexpect \"X\"\n");
    d.step();
    REQUIRE(d.sent.size() == 2);
    CHECK(d.sent[0].first == 0);
    CHECK(d.sent[1].first == 1);
    d.run.on_datagram(0, std::nullopt, "stranger", 8, false);
    d.reply("X", 0);
    d.reply("Y", 1);
    CHECK(d.step().what == action::kind::finished);
    CHECK(d.run.passed());
    CHECK(d.run.ignored() == 1);
}

TEST_CASE("interpreter: repeat, counters and iteration labels") {
    driver d("target echo\ncounter id 7\nrepeat 2 {\nrepeat 2 {\nsend \"${seq}:${id}\"\n}\n"
             "send \"plain\"\n}\nexpect \"${id}\"\n");
    d.reply("8");
    d.step();
    std::vector<std::string> payloads;
    for (const auto& s : d.sent)
        payloads.push_back(s.second);
    // id advances only on sends that mention it; seq on every send.
    CHECK(payloads == std::vector<std::string>{"0:7", "1:8", "plain", "3:9", "4:10", "plain"});
    CHECK(d.run.reports()[0].iteration == "1/2 1/2");
    CHECK(d.run.reports()[4].iteration == "2/2 2/2");
    CHECK(d.run.reports()[5].iteration == "2/2");
    CHECK(d.run.reports()[6].result == outcome::failed); // "8" is not the latest id (10)
}

TEST_CASE("interpreter: rate spaces sends on a schedule; sleep waits") {
    driver d("target echo\nrate 100\nrepeat 3 {\nsend \"x\"\n}\nsleep 5ms\nsend \"y\"\n");
    auto a = d.step();
    CHECK(d.sent.size() == 1);
    CHECK(a.until_ns == 10 * ms);
    d.now = 25 * ms; // late: both remaining slots (10 and 20 ms) are due
    a = d.step();
    CHECK(d.sent.size() == 3);
    CHECK(a.what == action::kind::wait);
    CHECK(a.until_ns == 30 * ms); // the sleep
    d.now = 30 * ms;
    CHECK(d.step().what == action::kind::finished); // after a sleep the schedule restarts
    CHECK(d.sent.size() == 4);
    CHECK(d.run.reports()[3].detail == "slept 5.0 ms");
}

TEST_CASE("interpreter: rate paces every send, also across the expects and sleeps between them") {
    // rate 10 with repeat 5 { send; expect }: replies come at once, the sends 100 ms apart.
    driver d("target echo\nrate 10\nrepeat 5 {\nsend \"x\"\nexpect \"x\"\n}\n"
             "sleep 1ms\nsend \"y\"\n");
    std::vector<std::uint64_t> sent_at;
    for (int i = 0; i < 20 && sent_at.size() < 6; ++i) {
        const std::size_t before = d.sent.size();
        auto a = d.step();
        if (d.sent.size() > before) {
            sent_at.push_back(d.now);
            if (d.sent.back().second == "x")
                d.reply("x");
            continue;
        }
        if (a.what == action::kind::finished)
            break;
        d.now = a.until_ns;
    }
    CHECK(sent_at == std::vector<std::uint64_t>{0, 100 * ms, 200 * ms, 300 * ms, 400 * ms,
                                                500 * ms}); // the sleep ends before y's slot
    // A wait longer than the slot gives no credit: no catch-up burst after it.
    driver late("target echo\nrate 100\nsend \"a\"\nsleep 50ms\nsend \"b\"\nsend \"c\"\n");
    auto a = late.step();
    late.now = a.until_ns; // 50 ms: the sleep is over, b may leave at once
    a = late.step();
    CHECK(late.sent.size() == 2);
    CHECK(a.until_ns == 60 * ms); // c waits a whole slot after b
}

TEST_CASE("script: rate 0 means no limit") {
    driver d("target echo\nrate 100\nsend \"a\"\nrate 0\nsend \"b\"\nsend \"c\"\n");
    CHECK(d.step().what == action::kind::finished);
    CHECK(d.sent.size() == 3);
}

TEST_CASE("script: columns count characters, not bytes") {
    auto p = parse_text("target echo\nsend \"你好\" extra\n");
    REQUIRE_FALSE(p);
    CHECK(p.error().to_string().rfind("t.udps:2:11: unexpected \"extra\"", 0) == 0);
    auto after = parse_text("target echo\nexpect \"é\" within 1x\n"); // é: two bytes, one column
    REQUIRE_FALSE(after);
    CHECK(after.error().to_string().rfind("t.udps:2:19: ", 0) == 0);
    auto q = parse_text("target echo\nsend \"你好\"   # 好\n");
    REQUIRE(q);
    CHECK(q->commands[1].line == "send \"你好\"");
}

TEST_CASE("script: missing duration points at the end of the line") {
    auto p = parse_text("sleep");
    REQUIRE_FALSE(p);
    CHECK(p.error().to_string().rfind("t.udps:1:6: missing a duration", 0) == 0);
}

TEST_CASE("script: a leading byte order mark is accepted, columns after it") {
    auto p = parse_text("\xef\xbb\xbftarget echo\nsend \"x\"\n");
    REQUIRE(p);
    CHECK(p->commands[0].pos.column == 1);
    CHECK(p->commands[0].line == "target echo");
    auto bad = parse_text("\xef\xbb\xbfsnd");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().to_string().rfind("t.udps:1:1: unknown command \"snd\"", 0) == 0);
}

TEST_CASE("script: a switch from an IPv4 to an IPv6 target is an error with FILE:LINE:COL") {
    auto p = parse_text("target echo\nsend \"x\"\ntarget [::1]:9007\n");
    REQUIRE_FALSE(p);
    CHECK(p.error().to_string() ==
          "t.udps:3:8: target [::1]:9007 is IPv6 but target echo (line 1) is IPv4: different IP "
          "families; a script sends from one socket, of one family");
    auto c = context();
    c.default_target = "[::1]:7";
    auto q = parse("target 127.0.0.1:7\n", c);
    REQUIRE_FALSE(q);
    CHECK(q.error().message.find("(the command line's TARGET) is IPv6") != std::string::npos);
    CHECK(parse_text("target 127.0.0.1:1\ntarget echo\ntarget localhost:9\n")); // a name: later
}

TEST_CASE("interpreter: unreachable targets and failed sends fail the script with the cause") {
    driver d("target echo\nsend \"a\"\nexpect \"a\" within 1s\nsend \"b\"\nexpect none\n");
    d.step();
    d.run.on_error(0, 0, "target 127.0.0.1:9007 is not listening");
    auto a = d.step();
    CHECK(a.what == action::kind::wait); // the first expect failed at once; `none` waits
    d.run.send_failed("send to 127.0.0.1:9007: ECONNREFUSED (connection refused)");
    d.run.on_error(0, std::nullopt, "target 127.0.0.1:9007 is not listening");
    CHECK(d.step().what == action::kind::finished);
    const auto& r = d.run.reports();
    CHECK(r[1].detail == "target 127.0.0.1:9007 is not listening");
    CHECK(r[2].result == outcome::failed);
    CHECK(r[2].detail.rfind("not sent: send to 127.0.0.1:9007: ECONNREFUSED", 0) == 0);
    CHECK(r[3].result == outcome::failed);
    CHECK(d.run.failures() == 3);
}

TEST_CASE("interpreter: truncated datagrams never match; the inbox is bounded") {
    driver d("target echo\nexpect size 0..65527\n");
    d.run.on_datagram(0, 0, "abc", 70000, true);
    for (std::size_t i = 0; i < interpreter::max_inbox + 5; ++i)
        d.reply("x");
    CHECK(d.step().what == action::kind::finished);
    CHECK(d.run.reports()[0].result == outcome::failed);
    CHECK(d.run.reports()[0].detail.find("truncated datagram of 70000 bytes") != std::string::npos);
    CHECK(d.run.dropped() == 6);
}
} // TEST_SUITE("unit")

TEST_SUITE("unit") {
// Found by fuzz_script: script text quoted in an error went to the terminal raw.
TEST_CASE("script errors show bad words escaped and cut short") {
    auto bad = parse_text("targ\xac\x1b[2J 127.0.0.1:9\n");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().to_string() ==
          "t.udps:1:1: unknown command \"targ\\xac\\x1b[2J\"; expected target, send, expect, "
          "sleep, rate, timeout, repeat, counter or }");
    auto long_word = parse_text(std::string(5000, 'x') + "\n");
    REQUIRE_FALSE(long_word);
    CHECK(long_word.error().message.find("(5000 bytes)") != std::string::npos);
    CHECK(long_word.error().message.size() < 300);
}

TEST_CASE("script: no number or duration takes NaN, infinity, a negative or a non-number") {
    // Each field, as a line with a hole for the value: "{}" is replaced; the value starts at
    // `column` of the last line.
    struct field {
        std::string line;
        int column;
        std::string what;     // how the message names the field
        std::string expected; // what it says is accepted
    };
    const std::string whole = "a whole number from 0 to ";
    const std::string duration =
        "a whole number with a unit us, ms or s, at most 3600s, e.g. 500ms";
    const field fields[] = {
        {"rate {}", 6, "rate", whole + "1000000"},
        {"repeat {} {", 8, "repeat count", whole + "1000000"},
        {"counter c {}", 11, "counter start", whole + "4611686018427387904"},
        {"target echo\nexpect size {}", 13, "size", whole + "65527"},
        {"target echo\nexpect size {}..9", 13, "size", whole + "65527"},
        {"target echo\nexpect size 1..{}", 16, "size", whole + "65527"},
        {"sleep {}", 7, "duration", duration},
        {"sleep {}ms", 7, "duration", duration},
        {"timeout {}s", 9, "duration", duration},
        {"target echo\nexpect none within {}us", 20, "duration", duration},
    };
    for (const auto& f : fields)
        for (const auto& value : test::refused_everywhere) {
            const std::string text = value.text;
            if (text.find(' ') != std::string::npos)
                continue; // a space ends a word
            const auto hole = f.line.find("{}");
            const std::string script = f.line.substr(0, hole) + text + f.line.substr(hole + 2);
            // Durations show the whole word, unit and all.
            const auto word_end = f.line.find_first_of(" .", hole + 2);
            std::string shown =
                f.line.substr(0, word_end == std::string::npos ? f.line.size() : word_end);
            shown = text + shown.substr(hole + 2);
            const int line = script.find('\n') == std::string::npos ? 1 : 2;
            CAPTURE(script);
            auto p = parse_text(script + (f.what == "repeat count" ? "\n}" : ""));
            REQUIRE_FALSE(p);
            CHECK(p.error().to_string() ==
                  "t.udps:" + std::to_string(line) + ":" + std::to_string(f.column) + ": " +
                      f.what + " " +
                      test::number_message({shown.c_str(), value.reason}, f.expected));
        }
}

TEST_CASE("script: numbers in range, with readable caps") {
    struct row {
        std::string text;
        std::string error; // whole, with FILE:LINE:COL
    };
    const row rows[] = {
        {"rate 1.5", "t.udps:1:6: rate \"1.5\" is not a whole number; expected a whole number "
                     "from 0 to 1000000"},
        {"rate \"5\"", "t.udps:1:6: rate \"5\" is a quoted string; expected a whole number "
                       "from 0 to 1000000"},
        {"counter c 4611686018427387905",
         "t.udps:1:11: counter start \"4611686018427387905\" is out of range; expected a whole "
         "number from 0 to 4611686018427387904"},
        {"target echo\nexpect size 65528",
         "t.udps:2:13: size \"65528\" is out of range; expected a whole number from 0 to 65527"},
        {"sleep 3600001ms", "t.udps:1:7: duration \"3600001ms\" is out of range; expected a "
                            "whole number with a unit us, ms or s, at most 3600s, e.g. 500ms"},
        {"sleep 18446744073709551616us",
         "t.udps:1:7: duration \"18446744073709551616us\" is out of range; expected a whole "
         "number with a unit us, ms or s, at most 3600s, e.g. 500ms"},
        {"sleep soon", "t.udps:1:7: duration \"soon\" is not a number; expected a whole number "
                       "with a unit us, ms or s, at most 3600s, e.g. 500ms"},
        {"sleep 5", "t.udps:1:7: bad duration \"5\": no unit; expected a whole number with a "
                    "unit us, ms or s, at most 3600s, e.g. 500ms"},
        {"sleep \"5s\"", "t.udps:1:7: bad duration \"5s\": a quoted string; expected a whole "
                         "number with a unit us, ms or s, at most 3600s, e.g. 500ms"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        auto p = parse_text(r.text);
        REQUIRE_FALSE(p);
        CHECK(p.error().to_string() == r.error);
    }
    auto p = parse_text("rate 1e3\nsleep 3600s\nsleep +2ms\ncounter c 4611686018427387904\n"
                        "repeat 1E1 {\n}\n");
    REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
    CHECK(p->commands[0].number == 1000);
    CHECK(p->commands[1].duration_ns == 3'600'000 * ms);
    CHECK(p->commands[2].duration_ns == 2 * ms);
    CHECK(p->counters.at(1).start == 4611686018427387904u);
    CHECK(p->commands[3].number == 10);
}
} // TEST_SUITE("unit")
