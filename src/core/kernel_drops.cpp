#include "udpkit/kernel_drops.hpp"

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace udpkit {
namespace {

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < line.size();) {
        const auto start = line.find_first_not_of(' ', i);
        if (start == std::string_view::npos)
            break;
        const auto end = std::min(line.find(' ', start), line.size());
        out.push_back(line.substr(start, end - start));
        i = end;
    }
    return out;
}

std::optional<std::uint64_t> number(std::string_view s) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return n;
}

} // namespace

std::optional<std::uint64_t> parse_udp_drops(std::string_view table, std::uint64_t inode) {
    // "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops"
    constexpr std::size_t inode_field = 9, drops_field = 12;
    while (!table.empty()) {
        const auto end = std::min(table.find('\n'), table.size());
        const auto f = fields(table.substr(0, end));
        table.remove_prefix(std::min(end + 1, table.size()));
        if (f.size() > drops_field && number(f[inode_field]) == inode)
            return number(f[drops_field]);
    }
    return std::nullopt;
}

std::optional<std::uint64_t> kernel_receive_drops(int fd) {
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0)
        return std::nullopt;
    for (const char* path : {"/proc/net/udp", "/proc/net/udp6"}) {
        std::ifstream in(path);
        const std::string table((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        if (auto drops = parse_udp_drops(table, st.st_ino))
            return drops;
    }
    return std::nullopt;
}

} // namespace udpkit
