#pragma once
// Notices on stderr from a long-running tool (udp-echo, udp-relay) that a flood cannot turn into
// a flood of lines: at most a bucket's worth, the ones left out counted in the next one. Pure:
// it is given the time, so it is unit-testable and needs no loop.

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "udpkit/rate_limiter.hpp"

namespace udpkit::cli {

/// Rate-limited `TOOL: message` lines.
class notices {
public:
    /// `rate`: the burst and the steady rate of lines; `now_ns` starts a full bucket.
    notices(std::string tool, bucket_rate rate, std::uint64_t now_ns, std::FILE* out = stderr)
        : tool_(std::move(tool)), rate_(rate), bucket_(now_ns), out_(out) {}

    /// Whether a notice may be printed at `now_ns`; ask before building the message. A `false`
    /// is counted and mentioned by the next notice printed.
    bool due(std::uint64_t now_ns);
    /// Prints `TOOL: message` (with "(N similar notices suppressed)" if due() refused some).
    void print(const std::string& message);

private:
    std::string tool_;
    bucket_rate rate_;
    token_bucket bucket_;
    std::FILE* out_;
    std::uint64_t suppressed_ = 0;
};

} // namespace udpkit::cli
