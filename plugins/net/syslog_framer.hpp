// Splits a syslog TCP byte stream into messages (RFC 6587), detecting the
// framing of each message by its first byte: a digit starts an octet-counted
// frame ("MSG-LEN SP MSG"), anything else a message that ends at '\n'. A run
// of digits not followed by a space is read as the start of a
// newline-framed message, so the framer never loses its place.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace weir::net {

class SyslogFramer {
public:
    explicit SyslogFramer(size_t max_message) : max_(max_message ? max_message : 1) {}

    /// Calls msg(std::string_view text, bool truncated) for each complete
    /// message; messages longer than the limit are cut to it (truncated).
    template <class F>
    void feed(std::string_view d, F&& msg) {
        size_t i = 0;
        const size_t n = d.size();
        while (i < n) {
            switch (state_) {
                case State::Start: {
                    const char ch = d[i];
                    if (ch == '\n' || ch == '\r' || ch == '\0' || ch == ' ') {  // between frames
                        ++i;
                    } else if (ch >= '1' && ch <= '9') {
                        state_ = State::Length;
                        length_ = 0;
                        digits_ = 0;
                    } else {
                        state_ = State::Line;
                    }
                    break;
                }
                case State::Length: {
                    const char ch = d[i];
                    if (ch >= '0' && ch <= '9' && digits_ < 10) {
                        length_ = length_ * 10 + static_cast<size_t>(ch - '0');
                        ++digits_;
                        ++i;
                    } else if (ch == ' ' && digits_ > 0) {
                        ++i;
                        need_ = length_;
                        buf_.clear();
                        state_ = State::Frame;
                    } else {
                        // Not a length after all: a newline-framed message that begins with digits.
                        buf_ = std::to_string(length_);
                        state_ = State::Line;
                    }
                    break;
                }
                case State::Frame: {
                    const size_t take = std::min(need_, n - i);
                    if (buf_.empty() && take == need_) {  // the whole frame is here: no copy
                        msg(d.substr(i, std::min(length_, max_)), length_ > max_);
                    } else {
                        if (buf_.size() < max_) buf_.append(d.data() + i, std::min(take, max_ - buf_.size()));
                        if (take == need_) {
                            msg(std::string_view(buf_), length_ > max_);
                            buf_.clear();
                        }
                    }
                    need_ -= take;
                    i += take;
                    if (need_ == 0) state_ = State::Start;
                    break;
                }
                case State::Line: {
                    const void* nl = std::memchr(d.data() + i, '\n', n - i);
                    if (!nl) {
                        buf_.append(d.data() + i, n - i);
                        i = n;
                        // One byte more than the limit may still be the '\r' of "\r\n".
                        if (buf_.size() > max_ + 1) {
                            msg(std::string_view(buf_).substr(0, max_), true);
                            buf_.clear();
                            state_ = State::SkipLine;
                        }
                        break;
                    }
                    const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - d.data());
                    std::string_view line;
                    if (buf_.empty()) {
                        line = d.substr(i, end - i);
                    } else {
                        buf_.append(d.data() + i, end - i);
                        line = buf_;
                    }
                    emit_line(line, msg);
                    buf_.clear();
                    i = end + 1;
                    state_ = State::Start;
                    break;
                }
                case State::SkipLine: {
                    const void* nl = std::memchr(d.data() + i, '\n', n - i);
                    if (!nl) {
                        i = n;
                    } else {
                        i = static_cast<size_t>(static_cast<const char*>(nl) - d.data()) + 1;
                        state_ = State::Start;
                    }
                    break;
                }
            }
        }
    }

    /// End of stream: an unfinished message is handed on (an octet-counted
    /// frame cut short is marked truncated). Returns true if there was one.
    template <class F>
    bool finish(F&& msg) {
        bool had = false;
        if (state_ == State::Line && !buf_.empty()) {
            emit_line(buf_, msg);
            had = true;
        } else if (state_ == State::Frame && !buf_.empty()) {
            msg(std::string_view(buf_), true);
            had = true;
        } else if (state_ == State::Length) {
            const std::string digits = std::to_string(length_);
            emit_line(digits, msg);  // (cut to the limit like any line)
            had = true;
        }
        buf_.clear();
        state_ = State::Start;
        return had;
    }

    /// Bytes held for an unfinished message.
    size_t pending() const { return buf_.size(); }

private:
    template <class F>
    void emit_line(std::string_view line, F& msg) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > max_)
            msg(line.substr(0, max_), true);
        else if (!line.empty())
            msg(line, false);
    }

    enum class State { Start, Length, Frame, Line, SkipLine };
    size_t max_;
    State state_ = State::Start;
    size_t length_ = 0;
    size_t digits_ = 0;
    size_t need_ = 0;
    std::string buf_;
};

}  // namespace weir::net
