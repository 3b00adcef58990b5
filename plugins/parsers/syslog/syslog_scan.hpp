// Syslog messages: RFC 5424 and RFC 3164 in its real-world variants.
// One pass over the line; every text value points into it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>
#include <weir/time.hpp>

namespace weir::syslog {

inline constexpr std::string_view kFacilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};
inline constexpr std::string_view kSeverities[] = {"emerg",   "alert",  "crit", "err",
                                                   "warning", "notice", "info", "debug"};

struct SdParam {
    std::string_view name;
    std::string_view value;  // raw: \" \\ \] not yet resolved
    bool escaped = false;
};
struct SdElement {
    std::string_view id;
    size_t first_param = 0;  // index into Message::params
    size_t param_count = 0;
    int repeat_of = -1;  // lenient mode: index of the element with the same SD-ID
};

struct Message {
    int pri = -1;     // -1: none
    int version = 0;  // 1 for RFC 5424, 0 for RFC 3164
    std::optional<int64_t> time;
    std::string_view hostname, app_name, procid, msgid, msg;
    std::vector<SdElement> sd;
    std::vector<SdParam> params;
    const char* warning = nullptr;  // lenient mode: what could not be read
    void clear() {
        pri = -1;
        version = 0;
        time.reset();
        hostname = app_name = procid = msgid = msg = {};
        sd.clear();
        params.clear();
        warning = nullptr;
    }
};

struct Options {
    bool strict = false;
    weir::time::LocalZone zone;  // for zone-less timestamps (a named zone's rules outlive the options)
    int64_t now_ns = 0;          // for the year of "Mmm dd" timestamps
};

namespace detail {

inline bool print_ascii(char c) { return c >= 33 && c <= 126; }

/// "<N>" at the start; returns characters used (0 if none).
inline size_t pri(std::string_view s, int& out, bool strict) {
    if (s.size() < 3 || s[0] != '<') return 0;
    size_t i = 1;
    int v = 0;
    while (i < s.size() && i <= 4 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i == 1 || i >= s.size() || s[i] != '>' || v > 191) return 0;
    if (strict && s[1] == '0' && i > 2) return 0;  // no leading zeros
    out = v;
    return i + 1;
}

/// A space-delimited token at `pos` (moves past it and one space).
inline std::string_view token(std::string_view s, size_t& pos) {
    const size_t start = pos;
    while (pos < s.size() && s[pos] != ' ') ++pos;
    std::string_view t = s.substr(start, pos - start);
    if (pos < s.size()) ++pos;
    return t;
}

inline std::string_view nil(std::string_view t) { return t == "-" ? std::string_view{} : t; }

/// Lenient mode keeps the first thing it had to accept.
inline void warn(Message& m, const char* what) {
    if (!m.warning) m.warning = what;
}

/// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
inline bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF)
            n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3, cp = c & 0x07;
        else
            return false;
        if (i + n >= s.size()) return false;  // cut inside the sequence
        for (size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += n + 1;
    }
    return true;
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// An IPv6 address as a host name ("2001:db8::", "fe80::1"): hex digits,
/// colons (two at least) and dots — so that a trailing "::" is not a tag's colon.
inline bool ipv6_like(std::string_view w) {
    size_t colons = 0;
    for (char c : w) {
        if (c == ':')
            ++colons;
        else if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.'))
            return false;
    }
    return colons >= 2;
}

/// Digits at `pos` (1 to `max`), moving past them.
inline bool number(std::string_view s, size_t& pos, size_t min, size_t max, unsigned& out) {
    size_t n = 0;
    unsigned v = 0;
    while (n < max && pos < s.size() && is_digit(s[pos])) {
        v = v * 10 + static_cast<unsigned>(s[pos++] - '0');
        ++n;
    }
    out = v;
    return n >= min;
}

/// "hh:mm:ss" with an optional fraction at `pos`.
inline bool clock(std::string_view s, size_t& pos, unsigned& h, unsigned& mi, unsigned& sec, int64_t& frac) {
    if (!number(s, pos, 2, 2, h) || pos >= s.size() || s[pos++] != ':' || !number(s, pos, 2, 2, mi) ||
        pos >= s.size() || s[pos++] != ':' || !number(s, pos, 2, 2, sec))
        return false;
    frac = 0;
    if (pos + 1 < s.size() && (s[pos] == '.' || s[pos] == ',') && is_digit(s[pos + 1])) {
        ++pos;
        weir::time::detail::fraction(s, pos, frac);
    }
    return true;
}

/// The timestamps BSD syslog senders write, as rsyslog and syslog-ng read
/// them: "Mmm dd hh:mm:ss", the day unpadded ("Jan 5") or space-padded
/// ("Jan  5"), a fraction, a year after the day ("Oct 11 2023 22:14:15",
/// Cisco, pfSense) or after the time ("Oct 11 22:14:15 2023"); or ISO 8601
/// with 'T' or a space ("2006-10-29 02:00:00.156+01:00"). Strict mode takes
/// only RFC 3164's own form and RFC 3339. Sets `used`; nullopt if none.
inline std::optional<int64_t> stamp_3164(std::string_view s, const Options& o, size_t& used) {
    using weir::time::make_time;
    unsigned h, mi, sec;
    int64_t frac = 0;
    size_t pos = 0;
    if (s.size() >= 10 && is_digit(s[0]) && s[4] == '-') {
        unsigned y, mo, d;
        if (!number(s, pos, 4, 4, y) || s[pos++] != '-' || !number(s, pos, 2, 2, mo) || s[pos++] != '-' ||
            !number(s, pos, 2, 2, d) || pos >= s.size() || (s[pos] != 'T' && (o.strict || s[pos] != ' ')))
            return std::nullopt;
        ++pos;
        if (!clock(s, pos, h, mi, sec, frac)) return std::nullopt;
        if (pos == s.size() || s[pos] == ' ') {
            used = pos;
            return make_time(y, mo, d, h, mi, sec, frac, o.zone);
        }
        int64_t offset = 0;
        if (!weir::time::detail::zone(s, pos, offset)) return std::nullopt;
        if (pos < s.size() && s[pos] != ' ') return std::nullopt;
        used = pos;
        return make_time(y, mo, d, h, mi, sec, frac, offset);
    }
    if (o.strict) {
        auto t = weir::time::parse_rfc3164(s, o.now_ns, o.zone, &used);
        if (t && used < s.size() && s[used] != ' ') return std::nullopt;
        return t;
    }
    if (s.size() < 12 || s[3] != ' ') return std::nullopt;
    const unsigned mo = weir::time::month_from_abbrev(s.substr(0, 3));
    if (mo == 0) return std::nullopt;
    pos = 4;
    if (s[pos] == ' ') ++pos;
    unsigned d, y = 0;
    if (!number(s, pos, 1, 2, d) || pos >= s.size() || s[pos++] != ' ') return std::nullopt;
    const size_t year_at = pos;
    if (number(s, pos, 4, 4, y) && pos < s.size() && s[pos] == ' ') {
        ++pos;
    } else {
        pos = year_at;
        y = 0;
    }
    if (!clock(s, pos, h, mi, sec, frac)) return std::nullopt;
    if (y == 0 && pos + 5 <= s.size() && s[pos] == ' ') {  // "Oct 11 22:14:15 2023 host ..."
        size_t p = pos + 1;
        unsigned yy;
        if (number(s, p, 4, 4, yy) && (p == s.size() || s[p] == ' ') && yy >= 1970 && yy <= 2100) {
            y = yy;
            pos = p;
        }
    }
    if (pos < s.size() && s[pos] != ' ') return std::nullopt;
    used = pos;
    const int64_t year = y ? static_cast<int64_t>(y) : weir::time::infer_year(mo, d, o.now_ns, o.zone);
    return make_time(year, mo, d, h, mi, sec, frac, o.zone);
}

/// Whether the text after the PRI starts like a date it could not read
/// ("Mar 32 ...", "2023-13-01 ..."): then its words are no hostname or tag.
inline bool looks_like_a_date(std::string_view s) {
    if (s.size() >= 4 && weir::time::month_from_abbrev(s.substr(0, 3)) && s[3] == ' ') return true;
    return s.size() >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
           s[4] == '-';
}

}  // namespace detail

/// RFC 5424. Returns nullptr or why the line is not one.
inline const char* parse_5424(std::string_view s, const Options& o, Message& m) {
    using namespace detail;
    size_t pos = pri(s, m.pri, o.strict);
    if (!pos) return "no <PRI> at the start";
    if (pos >= s.size() || s[pos] < '1' || s[pos] > '9') return "no syslog version after <PRI>";
    m.version = s[pos++] - '0';
    for (int k = 0; k < 2 && pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++k)
        m.version = m.version * 10 + (s[pos++] - '0');  // VERSION is 1-3 digits (NONZERO-DIGIT 0*2DIGIT)
    if (pos >= s.size() || s[pos] != ' ') return "no space after the version";
    ++pos;
    const std::string_view ts = token(s, pos);
    if (ts.empty()) return "line cut short before the timestamp";
    if (ts != "-") {
        m.time = weir::time::parse_iso8601(ts, o.zone);
        if (!m.time) {
            if (o.strict) return "the timestamp is not RFC 3339";
            m.warning = "unreadable timestamp";
        } else if (ts.back() != 'Z' && ts.back() != 'z' && ts.find_last_of("+-") < 19) {
            if (o.strict) return "the timestamp has no time zone";
            warn(m, "a timestamp without a time zone (read in the configured timezone)");
        } else if (ts[10] != 'T' || ts.back() == 'z') {
            if (o.strict) return "RFC 5424 writes the timestamp's T and Z in upper case";
            warn(m, "a lower-case t or z in the timestamp");
        }
    }
    const std::string_view fields[4] = {token(s, pos), token(s, pos), token(s, pos), token(s, pos)};
    constexpr size_t kMax[4] = {255, 48, 128, 32};
    for (int k = 0; k < 4; ++k) {
        if (fields[k].empty()) return "line cut short in the header";
        if (o.strict) {
            if (fields[k].size() > kMax[k]) return "a header field is longer than RFC 5424 allows";
            for (char c : fields[k])
                if (!print_ascii(c)) return "a header field has a character RFC 5424 does not allow";
        }
    }
    m.hostname = nil(fields[0]);
    m.app_name = nil(fields[1]);
    m.procid = nil(fields[2]);
    m.msgid = nil(fields[3]);
    if (pos >= s.size()) return "line cut short before the structured data";
    if (s[pos] == '-') {
        ++pos;
    } else if (s[pos] == '[') {
        while (pos < s.size() && s[pos] == '[') {
            ++pos;
            const size_t id0 = pos;
            while (pos < s.size() && s[pos] != ' ' && s[pos] != ']' && s[pos] != '=' && s[pos] != '"') ++pos;
            if (pos == id0 || pos >= s.size()) return "malformed structured data element";
            SdElement el{s.substr(id0, pos - id0), m.params.size(), 0};
            if (el.id.size() > 32) {
                if (o.strict) return "an SD-ID is longer than the 32 characters RFC 5424 allows";
                warn(m, "an SD-ID longer than 32 characters");
            }
            for (const auto& prev : m.sd) {
                if (prev.id == el.id) {
                    if (o.strict) return "an SD-ID appears twice (RFC 5424 6.3.2)";
                    warn(m, "a repeated SD-ID (its parameters are merged into the first)");
                    el.repeat_of = static_cast<int>(&prev - m.sd.data());
                    break;
                }
            }
            while (pos < s.size() && s[pos] == ' ') {
                ++pos;
                const size_t n0 = pos;
                while (pos < s.size() && s[pos] != '=' && s[pos] != ' ' && s[pos] != ']' && s[pos] != '"')
                    ++pos;
                if (pos == n0 || pos + 1 >= s.size() || s[pos] != '=' || s[pos + 1] != '"')
                    return "malformed structured data parameter";
                SdParam p{s.substr(n0, pos - n0), {}, false};
                pos += 2;
                const size_t v0 = pos;
                while (pos < s.size() && s[pos] != '"') {
                    if (s[pos] == '\\' && pos + 1 < s.size()) {
                        p.escaped = true;
                        ++pos;
                    } else if (s[pos] == ']') {
                        if (o.strict) return "a ']' in a structured data value is not escaped";
                        warn(m, "an unescaped ']' in a structured data value");
                    }
                    ++pos;
                }
                if (pos >= s.size()) return "a structured data value is never closed";
                p.value = s.substr(v0, pos - v0);
                ++pos;
                m.params.push_back(p);
                ++el.param_count;
            }
            if (pos >= s.size() || s[pos] != ']') return "a structured data element is never closed";
            ++pos;
            m.sd.push_back(el);
        }
    } else {
        return "no structured data (or '-') after the header";
    }
    if (pos < s.size()) {
        if (s[pos] != ' ') return "no space before the message";
        ++pos;
        std::string_view msg = s.substr(pos);
        if (msg.size() >= 3 && msg.substr(0, 3) == "\xEF\xBB\xBF") {  // BOM: UTF-8 follows
            msg.remove_prefix(3);
            if (!valid_utf8(msg)) {
                if (o.strict) return "the message after the BOM is not valid UTF-8";
                warn(m, "the message after the BOM is not valid UTF-8");
            }
        }
        m.msg = msg;
    }
    return nullptr;
}

/// RFC 3164 and what real systems send under that name: optional <PRI>
/// (a space after it is tolerated), a timestamp (stamp_3164), optional
/// hostname, "tag[pid]:", "tag:" or — as rsyslog and syslog-ng read RFC 3164
/// 4.1.3 — a tag ended by a space, then the message.
inline const char* parse_3164(std::string_view s, const Options& o, Message& m) {
    using namespace detail;
    size_t pos = pri(s, m.pri, o.strict);
    if (!pos && o.strict) return "no <PRI> at the start";
    if (!o.strict)
        while (pos < s.size() && s[pos] == ' ') ++pos;  // "<38> Mar  7 ..."
    size_t used = 0;
    bool have_header = true;
    if ((m.time = stamp_3164(s.substr(pos), o, used))) {
        pos += used;
    } else if (o.strict) {
        return "no RFC 3164 timestamp";
    } else if (looks_like_a_date(s.substr(pos))) {
        // Its words would become hostname and tag: keep it all as the message.
        m.warning = "unreadable timestamp: hostname and tag not read";
        have_header = false;
    } else {
        m.warning = "no timestamp";
    }
    if (pos < s.size() && s[pos] == ' ') ++pos;
    if (have_header) {
        // Hostname (only after a timestamp), unless the next word is already
        // the tag ("tag:" or "tag[pid]:"); an IPv6 address ending in "::" is a host.
        size_t p = pos;
        const std::string_view word = token(s, p);
        const bool is_tag = !word.empty() && ((word.back() == ':' && !ipv6_like(word)) ||
                                              word.find('[') != std::string_view::npos);
        const bool host = m.time && !word.empty() && !is_tag && p < s.size();
        if (host) {
            m.hostname = word;
            pos = p;
        }
        // Tag: up to '[', ':' or a space (at most 48 characters, RFC 3164 says 32).
        const size_t t0 = pos;
        while (pos < s.size() && pos - t0 <= 48 && s[pos] != '[' && s[pos] != ':' && s[pos] != ' ') ++pos;
        const bool ended = pos < s.size() && (s[pos] == '[' || s[pos] == ':' || (host && s[pos] == ' '));
        if (pos > t0 && ended) {
            m.app_name = s.substr(t0, pos - t0);
            if (s[pos] == '[') {
                const size_t close = s.find(']', pos);
                if (close == std::string_view::npos) return "a [pid] is never closed";
                m.procid = s.substr(pos + 1, close - pos - 1);
                pos = close + 1;
            }
            if (pos < s.size() && s[pos] == ':') ++pos;
            if (pos < s.size() && s[pos] == ' ') ++pos;
        } else {
            pos = t0;  // no tag: everything is the message
            if (o.strict) return "no tag";
        }
    }
    m.msg = s.substr(pos);
    if (m.pri < 0 && !m.time) return "neither <PRI> nor a timestamp: not syslog";
    return nullptr;
}

}  // namespace weir::syslog
