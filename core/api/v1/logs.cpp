// GET /api/v1/logs/search and /api/v1/logs/aggregate: questions to the store.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <weir/api/topics.hpp>
#include <weir/condition/condition.hpp>
#include <weir/condition/time_range.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/store/store.hpp>

#include "logs_common.hpp"

namespace weir::api::v1 {
namespace {

/// p followed by a number in (0, 100]: p50, p95, p99.9.
bool percentile_metric(const std::string& m) {
    if (m.size() < 2 || m[0] != 'p') return false;
    char* end = nullptr;
    const double q = std::strtod(m.c_str() + 1, &end);
    return end == m.c_str() + m.size() && q > 0 && q <= 100 && std::isdigit(static_cast<unsigned char>(m[1]));
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
    const auto offset = read_offset(req, error);
    if (!offset) return *error;
    store::SearchRequest sr;
    sr.cancel = req.cancelled.get();
    sr.condition = q.condition ? &*q.condition : nullptr;
    sr.hint = q.hint;
    sr.tenant = q.tenant;
    sr.limit = *limit + *offset;
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
    for (size_t i = *offset; i < r.events.size(); ++i)
        body += (i > *offset ? "," : "") + with_id(r.events[i], r.refs[i]);
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
    ar.cancel = req.cancelled.get();
    ar.condition = q.condition ? &*q.condition : nullptr;
    ar.hint = q.hint;
    ar.tenant = q.tenant;
    ar.limit = *limit;
    std::string metric = req.query_param("metric");
    ar.field = req.query_param("field");
    // metric=unique(user_id) is metric=unique&field=user_id.
    if (metric.size() > 8 && metric.compare(0, 7, "unique(") == 0 && metric.back() == ')') {
        if (!ar.field.empty())
            return bad_request("metric unique(...) names its field; field must then be absent", std::nullopt,
                               "field");
        ar.field = metric.substr(7, metric.size() - 8);
        metric = "unique";
    }
    ar.metric = metric.empty() ? "count" : metric;
    if (!percentile_metric(ar.metric)) {
        static const char* kMetrics[] = {"count", "sum", "avg", "min", "max", "stddev", "unique"};
        if (std::find(std::begin(kMetrics), std::end(kMetrics), ar.metric) == std::end(kMetrics))
            return bad_request(
                "metric expects count, sum, avg, min, max, stddev, unique or a percentile "
                "p0.1-p100 (p50, p95, p99, p99.9), found '" +
                    ar.metric + "'",
                std::nullopt, "metric");
    }
    if (ar.metric != "count" && ar.field.empty())
        return bad_request("metric " + ar.metric +
                               (ar.metric == "unique" ? " needs field (the field whose values are counted)"
                                                      : " needs field (a numeric field)"),
                           std::nullopt, "field");
    const std::string exact = req.query_param("exact");
    if (exact == "true" || exact == "1") {
        ar.exact = true;
    } else if (!exact.empty() && exact != "false" && exact != "0") {
        return bad_request("exact expects true or false, found '" + exact + "'", std::nullopt, "exact");
    }
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
    if (!r.exact) body += ",\"relative_error\":" + number(r.relative_error);
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
          "count, sum, avg, min, max, stddev, unique or a percentile (p50, p99.9) of field over events "
          "matching "
          "q, by group_by (fields, or template: top messages) and interval; exact=true refuses sketches.",
          http::Scope::Read, [&ctx](const http::Request& req) { return aggregate(ctx, req); });
}

}  // namespace weir::api::v1
