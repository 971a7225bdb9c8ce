// udp-relay's impairment core: the random numbers, the percent and direction parsers, every
// impairment against its counters (exact with a seed), the client table and the stats line.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "udpkit/number.hpp"
#include "udpkit/relay.hpp"

using namespace udpkit;

namespace {

constexpr std::uint64_t ms = 1'000'000;

/// Datagram `i` of a run: its number in 4 bytes, so outputs can be told apart.
std::string numbered(std::uint32_t i, std::size_t size = 8) {
    std::string s(std::max<std::size_t>(size, 4), 'x');
    for (int b = 0; b < 4; ++b)
        s[static_cast<std::size_t>(b)] = static_cast<char>((i >> (8 * b)) & 0xff);
    return s;
}

std::uint32_t number_of(std::string_view s) {
    std::uint32_t i = 0;
    for (int b = 0; b < 4; ++b)
        i |= std::uint32_t{static_cast<unsigned char>(s[static_cast<std::size_t>(b)])} << (8 * b);
    return i;
}

/// Feeds `count` numbered datagrams, one per millisecond, then releases everything left;
/// returns the numbers of the outputs in the order they left.
std::vector<std::uint32_t> run(impairment_pipeline& p, std::uint32_t count, std::size_t size = 8) {
    std::vector<std::uint32_t> order;
    std::vector<relay_output> out;
    std::uint64_t now = 1'000 * ms;
    for (std::uint32_t i = 0; i < count; ++i, now += ms) {
        out.clear();
        const std::string d = numbered(i, size);
        p.receive(d, 7, now, out);
        for (const auto& o : out)
            order.push_back(number_of(o.payload));
        CHECK(p.counters().adds_up());
    }
    while (auto due = p.next_due_ns()) {
        out.clear();
        p.release_due(*due, out);
        for (const auto& o : out)
            order.push_back(number_of(o.payload));
    }
    return order;
}

/// How many of `count` draws of relay_random(seed).chance(p) succeed: the expected count of an
/// impairment that draws once per datagram.
std::uint64_t hits(std::uint64_t seed, double p, std::uint32_t count) {
    relay_random r(seed);
    std::uint64_t n = 0;
    for (std::uint32_t i = 0; i < count; ++i)
        n += r.chance(p) ? 1 : 0;
    return n;
}

} // namespace

TEST_CASE("relay_random is xoshiro256** seeded by splitmix64 (known answers)") {
    relay_random zero(0);
    CHECK(zero.next() == 0x99ec5f36cb75f2b4ull);
    CHECK(zero.next() == 0xbf6e1f784956452aull);
    CHECK(zero.next() == 0x1a5f849d4933e6e0ull);
    relay_random r(42);
    CHECK(r.next() == 0x15780b2e0c2ec716ull);
    relay_random u(5);
    for (int i = 0; i < 1000; ++i) {
        const double x = u.uniform();
        CHECK((x >= 0 && x < 1));
        CHECK(u.below(10) < 10);
    }
}

TEST_CASE("parse_percent: the % sign is required, 0% to 100%") {
    CHECK(*parse_percent("5%") == doctest::Approx(0.05));
    CHECK(*parse_percent("0%") == 0);
    CHECK(*parse_percent("100%") == 1);
    CHECK(*parse_percent("0.25%") == doctest::Approx(0.0025));
    struct bad {
        const char* text;
        const char* message;
    };
    for (const bad& b : {
             bad{"5", "\"5\" has no % sign; expected a percentage from 0% to 100%, e.g. 5%"},
             bad{"", "\"\" is empty; expected a percentage from 0% to 100%, e.g. 5%"},
             bad{"%", "\"%\" is not a number; expected a percentage from 0% to 100%, e.g. 5%"},
             bad{"101%", "\"101%\" is out of range; expected a percentage from 0% to 100%, e.g. "
                         "5%"},
             bad{"-1%", "\"-1%\" is negative; expected a percentage from 0% to 100%, e.g. 5%"},
             bad{"nan%", "\"nan%\" is not a number; expected a percentage from 0% to 100%, e.g. "
                         "5%"},
             bad{"inf%", "\"inf%\" is infinite; expected a percentage from 0% to 100%, e.g. 5%"},
             bad{"5 %", "\"5 %\" is not a number; expected a percentage from 0% to 100%, e.g. "
                        "5%"},
         }) {
        CAPTURE(b.text);
        auto p = parse_percent(b.text);
        REQUIRE_FALSE(p);
        CHECK(p.error().message == b.message);
    }
}

TEST_CASE("direction prefixes and --direction") {
    const direction_set both{};
    auto plain = split_direction("5%", both);
    REQUIRE(plain);
    CHECK((plain->directions.forward && plain->directions.back));
    CHECK(plain->value == "5%");
    auto fwd = split_direction("forward:5%", both);
    REQUIRE(fwd);
    CHECK((fwd->directions.forward && !fwd->directions.back));
    CHECK(fwd->value == "5%");
    auto back = split_direction("back:20", direction_set{true, false});
    REQUIRE(back);
    CHECK((!back->directions.forward && back->directions.back));
    CHECK(back->value == "20");
    auto fallback = split_direction("20", direction_set{false, true});
    CHECK((!fallback->directions.forward && fallback->directions.back));
    auto burst = split_direction("5%:4", direction_set{true, false});
    CHECK((burst->directions.forward && !burst->directions.back));
    CHECK(burst->value == "5%:4");
    CHECK(split_direction("back:5%:4", both)->value == "5%:4");
    auto bad = split_direction("sideways:5%", both);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "\"sideways\" is not a direction; expected forward: or back: "
                                 "before the value, or none (then --direction decides)");
    CHECK(parse_direction_set("forward")->back == false);
    CHECK(parse_direction_set("both")->forward);
    CHECK(parse_direction_set("up").error().message ==
          "\"up\" is not a direction; expected forward, back or both");
}

TEST_CASE("no impairment: every datagram leaves at once, the same bytes, no copy") {
    impairment_pipeline p(impairment{}, 1);
    std::vector<relay_output> out;
    for (const std::string& d : {std::string(), std::string("x"), std::string(65507, 'z')}) {
        out.clear();
        p.receive(d, 3, 0, out);
        REQUIRE(out.size() == 1);
        CHECK(out[0].payload.data() == d.data());
        CHECK(out[0].payload.size() == d.size());
        CHECK(out[0].tag == 3);
    }
    CHECK(p.counters().received == 3);
    CHECK(p.counters().forwarded == 3);
    CHECK(p.counters().adds_up());
    CHECK_FALSE(p.next_due_ns());
}

TEST_CASE("loss: exactly the seeded draws are dropped, the rest in order") {
    impairment c;
    c.loss = 0.1;
    impairment_pipeline p(c, 99);
    const auto order = run(p, 10000);
    const std::uint64_t lost = hits(99, 0.1, 10000);
    CHECK(p.counters().dropped(relay_drop::loss) == lost);
    CHECK(lost == 996); // the seed's run, pinned
    CHECK(order.size() == 10000 - lost);
    CHECK(std::is_sorted(order.begin(), order.end()));
    CHECK(p.counters().adds_up());

    impairment all;
    all.loss = 1;
    impairment_pipeline q(all, 1);
    CHECK(run(q, 100).empty());
    CHECK(q.counters().dropped(relay_drop::loss) == 100);
}

TEST_CASE("burst loss (Gilbert-Elliott): the long-run loss and the mean burst length") {
    impairment c;
    c.burst_loss = 0.05;
    c.burst_length = 4;
    impairment_pipeline p(c, 7);
    const auto order = run(p, 100000);
    const auto lost = p.counters().dropped(relay_drop::burst_loss);
    CHECK(lost == 5006); // the seed's run, pinned
    CHECK(order.size() == 100000 - lost);
    // Bursts: runs of missing numbers.
    std::uint64_t bursts = 0;
    for (std::size_t i = 1; i < order.size(); ++i)
        bursts += order[i] != order[i - 1] + 1 ? 1 : 0;
    bursts += order.front() != 0 ? 1 : 0;
    const double mean = static_cast<double>(lost) / static_cast<double>(bursts);
    CHECK(mean == doctest::Approx(4).epsilon(0.1));
    CHECK(static_cast<double>(lost) / 100000 == doctest::Approx(0.05).epsilon(0.1));
}

TEST_CASE("duplicate: the copy leaves right after the datagram, identical") {
    impairment c;
    c.duplicate = 0.2;
    impairment_pipeline p(c, 3);
    const auto order = run(p, 1000);
    const auto dups = hits(3, 0.2, 1000);
    CHECK(p.counters().duplicated == dups);
    CHECK(order.size() == 1000 + dups);
    CHECK(std::is_sorted(order.begin(), order.end()));
    CHECK(p.counters().forwarded == 1000 + dups);
    CHECK(p.counters().adds_up());
}

TEST_CASE("reorder: a held datagram leaves behind the next N, counted once") {
    impairment c;
    c.reorder = 0.1;
    c.reorder_gap = 2;
    impairment_pipeline p(c, 11);
    const auto order = run(p, 1000);
    REQUIRE(order.size() == 1000);
    // A datagram is reordered when some later number left before it (RFC 4737's definition,
    // udp-send's too).
    std::uint64_t reordered = 0;
    std::uint32_t highest = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i > 0 && order[i] < highest)
            ++reordered;
        highest = std::max(highest, order[i]);
    }
    CHECK(p.counters().reordered == reordered);
    CHECK(reordered == 98); // the seed's run, pinned
    CHECK(p.counters().adds_up());

    // Gap 1, by hand: 0 is held (reorder 100% for it only is not possible, so hold all and
    // watch the timeout): with every datagram held nothing overtakes, none is reordered.
    impairment always;
    always.reorder = 1;
    impairment_pipeline q(always, 1);
    std::vector<relay_output> out;
    q.receive("a", 1, 0, out);
    CHECK(out.empty());
    CHECK(q.counters().pending == 1);
    REQUIRE(q.next_due_ns() == reorder_hold_ns);
    q.release_due(reorder_hold_ns, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "a");
    CHECK(q.counters().reordered == 0);
    CHECK(q.counters().delayed == 1); // it left 100 ms late, overtaken by nothing
    CHECK(q.counters().forwarded == 1);
    CHECK(q.counters().adds_up());
}

TEST_CASE("loss, duplicate and reorder together: what a receiver counts is what the relay counts") {
    impairment c;
    c.loss = 0.05;
    c.duplicate = 0.02;
    c.reorder = 0.05;
    for (const std::uint64_t seed : {1, 2, 3, 4}) {
        impairment_pipeline p(c, seed);
        const auto order = run(p, 5000);
        // udp-send's rules: a first arrival after a later number is reordered (RFC 4737), a
        // second arrival is a duplicate, a number that never arrives is lost.
        std::vector<bool> seen(5000);
        std::uint64_t reordered = 0, duplicated = 0, received = 0;
        std::uint32_t highest = 0;
        for (const auto n : order) {
            if (seen[n]) {
                ++duplicated;
                continue;
            }
            seen[n] = true;
            ++received;
            if (received > 1 && n < highest)
                ++reordered;
            highest = std::max(highest, n);
        }
        CAPTURE(seed);
        CHECK(5000 - received == p.counters().dropped(relay_drop::loss));
        CHECK(duplicated == p.counters().duplicated);
        CHECK(reordered == p.counters().reordered);
        CHECK(p.counters().adds_up());
    }
}

TEST_CASE("delay and jitter: uniform over DELAY-JITTER..DELAY+JITTER, counted as delayed") {
    impairment c;
    c.delay_ns = 20 * ms;
    c.jitter_ns = 5 * ms;
    impairment_pipeline p(c, 5);
    std::vector<relay_output> out;
    for (std::uint32_t i = 0; i < 200; ++i) {
        const std::string d = numbered(i);
        p.receive(d, 1, 0, out);
    }
    CHECK(out.empty());
    CHECK(p.counters().delayed == 200);
    CHECK(p.counters().pending == 200);
    CHECK(*p.next_due_ns() >= 15 * ms);
    p.release_due(15 * ms - 1, out);
    CHECK(out.empty());
    p.release_due(20 * ms, out);
    const auto first_half = out.size();
    CHECK((first_half > 70 && first_half < 130));
    p.release_due(25 * ms, out);
    CHECK(out.size() == 200);
    CHECK(p.counters().forwarded == 200);
    CHECK(p.counters().pending == 0);
    CHECK(p.counters().adds_up());

    impairment fixed;
    fixed.delay_ns = 10 * ms;
    impairment_pipeline q(fixed, 1);
    const auto order = run(q, 100);
    CHECK(order.size() == 100);
    CHECK(std::is_sorted(order.begin(), order.end())); // a constant delay keeps the order
}

TEST_CASE("rate: datagrams leave 1/PPS apart, the queue is bounded (tail drop)") {
    impairment c;
    c.rate_pps = 100; // 10 ms apart
    c.queue_limit = 3;
    impairment_pipeline p(c, 1);
    std::vector<relay_output> out;
    std::vector<std::string> inputs; // outputs that leave at once view their input
    inputs.reserve(6);
    for (std::uint32_t i = 0; i < 6; ++i) {
        inputs.push_back(numbered(i));
        p.receive(inputs.back(), 1, 0, out);
    }
    // 0 leaves at once; 1, 2, 3 wait (the queue holds 3); 4 and 5 are tail-dropped.
    REQUIRE(out.size() == 1);
    CHECK(number_of(out[0].payload) == 0);
    CHECK(p.counters().queued == 3);
    CHECK(p.counters().dropped(relay_drop::queue_full) == 2);
    CHECK(p.counters().pending == 3);
    out.clear();
    p.release_due(10 * ms, out);
    REQUIRE(out.size() == 1);
    CHECK(number_of(out[0].payload) == 1);
    p.release_due(30 * ms, out);
    CHECK(out.size() == 3);
    CHECK(p.counters().adds_up());

    impairment bw;
    bw.bandwidth_bps = 8000; // 1000 bytes a second: 100 bytes take 100 ms
    impairment_pipeline q(bw, 1);
    out.clear();
    q.receive(std::string(100, 'a'), 1, 0, out);
    q.receive(std::string(100, 'b'), 1, 0, out);
    CHECK(out.size() == 1);
    CHECK(q.next_due_ns() == 100 * ms);
}

TEST_CASE("corrupt changes exactly one byte; truncate cuts; mtu drops") {
    impairment c;
    c.corrupt = 0.5;
    impairment_pipeline p(c, 21);
    std::vector<relay_output> out;
    std::uint64_t changed = 0;
    for (std::uint32_t i = 0; i < 400; ++i) {
        out.clear();
        const std::string d = numbered(i, 64);
        p.receive(d, 1, 0, out);
        REQUIRE(out.size() == 1);
        REQUIRE(out[0].payload.size() == d.size());
        std::size_t diff = 0;
        for (std::size_t b = 0; b < d.size(); ++b)
            diff += out[0].payload[b] != d[b] ? 1 : 0;
        CHECK(diff <= 1);
        changed += diff;
    }
    CHECK(changed == p.counters().corrupted);
    CHECK(changed == 212); // the seed's run, pinned
    out.clear();
    impairment_pipeline all(
        [] {
            impairment a;
            a.corrupt = 1;
            return a;
        }(),
        1);
    all.receive("", 1, 0, out); // nothing to change in an empty datagram
    CHECK(out.at(0).payload.empty());
    CHECK(all.counters().corrupted == 0);

    impairment t;
    t.truncate = 10;
    t.mtu = 100;
    impairment_pipeline q(t, 1);
    out.clear();
    const std::string inputs[] = {std::string(50, 'a'), std::string(5, 'b'), std::string(101, 'c'),
                                  std::string(100, 'd')};
    for (const auto& d : inputs)
        q.receive(d, 1, 0, out);
    REQUIRE(out.size() == 3);
    CHECK(out[0].payload == std::string(10, 'a'));
    CHECK(out[1].payload == "bbbbb");
    CHECK(out[2].payload == std::string(10, 'd'));
    CHECK(q.counters().truncated == 2);
    CHECK(q.counters().dropped(relay_drop::mtu) == 1);
    CHECK(q.counters().adds_up());
}

TEST_CASE("the same seed gives the same run; another seed another") {
    impairment c;
    c.loss = 0.05;
    c.duplicate = 0.02;
    c.reorder = 0.05;
    c.corrupt = 0.01;
    c.delay_ns = 2 * ms;
    c.jitter_ns = 1 * ms;
    impairment_pipeline a(c, 1234), b(c, 1234), other(c, 4321);
    const auto ra = run(a, 5000), rb = run(b, 5000), ro = run(other, 5000);
    CHECK(ra == rb);
    CHECK(ra != ro);
    CHECK(a.counters().dropped_by == b.counters().dropped_by);
    CHECK(a.counters().reordered == b.counters().reordered);
    CHECK(a.counters().adds_up());
    CHECK(other.counters().adds_up());
}

TEST_CASE("refuse and unsend keep the counters adding up") {
    impairment_pipeline p(impairment{}, 1);
    std::vector<relay_output> out;
    p.refuse(relay_drop::oversize);
    p.refuse(relay_drop::table_full);
    p.receive("x", 1, 0, out);
    p.unsend(relay_drop::send_error);
    CHECK(p.counters().received == 3);
    CHECK(p.counters().forwarded == 0);
    CHECK(p.counters().dropped() == 3);
    CHECK(p.counters().dropped(relay_drop::send_error) == 1);
    CHECK(p.counters().adds_up());
}

TEST_CASE("impairment::check names the options") {
    impairment j;
    j.delay_ns = 10 * ms;
    j.jitter_ns = 20 * ms;
    CHECK(j.check().error().message ==
          "--jitter 20 ms is larger than --delay 10 ms; the delay varies uniformly over "
          "DELAY-JITTER..DELAY+JITTER, so the jitter must be at most the delay");
    impairment r;
    r.rate_pps = 10;
    r.bandwidth_bps = 10;
    CHECK_FALSE(r.check());
    impairment b;
    b.burst_loss = 0.9;
    b.burst_length = 1;
    CHECK(b.check().error().message.find("cannot be reached") != std::string::npos);
    b.burst_length = 20;
    CHECK(b.check());
}

TEST_CASE("client table: bounded, fails closed, idle clients expire, ids are not reused") {
    client_table t(2, 10 * ms);
    const auto a = *ip_endpoint::parse("127.0.0.1:5001");
    const auto b = *ip_endpoint::parse("127.0.0.1:5002");
    const auto c = *ip_endpoint::parse("127.0.0.1:5003");
    const auto ia = t.admit(a, 0);
    REQUIRE(ia.slot);
    CHECK(ia.added);
    CHECK(t.admit(a, 1 * ms).added == false);
    const auto ib = t.admit(b, 2 * ms);
    REQUIRE(ib.slot);
    CHECK(ia.id != ib.id);
    CHECK(t.size() == 2);
    const auto ic = t.admit(c, 3 * ms);
    CHECK_FALSE(ic.slot); // full: refused, nobody evicted
    CHECK(t.slot_of(ia.id) == ia.slot);
    t.touch(*ib.slot, 9 * ms);
    const auto gone = t.expire(11 * ms); // a idle since 1 ms; b active at 9 ms
    REQUIRE(gone.size() == 1);
    CHECK(gone[0] == *ia.slot);
    CHECK(t.expired() == 1);
    CHECK_FALSE(t.slot_of(ia.id));
    const auto ic2 = t.admit(c, 12 * ms);
    REQUIRE(ic2.slot);
    CHECK(*ic2.slot == *ia.slot); // the slot is reused...
    CHECK(ic2.id != ia.id);       // ...under a new id
    CHECK(t.address(*ic2.slot) == c);
}

TEST_CASE("the stats line, text and JSON") {
    client_table t(4, ms);
    t.admit(*ip_endpoint::parse("127.0.0.1:5001"), 0);
    relay_counters f;
    f.received = 10;
    f.forwarded = 9;
    f.dropped_by[static_cast<std::size_t>(relay_drop::loss)] = 1;
    relay_counters b;
    b.kernel_drops = 3;
    const std::string text = format_relay_stats(42, t, f, b, false);
    CHECK(text.rfind("stats: seed=42 clients=1 clients_expired=0 forward.received=10 "
                     "forward.forwarded=9 forward.dropped=1 forward.dropped_loss=1 ",
                     0) == 0);
    CHECK(text.find(" back.received=0 back.forwarded=0") != std::string::npos);
    const std::string tail = " back.pending=0 back.kernel_drops=3";
    CHECK(text.find(tail) == text.size() - tail.size());
    const std::string json = format_relay_stats(42, t, f, b, true);
    CHECK(json.rfind("{\"seed\":42,\"clients\":1,\"clients_expired\":0,\"forward\":{\"received\""
                     ":10,\"forwarded\":9,\"dropped\":1,\"dropped_loss\":1,",
                     0) == 0);
    CHECK(json.find(",\"back\":{\"received\":0,") != std::string::npos);
    CHECK(json.find("\"forward\":{") < json.find("\"kernel_drops\":0"));
    CHECK(json.substr(json.size() - 19) == ",\"kernel_drops\":3}}");
}
