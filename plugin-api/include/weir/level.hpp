// Weir log levels for plugins: one normal form for the many ways logs spell
// severity. Header-only, locale-free, allocation-free.
#pragma once

#include <cstdint>
#include <string_view>

namespace weir::level {

enum class Level : uint8_t { Unknown = 0, Trace, Debug, Info, Warn, Error, Fatal };

/// "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", or "" for Unknown.
constexpr std::string_view name(Level l) {
    switch (l) {
        case Level::Trace:
            return "TRACE";
        case Level::Debug:
            return "DEBUG";
        case Level::Info:
            return "INFO";
        case Level::Warn:
            return "WARN";
        case Level::Error:
            return "ERROR";
        case Level::Fatal:
            return "FATAL";
        default:
            return "";
    }
}

/// Syslog severities 0–7: emerg, alert, crit → FATAL; err → ERROR;
/// warning → WARN; notice, info → INFO; debug → DEBUG.
constexpr Level from_syslog_severity(int severity) {
    switch (severity) {
        case 0:
        case 1:
        case 2:
            return Level::Fatal;
        case 3:
            return Level::Error;
        case 4:
            return Level::Warn;
        case 5:
        case 6:
            return Level::Info;
        case 7:
            return Level::Debug;
        default:
            return Level::Unknown;
    }
}

/// Normalises what a log calls its level, ignoring case and surrounding
/// brackets or spaces: words (`warning`, `err`, `crit`, `emerg`, `notice`,
/// `verbose`, `panic`...), single letters (`T D V I W E F C`), syslog severity
/// digits 0–7, and the numeric levels of bunyan/pino (10 trace … 60 fatal).
inline Level normalize(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '[' || text.front() == '<'))
        text.remove_prefix(1);
    while (!text.empty() &&
           (text.back() == ' ' || text.back() == ']' || text.back() == '>' || text.back() == ':'))
        text.remove_suffix(1);
    if (text.empty() || text.size() > 13) return Level::Unknown;
    char buf[16];
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    const std::string_view t(buf, text.size());
    if (t.size() == 1) {
        switch (t[0]) {
            case 't':
                return Level::Trace;
            case 'd':
            case 'v':
                return Level::Debug;  // logcat's V (verbose)
            case 'i':
            case 'n':
                return Level::Info;
            case 'w':
                return Level::Warn;
            case 'e':
                return Level::Error;
            case 'f':
            case 'c':
            case 'p':
                return Level::Fatal;
            default:
                if (t[0] >= '0' && t[0] <= '7') return from_syslog_severity(t[0] - '0');
                return Level::Unknown;
        }
    }
    if (t == "10") return Level::Trace;  // bunyan / pino
    if (t == "20") return Level::Debug;
    if (t == "30") return Level::Info;
    if (t == "40") return Level::Warn;
    if (t == "50") return Level::Error;
    if (t == "60") return Level::Fatal;
    struct Word {
        std::string_view word;
        Level level;
    };
    static constexpr Word kWords[] = {
        {"trace", Level::Trace},        {"trc", Level::Trace},     {"finest", Level::Trace},
        {"finer", Level::Trace},        {"debug", Level::Debug},   {"dbg", Level::Debug},
        {"fine", Level::Debug},         {"verbose", Level::Debug}, {"vrb", Level::Debug},
        {"info", Level::Info},          {"inf", Level::Info},      {"information", Level::Info},
        {"informational", Level::Info}, {"notice", Level::Info},   {"config", Level::Info},
        {"warn", Level::Warn},          {"warning", Level::Warn},  {"wrn", Level::Warn},
        {"error", Level::Error},        {"err", Level::Error},     {"eror", Level::Error},
        {"severe", Level::Error},       {"fatal", Level::Fatal},   {"critical", Level::Fatal},
        {"crit", Level::Fatal},         {"emerg", Level::Fatal},   {"emergency", Level::Fatal},
        {"alert", Level::Fatal},        {"panic", Level::Fatal},   {"ftl", Level::Fatal},
        {"dpanic", Level::Fatal},
    };
    for (const Word& w : kWords)
        if (t == w.word) return w.level;
    return Level::Unknown;
}

}  // namespace weir::level
