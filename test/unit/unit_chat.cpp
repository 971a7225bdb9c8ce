#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "udpkit/chat.hpp"
#include "udpkit/hex.hpp"
#include "udpkit/json.hpp"

using namespace udpkit;

namespace {
const char* directory_text = R"(
[peers.alice]
address = "127.0.0.1:9001"
[peers.bob]
address = "127.0.0.1:9002"
max_message = 512
[peers.carol]
address = "127.0.0.1:9003"
max_message = 8
)";

struct fixture {
    peer_directory dir = peer_directory::parse(directory_text, "peers.toml").value();
    const peer& alice = *dir.find("alice");
    const peer& bob = *dir.find("bob");
    const peer& carol = *dir.find("carol");
    ip_endpoint stranger = ip_endpoint::parse("127.0.0.1:40000").value();

    chat_session session(const peer* target = nullptr, chat_session::settings s = {}) {
        return chat_session(dir, alice, target, s);
    }
};

// 2024-05-01 12:34:56.789 UTC.
constexpr chat_time noon{1714566896789, 0};
} // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("chat: time formats, local and UTC") {
    CHECK(format_clock(noon) == "12:34:56");
    CHECK(format_clock({noon.unix_ms, 2 * 3600}) == "14:34:56");
    CHECK(format_clock({noon.unix_ms, -13 * 3600}) == "23:34:56");
    CHECK(format_utc(noon) == "2024-05-01T12:34:56.789Z");
    CHECK(format_utc({1714566896005, 3600}) == "2024-05-01T12:34:56.005Z");
    CHECK(format_utc({-1, 0}) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("chat: parsing typed lines") {
    using kind = chat_command::kind;
    struct row {
        const char* line;
        kind what;
        const char* text;
    };
    const row rows[] = {
        {"hello there", kind::message, "hello there"},
        {"  spaced  ", kind::message, "  spaced  "},
        {"", kind::blank, ""},
        {" \t ", kind::blank, ""},
        {"//etc/passwd is a path", kind::message, "/etc/passwd is a path"},
        {"/to bob", kind::to, "bob"},
        {"/to   bob  ", kind::to, "bob"},
        {"/to", kind::to, ""},
        {"/all hello  all", kind::all, "hello  all"},
        {"/all", kind::all, ""},
        {"/all   ", kind::all, ""},
        {"/who", kind::who, ""},
        {"/join team", kind::join, "team"},
        {"/join  \tteam \t", kind::join, "team"},
        {"/join", kind::join, ""},
        {"/leave team", kind::leave, "team"},
        {"/leave", kind::leave, ""},
        {"/to team", kind::to, "team"},
        {"/jointeam", kind::unknown, "/jointeam"},
        {"/JOIN team", kind::unknown, "/JOIN"},
        {"/help", kind::help, ""},
        {"/quit", kind::quit, ""},
        {"/quit now", kind::unknown, "/quit"},
        {"/QUIT", kind::unknown, "/QUIT"},
        {"/tobob", kind::unknown, "/tobob"},
        {"/", kind::unknown, "/"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.line);
        auto c = parse_chat_command(r.line);
        CHECK(c.what == r.what);
        CHECK(c.text == r.text);
    }
}

TEST_CASE("chat: a plain line goes to the current target; /to changes it") {
    fixture f;
    auto s = f.session(&f.bob);
    CHECK(s.prompt() == "[to bob]> ");
    auto r = s.on_command_line("hi bob");
    REQUIRE(r.send_to.size() == 1);
    CHECK(r.send_to[0] == &f.bob);
    CHECK(r.payload == "hi bob");
    CHECK(r.notices.empty());

    r = s.on_command_line("/to carol");
    CHECK(r.send_to.empty());
    CHECK(s.target() == &f.carol);
    CHECK(s.prompt() == "[to carol]> ");
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0] == "now talking to carol at 127.0.0.1:9003");

    r = s.on_command_line("/to dave");
    CHECK(s.target() == &f.carol);
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0] ==
          "no peer named \"dave\"; known peers: alice, bob, carol (or give an address, e.g. /to "
          "127.0.0.1:9001)");

    r = s.on_command_line("/to");
    CHECK(r.notices == std::vector<std::string>{"talking to carol"});
}

TEST_CASE("chat: without a target nothing is sent and the user is told how to pick one") {
    fixture f;
    auto s = f.session();
    CHECK(s.prompt() == "[/to PEER]> ");
    auto r = s.on_command_line("hello?");
    CHECK(r.send_to.empty());
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0] == "no one to talk to yet: pick a peer with /to PEER or --to PEER (known: "
                          "alice, bob, carol); line not sent");
    CHECK(s.counters().not_sent == 1);
    r = s.on_message_line("piped");
    CHECK(r.send_to.empty());
    CHECK(s.counters().not_sent == 2);
}

TEST_CASE("chat: empty and blank typed lines are not sent") {
    fixture f;
    auto s = f.session(&f.bob);
    for (const char* line : {"", "   ", "\t"}) {
        CHECK(s.on_command_line(line).send_to.empty());
        CHECK(s.on_command_line(line).notices.empty());
    }
    CHECK(s.on_message_line("").send_to.empty());
    CHECK(s.counters().not_sent == 0);
}

TEST_CASE("chat: piped whitespace-only lines are sent verbatim, never dropped silently") {
    fixture f;
    auto s = f.session(&f.bob);
    for (const char* line : {"   ", "\t", " \t "}) {
        auto r = s.on_message_line(line);
        CHECK(r.send_to == std::vector<const peer*>{&f.bob});
        CHECK(r.payload == line);
    }
}

TEST_CASE("chat: /to ADDR and /reply answer an unknown sender") {
    fixture f;
    auto s = f.session(&f.bob);
    CHECK(s.on_command_line("/reply").notices ==
          std::vector<std::string>{"no one has written to us yet; nothing to reply to"});
    s.on_datagram("hi from nowhere", 15, f.stranger, noon);
    CHECK(s.on_command_line("/reply").notices ==
          std::vector<std::string>{
              "now talking to 127.0.0.1:40000 (not in peers.toml; limit 1472 bytes)"});
    CHECK(s.prompt() == "[to 127.0.0.1:40000]> ");
    auto r = s.on_command_line("hello stranger");
    REQUIRE(r.send_to.size() == 1);
    CHECK(r.send_to[0]->address == f.stranger);
    CHECK(r.payload == "hello stranger");
    s.on_datagram("bob here", 8, f.bob.address, noon);
    s.on_command_line("/reply");
    CHECK(s.target() == &f.bob); // a known sender is answered as the peer it is
    s.on_command_line("/to 127.0.0.1:40001");
    CHECK(s.prompt() == "[to 127.0.0.1:40001]> ");
    s.on_command_line("/to 127.0.0.1:9003");
    CHECK(s.target() == &f.carol);
}

TEST_CASE("chat: /all does not list yourself") {
    fixture f;
    auto s = f.session(&f.bob);
    CHECK(s.on_command_line("/all").notices ==
          std::vector<std::string>{"now talking to everyone: bob, carol"});
}

TEST_CASE("chat: /to BOB and names ignore case, as the directory's uniqueness does") {
    fixture f;
    auto s = f.session();
    CHECK(s.on_command_line("/to BOB").notices ==
          std::vector<std::string>{"now talking to bob at 127.0.0.1:9002"});
    CHECK(s.target() == &f.bob);
    CHECK(f.dir.require("Carol").value() == &f.carol);
}

TEST_CASE("chat: a peer of the other IP family is not sent to: different IP families") {
    auto dir = peer_directory::parse("[peers.alice]\naddress = \"127.0.0.1:9001\"\n"
                                     "[peers.six]\naddress = \"[::1]:9002\"\n",
                                     "peers.toml")
                   .value();
    chat_session s(dir, *dir.find("alice"), dir.find("six"), {});
    auto r = s.on_message_line("hello");
    CHECK(r.send_to.empty());
    CHECK(r.notices == std::vector<std::string>{"six ([::1]:9002) and we (alice) are of different "
                                                "IP families (IPv4 to IPv6); not sent"});
    CHECK(s.counters().not_sent == 1);
}

TEST_CASE("chat: /all sends to every other peer, each checked against its own limit") {
    fixture f;
    auto s = f.session(&f.bob);
    auto r = s.on_command_line("/all hello");
    CHECK(r.send_to == std::vector<const peer*>{&f.bob, &f.carol});
    CHECK(r.payload == "hello");
    CHECK(s.prompt() == "[to bob]> "); // /all TEXT does not change the target

    r = s.on_command_line("/all twelve bytes");
    CHECK(r.send_to == std::vector<const peer*>{&f.bob});
    CHECK(r.notices ==
          std::vector<std::string>{"line of 12 bytes exceeds carol's limit of 8 bytes; not sent"});
    CHECK(s.counters().not_sent == 1);

    r = s.on_command_line("/all");
    CHECK(r.send_to.empty());
    CHECK(s.prompt() == "[to all]> ");
    r = s.on_command_line("to all");
    CHECK(r.send_to == std::vector<const peer*>{&f.bob, &f.carol});
}

TEST_CASE("chat: a line over the peer's limit is refused with its size, never cut") {
    fixture f;
    auto s = f.session(&f.bob);
    CHECK(s.on_message_line(std::string(512, 'a')).send_to.size() == 1);
    auto r = s.on_message_line(std::string(513, 'a'));
    CHECK(r.send_to.empty());
    CHECK(r.payload.empty());
    CHECK(r.notices ==
          std::vector<std::string>{"line of 513 bytes exceeds bob's limit of 512 bytes; not sent"});
    // Bytes, not characters: 171 Chinese characters are 513 bytes of UTF-8.
    std::string chinese;
    for (int i = 0; i < 171; ++i)
        chinese += "你";
    CHECK(s.on_message_line(chinese).notices[0] ==
          "line of 513 bytes exceeds bob's limit of 512 bytes; not sent");
    r = s.on_overlong_line(70000);
    CHECK(r.notices == std::vector<std::string>{
                           "line of 70000 bytes exceeds bob's limit of 512 bytes; not sent"});
    CHECK(s.counters().not_sent == 3);
}

TEST_CASE("chat: piped lines are messages, also when they look like commands") {
    fixture f;
    auto s = f.session(&f.bob);
    auto r = s.on_message_line("/quit");
    CHECK_FALSE(r.quit);
    CHECK(r.payload == "/quit");
    CHECK(s.on_command_line("/quit").quit);
}

TEST_CASE("chat: /who lists peers with addresses and limits; /help and unknown commands") {
    fixture f;
    auto s = f.session(&f.bob);
    auto r = s.on_command_line("/who");
    CHECK(r.notices == std::vector<std::string>{
                           "peers in peers.toml:",
                           "  alice  127.0.0.1:9001  max 1472 bytes  (you)",
                           "  bob    127.0.0.1:9002  max 512 bytes  <- talking to",
                           "  carol  127.0.0.1:9003  max 8 bytes",
                       });
    CHECK(s.on_command_line("/help").notices == chat_session::help());
    r = s.on_command_line("/nick \x1b[2J");
    REQUIRE(r.notices.size() == chat_session::help().size() + 1);
    CHECK(r.notices[0] ==
          "unknown command /nick (start a message with // to send it with a leading /)");
    CHECK(r.send_to.empty());
}

TEST_CASE("chat: received messages are labelled by the directory, never by the message") {
    fixture f;
    auto s = f.session(&f.bob);
    CHECK(s.on_datagram("hello", 5, f.bob.address, noon) == "[12:34:56] bob: hello");
    CHECK(s.on_datagram("你好", 6, f.bob.address, noon) == "[12:34:56] bob: 你好");
    CHECK(s.on_datagram("bob: hi", 7, f.stranger, noon) ==
          "[12:34:56] 127.0.0.1:40000 (unknown): bob: hi");
    // \r cannot return to the start of the line to forge a name; ESC and BEL show escaped.
    CHECK(s.on_datagram("x\r[12:34:56] bob: forged", 24, f.stranger, noon) ==
          "[12:34:56] 127.0.0.1:40000 (unknown): x\\r[12:34:56] bob: forged");
    CHECK(s.on_datagram("\x1b]0;pwned\x07\x1b[2J", 14, f.carol.address, noon) ==
          "[12:34:56] carol: \\x1b]0;pwned\\x07\\x1b[2J");
    CHECK(s.on_datagram("\xff\xfeok", 4, f.bob.address, noon) == "[12:34:56] bob: \\xff\\xfeok");
    CHECK(s.on_datagram("", 0, f.bob.address, noon) == "[12:34:56] bob (empty)");
    // One final line end (from nc and other line-oriented senders) is not shown; others are.
    CHECK(s.on_datagram("from nc\n", 8, f.bob.address, noon) == "[12:34:56] bob: from nc");
    CHECK(s.on_datagram("crlf\r\n", 6, f.bob.address, noon) == "[12:34:56] bob: crlf");
    CHECK(s.on_datagram("two\n\n", 5, f.bob.address, noon) == "[12:34:56] bob: two\\n");
    CHECK(s.on_datagram("\n", 1, f.bob.address, noon) == "[12:34:56] bob: \\n");
    CHECK(s.counters().received == 11);
    CHECK(s.counters().shown == 11);
}

TEST_CASE("chat: a datagram over our limit is shown as truncated with its size") {
    fixture f;
    // carol's limit is 8 bytes.
    chat_session s(f.dir, f.carol, &f.bob, {});
    const std::string big(65507, 'A');
    CHECK(s.on_datagram(big, big.size(), f.bob.address, noon) ==
          "[12:34:56] bob (truncated: 65507 bytes, over our limit of 8): AAAAAAAA");
    CHECK(s.on_datagram("12345678", 8, f.bob.address, noon) == "[12:34:56] bob: 12345678");
    CHECK(s.counters().truncated == 1);
    CHECK(s.counters().shown == 2);
}

TEST_CASE("chat: --known-only drops and counts unknown senders") {
    fixture f;
    auto s = f.session(&f.bob, {chat_format::text, true, 0});
    CHECK_FALSE(s.on_datagram("spam", 4, f.stranger, noon));
    CHECK(s.on_datagram("hi", 2, f.bob.address, noon) == "[12:34:56] bob: hi");
    const auto& c = s.counters();
    CHECK(c.received == 2);
    CHECK(c.shown == 1);
    CHECK(c.dropped_unknown == 1);
    CHECK(s.summary() == "received 2, shown 1, dropped 1 (known-only 1, over display rate 0, "
                         "own 0), truncated 0; sent 0, not sent 0, unreachable 0, rooms not "
                         "joined 0");
}

TEST_CASE("chat: the display rate caps unknown senders per second, never known peers") {
    fixture f;
    auto s = f.session(&f.bob, {chat_format::text, false, 3});
    int shown = 0;
    for (int i = 0; i < 10; ++i)
        shown += s.on_datagram("x", 1, f.stranger, noon).has_value();
    CHECK(shown == 3);
    for (int i = 0; i < 10; ++i)
        CHECK(s.on_datagram("still here", 10, f.bob.address, noon));
    CHECK(s.take_suppressed_notice() == "7 messages from unknown senders not shown (over 3 a "
                                        "second); --known-only drops them all");
    CHECK_FALSE(s.take_suppressed_notice());
    // The next second has a fresh allowance.
    CHECK(s.on_datagram("x", 1, f.stranger, {noon.unix_ms + 1000, 0}));
    const auto& c = s.counters();
    CHECK(c.received == 21);
    CHECK(c.received == c.shown + c.dropped_unknown + c.suppressed);
    CHECK(c.suppressed == 7);
}

TEST_CASE("chat: JSON lines carry time, peer or address, size, truncation and the payload") {
    fixture f;
    auto s = f.session(&f.bob, {chat_format::json, false, 0});
    CHECK(s.on_datagram("say \"hi\"\n", 9, f.bob.address, noon) ==
          R"({"time":"2024-05-01T12:34:56.789Z","peer":"bob","group":null,)"
          R"("address":"127.0.0.1:9002",)"
          R"("size":9,"truncated":false,"text":"say \"hi\"\n"})");
    CHECK(s.on_datagram(std::string_view("\xff\x00", 2), 2, f.stranger, noon) ==
          std::string(R"({"time":"2024-05-01T12:34:56.789Z","peer":null,"group":null,)"
                      R"("address":"127.0.0.1:40000",)"
                      R"("size":2,"truncated":false,"hex":"ff00"})"));
}

TEST_CASE("chat: json_text escapes every control and keeps valid UTF-8") {
    CHECK(json_text("plain 你好") == "plain 你好");
    CHECK(json_text("a\\b\"c") == "a\\\\b\\\"c");
    CHECK(json_text(std::string("\0\x01\x1b\x7f\r\n\t", 7)) ==
          "\\u0000\\u0001\\u001b\\u007f\\r\\n\\t");
    CHECK(json_text("\xc2\x9b") == "\\u009b");     // C1 CSI
    CHECK(json_text("\xe2\x80\xae") == "\\u202e"); // right-to-left override
    CHECK(json_text("\\x41 is not an escape") == "\\\\x41 is not an escape");
    CHECK_FALSE(json_text("\xff"));
    CHECK_FALSE(json_text("ok\xe4\xbd")); // truncated sequence
    CHECK(to_hex(std::string("\x00\xff\x10", 3), std::string_view::npos, "") == "00ff10");
}

TEST_CASE("chat: send outcomes and ICMP notices are counted and name the peer") {
    fixture f;
    auto s = f.session(&f.bob);
    s.on_sent(f.bob);
    s.on_sent(f.bob, "send to 127.0.0.1:9002: ENOBUFS");
    CHECK(s.on_unreachable(&f.bob.address,
                           "send to 127.0.0.1:9002: ECONNREFUSED (connection refused)") ==
          "bob is not listening (a message to bob was not delivered): send to 127.0.0.1:9002: "
          "ECONNREFUSED (connection refused)");
    CHECK(s.on_unreachable(nullptr, "ECONNREFUSED") == "a message was not delivered: ECONNREFUSED");
    const auto& c = s.counters();
    CHECK(c.sent == 1);
    CHECK(c.not_sent == 1);
    CHECK(c.unreachable == 2);
}

namespace {
const char* rooms_text = R"(
[peers.alice]
address = "127.0.0.1:9001"
[peers.bob]
address = "127.0.0.1:9002"
[peers.carol]
address = "127.0.0.1:9003"
[peers.dave6]
address = "[::1]:9004"
[groups.team]
address = "239.77.0.2:9200"
members = ["alice", "bob"]
[groups.lan]
address = "127.255.255.255:9300"
broadcast = true
max_message = 16
members = ["alice", "bob", "carol"]
[groups.ops]
address = "239.77.0.3:9201"
members = ["bob", "carol"]
[groups.six]
address = "[ff15::77]:9202"
members = ["dave6"]
)";

struct rooms {
    peer_directory dir = peer_directory::parse(rooms_text, "rooms.toml").value();
    const peer& alice = *dir.find("alice");
    const peer& bob = *dir.find("bob");
    const peer& carol = *dir.find("carol");
    const group& team = *dir.find_group("team");
    const group& lan = *dir.find_group("lan");
    const group& ops = *dir.find_group("ops");
    const group& six = *dir.find_group("six");
    ip_endpoint stranger = ip_endpoint::parse("192.0.2.9:5000").value();

    // alice in the rooms she is a member of, as the tool does at start.
    chat_session joined(chat_session::settings s = {}) {
        chat_session session(dir, alice, nullptr, s);
        for (const group* g : session.rooms_to_join())
            session.on_joined(*g);
        return session;
    }
};
} // namespace

TEST_CASE("chat rooms: a member joins its groups at start; a failed join is a notice") {
    rooms f;
    chat_session s(f.dir, f.alice, nullptr, {});
    CHECK(s.rooms_to_join() == std::vector<const group*>{&f.lan, &f.team});
    CHECK(s.on_joined(f.lan) ==
          "in room lan at 127.255.255.255:9300 (broadcast) with alice, bob, carol");
    CHECK(s.in_room(f.lan));
    CHECK(s.on_joined(f.team, "join multicast group 239.77.0.2: ENODEV (no such device)") ==
          "cannot join room team at 239.77.0.2:9200: join multicast group 239.77.0.2: ENODEV (no "
          "such device); chatting without it (/join team tries again)");
    CHECK_FALSE(s.in_room(f.team));
    CHECK(s.counters().not_joined == 1);
    CHECK(s.summary().ends_with(", rooms not joined 1"));
}

TEST_CASE("chat rooms: --to GROUP and /to GROUP send one datagram to the group, to its limit") {
    rooms f;
    chat_session s(f.dir, f.alice, f.team, {});
    CHECK(s.prompt() == "[to team]> ");
    auto r = s.on_message_line("hi team");
    CHECK(r.send_to_group == &f.team);
    CHECK(r.send_to.empty());
    CHECK(r.payload == "hi team");
    CHECK(r.notices.empty());

    r = s.on_command_line("/to lan");
    CHECK(s.target_group() == &f.lan);
    CHECK(s.target() == nullptr);
    CHECK(s.prompt() == "[to lan]> ");
    CHECK(r.notices == std::vector<std::string>{
                           "now talking to room lan at 127.255.255.255:9300 (broadcast) (you are "
                           "not in it, so you will not see what others say there: /join lan)"});
    CHECK(s.on_command_line("/to").notices == std::vector<std::string>{"talking to room lan"});
    // lan's limit is 16 bytes: one byte more is refused, never cut.
    r = s.on_command_line("sixteen bytes!!!");
    CHECK(r.send_to_group == &f.lan);
    r = s.on_command_line("seventeen bytes!!");
    CHECK(r.send_to_group == nullptr);
    CHECK(r.notices == std::vector<std::string>{
                           "line of 17 bytes exceeds room lan's limit of 16 bytes; not sent"});
    r = s.on_overlong_line(70000);
    CHECK(r.send_to_group == nullptr);
    CHECK(s.counters().not_sent == 2);
    // An IPv6 room from an IPv4 socket: refused like a peer of the other family.
    s.on_command_line("/to six");
    r = s.on_command_line("hello");
    CHECK(r.send_to_group == nullptr);
    CHECK(r.notices ==
          std::vector<std::string>{"room six ([ff15::77]:9202) and we (alice) are of different IP "
                                   "families (IPv4 to IPv6); not sent"});
    // A peer again: plain lines go to it, not to the room.
    s.on_command_line("/to bob");
    r = s.on_command_line("hi bob");
    CHECK(r.send_to_group == nullptr);
    CHECK(r.send_to == std::vector<const peer*>{&f.bob});
    s.on_command_line("/to team");
    r = s.on_command_line("/all everyone");
    CHECK(r.send_to_group == nullptr);
    CHECK(r.send_to == std::vector<const peer*>{&f.bob, &f.carol}); // dave6: other family
    s.on_sent(f.team);
    s.on_sent(f.team, "send to 239.77.0.2:9200: ENETUNREACH");
    CHECK(s.counters().sent == 1);
    CHECK(s.counters().not_sent == 5);
}

TEST_CASE("chat rooms: unknown /to names list the peers and the groups") {
    rooms f;
    auto s = f.joined();
    CHECK(s.on_command_line("/to nobody").notices ==
          std::vector<std::string>{
              "no peer or group named \"nobody\"; known peers: alice, bob, carol, dave6; groups: "
              "lan, ops, six, team (or give an address, e.g. /to 127.0.0.1:9001)"});
}

TEST_CASE("chat rooms: /join and /leave take a group of the directory, members or not") {
    rooms f;
    auto s = f.joined();
    auto r = s.on_command_line("/join ops"); // alice is not a member: allowed
    CHECK(r.join == &f.ops);
    CHECK(r.notices.empty());
    CHECK_FALSE(s.in_room(f.ops)); // until the tool reports the outcome
    CHECK(s.on_joined(f.ops) == "in room ops at 239.77.0.3:9201 with bob, carol");
    CHECK(s.in_room(f.ops));
    r = s.on_command_line("/join OPS");
    CHECK(r.join == nullptr);
    CHECK(r.notices == std::vector<std::string>{"already in room ops"});

    r = s.on_command_line("/leave team");
    CHECK(r.leave == &f.team);
    CHECK(s.on_left(f.team) == "left room team at 239.77.0.2:9200");
    CHECK_FALSE(s.in_room(f.team));
    r = s.on_command_line("/leave team");
    CHECK(r.leave == nullptr);
    CHECK(r.notices == std::vector<std::string>{"not in room team (/join team joins it)"});

    r = s.on_command_line("/join kitchen\x1b[2J");
    CHECK(r.join == nullptr);
    CHECK(r.notices ==
          std::vector<std::string>{
              "no group named \"kitchen\\x1b[2J\"; known groups: lan, ops, six, team"});
    r = s.on_command_line("/join bob");
    CHECK(r.notices == std::vector<std::string>{"no group named \"bob\" (that is a peer: /to bob "
                                                "talks to it); known groups: lan, ops, six, team"});
    r = s.on_command_line("/leave");
    CHECK(r.notices == std::vector<std::string>{
                           "/leave GROUP: which room? groups in rooms.toml: lan, ops, six, team"});
    // Leaving the room we talk to keeps it as the target: sending needs no membership.
    s.on_command_line("/to lan");
    CHECK(s.on_left(f.lan) ==
          "left room lan at 127.255.255.255:9300 (broadcast); lines still go to it (/to PEER "
          "talks to someone else)");
    CHECK(s.on_command_line("hi").send_to_group == &f.lan);
}

TEST_CASE("chat rooms: received group messages carry the group in text and JSON") {
    rooms f;
    auto s = f.joined();
    CHECK(s.on_datagram("hi", 2, f.bob.address, noon, &f.team) == "[12:34:56] [team] bob: hi");
    CHECK(s.on_datagram("hi", 2, f.stranger, noon, &f.team) ==
          "[12:34:56] [team] 192.0.2.9:5000 (unknown): hi");
    CHECK(s.on_datagram("", 0, f.carol.address, noon, &f.lan) == "[12:34:56] [lan] carol (empty)");
    // The room's limit decides truncation (lan: 16 bytes).
    CHECK(s.on_datagram("0123456789abcdefXYZ", 19, f.carol.address, noon, &f.lan) ==
          "[12:34:56] [lan] carol (truncated: 19 bytes, over our limit of 16): 0123456789abcdef");
    // Unicast as before, without a group.
    CHECK(s.on_datagram("direct", 6, f.bob.address, noon) == "[12:34:56] bob: direct");
    // Our own message back by multicast loop is not shown (we wrote it), only counted.
    CHECK_FALSE(s.on_datagram("mine", 4, f.alice.address, noon, &f.team));
    // ... while a unicast message to ourselves is shown, as before.
    CHECK(s.on_datagram("note", 4, f.alice.address, noon) == "[12:34:56] alice: note");
    const auto& c = s.counters();
    CHECK(c.own == 1);
    CHECK(c.received == 7);
    CHECK(c.received == c.shown + c.dropped_unknown + c.suppressed + c.own);
    CHECK(s.summary().starts_with("received 7, shown 6, dropped 1 (known-only 0, over display "
                                  "rate 0, own 1)"));

    auto j = f.joined({chat_format::json, false, 0});
    CHECK(j.on_datagram("hi", 2, f.bob.address, noon, &f.team) ==
          R"({"time":"2024-05-01T12:34:56.789Z","peer":"bob","group":"team",)"
          R"("address":"127.0.0.1:9002","size":2,"truncated":false,"text":"hi"})");
    CHECK(j.on_datagram("?", 1, f.stranger, noon, &f.lan) ==
          R"({"time":"2024-05-01T12:34:56.789Z","peer":null,"group":"lan",)"
          R"("address":"192.0.2.9:5000","size":1,"truncated":false,"text":"?"})");
    // --known-only drops unknown senders on a room too.
    auto k = f.joined({chat_format::text, true, 0});
    CHECK_FALSE(k.on_datagram("spam", 4, f.stranger, noon, &f.team));
    CHECK(k.counters().dropped_unknown == 1);
}

TEST_CASE("chat: Tab completes commands, and names after /to, /join and /leave") {
    rooms f;
    using names = std::vector<std::string>;
    CHECK(chat_completions(f.dir, "", "/") ==
          names{"/all", "/help", "/join", "/leave", "/quit", "/reply", "/to", "/who"});
    CHECK(chat_completions(f.dir, "", "/j") == names{"/join"});
    CHECK(chat_completions(f.dir, "", "/x").empty());
    CHECK(chat_completions(f.dir, "", "jo").empty()); // a message, not a command
    CHECK(chat_completions(f.dir, "/to ", "") ==
          names{"alice", "bob", "carol", "dave6", "lan", "ops", "six", "team"});
    CHECK(chat_completions(f.dir, "/to  ", "B") == names{"bob"}); // names ignore case
    CHECK(chat_completions(f.dir, "/join ", "") == names{"lan", "ops", "six", "team"});
    CHECK(chat_completions(f.dir, "/leave ", "t") == names{"team"});
    CHECK(chat_completions(f.dir, "/join ", "b").empty()); // bob is a peer, not a group
    CHECK(chat_completions(f.dir, "hello ", "b").empty());
    CHECK(chat_completions(f.dir, "/to bob ", "").empty());
}

TEST_CASE("chat rooms: /who lists the groups with address, limit, members and our rooms") {
    rooms f;
    auto s = f.joined();
    s.on_command_line("/to team");
    s.on_left(f.lan);
    CHECK(s.on_command_line("/who").notices ==
          std::vector<std::string>{
              "peers in rooms.toml:",
              "  alice  127.0.0.1:9001                    max 1472 bytes  (you)",
              "  bob    127.0.0.1:9002                    max 1472 bytes",
              "  carol  127.0.0.1:9003                    max 1472 bytes",
              "  dave6  [::1]:9004                        max 1472 bytes",
              "groups in rooms.toml:",
              "  lan    127.255.255.255:9300 (broadcast)  max 16 bytes  members alice, bob, carol"
              "  (a member, not in room)",
              "  ops    239.77.0.3:9201                   max 1472 bytes  members bob, carol",
              "  six    [ff15::77]:9202                   max 1472 bytes  members dave6",
              "  team   239.77.0.2:9200                   max 1472 bytes  members alice, bob"
              "  (in room)  <- talking to",
          });
    const auto help = chat_session::help();
    CHECK(std::find(help.begin(), help.end(),
                    "  /join GROUP  join the room GROUP: see what is sent to it") != help.end());
    CHECK(std::find(help.begin(), help.end(), "  /leave GROUP leave the room GROUP") != help.end());
}
TEST_SUITE_END();
