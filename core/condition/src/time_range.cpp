#include <charconv>
#include <string>
#include <weir/condition/time_range.hpp>
#include <weir/time.hpp>

namespace weir::condition {
namespace {

constexpr int64_t kDayNs = 86'400 * time::kNsPerSec;

std::string lower_trimmed(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

/// "15m", "1h", "7d", "30s", "2w", "24 hours", "1 day": a duration in ns.
std::optional<int64_t> duration(std::string_view s) {
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end == s.data() || n < 0) return std::nullopt;
    std::string_view unit(end, static_cast<size_t>(s.data() + s.size() - end));
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    int64_t mul = 0;
    if (unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds")
        mul = time::kNsPerSec;
    else if (unit == "m" || unit == "min" || unit == "mins" || unit == "minute" || unit == "minutes")
        mul = 60 * time::kNsPerSec;
    else if (unit == "h" || unit == "hour" || unit == "hours")
        mul = 3600 * time::kNsPerSec;
    else if (unit == "d" || unit == "day" || unit == "days")
        mul = kDayNs;
    else if (unit == "w" || unit == "week" || unit == "weeks")
        mul = 7 * kDayNs;
    else
        return std::nullopt;
    if (n > INT64_MAX / mul) return std::nullopt;
    return n * mul;
}

int64_t day_start(int64_t t) {
    int64_t d = t / kDayNs;
    if (t % kDayNs < 0) --d;
    return d * kDayNs;
}

}  // namespace

std::optional<int64_t> parse_time_point(std::string_view text, int64_t now_ns, bool end) {
    const std::string s = lower_trimmed(text);
    if (s.empty()) return std::nullopt;
    if (s == "now") return now_ns;
    if (s == "today") return end ? day_start(now_ns) + kDayNs - 1 : day_start(now_ns);
    if (s == "yesterday") return end ? day_start(now_ns) - 1 : day_start(now_ns) - kDayNs;
    if (s.rfind("now-", 0) == 0) {
        if (const auto d = duration(std::string_view(s).substr(4))) return now_ns - *d;
        return std::nullopt;
    }
    if (s.rfind("last ", 0) == 0) {
        if (const auto d = duration(std::string_view(s).substr(5))) return now_ns - *d;
        return std::nullopt;
    }
    if (const auto d = duration(s)) return now_ns - *d;
    // Epoch seconds (10 digits) or milliseconds (13 digits).
    if (s.find_first_not_of("0123456789") == std::string::npos) {
        if (s.size() == 10 || s.size() == 13) return time::parse_epoch(s);
        return std::nullopt;
    }
    // ISO 8601, completing a date or a minute-precision time.
    std::string iso = text.size() == s.size() ? std::string(text) : s;
    for (char& c : iso)
        if (c == 't') c = 'T';
    if (iso.size() == 10) {
        const auto t = time::parse_iso8601(iso + "T00:00:00Z");
        if (t && end) return *t + kDayNs - 1;
        return t;
    }
    if (iso.size() == 16) {
        const auto t = time::parse_iso8601(iso + ":00");
        if (t && end) return *t + 60 * time::kNsPerSec - 1;
        return t;
    }
    if (const auto t = time::parse_iso8601(iso)) return t;
    if (iso.back() == 'z') {
        iso.back() = 'Z';
        return time::parse_iso8601(iso);
    }
    return std::nullopt;
}

}  // namespace weir::condition
