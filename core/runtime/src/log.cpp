#include <unistd.h>

#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/runtime/log.hpp>

namespace weir::runtime {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

void Log::set_level(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel Log::level() { return static_cast<LogLevel>(g_level.load()); }

bool Log::parse_level(std::string_view text, LogLevel& out) {
    for (int i = 0; i < 4; ++i) {
        if (text == kNames[i]) {
            out = static_cast<LogLevel>(i);
            return true;
        }
    }
    if (text == "warning") {
        out = LogLevel::Warn;
        return true;
    }
    return false;
}

void Log::write(LogLevel level, std::string_view component, std::string_view msg) {
    if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
    std::string line;
    line.reserve(96 + msg.size());
    line.append("ts=").append(event::format_rfc3339_ns(event::now_ns()));
    line.append(" level=").append(kNames[static_cast<int>(level)]);
    line.append(" component=").append(component);
    line.append(" msg=");
    event::append_json_string(line, msg);
    line.push_back('\n');
    // One write(2) per line keeps lines whole when threads log at once.
    size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::write(2, line.data() + off, line.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
}

bool LogLimiter::allow(uint64_t& suppressed) {
    std::lock_guard lock(mu_);
    const int64_t now = event::monotonic_ns();
    if (now - window_start_ >= 1'000'000'000) {
        window_start_ = now;
        in_window_ = 0;
    }
    if (in_window_ >= per_second_) {
        ++suppressed_;
        return false;
    }
    ++in_window_;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
}

}  // namespace weir::runtime
