#pragma once
// The interactive terminal of udp-chat, driven by the event loop, so that messages arriving
// while a line is being typed are printed above it. Two implementations, chosen by meson's
// -Dreadline: GNU readline's callback ("alternate") interface (console_readline.cpp), which
// redraws the typed line intact, or a plain line reader on the terminal's own line editing
// (console_plain.cpp), which prints messages above a fresh prompt.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/result.hpp"

namespace udpkit {

class console {
public:
    /// Called with each line the user enters, or nullopt at the end of input (Ctrl-D).
    using line_handler = std::function<void(std::optional<std::string>)>;
    /// The candidates for Tab completion of `word`, given the text `before` it on the line.
    using completer =
        std::function<std::vector<std::string>(std::string_view before, std::string_view word)>;

    /// Takes over the terminal on stdin/stdout (readline is global: one console at a time).
    static result<std::unique_ptr<console>> start(event_loop& loop, const std::string& prompt,
                                                  line_handler on_line);
    /// Restores the terminal.
    ~console();
    console(const console&) = delete;
    console& operator=(const console&) = delete;

    /// Prints `lines` above the line being typed, then redraws the prompt (with readline, also
    /// the typed text with the cursor where it was).
    void print(const std::vector<std::string>& lines);
    void set_prompt(const std::string& prompt);
    /// Tab completes with `complete` (readline; the plain reader has no completion).
    void set_completer(completer complete);
    /// The terminal changed size (SIGWINCH).
    void resize() noexcept;
    /// Stops reading and gives the terminal back; safe to call from the line handler.
    void stop() noexcept;

private:
    struct state; // the implementation's (readline's or the plain reader's)
    explicit console(std::unique_ptr<state> s);

    std::unique_ptr<state> state_;
};

} // namespace udpkit
