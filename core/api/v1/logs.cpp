// GET /api/v1/logs/search and /api/v1/logs/aggregate: questions to the store.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <weir/api/topics.hpp>
#include <weir/condition/condition.hpp>
#include <weir/condition/time_range.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/store/store.hpp>

namespace weir::api::v1 {
namespace {

constexpr size_t kMaxLimit = 10000;

http::Response bad_request(const std::string& message, std::optional<size_t> position = std::nullopt,
                           const std::string& param = {}) {
    std::string body = "{\"error\":" + std::string("\"") + http::json_escape(message) + "\",\"status\":400";
    if (!param.empty()) body += ",\"param\":\"" + http::json_escape(param) + "\"";
    if (position) body += ",\"position\":" + std::to_string(*position);
    return http::Response::json(400, body + "}");
}

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

/// What search and aggregate share: the condition, its hint and the time range.
struct Question {
    std::optional<condition::Condition> condition;
    condition::IndexHint hint;
    std::string tenant;
};

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

std::optional<size_t> read_limit(const http::Request& req, size_t def, std::optional<http::Response>& error) {
    const std::string v = req.query_param("limit");
    if (v.empty()) return def;
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (end == v.c_str() || *end || n < 1 || n > static_cast<long long>(kMaxLimit)) {
        error = bad_request(
            "limit expects a number from 1 to " + std::to_string(kMaxLimit) + ", found '" + v + "'",
            std::nullopt, "limit");
        return std::nullopt;
    }
    return static_cast<size_t>(n);
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

http::Response search(Context& ctx, const http::Request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    Question q;
    if (auto err = read_question(req, q)) return *err;
    std::optional<http::Response> error;
    const auto limit = read_limit(req, 100, error);
    if (!limit) return *error;
    store::SearchRequest sr;
    sr.condition = q.condition ? &*q.condition : nullptr;
    sr.hint = q.hint;
    sr.tenant = q.tenant;
    sr.limit = *limit;
    const std::string order = req.query_param("order");
    if (order.empty() || order == "desc" || order == "newest") {
        sr.newest_first = true;
    } else if (order == "asc" || order == "oldest") {
        sr.newest_first = false;
    } else {
        return bad_request("order expects desc or asc, found '" + order + "'", std::nullopt, "order");
    }
    const std::string cursor = req.query_param("cursor");
    if (!cursor.empty()) {
        sr.after = store::RowRef::from_cursor(cursor);
        if (!sr.after) return bad_request("cursor is not one this API returned", std::nullopt, "cursor");
    }
    const store::SearchResult r = s->search(sr);
    std::string body = "{\"total\":" + std::to_string(r.total) +
                       ",\"total_exact\":" + (r.total_exact ? "true" : "false") + ",\"results\":[";
    for (size_t i = 0; i < r.events.size(); ++i) body += (i ? "," : "") + r.events[i];
    body += "],\"took_ms\":" + number(std::round(ms_since(t0) * 1000) / 1000) + ",\"next_cursor\":";
    body += r.next_cursor ? "\"" + r.next_cursor->to_cursor() + "\"" : "null";
    body += ",\"stats\":" + r.stats.to_json() + "}";
    return http::Response::json(200, std::move(body));
}

http::Response aggregate(Context& ctx, const http::Request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    Question q;
    if (auto err = read_question(req, q)) return *err;
    std::optional<http::Response> error;
    const auto limit = read_limit(req, 10, error);
    if (!limit) return *error;
    store::AggregateRequest ar;
    ar.condition = q.condition ? &*q.condition : nullptr;
    ar.hint = q.hint;
    ar.tenant = q.tenant;
    ar.limit = *limit;
    const std::string metric = req.query_param("metric");
    ar.metric = metric.empty() ? "count" : metric;
    static const char* kMetrics[] = {"count", "sum", "avg", "min", "max", "p50", "p90", "p95", "p99"};
    if (std::find(std::begin(kMetrics), std::end(kMetrics), ar.metric) == std::end(kMetrics))
        return bad_request(
            "metric expects count, sum, avg, min, max, p50, p90, p95 or p99, found '" + ar.metric + "'",
            std::nullopt, "metric");
    ar.field = req.query_param("field");
    if (ar.metric != "count" && ar.field.empty())
        return bad_request("metric " + ar.metric + " needs field (a numeric field)", std::nullopt, "field");
    const std::string group_by = req.query_param("group_by");
    for (size_t start = 0; !group_by.empty() && start <= group_by.size();) {
        size_t comma = group_by.find(',', start);
        if (comma == std::string::npos) comma = group_by.size();
        const std::string f = group_by.substr(start, comma - start);
        if (f.empty())
            return bad_request("group_by expects comma-separated field names", std::nullopt, "group_by");
        ar.group_by.push_back(f);
        start = comma + 1;
    }
    const std::string interval = req.query_param("interval");
    if (!interval.empty()) {
        const auto ns = parse_interval(interval);
        if (!ns)
            return bad_request("interval expects a duration (30s, 1m, 1h, 1d), found '" + interval + "'",
                               std::nullopt, "interval");
        ar.interval_ns = *ns;
    }
    const store::AggregateResult r = s->aggregate(ar);
    std::string body = "{\"metric\":\"" + ar.metric + "\",\"field\":";
    body += ar.field.empty() ? "null" : "\"" + http::json_escape(ar.field) + "\"";
    body += ",\"group_by\":[";
    for (size_t i = 0; i < ar.group_by.size(); ++i)
        body += (i ? ",\"" : "\"") + http::json_escape(ar.group_by[i]) + "\"";
    body += "],\"interval_ms\":" + (ar.interval_ns ? std::to_string(ar.interval_ns / 1'000'000) : "null");
    body += ",\"results\":[";
    for (size_t i = 0; i < r.rows.size(); ++i) {
        const auto& row = r.rows[i];
        body += i ? ",{" : "{";
        if (row.bucket_ns)
            body += "\"time\":\"" + event::format_rfc3339_ns(*row.bucket_ns) +
                    "\",\"time_ms\":" + std::to_string(*row.bucket_ns / 1'000'000) + ",";
        if (!ar.group_by.empty()) {
            body += "\"group\":{";
            for (size_t g = 0; g < ar.group_by.size(); ++g) {
                body += (g ? ",\"" : "\"") + http::json_escape(ar.group_by[g]) + "\":";
                body += row.group[g] ? "\"" + http::json_escape(*row.group[g]) + "\"" : "null";
            }
            body += "},";
        }
        body += "\"count\":" + std::to_string(row.count) +
                ",\"value\":" + (row.value ? number(*row.value) : "null") + "}";
    }
    body +=
        "],\"groups_total\":" + std::to_string(r.groups_total) + ",\"exact\":" + (r.exact ? "true" : "false");
    body += ",\"took_ms\":" + number(std::round(ms_since(t0) * 1000) / 1000) +
            ",\"stats\":" + r.stats.to_json() + "}";
    return http::Response::json(200, std::move(body));
}

}  // namespace

void register_logs(http::Router& r, Context& ctx) {
    r.get("/api/v1/logs/search",
          "Stored events matching q (and level, source) between from and to, newest first; limit, cursor, "
          "order.",
          http::Scope::Read, [&ctx](const http::Request& req) { return search(ctx, req); });
    r.get("/api/v1/logs/aggregate",
          "count, sum, avg, min, max or p50-p99 of field over events matching q, by group_by and interval.",
          http::Scope::Read, [&ctx](const http::Request& req) { return aggregate(ctx, req); });
}

}  // namespace weir::api::v1
