#pragma once
// A small subset of C++23 std::expected: g++ 12 in C++20 mode does not have it.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace udpkit {

/// An error for people: what went wrong, and where when it comes from a file.
struct error {
    std::string message;
    std::string source; ///< file name, or empty when the error has no file position
    int line = 0;       ///< 1-based, 0 when unknown
    int column = 0;     ///< 1-based, 0 when unknown
    int code = 0;       ///< libuv error code (negative), 0 when not from libuv

    /// `FILE:LINE:COL: message` when a position is known, otherwise just the message.
    [[nodiscard]] std::string to_string() const;
};

/// Wraps an error so that `result<T>` can be built from it unambiguously.
struct unexpected {
    error value;
};

/// Builds an `unexpected` from a message (no position).
inline unexpected fail(std::string message, int code = 0) {
    return unexpected{error{std::move(message), {}, 0, 0, code}};
}

/// Holds either a T or an error; the subset of std::expected's interface that udpkit uses.
template <class T> class [[nodiscard]] result {
public:
    result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    result(unexpected e) : state_(std::in_place_index<1>, std::move(e.value)) {}

    [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(state_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(state_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(state_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    template <class U> T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

    const udpkit::error& error() const& {
        assert(!has_value());
        return std::get<1>(state_);
    }
    udpkit::error&& error() && {
        assert(!has_value());
        return std::get<1>(std::move(state_));
    }

private:
    std::variant<T, udpkit::error> state_;
};

/// `result<void>`: success carries nothing.
template <> class [[nodiscard]] result<void> {
public:
    result() = default;
    result(unexpected e) : error_(std::move(e.value)), failed_(true) {}

    [[nodiscard]] bool has_value() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return has_value(); }
    void value() const { assert(has_value()); }

    const udpkit::error& error() const& {
        assert(failed_);
        return error_;
    }
    udpkit::error&& error() && {
        assert(failed_);
        return std::move(error_);
    }

private:
    udpkit::error error_;
    bool failed_ = false;
};

} // namespace udpkit
