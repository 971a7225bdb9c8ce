// udp-relay: an impairing UDP relay (loss, duplicates, reordering, delay, rate, corruption),
// per direction and repeatable with --seed, that never merges or splits a datagram.
#include "relay_server.hpp"

int main(int argc, char** argv) {
    auto parsed = udpkit::parse_relay_options(udpkit::cli::arguments(argc, argv));
    if (auto* exit = std::get_if<udpkit::cli::exit_now>(&parsed))
        return exit->print();
    return udpkit::run_relay(std::get<udpkit::relay_options>(parsed));
}
