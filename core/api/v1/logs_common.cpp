// What the routes that ask the store share: reading q, level, source, from,
// to and limit, and the JSON of errors and numbers.
#include "logs_common.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <weir/condition/time_range.hpp>
#include <weir/event/time_format.hpp>
#include <weir/store/store.hpp>

namespace weir::api::v1 {
namespace {

/// Words of a level or source filter: plain words only, so the condition
/// text they become cannot change meaning.
bool plain_value(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/'))
            return false;
    return true;
}

std::string split_filter(const std::string& field, const std::string& list, std::string& error) {
    std::string out;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        const std::string v = list.substr(start, comma - start);
        if (!plain_value(v)) {
            error = field + " expects a comma-separated list of plain values, found '" + list + "'";
            return {};
        }
        out += (out.empty() ? "" : " OR ") + v;
        start = comma + 1;
    }
    return field + ":(" + out + ")";
}

}  // namespace

http::Response bad_request(const std::string& message, std::optional<size_t> position,
                           const std::string& param) {
    std::string body = "{\"error\":" + std::string("\"") + http::json_escape(message) + "\",\"status\":400";
    if (!param.empty()) body += ",\"param\":\"" + http::json_escape(param) + "\"";
    if (position) body += ",\"position\":" + std::to_string(*position);
    return http::Response::json(400, body + "}");
}

std::optional<http::Response> read_question(const http::Request& req, Question& q) {
    const std::string text = req.query_param("q");
    std::string combined;
    if (!text.empty()) {
        try {
            (void)condition::Condition::compile(text);  // positions refer to q as the user wrote it
        } catch (const condition::SyntaxError& e) {
            return bad_request(std::string("q: ") + e.what(), e.position(), "q");
        }
        combined = "(" + text + ")";
    }
    for (const char* f : {"level", "source"}) {
        const std::string v = req.query_param(f);
        if (v.empty()) continue;
        std::string error;
        const std::string part = split_filter(f, v, error);
        if (!error.empty()) return bad_request(error, std::nullopt, f);
        combined += (combined.empty() ? "" : " AND ") + part;
    }
    if (!combined.empty()) {
        try {
            q.condition = condition::Condition::compile(combined);
        } catch (const condition::SyntaxError& e) {
            return bad_request(std::string("q: ") + e.what(), std::nullopt, "q");
        }
        q.hint = q.condition->index_hint();
    }
    const int64_t now = event::now_ns();
    for (const char* p : {"from", "to"}) {
        const std::string v = req.query_param(p);
        if (v.empty()) continue;
        const bool end = std::string_view(p) == "to";
        const auto t = condition::parse_time_point(v, now, end);
        if (!t)
            return bad_request(std::string(p) +
                                   " expects a time (now-1h, 15m, 2026-01-19T10:00:00Z, epoch ms), found '" +
                                   v + "'",
                               std::nullopt, p);
        if (end)
            q.hint.to_ns = std::min(q.hint.to_ns, *t);
        else
            q.hint.from_ns = std::max(q.hint.from_ns, *t);
    }
    q.tenant = req.tenant;
    return std::nullopt;
}

std::optional<size_t> read_limit(const http::Request& req, size_t def, std::optional<http::Response>& error,
                                 size_t max) {
    const std::string v = req.query_param("limit");
    if (v.empty()) return def;
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (end == v.c_str() || *end || n < 1 || n > static_cast<long long>(max)) {
        error = bad_request("limit expects a number from 1 to " + std::to_string(max) + ", found '" + v + "'",
                            std::nullopt, "limit");
        return std::nullopt;
    }
    return static_cast<size_t>(n);
}

std::optional<uint64_t> read_count(const http::Request& req, const char* name, uint64_t def, uint64_t min,
                                   uint64_t max, std::optional<http::Response>& error) {
    const std::string v = req.query_param(name);
    if (v.empty()) return def;
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (end == v.c_str() || *end || v[0] == '-' || errno == ERANGE || n < min || n > max) {
        error = bad_request(std::string(name) + " expects a number from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", found '" + v + "'",
                            std::nullopt, name);
        return std::nullopt;
    }
    return n;
}

std::optional<size_t> read_offset(const http::Request& req, std::optional<http::Response>& error) {
    const auto n = read_count(req, "offset", 0, 0, kMaxOffset, error);
    if (!n) return std::nullopt;
    return static_cast<size_t>(*n);
}

std::string with_id(std::string_view event_json, const store::RowRef& ref) {
    std::string out = "{\"_id\":\"" + ref.to_cursor() + "\"";
    if (event_json.size() > 2) out += ',';
    out.append(event_json.substr(event_json.empty() ? 0 : 1));
    if (event_json.empty()) out += '}';
    return out;
}

/// "30s", "5m", "1h", "1d", "500ms".
std::optional<int64_t> parse_interval(const std::string& s) {
    char* end = nullptr;
    const double n = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || !(n > 0)) return std::nullopt;
    const std::string unit(end);
    double scale = 0;
    if (unit == "ms") scale = 1e6;
    if (unit == "s") scale = 1e9;
    if (unit == "m") scale = 60e9;
    if (unit == "h") scale = 3600e9;
    if (unit == "d") scale = 86400e9;
    if (!scale || n * scale < 1e6 || n * scale > 366 * 86400e9) return std::nullopt;
    return static_cast<int64_t>(n * scale);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else
        std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

http::Response no_store() {
    return http::Response::error(503, "the store is disabled (store.enabled: false)");
}

}  // namespace weir::api::v1
