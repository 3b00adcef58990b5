// Timestamps found in JSON logs: RFC 3339 / ISO 8601 text and epoch numbers.
// Locale-free and allocation-free.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace weir::parsers {

inline int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

/// "2026-01-19T10:30:00Z", "2026-01-19 10:30:00.123456+02:00", "...-0530",
/// no zone = UTC. Returns nanoseconds since the epoch.
inline std::optional<int64_t> parse_rfc3339(std::string_view s) {
    auto digits = [&](size_t pos, size_t n, int& out) {
        if (pos + n > s.size()) return false;
        int v = 0;
        for (size_t i = 0; i < n; ++i) {
            const char c = s[pos + i];
            if (c < '0' || c > '9') return false;
            v = v * 10 + (c - '0');
        }
        out = v;
        return true;
    };
    int y, mo, d, h, mi, sec;
    if (!digits(0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) ||
        s[16] != ':' || !digits(17, 2, sec))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    size_t pos = 19;
    int64_t frac = 0;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 9) {
                frac = frac * 10 + (s[pos] - '0');
                ++n;
            }
            ++pos;
        }
        if (n == 0) return std::nullopt;
        for (; n < 9; ++n) frac *= 10;
    }
    int64_t offset_s = 0;
    if (pos < s.size()) {
        const char z = s[pos];
        if (z == 'Z' || z == 'z') {
            ++pos;
        } else if (z == '+' || z == '-') {
            int oh, om = 0;
            if (!digits(pos + 1, 2, oh)) return std::nullopt;
            pos += 3;
            if (pos < s.size() && s[pos] == ':') ++pos;
            if (pos < s.size()) {
                if (!digits(pos, 2, om)) return std::nullopt;
                pos += 2;
            }
            if (oh > 23 || om > 59) return std::nullopt;
            offset_s = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size()) return std::nullopt;
    const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    const int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    return secs * 1'000'000'000 + frac;
}

/// Epoch integers: seconds, or milliseconds when > 1e11. Exact.
inline std::optional<int64_t> parse_epoch_int(int64_t v) {
    if (v <= 0 || v > 100'000'000'000'000LL) return std::nullopt;
    if (v > 100'000'000'000LL) return v * 1'000'000;  // milliseconds
    return v * 1'000'000'000;
}

/// Epoch numbers with a fraction: seconds, or milliseconds when > 1e11. The
/// whole and fractional parts are converted apart, so the fraction keeps its
/// digits (a double cannot hold nanoseconds since 1970 exactly).
inline std::optional<int64_t> parse_epoch(double v) {
    if (!(v > 0) || v > 1e14) return std::nullopt;
    const bool ms = v > 1e11;
    const double whole = std::floor(v);
    const auto unit = ms ? 1'000'000LL : 1'000'000'000LL;
    const auto frac = static_cast<int64_t>(std::llround((v - whole) * static_cast<double>(unit)));
    return static_cast<int64_t>(whole) * unit + frac;
}

}  // namespace weir::parsers
