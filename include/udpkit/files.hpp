#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "udpkit/result.hpp"

namespace udpkit {

/// Reads `in` to its end, but never more than `max_bytes + 1` bytes: enough to tell that an
/// input is too large without reading an endless one.
std::string read_at_most(std::FILE* in, std::size_t max_bytes);

/// Reads the whole file at `path` if it holds at most `max_bytes`. Errors carry the path
/// (terminal-safe) as their source and name `what` the file is for:
/// `PATH: cannot open script: No such file or directory`, `PATH: script is larger than N bytes`.
result<std::string> read_file_bounded(const std::string& path, std::size_t max_bytes,
                                      std::string_view what);

} // namespace udpkit
