// The script interpreter: a state machine over the parsed commands, fed time and datagrams.
#include <algorithm>
#include <cstdio>

#include <re2/re2.h>

#include "udpkit/hex.hpp"
#include "udpkit/render.hpp"
#include "udpkit/script.hpp"
#include "udpkit/stats.hpp"

namespace udpkit::script {
namespace {

constexpr std::size_t preview_bytes = 64;

// `"hello"` (5 bytes), rendered terminal-safe and cut after preview_bytes.
std::string preview(std::string_view bytes) {
    std::string out = "\"";
    out += render_untrusted(bytes.substr(0, preview_bytes), render_style::quoted);
    out += bytes.size() > preview_bytes ? "\"..." : "\"";
    return out + " (" + std::to_string(bytes.size()) + " bytes)";
}

std::string millis(std::uint64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(ns) / 1e6);
    return buf;
}

bool masked_equal(std::string_view got, const matcher& m) {
    if (got.size() != m.bytes.size())
        return false;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (((got[i] ^ m.bytes[i]) & m.mask[i]) != 0)
            return false;
    return true;
}

} // namespace

interpreter::interpreter(const program& p, std::vector<std::string> labels)
    : program_(p), labels_(std::move(labels)), target_(p.initial_target) {
    labels_.resize(p.targets.size());
    for (std::size_t i = 0; i < labels_.size(); ++i)
        if (labels_[i].empty())
            labels_[i] = p.targets[i].text;
    for (std::size_t i = 0; i < p.targets.size(); ++i) {
        group_.push_back(p.targets[i].is_group);
        any_group_ = any_group_ || p.targets[i].is_group;
        same_as_.push_back(i);
    }
    stack_.push_back({&p.commands, 0, 0, 1});
    for (const auto& c : p.counters) {
        next_value_.push_back(c.start);
        last_used_.emplace_back();
    }
}

void interpreter::set_group(std::size_t index) {
    if (index < group_.size()) {
        group_[index] = true;
        any_group_ = true;
    }
}

void interpreter::set_same_address(std::size_t index, std::size_t first) {
    if (index < same_as_.size() && first < same_as_.size())
        same_as_[index] = same_as_[first];
}

bool interpreter::answers(const incoming& in) const noexcept {
    if (!target_)
        return false;
    const std::size_t to = *target_;
    if (!group_[to] || !in.error.empty()) // an error is about one target: the group's own
        return in.from && canonical(*in.from) == canonical(to);
    const auto& from = current_->match.from;
    return !from || (in.from && canonical(*in.from) == canonical(*from));
}

const command* interpreter::next_command() {
    while (!stack_.empty()) {
        frame& f = stack_.back();
        if (f.next < f.body->size())
            return &(*f.body)[f.next++];
        if (++f.iteration < f.count) {
            f.next = 0;
            continue;
        }
        stack_.pop_back();
    }
    return nullptr;
}

std::string interpreter::iteration_text() const {
    std::string out;
    for (std::size_t i = 1; i < stack_.size(); ++i) {
        if (!out.empty())
            out += ' ';
        out += std::to_string(stack_[i].iteration + 1) + "/" + std::to_string(stack_[i].count);
    }
    return out;
}

void interpreter::begin_step(const command& c, std::uint64_t now_ns) {
    step_report r;
    r.pos = c.pos;
    r.line = c.line;
    r.iteration = iteration_text();
    r.expectation = c.kind == op::expect;
    r.started_ns = now_ns;
    reports_.push_back(std::move(r));
}

void interpreter::end_step(outcome o, std::string detail, std::uint64_t now_ns) {
    step_report& r = reports_.back();
    r.result = o;
    r.detail = std::move(detail);
    r.finished_ns = now_ns;
    if (o == outcome::failed)
        ++failures_;
}

bool interpreter::mentions(const text_template& t, std::size_t counter) const {
    return std::any_of(t.begin(), t.end(),
                       [&](const text_part& p) { return p.counter == static_cast<int>(counter); });
}

std::string interpreter::expand(const text_template& t, bool for_send) const {
    std::string out;
    for (const auto& part : t) {
        if (part.counter < 0) {
            out += part.literal;
            continue;
        }
        const auto i = static_cast<std::size_t>(part.counter);
        const std::uint64_t value =
            for_send ? next_value_[i] : last_used_[i].value_or(program_.counters[i].start);
        out += std::to_string(value);
    }
    return out;
}

std::optional<action> interpreter::run_send(const command& c, std::uint64_t now_ns) {
    begin_step(c, now_ns);
    if (!target_) {
        end_step(outcome::failed, "no target selected", now_ns);
        return std::nullopt;
    }
    std::string payload = c.bytes ? *c.bytes : expand(c.payload, true);
    const std::size_t to = *target_;
    if (auto fits = program_.targets[to].limit.check(payload.size()); !fits) {
        end_step(outcome::failed, "not sent to " + labels_[to] + ": " + fits.error().message,
                 now_ns);
        return std::nullopt;
    }
    for (std::size_t i = 0; i < next_value_.size(); ++i) {
        if (program_.counters[i].every_send || mentions(c.payload, i)) {
            last_used_[i] = next_value_[i];
            ++next_value_[i];
        }
    }
    end_step(outcome::done, "sent " + preview(payload) + " to " + labels_[to], now_ns);
    if (group_[to]) {
        // What came before this send answers none of it: leftovers from the members that were
        // not the first to answer the previous one.
        const auto before = inbox_.size();
        std::erase_if(inbox_, [](const incoming& in) { return in.error.empty(); });
        ignored_ += before - inbox_.size();
    }
    last_send_step_ = reports_.size() - 1;
    last_send_ns_ = now_ns;
    last_payload_ = payload;
    if (interval_ns_ != 0) {
        if (!slot_valid_)
            next_slot_ns_ = now_ns;
        slot_valid_ = true;
        next_slot_ns_ += interval_ns_; // a schedule: a late timer is caught up
    }
    return action{action::kind::send, to, std::move(payload), 0};
}

void interpreter::resume_schedule(std::uint64_t now_ns) {
    // The next send still waits for its slot, but a wait longer than the slot gives no credit:
    // sends after a long expect are not caught up in a burst.
    next_slot_ns_ = std::max(next_slot_ns_, now_ns);
}

void interpreter::finish_expect(const incoming* in, std::uint64_t now_ns) {
    const command& c = *current_;
    const matcher& m = c.match;
    state_ = state::running;
    resume_schedule(now_ns);
    current_ = nullptr;
    if (in != nullptr && !in->error.empty()) {
        end_step(outcome::failed, in->error, now_ns);
        return;
    }
    if (m.kind == match_kind::none) {
        if (in == nullptr)
            end_step(outcome::passed, "no reply within " + millis(c.duration_ns), now_ns);
        else
            end_step(outcome::failed, "got " + preview(in->payload) + ", expected none", now_ns);
        return;
    }
    if (in == nullptr) {
        end_step(outcome::failed, "no reply within " + millis(c.duration_ns), now_ns);
        return;
    }
    std::string after = " after ";
    after += millis(in->at_ns > last_send_ns_ ? in->at_ns - last_send_ns_ : 0);
    if (!in->source.empty() && target_ && group_[*target_]) {
        after += " from ";
        after += in->source;
    }
    if (in->truncated) {
        end_step(outcome::failed,
                 "got a truncated datagram of " + std::to_string(in->size) +
                     " bytes (over the size limit)" + after,
                 now_ns);
        return;
    }
    const std::string_view got = in->payload;
    bool ok = false;
    std::string wanted;
    switch (m.kind) {
    case match_kind::text:
        wanted = expand(m.text, false);
        ok = got == wanted;
        wanted = "expected " + preview(wanted);
        break;
    case match_kind::prefix:
        wanted = expand(m.text, false);
        ok = got.substr(0, wanted.size()) == wanted;
        wanted = "expected a prefix " + preview(wanted);
        break;
    case match_kind::regex:
        ok = RE2::PartialMatch(re2::StringPiece(got.data(), got.size()), *m.regex);
        wanted = "expected a match of /" + render_untrusted(m.regex->pattern()) + "/";
        break;
    case match_kind::hex:
        ok = masked_equal(got, m);
        wanted = "expected hex " + to_hex(m.bytes, preview_bytes) + " mask " +
                 to_hex(m.mask, preview_bytes) + "; got hex " + to_hex(got, preview_bytes);
        break;
    case match_kind::size:
        ok = got.size() >= m.min_size && got.size() <= m.max_size;
        wanted = "expected " + std::to_string(m.min_size) +
                 (m.min_size == m.max_size ? "" : ".." + std::to_string(m.max_size)) + " bytes";
        break;
    case match_kind::echo:
        if (!last_send_step_) {
            ok = false;
            wanted = "expected the echo of a send, but nothing was sent before";
            break;
        }
        ok = got == last_payload_;
        wanted = "expected the echo of the latest send, " + preview(last_payload_) + ": " +
                 echo_difference(last_payload_, got);
        break;
    case match_kind::none:
        break;
    }
    if (ok)
        end_step(outcome::passed, "got " + preview(got) + after, now_ns);
    else
        end_step(outcome::failed, "got " + preview(got) + after + ", " + wanted, now_ns);
}

action interpreter::advance(std::uint64_t now_ns) {
    for (;;) {
        switch (state_) {
        case state::finished:
            return {};
        case state::sleeping:
            if (now_ns < until_ns_)
                return {action::kind::wait, 0, {}, until_ns_};
            end_step(outcome::done, "slept " + millis(now_ns - reports_.back().started_ns), now_ns);
            state_ = state::running;
            resume_schedule(now_ns);
            continue;
        case state::expecting: {
            auto it = std::find_if(inbox_.begin(), inbox_.end(),
                                   [&](const incoming& in) { return answers(in); });
            if (it != inbox_.end()) {
                const incoming in = std::move(*it);
                inbox_.erase(it);
                finish_expect(&in, now_ns);
            } else if (now_ns >= until_ns_) {
                finish_expect(nullptr, now_ns);
            } else {
                return {action::kind::wait, 0, {}, until_ns_};
            }
            continue;
        }
        case state::running:
            break;
        }
        const command* c = next_command();
        if (c == nullptr) {
            state_ = state::finished;
            return {};
        }
        switch (c->kind) {
        case op::target:
            target_ = c->target;
            break;
        case op::rate:
            interval_ns_ = c->number == 0 ? 0 : 1'000'000'000 / c->number;
            slot_valid_ = false;
            break;
        case op::repeat:
            if (c->number > 0 && !c->body.empty())
                stack_.push_back({&c->body, 0, 0, c->number});
            break;
        case op::sleep:
        case op::expect:
            begin_step(*c, now_ns);
            current_ = c;
            until_ns_ = now_ns + c->duration_ns;
            state_ = c->kind == op::sleep ? state::sleeping : state::expecting;
            expectations_ += c->kind == op::expect;
            break;
        case op::send:
            if (interval_ns_ != 0 && slot_valid_ && now_ns < next_slot_ns_) {
                --stack_.back().next; // run this send again when its slot comes
                return {action::kind::wait, 0, {}, next_slot_ns_};
            }
            if (auto a = run_send(*c, now_ns))
                return std::move(*a);
            break;
        }
    }
}

void interpreter::queue(incoming in) {
    if (inbox_.size() >= max_inbox) {
        ++dropped_;
        return;
    }
    inbox_.push_back(std::move(in));
}

void interpreter::on_datagram(std::uint64_t now_ns, std::optional<std::size_t> from,
                              std::string_view payload, std::size_t size, bool truncated,
                              std::string_view source) {
    if (!from && !any_group_) {
        ++ignored_;
        return;
    }
    queue({from, std::string(source), std::string(payload), size, truncated, {}, now_ns});
}

void interpreter::send_failed(const std::string& message) {
    if (!last_send_step_)
        return;
    step_report& r = reports_[*last_send_step_];
    if (r.result == outcome::failed)
        return;
    r.result = outcome::failed;
    r.detail = "not sent: " + message;
    ++failures_;
}

void interpreter::on_error(std::uint64_t now_ns, std::optional<std::size_t> about,
                           std::string message) {
    const auto t = about ? about : target_;
    if (!t)
        return;
    queue({*t, {}, {}, 0, false, std::move(message), now_ns});
}

} // namespace udpkit::script
