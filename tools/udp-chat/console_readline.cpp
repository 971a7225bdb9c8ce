// console on GNU readline's callback interface, fed by a readiness watcher on stdin.
#include "console.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <string_view>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "udpkit/io/fd_watcher.hpp"
#include "udpkit/terminal_layout.hpp"

namespace udpkit {

struct console::state {
    state(event_loop& loop, line_handler handler)
        : on_line(std::move(handler)), stdin_watch(loop) {}

    void stop() noexcept;
    void on_readable(result<fd_events> ready) noexcept;
    static void on_readline_line(char* line) noexcept;
    static char** on_complete(const char* text, int start, int end) noexcept;
    static char* next_match(const char* text, int index) noexcept;

    static state* active; // readline's line callback has no user pointer
    line_handler on_line;
    completer complete;
    std::vector<std::string> matches; // of the completion in progress
    std::size_t next = 0;
    fd_watcher stdin_watch;
    std::string prompt;
    bool installed = false;
    bool in_line_handler = false; // readline has handed over a line: the screen is ours
    bool at_eof = false;          // Ctrl-D: readline left the cursor after the prompt
};

console::state* console::state::active = nullptr;

result<std::unique_ptr<console>> console::start(event_loop& loop, const std::string& prompt,
                                                line_handler on_line) {
    if (state::active != nullptr)
        return fail("the terminal is already in use by another console");
    std::unique_ptr<console> self(new console(std::make_unique<state>(loop, std::move(on_line))));
    auto* raw = self->state_.get();
    fd_events interest;
    interest.readable = true;
    interest.disconnected = true;
    if (auto watching =
            raw->stdin_watch.watch(STDIN_FILENO, interest, "watch the terminal",
                                   [raw](result<fd_events> ready) { raw->on_readable(ready); });
        !watching)
        return unexpected{std::move(watching).error()};

    // Signals stay with the libuv loop (SIGINT/SIGTERM end the chat, SIGWINCH calls resize()),
    // so readline must not install handlers of its own.
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_readline_name = "udp-chat";
    rl_attempted_completion_function = &state::on_complete;
    stifle_history(1000);
    state::active = raw;
    raw->prompt = prompt;
    rl_callback_handler_install(raw->prompt.c_str(), &state::on_readline_line);
    raw->installed = true;
    return self;
}

console::console(std::unique_ptr<state> s) : state_(std::move(s)) {}

console::~console() {
    stop();
    state_->stdin_watch.close();
    if (state::active == state_.get())
        state::active = nullptr;
}

void console::stop() noexcept {
    state_->stop();
}

void console::state::stop() noexcept {
    stdin_watch.stop();
    if (!installed)
        return;
    installed = false;
    if (!in_line_handler || at_eof) {
        // Leave the half-typed line (or the prompt Ctrl-D left) on screen and put the shell's
        // prompt below it.
        std::fputc('\n', stdout);
    }
    rl_callback_handler_remove(); // restores the terminal modes
    std::fflush(stdout);
}

void console::set_completer(completer complete) {
    state_->complete = std::move(complete);
}

// Tab: the chat's candidates only, never readline's default of file names.
char** console::state::on_complete(const char* text, int start, int) noexcept {
    rl_attempted_completion_over = 1;
    state* self = active;
    if (self == nullptr || !self->complete)
        return nullptr;
    try {
        self->matches =
            self->complete(std::string_view(rl_line_buffer, static_cast<std::size_t>(start)), text);
    } catch (...) {
        return nullptr;
    }
    return self->matches.empty() ? nullptr : rl_completion_matches(text, &state::next_match);
}

char* console::state::next_match(const char*, int state_index) noexcept {
    state* self = active;
    if (self == nullptr)
        return nullptr;
    if (state_index == 0)
        self->next = 0;
    return self->next < self->matches.size() ? strdup(self->matches[self->next++].c_str())
                                             : nullptr;
}

void console::set_prompt(const std::string& prompt) {
    state_->prompt = prompt;
    if (state_->installed)
        rl_set_prompt(state_->prompt.c_str());
}

namespace {

// Writes `text` to `cursor` character by character, each as wide as it is on the terminal (UTF-8
// by the locale; a character it cannot measure, e.g. a control character readline shows as ^X,
// counts two).
void put_text(terminal_cursor& cursor, std::string_view text) noexcept {
    std::mbstate_t state{};
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
        wchar_t c = 0;
        const std::size_t n = std::mbrtowc(&c, p, static_cast<std::size_t>(end - p), &state);
        if (n == 0 || n > static_cast<std::size_t>(end - p)) { // NUL, invalid or cut short
            ++p;
            cursor.put(2);
            state = {};
            continue;
        }
        const int w = ::wcwidth(c);
        cursor.put(w < 0 ? 2 : static_cast<std::size_t>(w));
        p += n;
    }
}

// Erases the prompt and the typed text from the screen, however many rows they wrap over at the
// terminal's current width, leaving the cursor at the start of their first row.
void erase_input(const std::string& prompt) noexcept {
    int rows = 0, columns = 0;
    rl_get_screen_size(&rows, &columns);
    if (columns <= 0)
        columns = 80;
    // The terminal (tmux, xterm, VTE) rewraps the input at the new width, so the cursor's row in
    // it follows from what stands before the cursor: readline's own idea of the old layout does
    // not, which left stale prompt copies and cleared received messages after a resize. The
    // wrap is simulated, not divided out: a double-width character that does not fit at a row's
    // end starts the next row, leaving a column empty.
    terminal_cursor cursor(static_cast<std::size_t>(columns));
    put_text(cursor, prompt);
    put_text(cursor, std::string_view(rl_line_buffer, static_cast<std::size_t>(rl_point)));
    if (const std::size_t up = cursor.row(); up > 0)
        std::fprintf(stdout, "\x1b[%zuA", up);
    std::fputs("\r\x1b[J", stdout); // to the first row's start, and clear to the screen's end
}

} // namespace

void console::resize() noexcept {
    if (!state_->installed || state_->in_line_handler)
        return;
    rl_reset_screen_size(); // the new width, without readline's own redraw
    erase_input(state_->prompt);
    rl_on_new_line();
    rl_redisplay();
    std::fflush(stdout);
}

void console::print(const std::vector<std::string>& lines) {
    if (lines.empty())
        return;
    // Inside the line handler readline has already moved to a fresh line and will draw the
    // prompt when the handler returns; otherwise the input line is on screen and must make room.
    const bool redraw = state_->installed && !state_->in_line_handler;
    if (redraw)
        erase_input(state_->prompt);
    for (const auto& line : lines) {
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
    }
    if (redraw) {
        rl_on_new_line();
        rl_redisplay();
    }
    std::fflush(stdout);
}

void console::state::on_readable(result<fd_events> ready) noexcept {
    if (!installed)
        return;
    if (!ready) {
        // The terminal is gone: treat it as the end of input.
        stop();
        on_line(std::nullopt);
        return;
    }
    rl_callback_read_char(); // may call on_readline_line
}

void console::state::on_readline_line(char* line) noexcept {
    state* self = active;
    std::optional<std::string> text;
    if (line != nullptr) {
        text.emplace(line);
        if (!text->empty())
            add_history(line);
        std::free(line);
    }
    if (self == nullptr)
        return;
    self->at_eof = !text;
    self->in_line_handler = true;
    try {
        self->on_line(std::move(text));
    } catch (...) {
        // An exception must not unwind through readline's C frames; the chat's handler does not
        // throw short of memory exhaustion, where ending the input is the safe reaction.
        self->stop();
    }
    if (active == self)
        self->in_line_handler = false;
}

} // namespace udpkit
