// One stored event and its neighbours, streamed exports, sources, fields and
// the quick stats: GET /api/v1/logs/{id}, /logs/{id}/context, /logs/export,
// /sources, /fields, /stats/errors, /stats/keywords.
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <weir/api/topics.hpp>
#include <weir/condition/condition.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>

#include "logs_common.hpp"

namespace weir::api::v1 {
namespace {

constexpr size_t kMaxContext = 1000;
constexpr size_t kExportPage = 1000;  // events per streamed chunk
constexpr uint64_t kMaxExport = 1'000'000'000;
constexpr int64_t kMaxWindowNs = 7 * 86'400'000'000'000;
constexpr size_t kMaxFieldsSample = 10000;
constexpr size_t kDefaultFieldsSample = 1000;  // as Loki's detected fields: quick enough to type against

std::string took(std::chrono::steady_clock::time_point t0) {
    return number(std::round(ms_since(t0) * 1000) / 1000);
}

http::Response not_found(const std::string& id) {
    return http::Response::error(404, "no stored event with id '" + id + "'");
}

std::optional<store::RowRef> read_id(const http::Request& req, std::optional<http::Response>& error) {
    auto it = req.params.find("id");
    const std::string id = it == req.params.end() ? std::string() : it->second;
    auto ref = store::RowRef::from_cursor(id);
    if (!ref)
        error = bad_request(
            "id expects an event id as search returns it (time.day.block.row), found '" + id + "'",
            std::nullopt, "id");
    return ref;
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

/// A string parameter that must be one of `allowed` (the first is the default).
std::optional<std::string> read_choice(const http::Request& req, const char* name,
                                       std::initializer_list<const char*> allowed,
                                       std::optional<http::Response>& error) {
    const std::string v = req.query_param(name);
    if (v.empty()) return std::string(*allowed.begin());
    std::string list;
    for (const char* a : allowed) {
        if (v == a) return v;
        list += (list.empty() ? "" : ", ") + std::string(a);
    }
    error = bad_request(std::string(name) + " expects one of " + list + ", found '" + v + "'", std::nullopt,
                        name);
    return std::nullopt;
}

// ---- GET /api/v1/logs/{id} and /context ---------------------------------------------

http::Response get_event(Context& ctx, const http::Request& req) {
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    std::optional<http::Response> error;
    const auto ref = read_id(req, error);
    if (!ref) return *error;
    const auto json = s->get(*ref, req.tenant);
    if (!json) return not_found(ref->to_cursor());
    return http::Response::json(200, with_id(*json, *ref));
}

http::Response context(Context& ctx, const http::Request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    std::optional<http::Response> error;
    const auto ref = read_id(req, error);
    if (!ref) return *error;
    const auto before = read_count(req, "before", 10, 0, kMaxContext, error);
    if (!before) return *error;
    const auto after = read_count(req, "after", 10, 0, kMaxContext, error);
    if (!after) return *error;
    const auto same = read_choice(req, "same", {"source", "host", "service", "none"}, error);
    if (!same) return *error;
    store::ContextRequest cr;
    cr.ref = *ref;
    cr.tenant = req.tenant;
    cr.before = *before;
    cr.after = *after;
    cr.same_field = *same == "none" ? std::string() : *same;
    const auto r = s->context(cr);
    if (!r.found) return not_found(ref->to_cursor());
    auto list = [](const std::vector<std::string>& events, const std::vector<store::RowRef>& refs) {
        std::string out = "[";
        for (size_t i = 0; i < events.size(); ++i) out += (i ? "," : "") + with_id(events[i], refs[i]);
        return out + "]";
    };
    std::string body = "{\"_id\":\"" + ref->to_cursor() + "\",\"same\":\"" + *same +
                       "\",\"event\":" + with_id(r.event, *ref) +
                       ",\"before\":" + list(r.before, r.before_refs) +
                       ",\"after\":" + list(r.after, r.after_refs) + ",\"took_ms\":" + took(t0) +
                       ",\"stats\":" + r.stats.to_json() + "}";
    return http::Response::json(200, std::move(body));
}

// ---- GET /api/v1/logs/export ------------------------------------------------------

/// A field of an event's JSON: a top-level key as written, else a dotted
/// path through nested objects. "time" is the event time.
std::optional<simdjson::dom::element> field_of(simdjson::dom::object obj, const std::string& name) {
    const std::string key = name == "time" ? "@timestamp" : name;
    simdjson::dom::element e;
    if (!obj[key].get(e)) return e;
    size_t start = 0;
    simdjson::dom::object at = obj;
    for (;;) {
        const size_t dot = key.find('.', start);
        const std::string part =
            key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (at[part].get(e)) return std::nullopt;
        if (dot == std::string::npos) return e;
        if (e.get(at)) return std::nullopt;
        start = dot + 1;
    }
}

/// A value as text: strings as they are, anything else as its JSON.
std::string text_of(simdjson::dom::element e) {
    if (e.is_string()) return std::string(std::string_view(e));
    if (e.is_null()) return {};
    return simdjson::minify(e);
}

void csv_cell(std::string& out, const std::string& v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) {
        out += v;
        return;
    }
    out += '"';
    for (char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

struct Export {
    std::shared_ptr<store::Store> store;
    Question q;
    store::SearchRequest sr;
    std::string format;
    std::vector<std::string> fields;  // empty: the whole event (ndjson)
    uint64_t remaining = 0;
    bool header_sent = false, done = false;
    simdjson::dom::parser parser;

    bool next(std::string& chunk) {
        if (done) return false;
        if (format == "csv" && !header_sent) {
            for (size_t i = 0; i < fields.size(); ++i) {
                if (i) chunk += ',';
                csv_cell(chunk, fields[i]);
            }
            chunk += "\r\n";
            header_sent = true;
        }
        sr.limit = static_cast<size_t>(std::min<uint64_t>(kExportPage, remaining));
        const store::SearchResult r = store->search(sr);
        for (size_t i = 0; i < r.events.size(); ++i) add(chunk, r.events[i], r.refs[i]);
        remaining -= r.events.size();
        if (!r.next_cursor || !remaining || r.events.empty()) {
            done = true;
            return false;
        }
        sr.after = r.next_cursor;
        return true;
    }

    void add(std::string& chunk, const std::string& json, const store::RowRef& ref) {
        if (format == "ndjson" && fields.empty()) {
            chunk += with_id(json, ref);
            chunk += '\n';
            return;
        }
        simdjson::dom::object obj;
        if (parser.parse(json).get(obj)) return;  // the store writes valid JSON
        auto value = [&](const std::string& name) -> std::optional<simdjson::dom::element> {
            return field_of(obj, name);
        };
        if (format == "ndjson") {
            chunk += '{';
            for (size_t i = 0; i < fields.size(); ++i) {
                if (i) chunk += ',';
                event::append_json_string(chunk, fields[i]);
                chunk += ':';
                if (fields[i] == "_id") {
                    chunk += "\"" + ref.to_cursor() + "\"";
                } else if (auto e = value(fields[i])) {
                    chunk += simdjson::minify(*e);
                } else {
                    chunk += "null";
                }
            }
            chunk += "}\n";
        } else if (format == "csv") {
            for (size_t i = 0; i < fields.size(); ++i) {
                if (i) chunk += ',';
                if (fields[i] == "_id") {
                    chunk += ref.to_cursor();
                } else if (auto e = value(fields[i])) {
                    csv_cell(chunk, text_of(*e));
                }
            }
            chunk += "\r\n";
        } else {  // text: time level source message, one line each
            const char* names[] = {"time", "level", "source", "message"};
            for (size_t i = 0; i < 4; ++i) {
                if (i) chunk += ' ';
                auto e = value(names[i]);
                std::string v = e ? text_of(*e) : std::string();
                if (v.empty() && i < 3) v = "-";
                for (char c : v) {
                    if (c == '\n')
                        chunk += "\\n";
                    else if (c == '\r')
                        chunk += "\\r";
                    else
                        chunk += c;
                }
            }
            chunk += '\n';
        }
    }
};

http::Response export_events(Context& ctx, const http::Request& req) {
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    auto ex = std::make_shared<Export>();
    if (auto err = read_question(req, ex->q)) return *err;
    std::optional<http::Response> error;
    const auto format = read_choice(req, "format", {"ndjson", "csv", "text"}, error);
    if (!format) return *error;
    const auto limit = read_count(req, "limit", kMaxExport, 1, kMaxExport, error);
    if (!limit) return *error;
    const auto order = read_choice(req, "order", {"desc", "asc"}, error);
    if (!order) return *error;
    const std::string fields = req.query_param("fields");
    if (!fields.empty()) {
        for (auto& f : split_list(fields)) {
            if (f.empty())
                return bad_request("fields expects comma-separated field names", std::nullopt, "fields");
            ex->fields.push_back(std::move(f));
        }
    } else if (*format == "csv") {
        ex->fields = {"time", "level", "source", "message"};
    }
    ex->store = s;
    ex->format = *format;
    ex->remaining = *limit;
    ex->sr.condition = ex->q.condition ? &*ex->q.condition : nullptr;
    ex->sr.hint = ex->q.hint;
    ex->sr.tenant = ex->q.tenant;
    ex->sr.newest_first = *order == "desc";

    http::Response resp;
    resp.content_type = *format == "ndjson" ? "application/x-ndjson"
                        : *format == "csv"  ? "text/csv; charset=utf-8"
                                            : "text/plain; charset=utf-8";
    std::string stamp = event::format_rfc3339_ns(event::now_ns()).substr(0, 19);
    stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }),
                stamp.end());
    const char* ext = *format == "ndjson" ? "ndjson" : *format == "csv" ? "csv" : "log";
    resp.headers.emplace_back("Content-Disposition",
                              "attachment; filename=\"weir-export-" + stamp + "Z." + ext + "\"");
    resp.stream = [ex](std::string& chunk) { return ex->next(chunk); };
    return resp;
}

// ---- GET /api/v1/sources and /api/v1/fields ---------------------------------------

http::Response sources(Context& ctx, const http::Request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    Question q;
    if (auto err = read_question(req, q)) return *err;
    if (q.condition)
        return bad_request(
            "sources answers from block headers by time only: q, level and source are not taken",
            std::nullopt,
            !req.query_param("q").empty()       ? "q"
            : !req.query_param("level").empty() ? "level"
                                                : "source");
    store::SourcesRequest sr;
    sr.from_ns = q.hint.from_ns;
    sr.to_ns = q.hint.to_ns;
    sr.tenant = q.tenant;
    const std::string by = req.query_param("by");
    if (!by.empty()) {
        sr.fields.clear();
        for (auto& f : split_list(by)) {
            if (std::find(store::kDictFields.begin(), store::kDictFields.end(), f) ==
                store::kDictFields.end())
                return bad_request(
                    "by expects some of level, service, app, host, source, tenant, found '" + f + "'",
                    std::nullopt, "by");
            if (std::find(sr.fields.begin(), sr.fields.end(), f) == sr.fields.end()) sr.fields.push_back(f);
        }
    }
    const auto r = s->sources(sr);
    std::string body = "{";
    for (size_t f = 0; f < sr.fields.size(); ++f) {
        const std::string& name = sr.fields[f];
        body += (f ? ",\"" : "\"") + name + "s\":[";
        bool first = true;
        for (const auto& v : r.values) {
            if (v.field != name) continue;
            body += first ? "{\"" : ",{\"";
            first = false;
            body += name + "\":";
            event::append_json_string(body, v.value);
            body += ",\"count\":" + std::to_string(v.count) + ",\"last_seen\":\"" +
                    event::format_rfc3339_ns(v.last_seen_ns) +
                    "\",\"last_seen_ms\":" + std::to_string(v.last_seen_ns / 1'000'000) + "}";
        }
        body += "]";
    }
    body += ",\"took_ms\":" + took(t0) + ",\"stats\":" + r.stats.to_json() + "}";
    return http::Response::json(200, std::move(body));
}

http::Response fields(Context& ctx, const http::Request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    Question q;
    if (auto err = read_question(req, q)) return *err;
    std::optional<http::Response> error;
    const auto sample = read_count(req, "sample", kDefaultFieldsSample, 1, kMaxFieldsSample, error);
    if (!sample) return *error;
    const auto top = read_count(req, "top", 10, 0, 100, error);
    if (!top) return *error;
    store::FieldsRequest fr;
    fr.cancel = req.cancelled.get();
    fr.condition = q.condition ? &*q.condition : nullptr;
    fr.hint = q.hint;
    fr.tenant = q.tenant;
    fr.sample_events = *sample;
    fr.top_values = *top;
    const auto r = s->fields(fr);
    std::string body = "{\"fields\":[";
    for (size_t i = 0; i < r.fields.size(); ++i) {
        const auto& f = r.fields[i];
        body += i ? ",{\"name\":" : "{\"name\":";
        event::append_json_string(body, f.name);
        body += ",\"type\":\"" + f.type + "\",\"count\":" + std::to_string(f.count) + ",\"top\":[";
        for (size_t k = 0; k < f.top.size(); ++k) {
            body += k ? ",{\"value\":" : "{\"value\":";
            event::append_json_string(body, f.top[k].first);
            body += ",\"count\":" + std::to_string(f.top[k].second) + "}";
        }
        body += "]}";
    }
    body += "],\"events_sampled\":" + std::to_string(r.events_sampled) +
            ",\"exact\":" + (r.exact ? "true" : "false") + ",\"took_ms\":" + took(t0) +
            ",\"stats\":" + r.stats.to_json() + "}";
    return http::Response::json(200, std::move(body));
}

// ---- GET /api/v1/stats/errors and /stats/keywords --------------------------------

/// Reads `window` (default `def`, at most 7 days) and the range it ends now.
std::optional<int64_t> read_window(const http::Request& req, const char* def, std::string& text,
                                   std::optional<http::Response>& error) {
    text = req.query_param("window");
    if (text.empty()) text = def;
    const auto ns = parse_interval(text);
    if (!ns || *ns > kMaxWindowNs || *ns < 1'000'000'000) {
        error = bad_request("window expects a duration from 1s to 7d (10s, 5m, 1h), found '" + text + "'",
                            std::nullopt, "window");
        return std::nullopt;
    }
    return ns;
}

std::string rate(uint64_t count, int64_t window_ns) {
    return number(std::round(static_cast<double>(count) / (static_cast<double>(window_ns) / 1e9) * 1e6) /
                  1e6);
}

constexpr const char* kErrorLevels = "level:(error OR fatal OR critical)";

http::Response stats_errors(Context& ctx, const http::Request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    Question q;
    if (auto err = read_question(req, q)) return *err;
    std::optional<http::Response> error;
    std::string window_text;
    const auto window = read_window(req, "1m", window_text, error);
    if (!window) return *error;
    const std::string text = q.condition ? "(" + q.condition->text() + ") AND " + kErrorLevels : kErrorLevels;
    const auto cond = condition::Condition::compile(text);
    const int64_t to = event::now_ns(), from = to - *window;
    store::AggregateRequest ar;
    ar.cancel = req.cancelled.get();
    ar.condition = &cond;
    ar.hint = cond.index_hint();
    ar.hint.from_ns = from;
    ar.hint.to_ns = to;
    ar.tenant = q.tenant;
    const auto total = s->aggregate(ar);
    ar.group_by = {"source"};
    ar.limit = 100;
    const auto by = s->aggregate(ar);
    const uint64_t count = total.rows.empty() ? 0 : total.rows[0].count;
    std::string body = "{\"window\":";
    event::append_json_string(body, window_text);
    body += ",\"window_ms\":" + std::to_string(*window / 1'000'000) + ",\"from\":\"" +
            event::format_rfc3339_ns(from) + "\",\"to\":\"" + event::format_rfc3339_ns(to) +
            "\",\"levels\":[\"error\",\"fatal\",\"critical\"],\"count\":" + std::to_string(count) +
            ",\"rate_per_s\":" + rate(count, *window) + ",\"by_source\":[";
    for (size_t i = 0; i < by.rows.size(); ++i) {
        const auto& row = by.rows[i];
        body += i ? ",{\"source\":" : "{\"source\":";
        if (row.group[0])
            event::append_json_string(body, *row.group[0]);
        else
            body += "null";
        body +=
            ",\"count\":" + std::to_string(row.count) + ",\"rate_per_s\":" + rate(row.count, *window) + "}";
    }
    body += "],\"sources_total\":" + std::to_string(by.groups_total) +
            ",\"exact\":" + (total.exact && by.exact ? "true" : "false") + ",\"took_ms\":" + took(t0) + "}";
    return http::Response::json(200, std::move(body));
}

http::Response stats_keywords(Context& ctx, const http::Request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto s = ctx.engine.store();
    if (!s) return no_store();
    if (req.query_param("q").empty())
        return bad_request("q is required: the words or condition to count (q=timeout)", std::nullopt, "q");
    Question q;
    if (auto err = read_question(req, q)) return *err;
    std::optional<http::Response> error;
    std::string window_text;
    const auto window = read_window(req, "1h", window_text, error);
    if (!window) return *error;
    constexpr int64_t kMinute = 60'000'000'000;
    const int64_t to = event::now_ns(), from = to - *window;
    store::AggregateRequest ar;
    ar.cancel = req.cancelled.get();
    ar.condition = &*q.condition;
    ar.hint = q.hint;
    ar.hint.from_ns = from;
    ar.hint.to_ns = to;
    ar.tenant = q.tenant;
    ar.interval_ns = kMinute;
    const auto r = s->aggregate(ar);
    uint64_t count = 0;
    std::map<int64_t, uint64_t> per_minute;
    for (const auto& row : r.rows) {
        count += row.count;
        if (row.bucket_ns) per_minute[*row.bucket_ns] += row.count;
    }
    std::string body = "{\"q\":";
    event::append_json_string(body, req.query_param("q"));
    body += ",\"window\":";
    event::append_json_string(body, window_text);
    body += ",\"window_ms\":" + std::to_string(*window / 1'000'000) + ",\"from\":\"" +
            event::format_rfc3339_ns(from) + "\",\"to\":\"" + event::format_rfc3339_ns(to) +
            "\",\"count\":" + std::to_string(count) + ",\"rate_per_s\":" + rate(count, *window) +
            ",\"interval_ms\":60000,\"series\":[";
    // Every minute of the window, zeros included (a Grafana frame as it is).
    const int64_t first = from - ((from % kMinute) + kMinute) % kMinute;
    for (int64_t m = first; m <= to; m += kMinute) {
        const auto it = per_minute.find(m);
        body += m == first ? "{\"time\":\"" : ",{\"time\":\"";
        body += event::format_rfc3339_ns(m) + "\",\"time_ms\":" + std::to_string(m / 1'000'000) +
                ",\"count\":" + std::to_string(it == per_minute.end() ? 0 : it->second) + "}";
    }
    body += "],\"exact\":" + std::string(r.exact ? "true" : "false") + ",\"took_ms\":" + took(t0) + "}";
    return http::Response::json(200, std::move(body));
}

}  // namespace

void register_logs_read(http::Router& r, Context& ctx) {
    r.get("/api/v1/logs/{id}", "One stored event by its id (the _id search returns): a permalink.",
          http::Scope::Read, [&ctx](const http::Request& req) { return get_event(ctx, req); });
    r.get("/api/v1/logs/{id}/context",
          "The events just before and after one event from the same source (before, after, "
          "same=source|host|service|none).",
          http::Scope::Read, [&ctx](const http::Request& req) { return context(ctx, req); });
    r.get("/api/v1/logs/export",
          "Every event matching q between from and to, streamed as ndjson, csv or text (format, fields, "
          "limit, order).",
          http::Scope::Read, [&ctx](const http::Request& req) { return export_events(ctx, req); });
    r.get("/api/v1/sources",
          "Each source and service between from and to, with its count and last-seen time.",
          http::Scope::Read, [&ctx](const http::Request& req) { return sources(ctx, req); });
    r.get("/api/v1/fields",
          "Field names, types, counts and top values over a sample of the newest events matching q.",
          http::Scope::Read, [&ctx](const http::Request& req) { return fields(ctx, req); });
    r.get("/api/v1/stats/errors",
          "error, fatal and critical events over the last window: count, rate, and by source.",
          http::Scope::Read, [&ctx](const http::Request& req) { return stats_errors(ctx, req); });
    r.get("/api/v1/stats/keywords", "Events matching q over the last window: count and a per-minute series.",
          http::Scope::Read, [&ctx](const http::Request& req) { return stats_keywords(ctx, req); });
}

}  // namespace weir::api::v1
