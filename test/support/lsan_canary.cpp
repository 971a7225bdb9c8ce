// Proves that LeakSanitizer runs in the sanitizer build, so that a leak-free suite there means
// something: run without arguments, it runs itself with `leak`, which loses an allocation, and
// passes only if that child fails with LeakSanitizer's report.

#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/wait.h>

namespace {
void* volatile kept = nullptr; // volatile: the allocation cannot be optimised away
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "leak") {
        kept = std::malloc(4242);
        kept = nullptr;
        return 0;
    }
    const std::string command = std::string(argv[0]) + " leak 2>&1";
    FILE* child = popen(command.c_str(), "r");
    if (child == nullptr) {
        std::perror("lsan_canary: popen");
        return 1;
    }
    std::string report;
    char chunk[4096];
    while (std::size_t n = std::fread(chunk, 1, sizeof chunk, child))
        report.append(chunk, n);
    const int status = pclose(child);
    const bool failed = status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    const bool reported =
        report.find("LeakSanitizer: detected memory leaks") != std::string::npos &&
        report.find("4242 byte(s)") != std::string::npos;
    if (failed && reported) {
        std::puts("lsan_canary: LeakSanitizer caught the deliberate 4242-byte leak");
        return 0;
    }
    std::fprintf(stderr,
                 "lsan_canary: LeakSanitizer did not report the deliberate leak "
                 "(is detect_leaks=0 set?); child output:\n%s",
                 report.c_str());
    return 1;
}
