// Splits a byte stream into lines for the built-in inputs: '\n' (or another
// delimiter, such as NUL) ends a line, a '\r' before a '\n' is dropped, lines
// longer than the limit are cut (and the rest of the line is skipped). Shared
// by the stdin, file and socket inputs.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace weir::inputs {

class LineSplitter {
public:
    explicit LineSplitter(size_t max_line, char delimiter = '\n')
        : max_line_(max_line ? max_line : 1), delim_(delimiter) {}

    /// Feeds `data`; calls line(std::string_view text, bool truncated, size_t end)
    /// for each complete line, where `end` is the offset in `data` just past
    /// its '\n'. Bytes of an unfinished line are kept for the next call.
    /// Lines are views into `data` when possible, else into an internal buffer.
    template <class F>
    void feed(std::string_view data, F&& line) {
        size_t pos = 0;
        while (pos < data.size()) {
            const void* nl = std::memchr(data.data() + pos, delim_, data.size() - pos);
            if (!nl) {
                append_partial(data.substr(pos), line, pos);
                return;
            }
            const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - data.data());
            if (discarding_) {
                discarding_ = false;
            } else if (!partial_.empty()) {
                partial_.append(data.data() + pos, end - pos);
                emit(partial_, line, end + 1);
                partial_.clear();
            } else {
                emit(std::string_view(data.data() + pos, end - pos), line, end + 1);
            }
            pos = end + 1;
        }
    }

    /// At end of stream: the unfinished line, if any (without a newline).
    template <class F>
    void finish(F&& line) {
        if (!partial_.empty() && !discarding_) emit(partial_, line, 0);
        partial_.clear();
        discarding_ = false;
    }

    /// Bytes held for an unfinished line.
    size_t pending() const { return partial_.size(); }
    void reset() {
        partial_.clear();
        discarding_ = false;
    }

private:
    template <class F>
    void emit(std::string_view text, F& line, size_t end) {
        if (delim_ == '\n' && !text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (text.size() > max_line_) {
            line(text.substr(0, max_line_), true, end);
        } else {
            line(text, false, end);
        }
    }
    template <class F>
    void append_partial(std::string_view rest, F& line, size_t at) {
        if (discarding_) return;
        partial_.append(rest);
        // With newlines, one byte over the limit may still be the '\r' of "\r\n".
        if (partial_.size() > max_line_ + (delim_ == '\n' ? 1 : 0)) {
            // Too long already: hand on the first max_line bytes, skip the rest of the line.
            line(std::string_view(partial_).substr(0, max_line_), true, at + rest.size());
            partial_.clear();
            discarding_ = true;
        }
    }

    size_t max_line_;
    char delim_;
    std::string partial_;
    bool discarding_ = false;
};

}  // namespace weir::inputs
