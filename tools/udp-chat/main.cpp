// udp-chat: a chat peer that talks to the peers of a TOML directory by name.
#include <csignal>
#include <variant>

#include "chat_tool.hpp"

int main(int argc, char** argv) {
    // A reader that goes away (`udp-chat ... | head -1`) must end the chat with a message and
    // exit code 1, not kill it silently before the summary.
    std::signal(SIGPIPE, SIG_IGN);
    auto parsed = udpkit::parse_chat_options(udpkit::cli::arguments(argc, argv));
    if (auto* exit = std::get_if<udpkit::cli::exit_now>(&parsed))
        return exit->print();
    return udpkit::run_chat(std::get<udpkit::chat_options>(parsed));
}
