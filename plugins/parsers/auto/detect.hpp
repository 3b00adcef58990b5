// Which format a line is in, judged from its first bytes: one look at a
// few dozen characters, never a full parse.
#pragma once

#include <cstddef>
#include <string_view>

namespace weir::autodetect {

enum class Shape { Json, Syslog, Apache, Logfmt, Other };

namespace detail {

inline bool digit(char c) { return c >= '0' && c <= '9'; }
inline bool upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool lower(char c) { return c >= 'a' && c <= 'z'; }
inline bool alpha(char c) { return upper(c) || lower(c); }

inline bool month(std::string_view s) {
    if (s.size() < 3) return false;
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (auto m : kMonths)
        if (s.substr(0, 3) == m) return true;
    return false;
}

/// `<PRI>` with 1 to 3 digits.
inline bool pri(std::string_view s) {
    if (s.size() < 3 || s[0] != '<') return false;
    size_t i = 1;
    while (i < s.size() && i <= 3 && digit(s[i])) ++i;
    return i > 1 && i < s.size() && s[i] == '>';
}

/// RFC 3164 without PRI: `Mmm dd hh:mm:ss `, `Mmm  d hh:mm:ss `, `Mmm d hh:mm:ss `,
/// or with a year after the day: `Mmm dd yyyy hh:mm:ss `.
inline bool bsd_timestamp(std::string_view s) {
    if (s.size() <= 15 || !month(s) || s[3] != ' ') return false;
    size_t p = 4;
    if (s[p] == ' ') ++p;
    if (!digit(s[p])) return false;
    p += digit(s[p + 1]) ? 2 : 1;
    if (s[p++] != ' ') return false;
    if (p + 5 < s.size() && digit(s[p]) && digit(s[p + 1]) && digit(s[p + 2]) && digit(s[p + 3]) &&
        s[p + 4] == ' ')
        p += 5;
    return p + 8 < s.size() && digit(s[p]) && digit(s[p + 1]) && s[p + 2] == ':' && digit(s[p + 3]) &&
           digit(s[p + 4]) && s[p + 5] == ':' && digit(s[p + 6]) && digit(s[p + 7]) &&
           (s[p + 8] == ' ' || s[p + 8] == '.');
}

/// rsyslog's file format without PRI: `2026-01-19T10:30:00.123+01:00 host tag[pid]: msg`.
/// The ISO timestamp must carry a zone and the third token must end in ':'
/// (a tag), the second must not be an upper-case word (a level).
inline bool iso_syslog(std::string_view s) {
    if (s.size() < 25 || !digit(s[0]) || s[4] != '-' || s[7] != '-' || s[10] != 'T') return false;
    const size_t sp1 = s.find(' ');
    if (sp1 == std::string_view::npos || sp1 < 20 || sp1 > 35) return false;
    const char z = s[sp1 - 1];
    const bool zone = z == 'Z' || (sp1 >= 6 && (s[sp1 - 6] == '+' || s[sp1 - 6] == '-') && s[sp1 - 3] == ':');
    if (!zone) return false;
    const size_t sp2 = s.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
    const std::string_view host = s.substr(sp1 + 1, sp2 - sp1 - 1);
    bool all_upper = true;
    for (char c : host) {
        if (c == '[' || c == ']' || c == ':' || c == '=') return false;
        if (!upper(c)) all_upper = false;
    }
    if (all_upper) return false;
    const size_t sp3 = s.find(' ', sp2 + 1);
    if (sp3 == std::string_view::npos || sp3 == sp2 + 1 || sp3 - sp2 > 64) return false;
    return s[sp3 - 1] == ':';
}

/// ` [dd/Mmm/yyyy:` — Apache's %t — somewhere in the first bytes, after a space.
inline bool apache_time(std::string_view s) {
    const size_t limit = s.size() < 320 ? s.size() : 320;
    for (size_t i = 1; i + 14 < limit; ++i) {
        if (s[i] != '[' || s[i - 1] != ' ') continue;
        const std::string_view t = s.substr(i + 1, 13);
        if (digit(t[0]) && digit(t[1]) && t[2] == '/' && month(t.substr(3)) && t[6] == '/' && digit(t[7]) &&
            digit(t[8]) && digit(t[9]) && digit(t[10]) && t[11] == ':' && digit(t[12]))
            return true;
    }
    return false;
}

/// The first token is `key=`: a logfmt key (letters, digits, _ . - @ /) and '='.
inline bool logfmt_key(std::string_view s) {
    auto utf8 = [](char c) { return static_cast<unsigned char>(c) >= 0x80; };  // 名前=山田
    if (s.empty() || !(alpha(s[0]) || s[0] == '_' || s[0] == '@' || utf8(s[0]))) return false;
    for (size_t i = 1; i < s.size() && i < 128; ++i) {
        const char c = s[i];
        if (c == '=') return true;
        if (!(alpha(c) || digit(c) || c == '_' || c == '.' || c == '-' || c == '@' || c == '/' || utf8(c)))
            return false;
    }
    return false;
}

}  // namespace detail

/// The shape of a line. `Other` lines may still be application logs (the
/// applog scanner, which fails fast, decides) or are raw text.
inline Shape detect(std::string_view line) {
    using namespace detail;
    size_t p = 0;
    while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
    if (p < line.size() && line[p] == '{') return Shape::Json;
    if (pri(line) || bsd_timestamp(line) || iso_syslog(line)) return Shape::Syslog;
    if (apache_time(line)) return Shape::Apache;
    if (logfmt_key(line)) return Shape::Logfmt;
    return Shape::Other;
}

}  // namespace weir::autodetect
