// Weir time parsing for plugins: header-only, locale-free, allocation-free.
//
// Every function returns nanoseconds since the Unix epoch (UTC), or nullopt
// when the text is not a valid time of that form. Zone-less forms take a
// LocalZone from the caller: a fixed offset (seconds east of UTC) or the rules
// of a named zone loaded with <weir/zone.hpp>.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::time {

inline constexpr int64_t kNsPerSec = 1'000'000'000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

constexpr bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(int64_t y, unsigned m) {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

/// Year, month (1-12) and day of a day number (inverse of days_from_civil).
inline void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);
}

/// Seconds plus a fraction as nanoseconds; nullopt outside what 64-bit
/// nanoseconds since 1970 can hold (1677-09-21 to 2262-04-11).
inline std::optional<int64_t> from_seconds(int64_t secs, int64_t frac_ns) {
    constexpr int64_t kMaxSecs = INT64_MAX / kNsPerSec - 1;
    if (secs > kMaxSecs || secs < -kMaxSecs) return std::nullopt;
    return secs * kNsPerSec + frac_ns;
}

/// The rules of a named time zone (implemented by weir::time::Zone in
/// <weir/zone.hpp>). Times are seconds since 1970; a local time is the wall
/// clock written as if it were UTC.
class ZoneRules {
public:
    virtual ~ZoneRules() = default;
    /// Seconds east of UTC in effect at `utc_s`.
    virtual int64_t offset_at(int64_t utc_s) const = 0;
    /// The offset that turns the wall time `local_s` into UTC. A wall time
    /// skipped by a change to summer time takes the offset before the change
    /// (it moves forward by the gap: 02:30 on a spring-forward day reads as
    /// 03:30); one that occurs twice takes the earlier occurrence.
    virtual int64_t offset_for_local(int64_t local_s) const = 0;
};

class Zone;  // <weir/zone.hpp>

/// The zone that zone-less times are read in: a fixed offset (converts from
/// seconds east of UTC) or a named zone's rules, which must outlive it. Cheap
/// to copy; the rules it points to are used by one thread at a time.
class LocalZone {
public:
    constexpr LocalZone(int64_t offset_s = 0) noexcept : offset_(offset_s) {}  // NOLINT: implicit on purpose
    explicit constexpr LocalZone(const ZoneRules* rules) noexcept : rules_(rules) {}
    bool fixed() const { return rules_ == nullptr; }
    int64_t offset_at(int64_t utc_s) const { return rules_ ? rules_->offset_at(utc_s) : offset_; }
    int64_t offset_for_local(int64_t local_s) const {
        return rules_ ? rules_->offset_for_local(local_s) : offset_;
    }
    /// UTC seconds of the wall time `local_s`.
    int64_t to_utc(int64_t local_s) const { return local_s - offset_for_local(local_s); }

private:
    const ZoneRules* rules_ = nullptr;
    int64_t offset_ = 0;
};

/// Nanoseconds of a civil date and time in `zone` (a fixed offset east of
/// UTC or a named zone); nullopt if out of range.
inline std::optional<int64_t> make_time(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                                        unsigned s, int64_t frac_ns, LocalZone zone) {
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        s > 60)
        return std::nullopt;
    return from_seconds(zone.to_utc(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s), frac_ns);
}

namespace detail {

/// Reads exactly `n` digits at `pos`.
inline bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
    if (pos + n > s.size()) return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    out = v;
    return true;
}

/// A fraction after '.' or ',': 1 or more digits (beyond 9 are ignored).
inline bool fraction(std::string_view s, size_t& pos, int64_t& ns) {
    size_t n = 0;
    ns = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (n < 9) {
            ns = ns * 10 + (s[pos] - '0');
            ++n;
        }
        ++pos;
    }
    if (n == 0) return false;
    for (; n < 9; ++n) ns *= 10;
    return true;
}

/// "Z", "+hh:mm", "+hhmm" or "+hh" at `pos`.
inline bool zone(std::string_view s, size_t& pos, int64_t& offset_s) {
    if (pos >= s.size()) return false;
    const char z = s[pos];
    if (z == 'Z' || z == 'z') {
        ++pos;
        offset_s = 0;
        return true;
    }
    if (z != '+' && z != '-') return false;
    unsigned oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh)) return false;
    pos += 3;
    if (pos < s.size() && s[pos] == ':') {
        if (!digits(s, pos + 1, 2, om)) return false;
        pos += 3;
    } else if (digits(s, pos, 2, om)) {
        pos += 2;
    }
    if (oh > 23 || om > 59) return false;
    offset_s = (static_cast<int64_t>(oh) * 3600 + om * 60) * (z == '-' ? -1 : 1);
    return true;
}

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace detail

/// 1-12 for "Jan".."Dec" (any case), else 0.
inline unsigned month_from_abbrev(std::string_view s) {
    if (s.size() < 3) return 0;
    static constexpr const char* kMonths = "janfebmaraprmayjunjulaugsepoctnovdec";
    const char a = detail::lower(s[0]), b = detail::lower(s[1]), c = detail::lower(s[2]);
    for (unsigned i = 0; i < 12; ++i)
        if (kMonths[i * 3] == a && kMonths[i * 3 + 1] == b && kMonths[i * 3 + 2] == c) return i + 1;
    return 0;
}

/// A configured fixed zone: "UTC", "Z" or an offset ("+02:00", "-0530",
/// "+01"). Returns the offset in seconds; named zones are read by
/// weir::time::Zone::parse (<weir/zone.hpp>).
inline std::optional<int64_t> parse_timezone(std::string_view tz) {
    if (tz == "UTC" || tz == "utc" || tz == "Z" || tz == "z") return 0;
    size_t pos = 0;
    int64_t offset = 0;
    if (!detail::zone(tz, pos, offset) || pos != tz.size()) return std::nullopt;
    return offset;
}

/// ISO 8601 / RFC 3339: "2026-01-19T10:30:00Z", "2026-01-19 10:30:00.123456+02:00",
/// "2026-01-19T10:30:00,5-0530". Without a zone, `local` applies.
inline std::optional<int64_t> parse_iso8601(std::string_view s, LocalZone local = {}) {
    using detail::digits;
    unsigned y, mo, d, h, mi, sec;
    if (s.size() < 19 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) ||
        s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
        return std::nullopt;
    size_t pos = 19;
    int64_t frac = 0;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        if (!detail::fraction(s, pos, frac)) return std::nullopt;
    }
    if (pos == s.size()) return make_time(y, mo, d, h, mi, sec, frac, local);
    int64_t offset = 0;
    if (!detail::zone(s, pos, offset) || pos != s.size()) return std::nullopt;
    return make_time(y, mo, d, h, mi, sec, frac, offset);
}

/// Apache/Nginx "%d/%b/%Y:%H:%M:%S %z": "10/Oct/2000:13:55:36 -0700".
inline std::optional<int64_t> parse_apache(std::string_view s) {
    using detail::digits;
    unsigned d, y, h, mi, sec;
    if (s.size() < 26 || !digits(s, 0, 2, d) || s[2] != '/' || s[6] != '/' || !digits(s, 7, 4, y) ||
        s[11] != ':' || !digits(s, 12, 2, h) || s[14] != ':' || !digits(s, 15, 2, mi) || s[17] != ':' ||
        !digits(s, 18, 2, sec) || s[20] != ' ')
        return std::nullopt;
    const unsigned mo = month_from_abbrev(s.substr(3, 3));
    if (mo == 0) return std::nullopt;
    size_t pos = 21;
    int64_t offset = 0;
    if (!detail::zone(s, pos, offset) || pos != s.size()) return std::nullopt;
    return make_time(y, mo, d, h, mi, sec, 0, offset);
}

/// The year a year-less "Mmm dd" timestamp most likely belongs to, seen at
/// `now_ns`: the current year, unless that puts it more than 7 days in the
/// future (then last year: logs do not come from the future), or more than
/// 358 days in the past (then next year: a clock slightly ahead of ours
/// around New Year).
inline int64_t infer_year(unsigned month, unsigned day, int64_t now_ns, LocalZone local) {
    int64_t y;
    unsigned m, d;
    const int64_t now_s = now_ns / kNsPerSec;
    const int64_t today = (now_s + local.offset_at(now_s)) / 86400;
    civil_from_days(today, y, m, d);
    if (day > days_in_month(y, month)) day = days_in_month(y, month);
    const int64_t candidate = days_from_civil(y, month, day);
    if (candidate > today + 7) return y - 1;
    if (candidate < today - 358) return y + 1;
    return y;
}

/// RFC 3164 "Mmm dd hh:mm:ss" (day space-padded: "Oct  1 02:03:04"), with an
/// optional fraction ("...:04.123"). The year is inferred from `now_ns`.
/// Sets `consumed` to the characters used.
inline std::optional<int64_t> parse_rfc3164(std::string_view s, int64_t now_ns, LocalZone local,
                                            size_t* consumed = nullptr) {
    using detail::digits;
    if (s.size() < 15 || s[3] != ' ') return std::nullopt;
    const unsigned mo = month_from_abbrev(s.substr(0, 3));
    if (mo == 0) return std::nullopt;
    unsigned d, h, mi, sec;
    if (s[4] == ' ') {
        if (!digits(s, 5, 1, d)) return std::nullopt;
    } else if (!digits(s, 4, 2, d)) {
        return std::nullopt;
    }
    if (s[6] != ' ' || !digits(s, 7, 2, h) || s[9] != ':' || !digits(s, 10, 2, mi) || s[12] != ':' ||
        !digits(s, 13, 2, sec))
        return std::nullopt;
    size_t pos = 15;
    int64_t frac = 0;
    if (pos + 1 < s.size() && s[pos] == '.' && s[pos + 1] >= '0' && s[pos + 1] <= '9') {
        ++pos;
        detail::fraction(s, pos, frac);
    }
    if (consumed) *consumed = pos;
    return make_time(infer_year(mo, d, now_ns, local), mo, d, h, mi, sec, frac, local);
}

enum class EpochUnit { Seconds, Milliseconds, Microseconds, Nanoseconds, Auto };

/// Decimal epoch text ("1768818600", "1768818600.25", "1768818600123"). With
/// Auto the unit follows the magnitude: < 1e11 seconds, < 1e14 milliseconds,
/// < 1e17 microseconds, else nanoseconds.
inline std::optional<int64_t> parse_epoch(std::string_view s, EpochUnit unit = EpochUnit::Auto) {
    size_t pos = 0;
    int64_t whole = 0;
    size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        const int digit = s[pos] - '0';
        if (whole > (INT64_MAX - digit) / 10) return std::nullopt;  // would overflow
        whole = whole * 10 + digit;
        ++n;
        ++pos;
    }
    if (n == 0) return std::nullopt;
    int64_t frac_ns = 0;  // the fraction as nanoseconds of one unit
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        if (!detail::fraction(s, pos, frac_ns)) return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    if (unit == EpochUnit::Auto) {
        unit = whole < 100'000'000'000LL           ? EpochUnit::Seconds
               : whole < 100'000'000'000'000LL     ? EpochUnit::Milliseconds
               : whole < 100'000'000'000'000'000LL ? EpochUnit::Microseconds
                                                   : EpochUnit::Nanoseconds;
    }
    // Nanoseconds since 1970 in 64 bits end in 2262: later times are refused.
    int64_t ns = 0;
    switch (unit) {
        case EpochUnit::Seconds:
            if (__builtin_mul_overflow(whole, kNsPerSec, &ns) || __builtin_add_overflow(ns, frac_ns, &ns))
                return std::nullopt;
            return ns;
        case EpochUnit::Milliseconds:
            if (__builtin_mul_overflow(whole, int64_t{1'000'000}, &ns) ||
                __builtin_add_overflow(ns, frac_ns / 1'000, &ns))
                return std::nullopt;
            return ns;
        case EpochUnit::Microseconds:
            if (__builtin_mul_overflow(whole, int64_t{1'000}, &ns) ||
                __builtin_add_overflow(ns, frac_ns / 1'000'000, &ns))
                return std::nullopt;
            return ns;
        default:
            return whole;
    }
}

/// An epoch number already parsed as an integer (JSON): the unit follows the
/// magnitude as in parse_epoch's Auto mode. Exact.
inline std::optional<int64_t> from_epoch_integer(int64_t v) {
    if (v <= 0) return std::nullopt;
    const int64_t unit = v < 100'000'000'000LL           ? kNsPerSec
                         : v < 100'000'000'000'000LL     ? 1'000'000
                         : v < 100'000'000'000'000'000LL ? 1'000
                                                         : 1;
    int64_t ns;
    if (__builtin_mul_overflow(v, unit, &ns)) return std::nullopt;  // after 2262
    return ns;
}

/// An epoch number with a fraction (JSON float): seconds, or milliseconds
/// beyond 1e11. Whole and fractional parts are converted apart, so the
/// fraction keeps its digits.
inline std::optional<int64_t> from_epoch_double(double v) {
    if (!(v > 0) || v >= 1e14) return std::nullopt;
    const bool ms = v >= 1e11;
    const auto whole = static_cast<int64_t>(v);
    const int64_t unit = ms ? 1'000'000 : kNsPerSec;
    const double frac = (v - static_cast<double>(whole)) * static_cast<double>(unit);
    int64_t ns;
    if (__builtin_mul_overflow(whole, unit, &ns) ||
        __builtin_add_overflow(ns, static_cast<int64_t>(frac + 0.5), &ns))
        return std::nullopt;  // after 2262
    return ns;
}

/// A strftime-style layout compiled once, parsed many times. Directives:
/// %Y %y %m %d %e %H %M %S %f (fraction digits) %z (Z, +hh:mm, +hhmm) %b %B
/// (month name) %j (day of year) %p (AM/PM with %I) %I %T (%H:%M:%S)
/// %F (%Y-%m-%d) %s (epoch seconds) %% ; any other character matches itself.
class Format {
public:
    /// Returns an empty optional and sets `error` for an unknown directive.
    static std::optional<Format> compile(std::string_view layout, std::string* error = nullptr) {
        Format f;
        for (size_t i = 0; i < layout.size(); ++i) {
            const char c = layout[i];
            if (c != '%') {
                f.ops_.push_back({Op::Literal, c});
                continue;
            }
            if (++i >= layout.size()) {
                if (error) *error = "a lone '%' at the end of the time format";
                return std::nullopt;
            }
            const char d = layout[i];
            switch (d) {
                case 'T':
                    for (char x : std::string_view("H:M:S"))
                        f.ops_.push_back(x == ':' ? Step{Op::Literal, ':'} : step(x));
                    break;
                case 'F':
                    for (char x : std::string_view("Y-m-d"))
                        f.ops_.push_back(x == '-' ? Step{Op::Literal, '-'} : step(x));
                    break;
                case '%':
                    f.ops_.push_back({Op::Literal, '%'});
                    break;
                case 'Y':
                case 'y':
                case 'm':
                case 'd':
                case 'e':
                case 'H':
                case 'M':
                case 'S':
                case 'f':
                case 'z':
                case 'b':
                case 'B':
                case 'h':
                case 'j':
                case 'p':
                case 'I':
                case 's':
                    f.ops_.push_back(step(d));
                    break;
                default:
                    if (error) *error = std::string("unknown time format directive '%") + d + "'";
                    return std::nullopt;
            }
        }
        return f;
    }

    /// Parses the whole of `s`. Zone-less times are read in `local`; a layout
    /// without a year takes it from `now_ns` (see infer_year).
    std::optional<int64_t> parse(std::string_view s, LocalZone local = {}, int64_t now_ns = 0) const {
        using detail::digits;
        int64_t year = -1;
        unsigned mo = 1, d = 1, h = 0, mi = 0, sec = 0, yday = 0, hour12 = 0;
        int pm = -1;
        int64_t frac = 0, offset = 0, epoch = -1;
        bool has_zone = false;
        bool has_month = false;
        size_t pos = 0;
        auto number = [&](size_t max, unsigned& out) {  // 1..max digits
            size_t n = 0;
            unsigned v = 0;
            while (n < max && pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                v = v * 10 + static_cast<unsigned>(s[pos] - '0');
                ++pos;
                ++n;
            }
            out = v;
            return n > 0;
        };
        for (const Step& st : ops_) {
            unsigned v = 0;
            switch (st.op) {
                case Op::Literal:
                    if (pos >= s.size() || s[pos] != st.c) return std::nullopt;
                    ++pos;
                    break;
                case Op::Field:
                    switch (st.c) {
                        case 'Y':
                            if (!digits(s, pos, 4, v)) return std::nullopt;
                            pos += 4;
                            year = v;
                            break;
                        case 'y':
                            if (!digits(s, pos, 2, v)) return std::nullopt;
                            pos += 2;
                            year = v < 69 ? 2000 + v : 1900 + v;
                            break;
                        case 'm':
                            if (!number(2, mo)) return std::nullopt;
                            has_month = true;
                            break;
                        case 'd':
                            if (!number(2, d)) return std::nullopt;
                            break;
                        case 'e':
                            if (pos < s.size() && s[pos] == ' ') ++pos;
                            if (!number(2, d)) return std::nullopt;
                            break;
                        case 'H':
                            if (!number(2, h)) return std::nullopt;
                            break;
                        case 'I':
                            if (!number(2, hour12)) return std::nullopt;
                            break;
                        case 'M':
                            if (!number(2, mi)) return std::nullopt;
                            break;
                        case 'S':
                            if (!number(2, sec)) return std::nullopt;
                            break;
                        case 'j':
                            if (!number(3, yday)) return std::nullopt;
                            break;
                        case 'f':
                            if (!detail::fraction(s, pos, frac)) return std::nullopt;
                            break;
                        case 'z':
                            if (!detail::zone(s, pos, offset)) return std::nullopt;
                            has_zone = true;
                            break;
                        case 'b':
                        case 'B':
                        case 'h': {
                            mo = month_from_abbrev(s.substr(pos, 3));
                            if (mo == 0) return std::nullopt;
                            has_month = true;
                            pos += 3;
                            if (st.c == 'B') {  // the rest of a full month name
                                while (pos < s.size() &&
                                       ((s[pos] >= 'a' && s[pos] <= 'z') || (s[pos] >= 'A' && s[pos] <= 'Z')))
                                    ++pos;
                            }
                            break;
                        }
                        case 'p':
                            if (pos + 2 > s.size()) return std::nullopt;
                            if (detail::lower(s[pos]) == 'a')
                                pm = 0;
                            else if (detail::lower(s[pos]) == 'p')
                                pm = 1;
                            else
                                return std::nullopt;
                            if (detail::lower(s[pos + 1]) != 'm') return std::nullopt;
                            pos += 2;
                            break;
                        case 's': {
                            size_t start = pos;
                            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
                            auto e = parse_epoch(s.substr(start, pos - start), EpochUnit::Seconds);
                            if (!e) return std::nullopt;
                            epoch = *e;
                            break;
                        }
                    }
                    break;
            }
        }
        if (pos != s.size()) return std::nullopt;
        if (epoch >= 0) {
            int64_t t;
            if (__builtin_add_overflow(epoch, frac, &t)) return std::nullopt;
            return t;
        }
        if (pm >= 0) {
            if (hour12 < 1 || hour12 > 12) return std::nullopt;
            h = hour12 % 12 + (pm ? 12 : 0);
        }
        if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
        const LocalZone zone = has_zone ? LocalZone(offset) : local;
        if (year < 0) year = infer_year(has_month ? mo : 1, yday > 0 ? 1 : d, now_ns, zone);
        if (yday > 0) {
            if (year < 1 || year > 9999 || yday > (is_leap(year) ? 366u : 365u)) return std::nullopt;
            const int64_t days = days_from_civil(year, 1, 1) + yday - 1;
            if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
            return from_seconds(zone.to_utc(days * 86400 + h * 3600 + mi * 60 + sec), frac);
        }
        return make_time(year, mo, d, h, mi, sec, frac, zone);
    }

private:
    enum class Op : uint8_t { Literal, Field };
    struct Step {
        Op op;
        char c;
    };
    static Step step(char c) { return Step{Op::Field, c}; }
    std::vector<Step> ops_;
};

}  // namespace weir::time
