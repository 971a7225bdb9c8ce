// udp-echo: a UDP responder (echo, upper-case or fixed replies) that is safe to leave running.
#include "echo_server.hpp"

int main(int argc, char** argv) {
    auto parsed = udpkit::parse_echo_options(udpkit::cli::arguments(argc, argv));
    if (auto* exit = std::get_if<udpkit::cli::exit_now>(&parsed))
        return exit->print();
    return udpkit::run_echo(std::get<udpkit::echo_options>(parsed));
}
