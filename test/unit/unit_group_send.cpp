// udp-send to groups, pure: target kinds and flags, per-responder statistics and their reports,
// the one-shot tally, the schedule and the burst that wait for every member, and scripts whose
// target is a group.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "udpkit/burst.hpp"
#include "udpkit/group_send.hpp"
#include "udpkit/script.hpp"
#include "udpkit/send_schedule.hpp"

using namespace udpkit;

namespace {

constexpr std::uint64_t ms = 1'000'000;

ip_endpoint ep(const char* text) {
    auto e = ip_endpoint::parse(text);
    REQUIRE_MESSAGE(e, text);
    return *e;
}

const peer_directory& directory() {
    static const peer_directory d = *peer_directory::parse(R"(
[peers.alice]
address = "192.0.2.1:9200"
[peers.bob]
address = "192.0.2.2:9200"
[groups.team]
address = "239.77.0.2:9200"
ttl = 4
interface = "eth0"
loop = false
[groups.lan]
address = "192.0.2.255:9300"
broadcast = true
[groups.six]
address = "[ff15::77]:9200"
)",
                                                           "peers.toml");
    return d;
}

const group& team() {
    return *directory().find_group("team");
}

script::parse_context group_context() {
    script::parse_context c;
    c.source = "g.udps";
    c.directory = &directory();
    return c;
}

std::string probe_at(std::uint32_t seq, std::uint64_t sent_ns, std::size_t size = 16) {
    std::string out;
    encode_probe(out, {seq, static_cast<std::uint32_t>(sent_ns / 1000)}, size);
    return out;
}

} // namespace

TEST_SUITE("unit") {
TEST_CASE("group targets: the kind of an address, a directory group and --broadcast") {
    CHECK(kind_of(ep("239.77.0.2:9200"), nullptr, false) == send_kind::multicast);
    CHECK(kind_of(ep("224.0.0.1:9"), nullptr, false) == send_kind::multicast);
    CHECK(kind_of(ep("[ff15::77]:9200"), nullptr, false) == send_kind::multicast);
    CHECK(kind_of(ep("255.255.255.255:9"), nullptr, false) == send_kind::broadcast);
    // A subnet's broadcast address looks like a host's: only --broadcast (or the directory) says.
    CHECK(kind_of(ep("192.0.2.255:9"), nullptr, false) == send_kind::unicast);
    CHECK(kind_of(ep("192.0.2.255:9"), nullptr, true) == send_kind::broadcast);
    CHECK(kind_of(ep("192.0.2.255:9300"), directory().find_group("lan"), false) ==
          send_kind::broadcast);
    CHECK(kind_of(ep("127.0.0.1:9"), nullptr, false) == send_kind::unicast);
    CHECK(kind_of(ep("[::1]:9"), nullptr, true) == send_kind::unicast); // IPv6 has no broadcast
}

TEST_CASE("group targets: flags that do not fit the target are refused by name") {
    group_flags none;
    CHECK(check_group_target(send_kind::multicast, nullptr, none, "239.1.2.3:9"));
    CHECK(check_group_target(send_kind::unicast, nullptr, none, "127.0.0.1:9"));

    auto refused = check_group_target(send_kind::broadcast, nullptr, none, "255.255.255.255:9");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message ==
          "255.255.255.255:9 is a broadcast address: add --broadcast to send to every host of "
          "the subnet; nothing was sent");
    refused = check_group_target(send_kind::broadcast, directory().find_group("lan"), none,
                                 "lan (192.0.2.255:9300)");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("(broadcast = true in the directory): add --broadcast") !=
          std::string::npos);
    group_flags broadcast;
    broadcast.broadcast = true;
    CHECK(check_group_target(send_kind::broadcast, nullptr, broadcast, "255.255.255.255:9"));

    group_flags ttl;
    ttl.ttl = 2;
    refused = check_group_target(send_kind::unicast, nullptr, ttl, "127.0.0.1:9");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message ==
          "--ttl sets how datagrams to a multicast group travel, but 127.0.0.1:9 is a single "
          "host; expected a group such as 239.1.2.3:9200 or [ff15::77]:9200");
    group_flags no_loop;
    no_loop.loop = false;
    no_loop.broadcast = true;
    refused = check_group_target(send_kind::broadcast, nullptr, no_loop, "192.0.2.255:9");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.rfind("--no-loop sets how", 0) == 0);
    CHECK(refused.error().message.find("is a broadcast address") != std::string::npos);
    CHECK(check_group_target(send_kind::multicast, nullptr, no_loop, "239.1.2.3:9"));

    group_flags expect;
    expect.expect_responders = 2;
    refused = check_group_target(send_kind::unicast, nullptr, expect, "127.0.0.1:9");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.rfind("--expect-responders counts the hosts", 0) == 0);
    CHECK(check_group_target(send_kind::multicast, nullptr, expect, "239.1.2.3:9"));
}

TEST_CASE("group targets: the directory group's ttl, interface and loop; flags override each") {
    group_flags none;
    auto s = settings_for(nullptr, none);
    CHECK_FALSE(s.ttl);
    CHECK_FALSE(s.loop);
    CHECK(s.interface.empty());
    s = settings_for(&team(), none);
    CHECK(s.ttl == 4);
    CHECK(s.loop == false);
    CHECK(s.interface == "eth0");
    group_flags flags;
    flags.ttl = 0;
    flags.loop = true;
    s = settings_for(&team(), flags);
    CHECK(s.ttl == 0);
    CHECK(s.loop == true);
    CHECK(s.interface == "eth0"); // not overridden
    flags.interface.assign(1, '2'); // not = "2": GCC 12 -O3 raises a false -Wrestrict
    CHECK(settings_for(&team(), flags).interface == "2");
    // A group without settings still has the directory's defaults (ttl 1, loop on).
    s = settings_for(directory().find_group("six"), none);
    CHECK(s.ttl == 1);
    CHECK(s.loop == true);
    CHECK(s.interface.empty());
}

TEST_CASE("group targets: EACCES reads as a usage message that says to add --broadcast") {
    CHECK(broadcast_refused("192.0.2.255:9") ==
          "send to 192.0.2.255:9: permission denied: it is a broadcast address; add --broadcast "
          "to send to every host of the subnet (nothing was sent)");
}

TEST_CASE("responders: --expect-responders names how many answered and who") {
    const std::vector<responder_name> two{{ep("192.0.2.1:9200"), "alice"},
                                          {ep("192.0.2.3:9200"), ""}};
    CHECK(responders_shortfall(two, 0, 0).empty());
    CHECK(responders_shortfall(two, 0, 2).empty());
    CHECK(responders_shortfall(two, 0, 3) ==
          "2 of the 3 expected responders answered (--expect-responders): 192.0.2.1:9200 "
          "(alice), 192.0.2.3:9200");
    CHECK(responders_shortfall({}, 0, 1) ==
          "none of the 1 expected responders answered (--expect-responders)");
    CHECK(responders_shortfall(two, 1, 3).empty()); // sources beyond the named ones count
    CHECK(responders_shortfall(two, 1, 4) ==
          "3 of the 4 expected responders answered (--expect-responders): 192.0.2.1:9200 "
          "(alice), 192.0.2.3:9200 and 1 more");
}

TEST_CASE("responders: addresses sort numerically, IPv4 first, then by port") {
    CHECK(address_before(ep("192.0.2.2:9"), ep("192.0.2.10:9"))); // not as text
    CHECK_FALSE(address_before(ep("192.0.2.10:9"), ep("192.0.2.2:9")));
    CHECK(address_before(ep("192.0.2.2:9"), ep("192.0.2.2:10")));
    CHECK(address_before(ep("10.0.0.1:9"), ep("[::1]:9")));
    CHECK_FALSE(address_before(ep("[::1]:9"), ep("10.0.0.1:9")));
    CHECK_FALSE(address_before(ep("10.0.0.1:9"), ep("10.0.0.1:9")));
}

TEST_CASE("responders: the one-shot tally lists each source once, sorted, with peer names") {
    reply_tally t;
    CHECK(t.text() == "no responder answered");
    CHECK(t.json() == "{\"responders\": [], \"unnamed_replies\": 0}");
    t.record(ep("192.0.2.10:9200"), &directory());
    t.record(ep("192.0.2.2:9200"), &directory());
    t.record(ep("192.0.2.2:9200"), &directory());
    CHECK(t.distinct() == 2);
    CHECK(t.total() == 3);
    CHECK(t.text() ==
          "2 responders answered: 192.0.2.2:9200 (bob) 2 replies, 192.0.2.10:9200 1 reply");
    CHECK(t.json() == "{\"responders\": [{\"address\": \"192.0.2.2:9200\", \"peer\": \"bob\", "
                      "\"replies\": 2}, {\"address\": \"192.0.2.10:9200\", \"peer\": null, "
                      "\"replies\": 1}], \"unnamed_replies\": 0}");
    CHECK(group_reply_line({ep("192.0.2.1:9200"), "alice"}, "hi") ==
          "192.0.2.1:9200 (alice): hi\n");
    CHECK(group_reply_line({ep("192.0.2.9:9200"), ""}, "hi") == "192.0.2.9:9200: hi\n");

    reply_tally many; // bounded: sources past max_responders are only counted
    for (std::size_t i = 0; i < max_responders + 3; ++i) {
        auto e = ep("10.0.0.1:1");
        e.set_port(static_cast<std::uint16_t>(1000 + i));
        many.record(e, nullptr);
    }
    CHECK(many.distinct() == max_responders);
    CHECK(many.unnamed() == 3);
    CHECK(many.text().find("; 3 more replies from further sources") != std::string::npos);
}

TEST_CASE("responders: each source keeps its own counts, a late one has lost what came before") {
    const std::size_t size = 16;
    responder_stats r(0, 0, 100 * ms, 4);
    CHECK(r.limit() == max_responders);
    const auto alice = ep("192.0.2.1:9200"), carol = ep("192.0.2.3:9200");
    for (std::uint64_t i = 0; i < 4; ++i)
        r.record_sent(i * ms);
    // alice answers probes 0, 2, 1 (reordered) and 2 again (duplicated); 3 is lost.
    CHECK(r.record_reply(alice, &directory(), probe_at(0, 0), size, false, size, 1 * ms) ==
          reply_kind::fresh);
    CHECK(r.record_reply(alice, &directory(), probe_at(2, 2 * ms), size, false, size, 3 * ms) ==
          reply_kind::fresh);
    CHECK(r.record_reply(alice, &directory(), probe_at(1, 1 * ms), size, false, size, 4 * ms) ==
          reply_kind::reordered);
    CHECK(r.record_reply(alice, &directory(), probe_at(2, 2 * ms), size, false, size, 5 * ms) ==
          reply_kind::duplicate);
    // carol is first heard on probe 3: probes 0-2 are lost for her alone; one reply is corrupt.
    std::string bad = probe_at(3, 3 * ms);
    bad[10] ^= 1;
    CHECK(r.record_reply(carol, &directory(), probe_at(3, 3 * ms), size, false, size, 5 * ms) ==
          reply_kind::fresh);
    CHECK(r.record_reply(carol, &directory(), bad, size, false, size, 6 * ms) ==
          reply_kind::corrupt);
    CHECK(r.size() == 2);
    const auto s = r.summaries();
    REQUIRE(s.size() == 2);
    CHECK(s[0].name.address == alice);
    CHECK(s[0].name.peer == "alice");
    CHECK(s[0].summary.sent == 4);
    CHECK(s[0].summary.received == 3);
    CHECK(s[0].summary.lost == 1);
    CHECK(s[0].summary.reordered == 1);
    CHECK(s[0].summary.duplicated == 1);
    CHECK(s[0].summary.corrupt == 0);
    REQUIRE(s[0].summary.rtt);
    CHECK(s[0].summary.rtt->max == 3 * ms);
    CHECK(s[1].name.address == carol);
    CHECK(s[1].name.peer.empty());
    CHECK(s[1].summary.sent == 4);
    CHECK(s[1].summary.received == 1);
    CHECK(s[1].summary.lost == 3);
    CHECK(s[1].summary.corrupt == 1);
    REQUIRE(s[1].summary.rtt);
    CHECK(s[1].summary.rtt->p50 == 2 * ms);
}

TEST_CASE("responders: bounded by count and by memory; further sources are only counted") {
    responder_stats small(0, 0, 100 * ms, 10);
    CHECK(small.limit() == max_responders);
    responder_stats long_burst(0, 0, 100 * ms, burst_stats::max_probes);
    CHECK(long_burst.limit() == responder_stats::max_records / burst_stats::max_probes); // 16

    responder_stats r(0, 0, 100 * ms, 1);
    r.record_sent(0);
    const std::string p = probe_at(0, 0);
    for (std::size_t i = 0; i < max_responders + 2; ++i) {
        auto e = ep("10.0.0.1:1");
        e.set_port(static_cast<std::uint16_t>(1000 + i));
        r.record_reply(e, nullptr, p, p.size(), false, p.size(), 1 * ms);
    }
    CHECK(r.size() == max_responders);
    CHECK(r.unnamed() == 2);
}

TEST_CASE("responders: the group burst report, text and JSON, and its verdict") {
    const std::size_t size = 16;
    responder_stats r(0, 0, 100 * ms, 2);
    const auto alice = ep("192.0.2.1:9200"), carol = ep("192.0.2.3:9200");
    burst_stats pacer(0, 0, 100 * ms);
    for (std::uint64_t i = 0; i < 2; ++i) {
        r.record_sent(i * ms);
        pacer.record_sent(i * ms);
    }
    r.record_reply(carol, &directory(), probe_at(0, 0), size, false, size, 2 * ms);
    r.record_reply(alice, &directory(), probe_at(0, 0), size, false, size, 1 * ms);
    r.record_reply(alice, &directory(), probe_at(1, 1 * ms), size, false, size, 2 * ms);
    group_burst_report report;
    report.target = "team (239.77.0.2:9200)";
    report.probe_size = size;
    report.overall = pacer.summary();
    report.overall.window = 64;
    report.responders = r.summaries();

    const std::string text = group_burst_text(report);
    CAPTURE(text);
    CHECK(text.rfind("burst to team (239.77.0.2:9200): 2 probes of 16 bytes, at most 64 in "
                     "flight; 2 responders\n",
                     0) == 0);
    const auto at_alice = text.find("\n192.0.2.1:9200 (alice): sent 2, received 2, lost 0 (0.00%)");
    const auto at_carol = text.find("\n192.0.2.3:9200: sent 2, received 1, lost 1 (50.00%)");
    CHECK(at_alice != std::string::npos);
    CHECK(at_carol != std::string::npos);
    CHECK(at_alice < at_carol); // sorted by address
    CHECK(text.find("rtt p50 1000.0 us, p90 1000.0 us, p99 1000.0 us, max 1000.0 us") !=
          std::string::npos);

    // --max-loss applies to each responder.
    CHECK(group_burst_failure(report, 50) == "");
    CHECK(group_burst_failure(report, 10) ==
          "192.0.2.3:9200: lost 1 of 2 probes (50.00%), more than the allowed 10.00% (--max-loss)");
    report.expected = 3;
    CHECK(group_burst_failure(report, 50) ==
          "2 of the 3 expected responders answered (--expect-responders): 192.0.2.1:9200 "
          "(alice), 192.0.2.3:9200");
    CHECK(group_burst_text(report).find("; 2 responders (3 expected)\n") != std::string::npos);

    const std::string json = group_burst_json(report, 10, "some error");
    CAPTURE(json);
    CHECK(json.rfind("{\"target\": \"team (239.77.0.2:9200)\", \"size\": 16, \"window\": 64, "
                     "\"sent\": 2, ",
                     0) == 0);
    CHECK(json.find("\"responders\": [{\"address\": \"192.0.2.1:9200\", \"peer\": \"alice\", "
                    "\"sent\": 2, \"received\": 2, \"lost\": 0, \"late\": 0, \"in_flight\": 0, "
                    "\"reordered\": 0, \"duplicated\": 0, \"corrupt\": 0, \"truncated\": 0, "
                    "\"invalid\": 0, \"first_corrupt\": null, \"rtt_us\": {\"p50\": 1000.0, "
                    "\"p90\": 1000.0, \"p99\": 1000.0, \"max\": 1000.0}, \"jitter_us\": 0.0, "
                    "\"error\": null}, {\"address\": \"192.0.2.3:9200\", \"peer\": null, "
                    "\"sent\": 2, \"received\": 1, \"lost\": 1,") != std::string::npos);
    CHECK(json.find("\"error\": \"lost 1 of 2 probes (50.00%), more than the allowed 10.00% "
                    "(--max-loss)\"}]") != std::string::npos);
    CHECK(json.find("\"unnamed_datagrams\": 0, \"foreign\": [], \"expected_responders\": 3, "
                    "\"error\": \"some error\"}") != std::string::npos);

    group_burst_report silent;
    silent.overall = pacer.summary();
    CHECK(group_burst_failure(silent, 0) == "no responder answered any of the 2 probes");
    CHECK(group_burst_json(silent, 0, "")
              .find("\"responders\": [], \"unnamed_datagrams\": 0, \"foreign\": [], "
                    "\"expected_responders\": null, \"error\": null}") != std::string::npos);

    // Datagrams that were no reply to these probes are named, not taken for a responder.
    report.overall.foreign.record(*ip_endpoint::parse("192.0.2.9:5000"));
    CHECK(group_burst_text(report).find(
              "1 datagram from 192.0.2.9:5000, not a reply to these probes, ignored\n") !=
          std::string::npos);
    CHECK(group_burst_json(report, 10, "")
              .find("\"foreign\": [{\"address\": \"192.0.2.9:5000\", \"datagrams\": 1}]") !=
          std::string::npos);
}

TEST_CASE("burst pacing: to a group the burst lasts until the last probe's timeout") {
    burst_plan plan{2, 0, 0, 100 * ms, true};
    probe_burst b(plan, 0);
    CHECK(b.sendable(0) == 2);
    b.record_sent(0);
    b.record_sent(1 * ms);
    const std::string p0 = probe_at(0, 0), p1 = probe_at(1, 1 * ms);
    b.record_reply(p0, p0.size(), false, p0.size(), 2 * ms);
    b.record_reply(p1, p1.size(), false, p1.size(), 3 * ms);
    CHECK_FALSE(b.finished(3 * ms)); // all answered once, but other members may answer
    CHECK(b.wake_at(3 * ms) == 101 * ms);
    CHECK_FALSE(b.finished(100 * ms));
    CHECK(b.finished(101 * ms));

    plan.linger = false; // unicast: done at the last reply
    probe_burst u(plan, 0);
    u.record_sent(0);
    u.record_sent(1 * ms);
    u.record_reply(p0, p0.size(), false, p0.size(), 2 * ms);
    u.record_reply(p1, p1.size(), false, p1.size(), 3 * ms);
    CHECK(u.finished(3 * ms));
}

TEST_CASE("send schedule: to a group each send waits its whole timeout, every reply counts") {
    send_schedule s(2, 0, true, 100 * ms, true);
    CHECK(s.next(0) == send_schedule::step::send);
    CHECK(s.next(0) == send_schedule::step::wait);
    CHECK(s.on_reply(10 * ms) == 10 * ms);
    CHECK(s.on_reply(20 * ms) == 20 * ms);               // a second member
    CHECK(s.next(20 * ms) == send_schedule::step::wait); // still waiting for others
    CHECK(s.wake_ns() == 100 * ms);
    CHECK_FALSE(s.on_reply(100 * ms)); // after the timeout: not a reply to this send
    CHECK(s.next(100 * ms) == send_schedule::step::send);
    CHECK(s.next(100 * ms) == send_schedule::step::wait);
    CHECK(s.next(200 * ms) == send_schedule::step::finished); // nobody answered the second
    CHECK(s.sent() == 2);
    CHECK(s.answered() == 1);
    CHECK(s.missed() == 1);

    send_schedule unicast(1, 0, true, 100 * ms); // the first reply ends the wait
    CHECK(unicast.next(0) == send_schedule::step::send);
    CHECK(unicast.on_reply(10 * ms) == 10 * ms);
    CHECK_FALSE(unicast.on_reply(11 * ms));
    CHECK(unicast.next(10 * ms) == send_schedule::step::finished);
}

TEST_CASE("script: a group target; `from` names a member; errors at FILE:LINE:COL") {
    script::parse_context c = group_context();
    auto p = script::parse("target team\nsend \"hi\"\nexpect \"hi\" from bob within 50ms\n"
                           "target 239.1.2.3:9\nexpect none\n",
                           c);
    REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
    REQUIRE(p->targets.size() == 3);
    CHECK(p->targets[0].group == &team());
    CHECK(p->targets[0].is_group);
    CHECK(p->targets[0].limit.bytes() == team().limit.bytes());
    CHECK(p->targets[1].text == "bob");
    CHECK_FALSE(p->targets[1].is_group);
    CHECK(p->targets[2].is_group); // a multicast literal
    const auto& expect = p->commands[2];
    REQUIRE(expect.match.from);
    CHECK(*expect.match.from == 1);
    CHECK(expect.duration_ns == 50 * ms);

    struct row {
        std::string text;
        bool broadcast;
        std::string where;
        std::string says;
    };
    const row rows[] = {
        {"target alice\nsend \"x\"\nexpect \"x\" from bob", false, "g.udps:3:12",
         "`from` picks one member's reply after a send to a group, but alice is a single host"},
        {"target team\nexpect \"x\" from", false, "g.udps:2:16", "a peer name or an address"},
        {"target team\nexpect \"x\" from nobody", false, "g.udps:2:17", "no peer named \"nobody\""},
        {"target team\nexpect \"x\" from lan", false, "g.udps:2:17",
         "`from` names one member, a peer or an address; lan is a group"},
        {"target team\nexpect \"x\" from [::1]:9", false, "g.udps:2:17", "different IP families"},
        {"target lan", false, "g.udps:1:8",
         "target lan is a broadcast address (broadcast = true in the directory): add --broadcast"},
        {"target 255.255.255.255:9", false, "g.udps:1:8", "add --broadcast"},
        {"target team\nexpect \"x\" from bob from alice", false, "g.udps:2:21",
         "unexpected \"from\" at the end of \"expect\""},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        script::parse_context rc = c;
        rc.broadcast = r.broadcast;
        auto bad = script::parse(r.text, rc);
        REQUIRE_FALSE(bad);
        const std::string got = bad.error().to_string();
        CAPTURE(got);
        CHECK(got.rfind(r.where + ": ", 0) == 0);
        CHECK(got.find(r.says) != std::string::npos);
    }
    c.broadcast = true; // allowed, and any IPv4 address may then be a subnet broadcast
    auto lan = script::parse("target lan\ntarget 192.0.2.255:9\nexpect \"x\" from alice", c);
    REQUIRE_MESSAGE(lan, (lan ? "" : lan.error().to_string()));
    CHECK(lan->targets[1].is_group);
}

TEST_CASE("interpreter: after a send to a group the first reply from anyone, or from `from`") {
    script::parse_context c = group_context();
    auto p = script::parse("target team\nsend \"a\"\nexpect \"a\"\nsend \"b\"\n"
                           "expect \"b\" from bob\n",
                           c);
    REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
    script::interpreter run(*p, {});
    std::uint64_t now = 0;
    auto a = run.advance(now);
    REQUIRE(a.what == script::action::kind::send);
    CHECK(a.target == 0);
    CHECK(run.advance(now).what == script::action::kind::wait);
    // A member that is no target of the script (nullopt) answers: that is the reply.
    now = 1 * ms;
    run.on_datagram(now, std::nullopt, "a", 1, false, "192.0.2.9:9200");
    // A second member answers the first send after the expect took the first reply.
    run.on_datagram(now, 1, "a", 1, false, "192.0.2.2:9200 (bob)");
    a = run.advance(now);
    REQUIRE(a.what == script::action::kind::send); // "b": the leftover "a" is dropped
    CHECK(run.advance(now).what == script::action::kind::wait);
    now = 2 * ms;
    run.on_datagram(now, std::nullopt, "b", 1, false, "192.0.2.9:9200"); // not bob
    CHECK(run.advance(now).what == script::action::kind::wait);
    run.on_datagram(now, 1, "b", 1, false, "192.0.2.2:9200 (bob)");
    CHECK(run.advance(now).what == script::action::kind::finished);
    CHECK(run.passed());
    const auto& r = run.reports();
    REQUIRE(r.size() == 4);
    CHECK(r[1].detail == "got \"a\" (1 bytes) after 1.0 ms from 192.0.2.9:9200");
    CHECK(r[3].detail == "got \"b\" (1 bytes) after 1.0 ms from 192.0.2.2:9200 (bob)");

    // A unicast script still ignores strangers.
    auto u = script::parse("target alice\nsend \"a\"\nexpect \"a\" within 5ms\n", c);
    REQUIRE(u);
    script::interpreter one(*u, {});
    CHECK(one.advance(0).what == script::action::kind::send);
    CHECK(one.advance(0).what == script::action::kind::wait);
    one.on_datagram(0, std::nullopt, "a", 1, false, "192.0.2.9:9200");
    CHECK(one.ignored() == 1);
    CHECK(one.advance(5 * ms).what == script::action::kind::finished);
    CHECK_FALSE(one.passed());
}

TEST_CASE("interpreter: targets of one address are one source (set_same_address)") {
    script::parse_context c = group_context();
    auto p = script::parse("target alice\ntarget 192.0.2.1:9200\nsend \"a\"\nexpect \"a\"\n", c);
    REQUIRE(p);
    script::interpreter run(*p, {});
    run.set_same_address(1, 0); // the driver reports that address as target 0, alice
    CHECK(run.advance(0).what == script::action::kind::send);
    CHECK(run.advance(0).what == script::action::kind::wait);
    run.on_datagram(1 * ms, 0, "a", 1, false);
    CHECK(run.advance(1 * ms).what == script::action::kind::finished);
    CHECK(run.passed());
}
} // TEST_SUITE("unit")
