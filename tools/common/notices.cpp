#include "notices.hpp"

namespace udpkit::cli {

bool notices::due(std::uint64_t now_ns) {
    if (bucket_.try_take(rate_, now_ns))
        return true;
    ++suppressed_;
    return false;
}

void notices::print(const std::string& message) {
    std::fprintf(out_, "%s: %s", tool_.c_str(), message.c_str());
    if (suppressed_ > 0)
        std::fprintf(out_, " (%llu similar notices suppressed)",
                     static_cast<unsigned long long>(suppressed_));
    std::fputc('\n', out_);
    suppressed_ = 0;
}

} // namespace udpkit::cli
