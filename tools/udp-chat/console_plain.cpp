// console without readline (-Dreadline=disabled): the terminal stays in its normal (canonical)
// mode, so the kernel echoes and edits the line being typed and hands it over on Enter. A
// message that arrives meanwhile clears the screen line (prompt and echo) and is printed there,
// followed by a fresh prompt; the half-typed text is still in the terminal's buffer, only no
// longer shown (readline's console redraws it).
#include "console.hpp"

#include <cstdio>
#include <functional>

#include "udpkit/io/stdin_reader.hpp"
#include "udpkit/limits.hpp"
#include "udpkit/line_splitter.hpp"

namespace udpkit {

namespace {
// Return to column 0 and erase the line: the prompt and whatever the terminal echoed after it.
constexpr const char* clear_line = "\r\033[K";
} // namespace

struct console::state {
    state(event_loop& loop, line_handler handler);

    void stop() noexcept;
    void on_data(std::string_view bytes);
    void on_end(result<void> how); // a read error ends the input like Ctrl-D
    void show_prompt();

    static inline state* active = nullptr; // one console owns the terminal
    line_handler on_line;
    stdin_reader reader;
    // A terminal hands over at most a few KiB per line; longer (pasted) input is kept only up to
    // the largest datagram, which is then refused by size like any over-limit line.
    line_splitter lines{max_payload_ipv6 + 1};
    std::string prompt;
    bool installed = false;
    bool in_line_handler = false; // the prompt is drawn once the handler returns
    bool at_line_start = true;    // false while the prompt (and maybe typed text) is on screen
};

console::state::state(event_loop& loop, line_handler handler)
    : on_line(std::move(handler)),
      reader(loop, std::bind_front(&state::on_data, this), std::bind_front(&state::on_end, this)) {}

result<std::unique_ptr<console>> console::start(event_loop& loop, const std::string& prompt,
                                                line_handler on_line) {
    if (state::active != nullptr)
        return fail("the terminal is already in use by another console");
    std::unique_ptr<console> self(new console(std::make_unique<state>(loop, std::move(on_line))));
    auto* raw = self->state_.get();
    if (auto reading = raw->reader.start(); !reading)
        return unexpected{std::move(reading).error()};
    state::active = raw;
    raw->prompt = prompt;
    raw->installed = true;
    raw->show_prompt();
    return self;
}

console::console(std::unique_ptr<state> s) : state_(std::move(s)) {}

console::~console() {
    stop();
    if (state::active == state_.get())
        state::active = nullptr;
}

void console::stop() noexcept {
    state_->stop();
}

void console::state::stop() noexcept {
    reader.pause();
    if (!installed)
        return;
    installed = false;
    if (!at_line_start)
        std::fputc('\n', stdout); // leave our line on screen, the shell's prompt below it
    std::fflush(stdout);
}

void console::set_completer(completer) {} // the terminal's own line editing has none

void console::set_prompt(const std::string& prompt) {
    state_->prompt = prompt;
}

void console::resize() noexcept {} // the terminal wraps the typed line itself

void console::print(const std::vector<std::string>& lines) {
    if (lines.empty())
        return;
    if (!state_->at_line_start)
        std::fputs(clear_line, stdout);
    for (const auto& line : lines) {
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
    }
    state_->at_line_start = true;
    if (!state_->in_line_handler)
        state_->show_prompt();
    std::fflush(stdout);
}

void console::state::show_prompt() {
    if (installed) {
        std::fputs(prompt.c_str(), stdout);
        at_line_start = false;
    }
    std::fflush(stdout);
}

void console::state::on_data(std::string_view bytes) {
    lines.feed(bytes);
    while (installed) {
        auto line = lines.next();
        if (!line)
            break;
        at_line_start = true; // the terminal echoed the Enter
        in_line_handler = true;
        on_line(std::move(line->text));
        in_line_handler = false;
        show_prompt();
    }
}

void console::state::on_end(result<void>) {
    if (!installed)
        return;
    stop(); // Ctrl-D left the cursor after the prompt
    on_line(std::nullopt);
}

} // namespace udpkit
