#include "udpkit/files.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

#include "udpkit/render.hpp"

namespace udpkit {

std::string read_at_most(std::FILE* in, std::size_t max_bytes) {
    std::string bytes;
    char chunk[8192];
    while (bytes.size() <= max_bytes) {
        const std::size_t want = std::min(sizeof chunk, max_bytes + 1 - bytes.size());
        const std::size_t n = std::fread(chunk, 1, want, in);
        if (n == 0)
            break;
        bytes.append(chunk, n);
    }
    return bytes;
}

result<std::string> read_file_bounded(const std::string& path, std::size_t max_bytes,
                                      std::string_view what) {
    const std::string shown = render_excerpt(path, 256);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!in)
        return unexpected{error{"cannot open " + std::string(what) + ": " + std::strerror(errno),
                                shown, 0, 0, 0}};
    std::string bytes = read_at_most(in.get(), max_bytes);
    if (std::ferror(in.get()))
        return unexpected{error{"cannot read " + std::string(what) + ": " + std::strerror(errno),
                                shown, 0, 0, 0}};
    if (bytes.size() > max_bytes)
        return unexpected{
            error{std::string(what) + " is larger than " + std::to_string(max_bytes) + " bytes",
                  shown, 0, 0, 0}};
    return bytes;
}

} // namespace udpkit
