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

std::optional<int64_t> minus(int64_t now, int64_t d) {
    int64_t r;
    if (__builtin_sub_overflow(now, d, &r)) return std::nullopt;
    return r;
}

/// "24 hours", "hour" (one), "1h": the duration after "last" / "past".
std::optional<int64_t> last_duration(std::string_view s) {
    if (const auto d = duration(s)) return d;
    if (!s.empty() && s.front() >= '0' && s.front() <= '9') return std::nullopt;
    return duration("1 " + std::string(s));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// ISO 8601 as users write it: a date, a date with hh:mm, or a full time,
/// each with an optional zone; with `end`, the last nanosecond of the unit named.
std::optional<int64_t> iso_point(std::string_view text, bool end) {
    std::string iso(text);
    if (iso.size() == 10) {
        const auto t = time::parse_iso8601(iso + "T00:00:00Z");
        if (t && end) return *t + kDayNs - 1;
        return t;
    }
    if (iso.size() < 16 || iso[13] != ':') return std::nullopt;
    if (iso.size() == 16 || (!is_digit(iso[16]) && iso[16] != ':')) {
        // hh:mm, then maybe a zone: a minute.
        iso.insert(16, ":00");
        const auto t = time::parse_iso8601(iso);
        if (t && end) return *t + 60 * time::kNsPerSec - 1;
        return t;
    }
    const auto t = time::parse_iso8601(iso);
    const bool fraction = iso.size() > 19 && (iso[19] == '.' || iso[19] == ',');
    if (t && end && !fraction) return *t + time::kNsPerSec - 1;
    return t;
}

}  // namespace

std::optional<int64_t> parse_time_point(std::string_view text, int64_t now_ns, bool end) {
    const std::string s = lower_trimmed(text);
    if (s.empty() || s.size() > 64) return std::nullopt;
    const std::string_view v(s);
    if (v == "now") return now_ns;
    if (v == "today") return end ? day_start(now_ns) + kDayNs - 1 : day_start(now_ns);
    if (v == "yesterday") return end ? day_start(now_ns) - 1 : day_start(now_ns) - kDayNs;
    if (v.rfind("now", 0) == 0) {
        // now-1h, now - 1h, now+15m
        std::string_view rest = v.substr(3);
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        if (rest.empty() || (rest.front() != '-' && rest.front() != '+')) return std::nullopt;
        const bool plus = rest.front() == '+';
        rest.remove_prefix(1);
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        const auto d = duration(rest);
        if (!d) return std::nullopt;
        return plus ? minus(now_ns, -*d) : minus(now_ns, *d);
    }
    if (v.rfind("last ", 0) == 0 || v.rfind("past ", 0) == 0) {
        std::string_view rest = v.substr(5);
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        if (const auto d = last_duration(rest)) return minus(now_ns, *d);
        return std::nullopt;
    }
    if (v.size() > 4 && v.substr(v.size() - 4) == " ago") {
        if (const auto d = duration(v.substr(0, v.size() - 4))) return minus(now_ns, *d);
        return std::nullopt;
    }
    if (const auto d = duration(v)) return minus(now_ns, *d);
    // Epoch seconds (10 digits) or milliseconds (13 digits).
    if (v.find_first_not_of("0123456789") == std::string::npos) {
        if (v.size() == 10 || v.size() == 13) return time::parse_epoch(v);
        return std::nullopt;
    }
    // ISO 8601, from the trimmed original (zones are case-sensitive there).
    std::string_view t = text;
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (t.size() < 10 || !is_digit(t[0]) || t[4] != '-') return std::nullopt;
    return iso_point(t, end);
}

}  // namespace weir::condition
