// Weir named time zones for plugins: header-only, read once from the system
// zoneinfo (TZif files, RFC 8536) when an instance is configured.
//
//   std::string error;
//   auto zone = weir::time::Zone::parse("Europe/Berlin", &error);  // or "UTC", "+02:00"
//   weir::time::parse_iso8601("2026-07-01 12:00:00", *zone);       // 10:00:00Z
//
// A Zone holds the zone's transitions (those of the file, then those of its
// POSIX TZ footer rule up to 2300), so looking an offset up never reads a file
// or allocates. The span of the last lookup is cached: events of one stretch
// of time cost two comparisons. A Zone is used by one thread at a time (the
// cache is not synchronised); each plugin instance loads its own.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <weir/time.hpp>

namespace weir::time {

namespace tzif {

/// One change of offset: from `utc_s` on, `offset` seconds east of UTC apply.
/// `local_s` is the first wall time that reads with `offset`: the later of
/// the two wall times at the change, so a skipped or repeated wall time reads
/// with the offset before it.
struct Transition {
    int64_t utc_s;
    int64_t local_s;
    int64_t offset;
};

/// A POSIX TZ rule's date: Jn (1-365, no Feb 29), n (0-365) or Mm.w.d.
struct RuleDate {
    char kind = 'M';  // 'J', 'D' (zero-based day) or 'M'
    int month = 0, week = 0, weekday = 0, day = 0;
    int64_t time_s = 7200;  // local time of day of the change (may be negative or beyond 24h)

    /// Days since 1970 of the rule's date in `year`.
    int64_t day_of(int64_t year) const {
        if (kind == 'J') {  // Feb 29 is never counted
            const int64_t jan1 = days_from_civil(year, 1, 1);
            return jan1 + day - 1 + (is_leap(year) && day >= 60 ? 1 : 0);
        }
        if (kind == 'D') return days_from_civil(year, 1, 1) + day;
        const int64_t first = days_from_civil(year, static_cast<unsigned>(month), 1);
        const int64_t wd_first = ((first % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
        int64_t d = first + ((weekday - wd_first) % 7 + 7) % 7 + (week - 1) * 7;
        const int64_t last = first + days_in_month(year, static_cast<unsigned>(month)) - 1;
        while (d > last) d -= 7;  // week 5: the last such weekday
        return d;
    }
};

/// A POSIX TZ string as TZif footers carry it: "CET-1CEST,M3.5.0,M10.5.0/3".
struct PosixRule {
    int64_t std_offset = 0;  // east of UTC
    int64_t dst_offset = 0;
    bool has_dst = false;
    RuleDate start, end;  // start: to DST (in standard time); end: back (in DST)
};

namespace detail {

inline bool name(std::string_view s, size_t& pos) {
    if (pos < s.size() && s[pos] == '<') {
        const size_t close = s.find('>', pos);
        if (close == std::string_view::npos) return false;
        pos = close + 1;
        return true;
    }
    const size_t start = pos;
    while (pos < s.size() && ((s[pos] >= 'A' && s[pos] <= 'Z') || (s[pos] >= 'a' && s[pos] <= 'z'))) ++pos;
    return pos - start >= 3;
}

/// [+-]hh[:mm[:ss]] with hours up to 167; returns seconds (as written: POSIX
/// offsets are west of UTC).
inline bool hms(std::string_view s, size_t& pos, int64_t& out) {
    int64_t sign = 1;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) sign = s[pos++] == '-' ? -1 : 1;
    int64_t parts[3] = {0, 0, 0};
    for (int k = 0; k < 3; ++k) {
        if (k > 0) {
            if (pos >= s.size() || s[pos] != ':') break;
            ++pos;
        }
        size_t n = 0;
        int64_t v = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && n < 3) {
            v = v * 10 + (s[pos++] - '0');
            ++n;
        }
        if (n == 0) return false;
        parts[k] = v;
    }
    if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59) return false;
    out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
}

inline bool number(std::string_view s, size_t& pos, int& out) {
    size_t n = 0;
    int v = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && n < 3) {
        v = v * 10 + (s[pos++] - '0');
        ++n;
    }
    out = v;
    return n > 0;
}

inline bool rule_date(std::string_view s, size_t& pos, RuleDate& r) {
    if (pos < s.size() && s[pos] == 'M') {
        ++pos;
        r.kind = 'M';
        if (!number(s, pos, r.month) || pos >= s.size() || s[pos++] != '.' || !number(s, pos, r.week) ||
            pos >= s.size() || s[pos++] != '.' || !number(s, pos, r.weekday))
            return false;
        if (r.month < 1 || r.month > 12 || r.week < 1 || r.week > 5 || r.weekday > 6) return false;
    } else if (pos < s.size() && s[pos] == 'J') {
        ++pos;
        r.kind = 'J';
        if (!number(s, pos, r.day) || r.day < 1 || r.day > 365) return false;
    } else {
        r.kind = 'D';
        if (!number(s, pos, r.day) || r.day > 365) return false;
    }
    if (pos < s.size() && s[pos] == '/') {
        ++pos;
        if (!hms(s, pos, r.time_s)) return false;
    }
    return true;
}

inline uint32_t be32(const unsigned char* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

inline int64_t be64(const unsigned char* p) {
    return static_cast<int64_t>((uint64_t{be32(p)} << 32) | be32(p + 4));
}

}  // namespace detail

/// Parses a POSIX TZ string; nullopt if it is not one.
inline std::optional<PosixRule> parse_posix(std::string_view s) {
    using namespace detail;
    PosixRule r;
    size_t pos = 0;
    int64_t west = 0;
    if (!name(s, pos) || !hms(s, pos, west)) return std::nullopt;
    r.std_offset = -west;
    if (pos == s.size()) return r;
    if (!name(s, pos)) return std::nullopt;
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (pos < s.size() && s[pos] != ',') {
        if (!hms(s, pos, west)) return std::nullopt;
        r.dst_offset = -west;
    }
    if (pos >= s.size()) {  // no rule: POSIX leaves it to the implementation; take the US rule as glibc does
        r.start = RuleDate{'M', 3, 2, 0, 0, 7200};
        r.end = RuleDate{'M', 11, 1, 0, 0, 7200};
        return r;
    }
    if (s[pos++] != ',' || !rule_date(s, pos, r.start) || pos >= s.size() || s[pos++] != ',' ||
        !rule_date(s, pos, r.end) || pos != s.size())
        return std::nullopt;
    return r;
}

/// What a TZif file holds, as Zone needs it.
struct Data {
    int64_t initial_offset = 0;  // before the first transition
    std::vector<Transition> transitions;
    std::string footer;
};

/// Reads TZif version 2 or later (the 64-bit section). Returns nullopt and
/// sets `error` if the bytes are not such a file.
inline std::optional<Data> parse(std::string_view bytes, std::string* error) {
    using detail::be32;
    auto fail = [&](const char* why) -> std::optional<Data> {
        if (error) *error = why;
        return std::nullopt;
    };
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const size_t size = bytes.size();
    if (size < 44 || bytes.substr(0, 4) != "TZif") return fail("not a TZif file");
    if (bytes[4] < '2') return fail("a TZif version 1 file (no 64-bit data)");
    auto counts = [&](size_t at, uint32_t c[6]) {
        for (int k = 0; k < 6; ++k) c[k] = be32(p + at + 20 + 4 * k);
    };
    uint32_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    counts(0, c);
    const uint64_t v1 = uint64_t{c[3]} * 5 + uint64_t{c[4]} * 6 + c[5] + uint64_t{c[2]} * 8 + c[1] + c[0];
    const uint64_t at = 44 + v1;
    if (at + 44 > size || bytes.substr(at, 4) != "TZif") return fail("a TZif file cut short");
    counts(at, c);
    const uint64_t isut = c[0], isstd = c[1], leaps = c[2], times = c[3], types = c[4], chars = c[5];
    if (types == 0 || types > 256 || chars == 0) return fail("a TZif file without local time types");
    const uint64_t body = times * 9 + types * 6 + chars + leaps * 12 + isstd + isut;
    const uint64_t start = at + 44;
    if (start + body > size) return fail("a TZif file cut short");
    const unsigned char* t = p + start;
    const unsigned char* idx = t + times * 8;
    const unsigned char* ti = idx + times;
    auto type_offset = [&](uint64_t k) {
        return static_cast<int64_t>(static_cast<int32_t>(be32(ti + 6 * k)));
    };
    Data d;
    d.initial_offset = type_offset(0);
    d.transitions.reserve(times);
    int64_t before = d.initial_offset;
    for (uint64_t k = 0; k < times; ++k) {
        const int64_t utc = detail::be64(t + 8 * k);
        if (utc < -(int64_t{1} << 62) || utc > (int64_t{1} << 62))  // zic's earliest is -2^59
            return fail("a TZif transition out of range");
        if (idx[k] >= types) return fail("a TZif transition names a missing time type");
        const int64_t offset = type_offset(idx[k]);
        if (!d.transitions.empty() && utc <= d.transitions.back().utc_s)
            return fail("TZif transitions out of order");
        d.transitions.push_back({utc, utc + std::max(before, offset), offset});
        before = offset;
    }
    const uint64_t footer_at = start + body;
    if (footer_at < size && bytes[footer_at] == '\n') {
        const size_t end = bytes.find('\n', footer_at + 1);
        if (end == std::string_view::npos) return fail("a TZif footer without its closing newline");
        d.footer = std::string(bytes.substr(footer_at + 1, end - footer_at - 1));
    }
    return d;
}

}  // namespace tzif

/// A configured zone: UTC, a fixed offset or a named zone from the system
/// zoneinfo ($TZDIR, else /usr/share/zoneinfo). Converts to LocalZone for the
/// parsing functions of <weir/time.hpp>; it must outlive what it converted to.
class Zone {
public:
    Zone() = default;

    /// "UTC", "Z", "+02:00", "-0530" or an IANA name like "Europe/Berlin".
    /// Returns nullopt and sets `error` (a sentence with a hint) otherwise.
    static std::optional<Zone> parse(std::string_view text, std::string* error = nullptr) {
        if (const auto offset = parse_timezone(text)) return Zone(*offset);
        auto fail = [&](std::string why) -> std::optional<Zone> {
            if (error) *error = std::move(why);
            return std::nullopt;
        };
        const std::string quoted = "'" + std::string(text) + "'";
        if (text.empty())
            return fail("an empty time zone; use UTC, an offset like +02:00 or a name like Europe/Berlin");
        if (!valid_name(text))
            return fail("no time zone " + quoted +
                        "; use UTC, an offset like +02:00 or a name like Europe/Berlin");
        const std::string dir = zoneinfo_dir();
        const std::string path = dir + "/" + std::string(text);
        const std::string bytes = read_file(path);
        if (bytes.empty()) {  // missing, unreadable or a folder ("Europe")
            const std::string near = same_but_case(dir, text);
            if (!near.empty()) return fail("unknown time zone " + quoted + "; did you mean '" + near + "'?");
            return fail(
                "unknown time zone " + quoted + " (not in " + dir +
                "); use an IANA name like Europe/Berlin or America/New_York, UTC, or an offset like +02:00");
        }
        std::string why;
        auto data = tzif::parse(bytes, &why);
        if (!data) return fail("time zone " + quoted + " could not be read from " + path + ": " + why);
        auto rules = std::make_unique<Rules>();
        if (!rules->build(std::move(*data), &why)) return fail("time zone " + quoted + ": " + why);
        Zone z;
        z.name_ = std::string(text);
        z.rules_ = std::move(rules);
        return z;
    }

    /// The zone as the parsing functions take it.
    LocalZone local() const {
        return rules_ ? LocalZone(static_cast<const ZoneRules*>(rules_.get())) : LocalZone(offset_);
    }
    operator LocalZone() const { return local(); }  // NOLINT: implicit on purpose

    /// The IANA name, or empty for UTC and fixed offsets.
    const std::string& name() const { return name_; }

    /// Where zone names are looked up: $TZDIR, else /usr/share/zoneinfo.
    static std::string zoneinfo_dir() {
        const char* dir = std::getenv("TZDIR");
        return dir && *dir ? std::string(dir) : std::string("/usr/share/zoneinfo");
    }

private:
    explicit Zone(int64_t offset) : offset_(offset) {}

    /// The zone file whose name differs from `name` only in case ("europe/berlin"), or empty.
    static std::string same_but_case(const std::string& dir, std::string_view name) {
        std::string path = dir, found;
        size_t start = 0;
        while (start <= name.size()) {
            size_t end = name.find('/', start);
            if (end == std::string_view::npos) end = name.size();
            const std::string_view part = name.substr(start, end - start);
            DIR* d = opendir(path.c_str());
            if (!d) return {};
            std::string match;
            while (const dirent* e = readdir(d)) {
                const std::string_view entry = e->d_name;
                if (entry.size() == part.size() &&
                    std::equal(entry.begin(), entry.end(), part.begin(),
                               [](char a, char b) { return detail::lower(a) == detail::lower(b); })) {
                    match = std::string(entry);
                    break;
                }
            }
            closedir(d);
            if (match.empty()) return {};
            path += "/" + match;
            found += (found.empty() ? "" : "/") + match;
            start = end + 1;
        }
        return read_file(path).empty() ? std::string() : found;
    }

    /// The file's bytes (at most 1 MiB; zone files are a few KiB), empty if it cannot be read.
    static std::string read_file(const std::string& path) {
        std::string bytes;
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (!f) return bytes;
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && bytes.size() < (1u << 20)) bytes.append(buf, n);
        std::fclose(f);
        return bytes;
    }

    /// Area/Location names: letters, digits, '_', '-', '+' and '/' between
    /// parts; never "." or ".." (no escaping the zoneinfo folder).
    static bool valid_name(std::string_view s) {
        if (s.size() > 255 || s.front() == '/' || s.back() == '/') return false;
        size_t part = 0;
        for (size_t i = 0; i <= s.size(); ++i) {
            if (i == s.size() || s[i] == '/') {
                const std::string_view p = s.substr(part, i - part);
                if (p.empty() || p.front() == '.' || p.front() == '-') return false;
                part = i + 1;
                continue;
            }
            const char c = s[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '+' || c == '.'))
                return false;
        }
        return true;
    }

    class Rules final : public ZoneRules {
    public:
        /// Appends the footer rule's transitions after the file's last one, up
        /// to kLastYear (64-bit nanoseconds end in 2262).
        bool build(tzif::Data d, std::string* error) {
            initial_ = d.initial_offset;
            t_ = std::move(d.transitions);
            if (!d.footer.empty()) {
                const auto rule = tzif::parse_posix(d.footer);
                if (!rule) {
                    *error = "an unreadable TZ rule '" + d.footer + "' at the end of the file";
                    return false;
                }
                extend(*rule);
            }
            if (t_.empty()) t_.push_back({INT64_MIN / 2, INT64_MIN / 2, initial_});
            return true;
        }

        int64_t offset_at(int64_t utc_s) const override {
            if (utc_s >= span_utc_begin_ && utc_s < span_utc_end_) return span_utc_offset_;
            const auto it =
                std::upper_bound(t_.begin(), t_.end(), utc_s,
                                 [](int64_t v, const tzif::Transition& x) { return v < x.utc_s; });
            if (it == t_.begin()) {
                span_utc_begin_ = INT64_MIN;
                span_utc_end_ = t_.front().utc_s;
                return span_utc_offset_ = initial_;
            }
            span_utc_begin_ = std::prev(it)->utc_s;
            span_utc_end_ = it == t_.end() ? INT64_MAX : it->utc_s;
            return span_utc_offset_ = std::prev(it)->offset;
        }

        int64_t offset_for_local(int64_t local_s) const override {
            if (local_s >= span_local_begin_ && local_s < span_local_end_) return span_local_offset_;
            const auto it =
                std::upper_bound(t_.begin(), t_.end(), local_s,
                                 [](int64_t v, const tzif::Transition& x) { return v < x.local_s; });
            if (it == t_.begin()) {
                span_local_begin_ = INT64_MIN;
                span_local_end_ = t_.front().local_s;
                return span_local_offset_ = initial_;
            }
            span_local_begin_ = std::prev(it)->local_s;
            span_local_end_ = it == t_.end() ? INT64_MAX : it->local_s;
            return span_local_offset_ = std::prev(it)->offset;
        }

        size_t transitions() const { return t_.size(); }

    private:
        static constexpr int64_t kLastYear = 2300;

        void push(int64_t utc, int64_t offset) {
            const int64_t before = t_.empty() ? initial_ : t_.back().offset;
            if (!t_.empty() && utc <= t_.back().utc_s) return;
            if (offset == before) return;
            t_.push_back({utc, utc + std::max(before, offset), offset});
        }

        void extend(const tzif::PosixRule& r) {
            const int64_t last_utc = t_.empty() ? INT64_MIN : t_.back().utc_s;
            if (!r.has_dst) {
                if (t_.empty())
                    initial_ = r.std_offset;
                else
                    push(last_utc + 1, r.std_offset);
                return;
            }
            int64_t y0 = 1970;
            if (!t_.empty()) {
                int64_t y;
                unsigned m, d;
                civil_from_days((last_utc >= 0 ? last_utc : last_utc - 86399) / 86400, y, m, d);
                y0 = std::max<int64_t>(y, 1);
            }
            for (int64_t y = y0; y <= kLastYear; ++y) {
                // Start: wall clock in standard time; end: in summer time.
                const int64_t on = r.start.day_of(y) * 86400 + r.start.time_s - r.std_offset;
                const int64_t off = r.end.day_of(y) * 86400 + r.end.time_s - r.dst_offset;
                const bool southern = off < on;  // summer time spans New Year
                const int64_t first = southern ? off : on, second = southern ? on : off;
                const int64_t first_offset = southern ? r.std_offset : r.dst_offset;
                const int64_t second_offset = southern ? r.dst_offset : r.std_offset;
                if (first > last_utc) push(first, first_offset);
                if (second > last_utc) push(second, second_offset);
            }
        }

        int64_t initial_ = 0;
        std::vector<tzif::Transition> t_;
        // The span of the last lookup of each kind, so that a run of events
        // of one stretch of time needs no search.
        mutable int64_t span_utc_begin_ = 0, span_utc_end_ = 0, span_utc_offset_ = 0;
        mutable int64_t span_local_begin_ = 0, span_local_end_ = 0, span_local_offset_ = 0;
    };

    std::string name_;
    int64_t offset_ = 0;
    std::unique_ptr<Rules> rules_;
};

}  // namespace weir::time
