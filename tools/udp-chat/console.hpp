#pragma once
// The interactive terminal of udp-chat: GNU readline's callback ("alternate") interface, driven
// by the event loop through a readiness watcher on stdin, so that messages arriving while a line
// is being typed are printed above it and the line is redrawn intact.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "udpkit/io/event_loop.hpp"
#include "udpkit/io/fd_watcher.hpp"

namespace udpkit {

class console {
public:
    /// Called with each line the user enters, or nullopt at the end of input (Ctrl-D).
    using line_handler = std::function<void(std::optional<std::string>)>;

    /// Takes over the terminal on stdin/stdout (readline is global: one console at a time).
    static result<std::unique_ptr<console>> start(event_loop& loop, const std::string& prompt,
                                                  line_handler on_line);
    /// Restores the terminal.
    ~console();
    console(const console&) = delete;
    console& operator=(const console&) = delete;

    /// Prints `lines` above the line being typed, then redraws the prompt and the typed text with
    /// the cursor where it was.
    void print(const std::vector<std::string>& lines);
    void set_prompt(const std::string& prompt);
    /// The terminal changed size (SIGWINCH).
    void resize() noexcept;
    /// Stops reading and gives the terminal back; safe to call from the line handler.
    void stop() noexcept;

private:
    console(event_loop& loop, line_handler on_line);
    void on_readable(result<fd_events> ready) noexcept;
    static void on_readline_line(char* line) noexcept;
    // Erases the prompt and the typed text from the screen, however many rows they wrap over at
    // the terminal's current width, leaving the cursor at the start of their first row.
    void erase_input() const noexcept;

    static console* active_; // readline's line callback has no user pointer
    line_handler on_line_;
    fd_watcher stdin_watch_;
    std::string prompt_;
    bool installed_ = false;
    bool in_line_handler_ = false; // readline has handed over a line: the screen is ours
    bool at_eof_ = false;          // Ctrl-D: readline left the cursor after the prompt
};

} // namespace udpkit
