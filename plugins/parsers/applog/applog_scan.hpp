// Application log lines (log4j/logback, Python logging, Go, Ruby/Rails, glog,
// Spring Boot, zap): one scanner, no regex, no allocation.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <weir/level.hpp>
#include <weir/time.hpp>

namespace weir::applog {

/// A named value of a layout's own (nginx's "client: …, server: …" tail,
/// Apache's [client …]); the name is a literal or points into the line.
struct Extra {
    std::string_view name, value;
};

struct Record {
    std::optional<int64_t> time;
    level::Level level = level::Level::Unknown;
    std::string_view logger, thread, caller, module, msg;
    int64_t pid = -1, tid = -1;
    int64_t event_id = -1;    // .NET's [14]
    int64_t elapsed_ms = -1;  // log4j's %r: milliseconds since the start
    int64_t connection = -1;  // nginx's *N
    Extra extras[8];
    size_t extra_count = 0;
    const char* layout = "";  // which family matched, for tests and diagnostics
    void add(std::string_view name, std::string_view value) {
        if (extra_count < std::size(extras)) extras[extra_count++] = {name, value};
    }
    /// Back to empty; the extras' storage is left as it is (only extra_count says what holds).
    void clear() {
        time.reset();
        level = level::Level::Unknown;
        logger = thread = caller = module = msg = {};
        pid = tid = event_id = elapsed_ms = connection = -1;
        extra_count = 0;
        layout = "";
    }
};

namespace detail {

inline bool digit(char c) { return c >= '0' && c <= '9'; }
inline bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool space(char c) { return c == ' ' || c == '\t'; }

inline bool digits_at(std::string_view s, size_t pos, size_t n) {
    if (pos + n > s.size()) return false;
    for (size_t k = 0; k < n; ++k)
        if (!digit(s[pos + k])) return false;
    return true;
}

/// "hh:mm:ss" at pos.
inline bool clock_at(std::string_view s, size_t pos) {
    return digits_at(s, pos, 2) && pos + 8 <= s.size() && s[pos + 2] == ':' && digits_at(s, pos + 3, 2) &&
           s[pos + 5] == ':' && digits_at(s, pos + 6, 2);
}

/// End of an optional ".123" / ",123" fraction at pos.
inline size_t fraction_end(std::string_view s, size_t pos) {
    if (pos + 1 < s.size() && (s[pos] == '.' || s[pos] == ',') && digit(s[pos + 1])) {
        ++pos;
        while (pos < s.size() && digit(s[pos])) ++pos;
    }
    return pos;
}

/// End of an optional zone attached to the time: Z, +hh, +hh:mm, +hhmm.
inline size_t zone_end(std::string_view s, size_t pos) {
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) return pos + 1;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-') && digits_at(s, pos + 1, 2)) {
        size_t e = pos + 3;
        if (e < s.size() && s[e] == ':' && digits_at(s, e + 1, 2)) return e + 3;
        if (digits_at(s, e, 2)) return e + 2;
        return e;
    }
    return pos;
}

/// A timestamp at the start of `s`: "2026-01-19 10:30:00,123", ISO 8601 with
/// T, fraction and zone, "2026/01/19 10:30:00.123456" (Go), or a time of day
/// "10:30:00.123" (logback's default; the date is the arrival's). Returns the
/// length read, 0 if there is none.
inline size_t timestamp(std::string_view s, int64_t now_ns, time::LocalZone zone,
                        std::optional<int64_t>& out) {
    if (digits_at(s, 0, 4) && s.size() >= 19 && (s[4] == '-' || s[4] == '/') && s[7] == s[4] &&
        digits_at(s, 5, 2) && digits_at(s, 8, 2) && (s[10] == 'T' || s[10] == ' ') && clock_at(s, 11)) {
        const size_t frac_end = fraction_end(s, 19);
        size_t end = zone_end(s, frac_end);
        // An offset after a space, as Serilog ("… 22:14:36.789 +02:00 [WRN]")
        // and gunicorn ("[… 22:14:36 +0000]") write it: part of the time.
        size_t spaced_zone = 0;
        if (end == frac_end && end + 3 < s.size() && s[end] == ' ' &&
            (s[end + 1] == '+' || s[end + 1] == '-')) {
            const size_t z = zone_end(s, end + 1);
            if (z >= end + 5 && (z == s.size() || space(s[z]) || s[z] == ']')) {
                spaced_zone = end;
                end = z;
            }
        }
        if (s[4] == '-' && !spaced_zone) {
            out = time::parse_iso8601(s.substr(0, end), zone);
        } else {
            char buf[48];
            size_t n = 0;
            for (size_t k = 0; k < end && n < sizeof buf - 1; ++k) {
                if (k == spaced_zone && spaced_zone) continue;
                buf[n++] = s[k] == '/' ? '-' : s[k];
            }
            out = time::parse_iso8601(std::string_view(buf, n), zone);
        }
        return out ? end : 0;
    }
    // "17/06/09 20:10:40" (log4j yy/MM/dd, Spark) and "081109 203615" (yyMMdd HHmmss, Hadoop)
    const bool short_slash = digits_at(s, 0, 2) && s.size() >= 17 && s[2] == '/' && s[5] == '/' &&
                             digits_at(s, 3, 2) && digits_at(s, 6, 2) && s[8] == ' ' && clock_at(s, 9);
    const bool compact = digits_at(s, 0, 6) && s.size() >= 13 && s[6] == ' ' && digits_at(s, 7, 6) &&
                         (s.size() == 13 || !digit(s[13]));
    if (short_slash || compact) {
        unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
        const size_t t = short_slash ? 9 : 7, step = short_slash ? 3 : 2;
        time::detail::digits(s, 0, 2, y);
        time::detail::digits(s, short_slash ? 3 : 2, 2, mo);
        time::detail::digits(s, short_slash ? 6 : 4, 2, d);
        time::detail::digits(s, t, 2, h);
        time::detail::digits(s, t + step, 2, mi);
        time::detail::digits(s, t + 2 * step, 2, sec);
        const size_t end = short_slash ? fraction_end(s, 17) : 13;
        int64_t frac = 0;
        if (short_slash && end > 17) {
            size_t fp = 18;
            time::detail::fraction(s, fp, frac);
        }
        out = time::make_time(2000 + y, mo, d, h, mi, sec, frac, zone);
        return out ? end : 0;
    }
    // ctime, as Apache's error log writes it: "Sun Dec 04 04:47:44 2005", "Sun Dec 04 04:47:44.123456 2005"
    if (s.size() >= 24 && alpha(s[0]) && alpha(s[1]) && alpha(s[2]) && s[3] == ' ' && s[7] == ' ' &&
        (digit(s[8]) || s[8] == ' ') && digit(s[9]) && s[10] == ' ' && clock_at(s, 11)) {
        const unsigned mo = time::month_from_abbrev(s.substr(4, 3));
        unsigned d =
            static_cast<unsigned>(s[9] - '0') + (s[8] == ' ' ? 0 : static_cast<unsigned>(s[8] - '0') * 10);
        unsigned h = 0, mi = 0, sec = 0, y = 0;
        time::detail::digits(s, 11, 2, h);
        time::detail::digits(s, 14, 2, mi);
        time::detail::digits(s, 17, 2, sec);
        size_t pos = 19;
        int64_t frac = 0;
        if (pos + 1 < s.size() && s[pos] == '.') {
            ++pos;
            time::detail::fraction(s, pos, frac);
        }
        if (mo == 0 || pos >= s.size() || s[pos] != ' ' || !time::detail::digits(s, pos + 1, 4, y)) return 0;
        out = time::make_time(y, mo, d, h, mi, sec, frac, zone);
        return out ? pos + 5 : 0;
    }
    // Tomcat's OneLineFormatter (JUL): "11-Oct-2023 22:14:36.789"
    if (s.size() >= 20 && digits_at(s, 0, 2) && s[2] == '-' && alpha(s[3]) && s[6] == '-' &&
        digits_at(s, 7, 4) && s[11] == ' ' && clock_at(s, 12)) {
        const unsigned mo = time::month_from_abbrev(s.substr(3, 3));
        unsigned d = 0, y = 0, h = 0, mi = 0, sec = 0;
        time::detail::digits(s, 0, 2, d);
        time::detail::digits(s, 7, 4, y);
        time::detail::digits(s, 12, 2, h);
        time::detail::digits(s, 15, 2, mi);
        time::detail::digits(s, 18, 2, sec);
        const size_t end = fraction_end(s, 20);
        int64_t frac = 0;
        if (end > 20) {
            size_t fp = 21;
            time::detail::fraction(s, fp, frac);
        }
        if (mo == 0) return 0;
        out = time::make_time(y, mo, d, h, mi, sec, frac, zone);
        return out ? end : 0;
    }
    if (clock_at(s, 0) && s.size() > 9 && (s[8] == '.' || s[8] == ',') && digit(s[9])) {
        const size_t end = fraction_end(s, 8);
        const int64_t now_s = now_ns / time::kNsPerSec;
        const int64_t today = (now_s + zone.offset_at(now_s)) / 86400;
        // Today's date, or yesterday's for a time more than an hour ahead
        // (read after midnight); yesterday's date is read again in the zone,
        // so a change of summer time in between is counted once.
        for (int64_t local_day = today; local_day >= today - 1; --local_day) {
            int64_t y;
            unsigned mo, d;
            time::civil_from_days(local_day, y, mo, d);
            char buf[48];  // "yyyy-mm-ddT" and at most 30 characters of the line
            int n = 0;
            auto put2 = [&](unsigned v) {
                buf[n++] = static_cast<char>('0' + v / 10);
                buf[n++] = static_cast<char>('0' + v % 10);
            };
            if (y < 1000 || y > 9999) return 0;
            for (int64_t div = 1000; div; div /= 10) buf[n++] = static_cast<char>('0' + (y / div) % 10);
            buf[n++] = '-';
            put2(mo);
            buf[n++] = '-';
            put2(d);
            buf[n++] = 'T';
            const size_t len = end < 30 ? end : 30;
            for (size_t k = 0; k < len; ++k) buf[n++] = s[k];
            out = time::parse_iso8601(std::string_view(buf, static_cast<size_t>(n)), zone);
            if (!out) return 0;
            if (*out <= now_ns + 3600 * time::kNsPerSec) break;
        }
        return end;
    }
    return 0;
}

/// A level word as application logs print it: upper case (any word the
/// normaliser knows, 3+ letters: INFO, WARNING, SEVERE, FINE...), or the
/// common words in lower or capitalised case (info, Error...).
inline level::Level level_word(std::string_view t) {
    if (t.size() < 3 || t.size() > 9) return level::Level::Unknown;
    bool upper = true, lower = true;
    for (size_t k = 0; k < t.size(); ++k) {
        const char c = t[k];
        if (!alpha(c)) return level::Level::Unknown;
        upper = upper && c >= 'A' && c <= 'Z';
        lower = lower && ((c >= 'a' && c <= 'z') || (k == 0 && c >= 'A' && c <= 'Z'));
    }
    if (!upper && !lower) return level::Level::Unknown;
    const level::Level l = level::normalize(t);
    if (upper || l == level::Level::Unknown) return l;
    static constexpr std::string_view kCommon[] = {"trace", "debug", "info",  "warn",    "warning",
                                                   "error", "fatal", "panic", "critical"};
    char buf[10];
    for (size_t k = 0; k < t.size(); ++k) buf[k] = static_cast<char>(t[k] | 0x20);
    const std::string_view lc(buf, t.size());
    for (auto w : kCommon)
        if (lc == w) return l;
    return level::Level::Unknown;
}

/// A level in brackets: any level_word, and the lower-case syslog words
/// Apache and nginx print ([notice], [crit], [alert], [emerg], [err]).
inline level::Level bracket_level(std::string_view t) {
    const level::Level l = level_word(t);
    if (l != level::Level::Unknown) return l;
    static constexpr std::string_view kSyslog[] = {"notice", "crit", "alert", "emerg", "err"};
    for (auto w : kSyslog)
        if (t == w) return level::normalize(t);
    return level::Level::Unknown;
}

inline bool parse_int(std::string_view t, int64_t& out) {
    if (t.empty() || t.size() > 18) return false;
    int64_t v = 0;
    for (char c : t) {
        if (!digit(c)) return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

/// "main.go:42", "app/views.py:10", "Foo.java:123".
inline bool caller_token(std::string_view t) {
    const size_t colon = t.rfind(':');
    if (colon == std::string_view::npos || colon + 1 >= t.size() || colon == 0) return false;
    for (size_t k = colon + 1; k < t.size(); ++k)
        if (!digit(t[k])) return false;
    const std::string_view file = t.substr(0, colon);
    const size_t dot = file.rfind('.');
    if (dot == std::string_view::npos || dot + 1 >= file.size() || dot == 0) return false;
    for (size_t k = dot + 1; k < file.size(); ++k)
        if (!alpha(file[k])) return false;
    return true;
}

/// A logger or component name: com.example.App, myapp.db, o.s.b.Server$1, http-nio.
inline bool logger_token(std::string_view t) {
    if (t.empty() || t.size() > 200 || !(alpha(t[0]) || t[0] == '_')) return false;
    for (char c : t)
        if (!(alpha(c) || digit(c) || c == '.' || c == '_' || c == '$' || c == '/' || c == '-')) return false;
    return true;
}

inline size_t skip_space(std::string_view s, size_t pos) {
    while (pos < s.size() && space(s[pos])) ++pos;
    return pos;
}

inline size_t token_end(std::string_view s, size_t pos) {
    while (pos < s.size() && !space(s[pos])) ++pos;
    return pos;
}

/// After spaces at pos: a separator " - ", " : ", " | ", "-- " followed by a
/// space or the end. Returns the position after it, or npos.
inline size_t separator(std::string_view s, size_t pos) {
    pos = skip_space(s, pos);
    size_t e = pos;
    if (e < s.size() && s[e] == '-' && e + 1 < s.size() && s[e + 1] == '-')
        e += 2;
    else if (e < s.size() && (s[e] == '-' || s[e] == ':' || s[e] == '|'))
        e += 1;
    else
        return std::string_view::npos;
    if (e < s.size() && !space(s[e])) return std::string_view::npos;
    return e;
}

/// The message: what is left after spaces and one leading separator.
inline std::string_view rest(std::string_view s, size_t pos) {
    const size_t sep = separator(s, pos);
    if (sep != std::string_view::npos) pos = sep;
    pos = skip_space(s, pos);
    return s.substr(pos);
}

inline std::string_view trim(std::string_view t) {
    while (!t.empty() && space(t.front())) t.remove_prefix(1);
    while (!t.empty() && space(t.back())) t.remove_suffix(1);
    return t;
}

/// The ']' closing the '[' at pos, nesting counted ("[QuorumPeer[myid=1]/...]"); npos past 256 bytes.
inline size_t matching_bracket(std::string_view s, size_t pos) {
    int depth = 0;
    for (size_t k = pos; k < s.size() && k - pos <= 256; ++k) {
        if (s[k] == '[')
            ++depth;
        else if (s[k] == ']' && --depth == 0)
            return k;
    }
    return std::string_view::npos;
}

/// Does a "logger-ish token then a separator" start at pos (after spaces)?
inline bool logger_then_separator(std::string_view s, size_t pos) {
    pos = skip_space(s, pos);
    const size_t e = token_end(s, pos);
    std::string_view t = s.substr(pos, e - pos);
    if (!t.empty() && t.back() == ':') return logger_token(t.substr(0, t.size() - 1));
    return logger_token(t) && (separator(s, e) != std::string_view::npos || (e < s.size() && s[e] == '\t'));
}

/// Is the next token (after spaces) a level word?
inline bool next_is_level(std::string_view s, size_t pos) {
    pos = skip_space(s, pos);
    return level_word(s.substr(pos, token_end(s, pos) - pos)) != level::Level::Unknown;
}

/// The header after the timestamp: level, [thread], pid, ---, logger,
/// file:line, in the orders the common layouts print them.
inline void header(std::string_view s, size_t pos, Record& r) {
    for (int tokens = 0; tokens < 8; ++tokens) {
        pos = skip_space(s, pos);
        if (pos >= s.size()) break;
        const char c = s[pos];
        if (c == '[') {
            const size_t close = matching_bracket(s, pos);
            if (close == std::string_view::npos) break;
            const std::string_view inside = trim(s.substr(pos + 1, close - pos - 1));
            if (inside.empty()) break;
            const size_t colon = inside.rfind(':');
            if (r.level == level::Level::Unknown && bracket_level(inside) != level::Level::Unknown) {
                r.level = bracket_level(inside);
            } else if (r.pid < 0 && r.thread.empty() && parse_int(inside, r.pid)) {
                // gunicorn's "[1234] [INFO]"
            } else if (r.level == level::Level::Unknown && colon != std::string_view::npos &&
                       level_word(inside.substr(colon + 1)) != level::Level::Unknown &&
                       logger_token(inside.substr(0, colon))) {
                r.level = level_word(inside.substr(colon + 1));  // Apache 2.4 "[core:error]"
                if (r.logger.empty()) r.logger = inside.substr(0, colon);
            } else if (r.thread.empty() &&
                       (r.level == level::Level::Unknown || logger_then_separator(s, close + 1))) {
                r.thread = inside;  // logback "[main] INFO", log4j "ERROR [main] c.e.App -"
            } else if (r.logger.empty() && r.level != level::Level::Unknown) {
                r.logger = inside;  // "ERROR [Component] message"
            } else {
                break;  // a tag that belongs to the message (Rails request ids)
            }
            pos = close + 1;
            continue;
        }
        if (r.level != level::Level::Unknown && r.logger.empty() && s.substr(pos, 3) == "in ") {
            // Flask's "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"
            const size_t e = token_end(s, pos + 3);
            if (e > pos + 4 && s[e - 1] == ':' && logger_token(s.substr(pos + 3, e - pos - 4))) {
                r.logger = s.substr(pos + 3, e - pos - 4);
                pos = e;
                break;
            }
        }
        if (r.level != level::Level::Unknown && s.substr(pos, 4) == "--- ") {  // Spring Boot
            pos += 3;
            continue;
        }
        if ((c == '-' || c == '|') && pos + 1 < s.size() && space(s[pos + 1])) {
            ++pos;
            continue;
        }
        const size_t e = token_end(s, pos);
        std::string_view t = s.substr(pos, e - pos);
        const bool colon = t.size() > 1 && t.back() == ':';
        const std::string_view bare = colon ? t.substr(0, t.size() - 1) : t;
        if (r.level == level::Level::Unknown && level_word(bare) != level::Level::Unknown) {
            r.level = level_word(bare);
            pos = e;
            continue;
        }
        if (r.pid < 0 && r.logger.empty() && !colon && bare.size() <= 10 && digits_at(bare, 0, bare.size()) &&
            (r.level != level::Level::Unknown || next_is_level(s, e))) {
            int64_t v = 0;
            for (char d : bare) v = v * 10 + (d - '0');
            r.pid = v;
            pos = e;
            continue;
        }
        if (r.caller.empty() && caller_token(bare)) {
            r.caller = bare;
            pos = e;
            if (colon) break;  // Go's "main.go:42: message"
            continue;
        }
        if (r.logger.empty() && logger_token(bare)) {
            const bool sep =
                colon || separator(s, e) != std::string_view::npos || (e < s.size() && s[e] == '\t');
            bool before_level = false;
            if (sep && r.level == level::Level::Unknown && !colon) {
                // Python "%(name)s - %(levelname)s - %(message)s": a level must follow.
                const size_t after = skip_space(s, separator(s, e));
                const size_t te = token_end(s, after);
                std::string_view next = s.substr(after, te - after);
                if (!next.empty() && next.back() == ':') next.remove_suffix(1);
                before_level = level_word(next) != level::Level::Unknown;
            }
            if (sep && (r.level != level::Level::Unknown || before_level)) {
                r.logger = bare;
                pos = e;
                if (colon) break;
                continue;
            }
        }
        break;
    }
    r.msg = rest(s, pos);
}

/// nginx's error log tail: ", client: 10.0.0.1, server: example.com,
/// request: "GET / HTTP/1.1", host: "example.com"" — cut from the message
/// into extras.
[[gnu::noinline]] inline void nginx_tail(Record& r) {
    const size_t at = r.msg.find(", client: ");
    if (at == std::string_view::npos) return;
    const std::string_view tail = r.msg.substr(at);
    r.msg = r.msg.substr(0, at);
    size_t pos = 0;
    while (pos + 2 < tail.size() && tail[pos] == ',' && tail[pos + 1] == ' ') {
        pos += 2;
        const size_t k0 = pos;
        while (pos < tail.size() && ((tail[pos] >= 'a' && tail[pos] <= 'z') || tail[pos] == '_')) ++pos;
        if (pos == k0 || pos + 1 >= tail.size() || tail[pos] != ':' || tail[pos + 1] != ' ') break;
        const std::string_view key = tail.substr(k0, pos - k0);
        pos += 2;
        std::string_view value;
        if (pos < tail.size() && tail[pos] == '"') {
            size_t e = pos + 1;
            while (e < tail.size() && tail[e] != '"') e += tail[e] == '\\' ? 2 : 1;
            if (e >= tail.size()) break;
            value = tail.substr(pos + 1, e - pos - 1);
            pos = e + 1;
        } else {
            size_t e = tail.find(", ", pos);
            if (e == std::string_view::npos) e = tail.size();
            value = tail.substr(pos, e - pos);
            pos = e;
        }
        r.add(key, value);
    }
}

/// Apache httpd's error log: "[Thu Apr 27 10:39:46.719636 2017] [php7:notice]
/// [pid 17:tid 42] [client 10.255.0.3:49580] AH00124: message, referer: …"
/// (2.4), "[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] message" (2.2).
[[gnu::noinline]] inline bool apache_error(std::string_view s, size_t pos, Record& r) {
    for (int groups = 0; groups < 6; ++groups) {
        pos = skip_space(s, pos);
        if (pos >= s.size() || s[pos] != '[') break;
        const size_t close = s.find(']', pos);
        if (close == std::string_view::npos) break;
        const std::string_view inside = s.substr(pos + 1, close - pos - 1);
        const size_t colon = inside.find(':');
        if (r.level == level::Level::Unknown &&
            bracket_level(inside.substr(colon + 1)) != level::Level::Unknown &&
            (colon == std::string_view::npos || colon == 0 || logger_token(inside.substr(0, colon)))) {
            r.level = bracket_level(inside.substr(colon + 1));
            if (colon != std::string_view::npos) r.module = inside.substr(0, colon);
        } else if (r.pid < 0 && inside.substr(0, 4) == "pid ") {
            const size_t tid = inside.find(":tid ");
            if (!parse_int(inside.substr(4, tid == std::string_view::npos ? std::string_view::npos : tid - 4),
                           r.pid))
                break;
            if (tid != std::string_view::npos && !parse_int(inside.substr(tid + 5), r.tid)) break;
        } else if (inside.substr(0, 7) == "client " || inside.substr(0, 7) == "remote ") {
            r.add(inside.substr(0, 6), inside.substr(7));
        } else {
            break;
        }
        pos = close + 1;
    }
    if (r.level == level::Level::Unknown) {  // not Apache's: the general header reads it
        r.pid = r.tid = -1;
        r.module = {};
        r.extra_count = 0;
        return false;
    }
    r.msg = s.substr(skip_space(s, pos));
    const size_t referer = r.msg.rfind(", referer: ");
    if (referer != std::string_view::npos) {
        r.add("referer", r.msg.substr(referer + 11));
        r.msg = r.msg.substr(0, referer);
    }
    r.layout = "apache_error";
    return true;
}

/// nginx's error log after its timestamp: " [emerg] 1#1: *5 message, client: …".
[[gnu::noinline]] inline bool nginx_error(std::string_view s, size_t pos, Record& r) {
    if (pos + 4 >= s.size() || s[pos] != ' ' || s[pos + 1] != '[') return false;
    const size_t close = s.find(']', pos + 2);
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ' ') return false;
    const level::Level l = bracket_level(s.substr(pos + 2, close - pos - 2));
    if (l == level::Level::Unknown) return false;
    size_t p = close + 2;
    const size_t hash = s.find('#', p);
    const size_t colon = s.find(": ", p);
    if (hash == std::string_view::npos || colon == std::string_view::npos || hash > colon) return false;
    int64_t pid = 0, tid = 0;
    if (!parse_int(s.substr(p, hash - p), pid) || !parse_int(s.substr(hash + 1, colon - hash - 1), tid))
        return false;
    r.level = l;
    r.pid = pid;
    r.tid = tid;
    p = colon + 2;
    if (p < s.size() && s[p] == '*') {
        size_t e = p + 1;
        while (e < s.size() && digit(s[e])) ++e;
        if (e < s.size() && s[e] == ' ' && parse_int(s.substr(p + 1, e - p - 1), r.connection)) p = e + 1;
    }
    r.msg = s.substr(p);
    nginx_tail(r);
    r.layout = "nginx_error";
    return true;
}

/// .NET's console logger: "info: Microsoft.Hosting.Lifetime[14]" with the
/// message on the next line, indented by 6 spaces (one event when the
/// multiline parser's dotnet preset joined them), or, single-line,
/// "… [14] Now listening on …".
[[gnu::noinline]] inline bool dotnet_console(std::string_view s, Record& r) {
    if (s.size() < 9 || s[4] != ':' || s[5] != ' ') return false;
    struct Word {
        std::string_view word;
        level::Level level;
    };
    static constexpr Word kWords[] = {{"trce", level::Level::Trace}, {"dbug", level::Level::Debug},
                                      {"info", level::Level::Info},  {"warn", level::Level::Warn},
                                      {"fail", level::Level::Error}, {"crit", level::Level::Fatal}};
    level::Level l = level::Level::Unknown;
    for (const auto& w : kWords)
        if (s.substr(0, 4) == w.word) l = w.level;
    if (l == level::Level::Unknown) return false;
    const size_t open = s.find('[', 6);
    if (open == std::string_view::npos || open == 6) return false;
    const size_t close = s.find(']', open);
    if (close == std::string_view::npos || !logger_token(s.substr(6, open - 6)) ||
        !parse_int(s.substr(open + 1, close - open - 1), r.event_id))
        return false;
    r.level = l;
    r.logger = s.substr(6, open - 6);
    size_t pos = skip_space(s, close + 1);
    if (pos < s.size() && s[pos] == '\r') ++pos;
    if (pos < s.size() && s[pos] == '\n')
        pos = skip_space(s, pos + 1);  // the message's line: indentation off
    r.msg = s.substr(pos);
    r.layout = "dotnet";
    return true;
}

/// java.util.logging's SimpleFormatter default, two lines (one event when
/// the multiline parser's java preset joined them):
/// "Oct 11, 2023 10:14:36 PM org.example.Foo bar" / "INFO: message". The
/// source is the class and method (or the logger's name when the caller is
/// unknown); the second line's level word is English (SEVERE … FINEST).
[[gnu::noinline]] inline bool jul_simple(std::string_view s, time::LocalZone zone, Record& r) {
    const unsigned mo = time::month_from_abbrev(s.substr(0, 3));
    if (mo == 0) return false;
    size_t pos = 4;
    auto number = [&](size_t min, size_t max, unsigned& out) {
        size_t n = 0;
        out = 0;
        while (n < max && pos < s.size() && digit(s[pos])) {
            out = out * 10 + static_cast<unsigned>(s[pos++] - '0');
            ++n;
        }
        return n >= min;
    };
    auto literal = [&](std::string_view lit) {
        if (s.substr(pos, lit.size()) != lit) return false;
        pos += lit.size();
        return true;
    };
    unsigned d = 0, y = 0, h = 0, mi = 0, sec = 0;
    if (!number(1, 2, d) || !literal(", ") || !number(4, 4, y) || !literal(" ") || !number(1, 2, h) ||
        !literal(":") || !number(2, 2, mi) || !literal(":") || !number(2, 2, sec) || !literal(" "))
        return false;
    if (pos + 2 >= s.size() || (s[pos] != 'A' && s[pos] != 'P') || s[pos + 1] != 'M' || s[pos + 2] != ' ')
        return false;
    if (h < 1 || h > 12) return false;
    h = h % 12 + (s[pos] == 'P' ? 12 : 0);
    pos += 3;
    r.time = time::make_time(y, mo, d, h, mi, sec, 0, zone);
    if (!r.time) return false;
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) nl = s.size();
    std::string_view source = s.substr(pos, nl - pos);
    if (!source.empty() && source.back() == '\r') source.remove_suffix(1);
    const size_t sp = source.find(' ');
    r.logger = source.substr(0, sp);
    if (sp != std::string_view::npos) r.add("method", trim(source.substr(sp + 1)));
    r.layout = "jul";
    if (nl == s.size()) {  // the header alone: its text stays the message
        r.msg = s;
        return true;
    }
    const std::string_view rest = s.substr(nl + 1);
    const size_t colon = rest.find(": ");
    if (colon != std::string_view::npos && colon <= 9) r.level = level_word(rest.substr(0, colon));
    r.msg = r.level != level::Level::Unknown ? rest.substr(colon + 2) : rest;
    return true;
}

/// uvicorn's "INFO:     Started server process [1]": LEVEL, ':' and padding.
[[gnu::noinline]] inline bool uvicorn(std::string_view s, Record& r) {
    const size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon < 4 || colon > 8 || colon + 1 >= s.size() ||
        s[colon + 1] != ' ')
        return false;
    for (size_t k = 0; k < colon; ++k)
        if (s[k] < 'A' || s[k] > 'Z') return false;
    const level::Level l = level_word(s.substr(0, colon));
    if (l == level::Level::Unknown) return false;
    r.level = l;
    r.msg = s.substr(skip_space(s, colon + 1));
    r.layout = "uvicorn";
    return true;
}

/// Celery: "[2023-10-11 22:14:36,789: INFO/MainProcess] message" (pos at the ':').
[[gnu::noinline]] inline const char* celery(std::string_view s, size_t pos, Record& r) {
    // Celery: "[2023-10-11 22:14:36,789: INFO/MainProcess] message"
    const size_t close = s.find(']', pos);
    const size_t slash = s.find('/', pos);
    if (close == std::string_view::npos) return "unterminated [timestamp: level/process]";
    const std::string_view lv = s.substr(pos + 2, (slash < close ? slash : close) - pos - 2);
    r.level = level_word(lv);
    if (r.level == level::Level::Unknown) return "no level after the Celery timestamp";
    if (slash < close) r.thread = s.substr(slash + 1, close - slash - 1);
    r.msg = s.substr(skip_space(s, close + 1));
    r.layout = "celery";
    return nullptr;
}

/// NLog after its timestamp (pos at the first '|').
[[gnu::noinline]] inline const char* nlog(std::string_view s, size_t pos, Record& r) {
    // NLog's default "${longdate}|${level:uppercase=true}|${logger}|${message}"
    const size_t l_end = s.find('|', pos + 1);
    const size_t g_end = l_end == std::string_view::npos ? l_end : s.find('|', l_end + 1);
    if (g_end == std::string_view::npos) return "an NLog line needs level|logger|message";
    r.level = level_word(s.substr(pos + 1, l_end - pos - 1));
    r.logger = s.substr(l_end + 1, g_end - l_end - 1);
    r.msg = s.substr(g_end + 1);
    r.layout = "nlog";
    return nullptr;
}

/// Windows CBS/DISM after its timestamp (pos at the ',').
[[gnu::noinline]] inline const char* cbs(std::string_view s, size_t pos, Record& r) {
    // Windows CBS/DISM: "2016-09-28 04:30:30, Info                  CBS    message"
    pos = skip_space(s, pos + 1);
    size_t e = token_end(s, pos);
    r.level = level_word(s.substr(pos, e - pos));
    if (r.level == level::Level::Unknown) return "no level after the timestamp's comma";
    pos = skip_space(s, e);
    e = token_end(s, pos);
    if (e > pos && logger_token(s.substr(pos, e - pos))) {
        r.logger = s.substr(pos, e - pos);
        pos = e;
    }
    r.msg = s.substr(skip_space(s, pos));
    r.layout = "cbs";
    return nullptr;
}

/// Tomcat's OneLineFormatter after its timestamp.
[[gnu::noinline]] inline bool tomcat_layout(std::string_view s, size_t pos, Record& r) {
    // Tomcat's OneLineFormatter: "… INFO [main] org.apache.catalina.startup.Catalina.start message"
    pos = skip_space(s, pos);
    size_t e = token_end(s, pos);
    r.level = level_word(s.substr(pos, e - pos));
    if (r.level != level::Level::Unknown) {
        pos = skip_space(s, e);
        if (pos < s.size() && s[pos] == '[') {
            const size_t close = matching_bracket(s, pos);
            if (close != std::string_view::npos) {
                r.thread = s.substr(pos + 1, close - pos - 1);
                pos = skip_space(s, close + 1);
            }
        }
        e = token_end(s, pos);
        if (e > pos && logger_token(s.substr(pos, e - pos))) {
            r.logger = s.substr(pos, e - pos);
            pos = e;
        }
        r.msg = s.substr(skip_space(s, pos));
        r.layout = "tomcat";
        return true;
    }
    return false;
}

}  // namespace detail

/// Reads one line. Returns nullptr, or why the line is not an application log line.
inline const char* scan(std::string_view s, int64_t now_ns, time::LocalZone zone, Record& r) {
    using namespace detail;
    r.clear();
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    if (s.empty()) return "empty line";
    // Ruby Logger / Rails: "I, [2026-01-19T10:30:00.123456 #12345]  INFO -- app: message"
    if (s.size() > 4 && alpha(s[0]) && s[1] == ',' && s[2] == ' ' && s[3] == '[') {
        std::optional<int64_t> t;
        const size_t n = timestamp(s.substr(4), now_ns, zone, t);
        if (!n) return "no timestamp in the Ruby Logger header";
        size_t pos = 4 + n;
        if (pos + 1 < s.size() && s[pos] == ' ' && s[pos + 1] == '#') {
            pos += 2;
            int64_t pid = 0;
            size_t k = pos;
            while (k < s.size() && digit(s[k]) && k - pos < 10) pid = pid * 10 + (s[k++] - '0');
            if (k > pos) r.pid = pid;
            pos = k;
        }
        if (pos >= s.size() || s[pos] != ']') return "unterminated Ruby Logger header";
        pos = skip_space(s, pos + 1);
        const size_t e = token_end(s, pos);
        r.level = level::normalize(s.substr(pos, e - pos));
        if (r.level == level::Level::Unknown) r.level = level::normalize(s.substr(0, 1));
        pos = skip_space(s, e);
        if (s.substr(pos, 3) == "-- ") {
            pos += 3;
            const size_t colon = s.find(": ", pos);
            const size_t end = colon == std::string_view::npos ? s.size() : colon;
            if (colon != std::string_view::npos || (end > pos && s.back() == ':')) {
                r.logger = trim(s.substr(pos, end - pos));
                pos = colon == std::string_view::npos ? s.size() : colon + 2;
            } else if (pos < s.size() && s[pos] == ':') {
                ++pos;
            }
        }
        r.time = t;
        r.msg = s.substr(skip_space(s, pos));
        r.layout = "ruby";
        return nullptr;
    }
    // glog / klog: "E0119 10:30:00.123456   12345 main.go:42] message"
    if (s.size() > 22 && (s[0] == 'I' || s[0] == 'W' || s[0] == 'E' || s[0] == 'F') && digits_at(s, 1, 4) &&
        s[5] == ' ' && clock_at(s, 6) && s[14] == '.') {
        unsigned mo = 0, d = 0;
        time::detail::digits(s, 1, 2, mo);
        time::detail::digits(s, 3, 2, d);
        size_t pos = fraction_end(s, 14);
        int64_t frac = 0;
        size_t fp = 15;
        time::detail::fraction(s, fp, frac);
        unsigned hh = 0, mi = 0, ss = 0;
        time::detail::digits(s, 6, 2, hh);
        time::detail::digits(s, 9, 2, mi);
        time::detail::digits(s, 12, 2, ss);
        if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31)
            r.time = time::make_time(time::infer_year(mo, d, now_ns, zone), mo, d, hh, mi, ss, frac, zone);
        if (!r.time) return "bad glog timestamp";
        pos = skip_space(s, pos);
        size_t k = pos;
        int64_t tid = 0;
        while (k < s.size() && digit(s[k]) && k - pos < 10) tid = tid * 10 + (s[k++] - '0');
        if (k == pos) return "no thread id in the glog header";
        r.thread = s.substr(pos, k - pos);
        pos = skip_space(s, k);
        const size_t close = s.find("] ", pos);
        const size_t end =
            close == std::string_view::npos && !s.empty() && s.back() == ']' ? s.size() - 1 : close;
        if (end == std::string_view::npos) return "no file:line] in the glog header";
        r.caller = s.substr(pos, end - pos);
        r.level = level::normalize(s.substr(0, 1));
        r.msg = end + 2 <= s.size() ? s.substr(end + 2) : std::string_view{};
        r.layout = "glog";
        return nullptr;
    }
    // Android logcat "threadtime": "03-17 16:13:38.811  1702  2395 D WindowManager: message"
    if (s.size() > 21 && digits_at(s, 0, 2) && s[2] == '-' && digits_at(s, 3, 2) && s[5] == ' ' &&
        clock_at(s, 6) && s[14] == '.' && digits_at(s, 15, 3)) {
        unsigned mo = 0, d = 0, hh = 0, mi = 0, ss = 0, ms = 0;
        time::detail::digits(s, 0, 2, mo);
        time::detail::digits(s, 3, 2, d);
        time::detail::digits(s, 6, 2, hh);
        time::detail::digits(s, 9, 2, mi);
        time::detail::digits(s, 12, 2, ss);
        time::detail::digits(s, 15, 3, ms);
        size_t pos = skip_space(s, 18);
        size_t e = token_end(s, pos);
        const std::string_view pid = s.substr(pos, e - pos);
        pos = skip_space(s, e);
        e = token_end(s, pos);
        const std::string_view tid = s.substr(pos, e - pos);
        pos = skip_space(s, e);
        if (!pid.empty() && pid.size() <= 10 && digits_at(pid, 0, pid.size()) && !tid.empty() &&
            pos + 2 < s.size() && alpha(s[pos]) && s[pos + 1] == ' ' && mo >= 1 && mo <= 12 && d >= 1 &&
            d <= 31) {
            r.level = level::normalize(s.substr(pos, 1));
            r.time = time::make_time(time::infer_year(mo, d, now_ns, zone), mo, d, hh, mi, ss,
                                     static_cast<int64_t>(ms) * 1'000'000, zone);
            int64_t v = 0;
            for (char c : pid) v = v * 10 + (c - '0');
            r.pid = v;
            r.thread = tid;
            pos += 2;
            const size_t colon = s.find(':', pos);
            if (colon != std::string_view::npos) {
                r.logger = trim(s.substr(pos, colon - pos));
                pos = colon + 1;
            }
            r.msg = s.substr(skip_space(s, pos));
            r.layout = "logcat";
            if (r.time) return nullptr;
        }
        r.clear();
    }
    // logrus on a terminal: "INFO[0000] message"
    if (s.size() > 6 && s[4] == '[' && level_word(s.substr(0, 4)) != level::Level::Unknown) {
        const size_t close = s.find(']', 5);
        if (close != std::string_view::npos && close > 5 && digits_at(s, 5, close - 5)) {
            r.level = level_word(s.substr(0, 4));
            r.msg = s.substr(skip_space(s, close + 1));
            r.layout = "logrus";
            return nullptr;
        }
    }
    // Python logging's default: "ERROR:root:message"
    {
        const size_t c1 = s.find(':');
        if (c1 != std::string_view::npos && c1 >= 4 && c1 <= 8) {
            const std::string_view lv = s.substr(0, c1);
            bool upper = true;
            for (char c : lv) upper = upper && c >= 'A' && c <= 'Z';
            const size_t c2 = s.find(':', c1 + 1);
            if (upper && level_word(lv) != level::Level::Unknown && c2 != std::string_view::npos &&
                logger_token(s.substr(c1 + 1, c2 - c1 - 1))) {
                r.level = level_word(lv);
                r.logger = s.substr(c1 + 1, c2 - c1 - 1);
                r.msg = s.substr(c2 + 1);
                r.layout = "python";
                return nullptr;
            }
        }
    }
    // java.util.logging's SimpleFormatter: "Oct 11, 2023 10:14:36 PM org.example.Foo bar\nINFO: message"
    if (s.size() > 22 && s[0] >= 'A' && s[0] <= 'Z' && s[3] == ' ' && (s[5] == ',' || s[6] == ',') &&
        jul_simple(s, zone, r))
        return nullptr;
    // Layouts without a timestamp; a first look at the first byte keeps them cheap for the rest.
    if ((s[0] >= 'a' && s[0] <= 'z' && dotnet_console(s, r)) || (s[0] >= 'A' && s[0] <= 'Z' && uvicorn(s, r)))
        return nullptr;
    // log4j's TTCC layout "%r [%t] %-5p %c - %m": milliseconds since the start, no date.
    {
        size_t k = 0;
        while (k < s.size() && k < 12 && digit(s[k])) ++k;
        if (k > 0 && k + 2 < s.size() && s[k] == ' ' && s[k + 1] == '[' &&
            parse_int(s.substr(0, k), r.elapsed_ms)) {
            header(s, k, r);
            if (r.level != level::Level::Unknown) {
                r.layout = "log4j_relative";
                return nullptr;
            }
            r.clear();
        }
    }
    // The general family: a timestamp (possibly in brackets), then a header.
    size_t pos = 0;
    bool bracket = false;
    if (s[0] == '[') {
        bracket = true;
        pos = 1;
    }
    const size_t n = timestamp(s.substr(pos), now_ns, zone, r.time);
    if (!n) return "no timestamp at the start of the line";
    const bool ctime = bracket && alpha(s[1]);
    const bool tomcat = !bracket && s[2] == '-' && alpha(s[3]);
    const bool slashed = !bracket && s[4] == '/';
    pos += n;
    if (bracket) {
        if (pos + 1 < s.size() && s[pos] == ':' && s[pos + 1] == ' ') {
            return celery(s, pos, r);
        }
        if (pos >= s.size() || s[pos] != ']') return "unterminated [timestamp]";
        ++pos;
        if (ctime && apache_error(s, pos, r)) return nullptr;
    }
    if (slashed && nginx_error(s, pos, r)) return nullptr;
    if (pos < s.size() && s[pos] == '|') {
        return nlog(s, pos, r);
    }
    if (pos + 1 < s.size() && s[pos] == ',' && s[pos + 1] == ' ') {
        return cbs(s, pos, r);
    }
    if (pos < s.size() && !space(s[pos]) && s[pos] != ']') return "no space after the timestamp";
    if (tomcat && tomcat_layout(s, pos, r)) return nullptr;
    header(s, pos, r);
    r.layout = "timestamped";
    return nullptr;
}

}  // namespace weir::applog
