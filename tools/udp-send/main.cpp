// udp-send: parse options -> run the chosen mode -> exit code.
#include <variant>

#include "send_options.hpp"
#include "session.hpp"

int main(int argc, char** argv) {
    using namespace udpkit;
    auto parsed = parse_send_options(cli::arguments(argc, argv));
    if (auto* exit = std::get_if<cli::exit_now>(&parsed))
        return exit->print();
    const auto& options = std::get<send_options>(parsed);
    switch (options.mode) {
    case send_mode::burst:
        return send::run_burst(options);
    case send_mode::script:
        return send::run_script(options);
    case send_mode::once:
        break;
    }
    return send::run_once(options);
}
