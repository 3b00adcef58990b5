// Syslog messages: RFC 5424 and RFC 3164 in its real-world variants.
// One pass over the line; every text value points into it.
#pragma once

#include <weir/time.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace weir::syslog {

inline constexpr std::string_view kFacilities[] = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7"};
inline constexpr std::string_view kSeverities[] = {"emerg", "alert", "crit", "err",
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
};

struct Message {
    int pri = -1;  // -1: none
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
    int64_t offset_s = 0;  // for zone-less timestamps
    int64_t now_ns = 0;    // for the year of "Mmm dd" timestamps
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

}  // namespace detail

/// RFC 5424. Returns nullptr or why the line is not one.
inline const char* parse_5424(std::string_view s, const Options& o, Message& m) {
    using namespace detail;
    size_t pos = pri(s, m.pri, o.strict);
    if (!pos) return "no <PRI> at the start";
    if (pos >= s.size() || s[pos] < '1' || s[pos] > '9') return "no syslog version after <PRI>";
    m.version = s[pos++] - '0';
    if (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') m.version = m.version * 10 + (s[pos++] - '0');
    if (pos >= s.size() || s[pos] != ' ') return "no space after the version";
    ++pos;
    const std::string_view ts = token(s, pos);
    if (ts.empty()) return "line cut short before the timestamp";
    if (ts != "-") {
        m.time = weir::time::parse_iso8601(ts, o.offset_s);
        if (!m.time) {
            if (o.strict) return "the timestamp is not RFC 3339";
            m.warning = "unreadable timestamp";
        } else if (o.strict && ts.back() != 'Z' && ts.find_last_of("+-") < 19) {
            return "the timestamp has no time zone";
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
            while (pos < s.size() && s[pos] == ' ') {
                ++pos;
                const size_t n0 = pos;
                while (pos < s.size() && s[pos] != '=' && s[pos] != ' ' && s[pos] != ']' && s[pos] != '"') ++pos;
                if (pos == n0 || pos + 1 >= s.size() || s[pos] != '=' || s[pos + 1] != '"')
                    return "malformed structured data parameter";
                SdParam p{s.substr(n0, pos - n0), {}, false};
                pos += 2;
                const size_t v0 = pos;
                while (pos < s.size() && s[pos] != '"') {
                    if (s[pos] == '\\' && pos + 1 < s.size()) {
                        p.escaped = true;
                        ++pos;
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
        if (msg.size() >= 3 && msg.substr(0, 3) == "\xEF\xBB\xBF") msg.remove_prefix(3);  // BOM: UTF-8 follows
        m.msg = msg;
    }
    return nullptr;
}

/// RFC 3164 and what real systems send under that name: optional <PRI>,
/// "Mmm dd hh:mm:ss" (or an ISO timestamp), optional hostname, "tag[pid]:"
/// or "tag:", then the message.
inline const char* parse_3164(std::string_view s, const Options& o, Message& m) {
    using namespace detail;
    size_t pos = pri(s, m.pri, o.strict);
    if (!pos && o.strict) return "no <PRI> at the start";
    size_t used = 0;
    if ((m.time = weir::time::parse_rfc3164(s.substr(pos), o.now_ns, o.offset_s, &used))) {
        pos += used;
    } else {
        // rsyslog's high-precision form: an RFC 3339 timestamp.
        const size_t sp = s.find(' ', pos);
        const std::string_view ts = s.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
        if (ts.size() >= 19 && (m.time = weir::time::parse_iso8601(ts, o.offset_s))) {
            pos = sp == std::string_view::npos ? s.size() : sp;
        } else if (o.strict) {
            return "no RFC 3164 timestamp";
        } else {
            m.warning = "no timestamp";
        }
    }
    if (pos < s.size() && s[pos] == ' ') ++pos;
    // Hostname, unless the next word is already the tag ("tag:" or "tag[pid]:").
    size_t p = pos;
    const std::string_view word = token(s, p);
    const bool is_tag = !word.empty() && (word.back() == ':' || word.find('[') != std::string_view::npos);
    if (!word.empty() && !is_tag && p < s.size()) {
        m.hostname = word;
        pos = p;
    }
    // Tag: up to '[' or ':' (at most 48 characters, RFC 3164 says 32).
    const size_t t0 = pos;
    while (pos < s.size() && pos - t0 <= 48 && s[pos] != '[' && s[pos] != ':' && s[pos] != ' ') ++pos;
    if (pos < s.size() && pos > t0 && (s[pos] == '[' || s[pos] == ':')) {
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
    m.msg = s.substr(pos);
    if (m.pri < 0 && !m.time) return "neither <PRI> nor a timestamp: not syslog";
    return nullptr;
}

}  // namespace weir::syslog
