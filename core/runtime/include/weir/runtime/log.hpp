#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace weir::runtime {

enum class LogLevel { Error = 0, Warn = 1, Info = 2, Debug = 3 };

/// The daemon's own log: one line per message on stderr,
///   ts=2026-11-24T19:57:35.123456789Z level=info component=input:file:app msg="..."
class Log {
public:
    static void set_level(LogLevel level);
    static LogLevel level();
    static bool parse_level(std::string_view text, LogLevel& out);
    static void write(LogLevel level, std::string_view component, std::string_view msg);
    static void error(std::string_view component, std::string_view msg) {
        write(LogLevel::Error, component, msg);
    }
    static void warn(std::string_view component, std::string_view msg) {
        write(LogLevel::Warn, component, msg);
    }
    static void info(std::string_view component, std::string_view msg) {
        write(LogLevel::Info, component, msg);
    }
    static void debug(std::string_view component, std::string_view msg) {
        write(LogLevel::Debug, component, msg);
    }
};

/// Lets at most `per_second` lines through per second and reports how many
/// were held back when the next line passes. One per plugin instance.
class LogLimiter {
public:
    explicit LogLimiter(uint32_t per_second = 20) : per_second_(per_second) {}
    /// True if the line may be written; `suppressed` gets the count held back since the last one.
    bool allow(uint64_t& suppressed);

private:
    std::mutex mu_;
    uint32_t per_second_;
    int64_t window_start_ = 0;
    uint32_t in_window_ = 0;
    uint64_t suppressed_ = 0;
};

}  // namespace weir::runtime
