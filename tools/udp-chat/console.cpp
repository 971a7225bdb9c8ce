#include "console.hpp"

#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

namespace udpkit {

console* console::active_ = nullptr;

result<std::unique_ptr<console>> console::start(event_loop& loop, const std::string& prompt,
                                                line_handler on_line) {
    if (active_ != nullptr)
        return fail("the terminal is already in use by another console");
    std::unique_ptr<console> self(new console(loop, std::move(on_line)));
    auto* raw = self.get();
    fd_events interest;
    interest.readable = true;
    interest.disconnected = true;
    if (auto watching =
            self->stdin_watch_.watch(STDIN_FILENO, interest, "watch the terminal",
                                     [raw](result<fd_events> ready) { raw->on_readable(ready); });
        !watching)
        return unexpected{std::move(watching).error()};

    // Signals stay with the libuv loop (SIGINT/SIGTERM end the chat, SIGWINCH calls resize()),
    // so readline must not install handlers of its own.
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_readline_name = "udp-chat";
    stifle_history(1000);
    active_ = self.get();
    self->prompt_ = prompt;
    rl_callback_handler_install(self->prompt_.c_str(), &console::on_readline_line);
    self->installed_ = true;
    return self;
}

console::console(event_loop& loop, line_handler on_line)
    : on_line_(std::move(on_line)), stdin_watch_(loop) {}

console::~console() {
    stop();
    stdin_watch_.close();
    if (active_ == this)
        active_ = nullptr;
}

void console::stop() noexcept {
    stdin_watch_.stop();
    if (!installed_)
        return;
    installed_ = false;
    if (!in_line_handler_ || at_eof_) {
        // Leave the half-typed line (or the prompt Ctrl-D left) on screen and put the shell's
        // prompt below it.
        std::fputc('\n', stdout);
    }
    rl_callback_handler_remove(); // restores the terminal modes
    std::fflush(stdout);
}

void console::set_prompt(const std::string& prompt) {
    prompt_ = prompt;
    if (installed_)
        rl_set_prompt(prompt_.c_str());
}

namespace {

// Columns `text` takes on the terminal (UTF-8 by the locale; a character it cannot measure, e.g.
// a control character readline shows as ^X, counts two).
std::size_t display_width(const std::string& text) {
    std::mbstate_t state{};
    std::size_t columns = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
        wchar_t c = 0;
        const std::size_t n = std::mbrtowc(&c, p, static_cast<std::size_t>(end - p), &state);
        if (n == 0 || n > static_cast<std::size_t>(end - p)) { // NUL, invalid or cut short
            ++p;
            columns += 2;
            state = {};
            continue;
        }
        const int w = ::wcwidth(c);
        columns += w < 0 ? 2 : static_cast<std::size_t>(w);
        p += n;
    }
    return columns;
}

} // namespace

void console::erase_input() const noexcept {
    int rows = 0, columns = 0;
    rl_get_screen_size(&rows, &columns);
    if (columns <= 0)
        columns = 80;
    // The terminal (tmux, xterm, VTE) rewraps the input at the new width, so the cursor's row in
    // it follows from what stands before the cursor: readline's own idea of the old layout does
    // not, which left stale prompt copies and cleared received messages after a resize.
    const std::size_t before_cursor =
        display_width(prompt_) + display_width(std::string(rl_line_buffer, rl_point));
    const std::size_t up = before_cursor / static_cast<std::size_t>(columns);
    if (up > 0)
        std::fprintf(stdout, "\x1b[%zuA", up);
    std::fputs("\r\x1b[J", stdout); // to the first row's start, and clear to the screen's end
}

void console::resize() noexcept {
    if (!installed_ || in_line_handler_)
        return;
    rl_reset_screen_size(); // the new width, without readline's own redraw
    erase_input();
    rl_on_new_line();
    rl_redisplay();
    std::fflush(stdout);
}

void console::print(const std::vector<std::string>& lines) {
    if (lines.empty())
        return;
    // Inside the line handler readline has already moved to a fresh line and will draw the
    // prompt when the handler returns; otherwise the input line is on screen and must make room.
    const bool redraw = installed_ && !in_line_handler_;
    if (redraw)
        erase_input();
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

void console::on_readable(result<fd_events> ready) noexcept {
    if (!installed_)
        return;
    if (!ready) {
        // The terminal is gone: treat it as the end of input.
        stop();
        on_line_(std::nullopt);
        return;
    }
    rl_callback_read_char(); // may call on_readline_line
}

void console::on_readline_line(char* line) noexcept {
    console* self = active_;
    std::optional<std::string> text;
    if (line != nullptr) {
        text.emplace(line);
        if (!text->empty())
            add_history(line);
        std::free(line);
    }
    if (self == nullptr)
        return;
    self->at_eof_ = !text;
    self->in_line_handler_ = true;
    try {
        self->on_line_(std::move(text));
    } catch (...) {
        // An exception must not unwind through readline's C frames; the chat's handler does not
        // throw short of memory exhaustion, where ending the input is the safe reaction.
        self->stop();
    }
    if (active_ == self)
        self->in_line_handler_ = false;
}

} // namespace udpkit
