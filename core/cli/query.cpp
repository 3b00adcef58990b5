// `weir query 'level:ERROR timeout' --since 1h`: asks a running daemon's
// search API (or, with --data-dir, reads the store itself, read-only) and
// prints what it answers as a table, JSON lines or CSV.
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>
#include <weir/condition/condition.hpp>
#include <weir/condition/time_range.hpp>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>
#include <weir/event/time_format.hpp>
#include <weir/http/client.hpp>
#include <weir/http/message.hpp>
#include <weir/store/store.hpp>

#include "commands.hpp"

namespace weir::cli {
namespace {

void query_usage(FILE* out) {
    std::fputs(
        "usage: weir query [QUERY] [options]\n"
        "\n"
        "Searches the store of a running daemon (or a data dir), newest first.\n"
        "\n"
        "options:\n"
        "  --since DURATION    only events newer than this (15m, 1h, 7d)\n"
        "  --from TIME         only events at or after TIME (2026-01-19T10:00:00Z, now-2h, yesterday)\n"
        "  --to TIME           only events at or before TIME\n"
        "  --limit N           at most N events (default 100)\n"
        "  --format FORMAT     table (default), json (one object per line) or csv\n"
        "  --api HOST:PORT     the daemon's API (default: service.admin_listen of the service file)\n"
        "  --data-dir DIR      read the store in DIR (DIR/store, or a store folder) without a daemon,\n"
        "                      read-only (works while a daemon writes it)\n"
        "  --aggregate METRIC  count, sum, avg, min, max, p50, p90, p95 or p99 instead of events\n"
        "  --field FIELD       the numeric field of every metric but count\n"
        "  --group-by F1,F2    groups of the aggregate\n"
        "  --interval 1h       time buckets of the aggregate (30s, 5m, 1h, 1d)\n"
        "  -c, --config FILE   service file (default: weir.yaml)\n"
        "  token: $WEIR_TOKEN, sent as a bearer token when set\n",
        out);
}

std::string percent_encode(const std::string& s) {
    std::string out;
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::string text_of(simdjson::dom::element e) {
    switch (e.type()) {
        case simdjson::dom::element_type::STRING:
            return std::string(std::string_view(e));
        case simdjson::dom::element_type::NULL_VALUE:
            return "";
        default:
            return simdjson::minify(e);
    }
}

std::string field(simdjson::dom::object o, const char* name) {
    simdjson::dom::element e;
    if (o[name].get(e) != simdjson::SUCCESS) return "";
    return text_of(e);
}

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

struct LocalAnswer {
    int status = 200;
    std::string body;
};

std::string error_body(const std::string& message, std::optional<size_t> position = std::nullopt) {
    std::string b = "{\"error\":\"" + http::json_escape(message) + "\"";
    if (position) b += ",\"position\":" + std::to_string(*position);
    return b + "}";
}

/// "30s", "5m", "1h", "1d".
std::optional<int64_t> interval_ns(const std::string& s) {
    char* end = nullptr;
    const double n = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || !(n > 0)) return std::nullopt;
    const std::string unit(end);
    double scale = 0;
    if (unit == "s") scale = 1e9;
    if (unit == "m") scale = 60e9;
    if (unit == "h") scale = 3600e9;
    if (unit == "d") scale = 86400e9;
    if (!scale || n * scale < 1e9) return std::nullopt;
    return static_cast<int64_t>(n * scale);
}

std::string json_number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

/// The search or aggregation answered by the store in `path` itself, in the
/// JSON the API would send.
LocalAnswer ask_store(const std::string& path, const std::string& q, const std::string& from,
                      const std::string& to, size_t limit, const std::string& metric,
                      const std::string& field, const std::vector<std::string>& group_by, int64_t interval) {
    std::optional<condition::Condition> cond;
    condition::IndexHint hint;
    if (!q.empty()) {
        try {
            cond = condition::Condition::compile(q);
        } catch (const condition::SyntaxError& e) {
            return {400, error_body(e.what(), e.position())};
        }
        hint = cond->index_hint();
    }
    const int64_t now = event::now_ns();
    if (!from.empty()) {
        const auto t = condition::parse_time_point(from, now, false);
        if (!t)
            return {400, error_body("--from/--since expects a time (now-1h, 2026-01-19T10:00:00Z), found '" +
                                    from + "'")};
        hint.from_ns = std::max(hint.from_ns, *t);
    }
    if (!to.empty()) {
        const auto t = condition::parse_time_point(to, now, true);
        if (!t)
            return {400, error_body("--to expects a time (now, 2026-01-19T10:00:00Z), found '" + to + "'")};
        hint.to_ns = std::min(hint.to_ns, *t);
    }
    store::StoreOptions o;
    o.path = path;
    o.read_only = true;
    std::unique_ptr<store::Store> s;
    try {
        s = store::Store::open(o);
    } catch (const std::exception& e) {
        return {500, error_body(std::string("cannot open the store: ") + e.what())};
    }
    if (metric.empty()) {
        store::SearchRequest sr;
        sr.condition = cond ? &*cond : nullptr;
        sr.hint = hint;
        sr.limit = limit;
        const store::SearchResult r = s->search(sr);
        std::string body = "{\"total\":" + std::to_string(r.total) +
                           ",\"total_exact\":" + (r.total_exact ? "true" : "false") + ",\"results\":[";
        for (size_t i = 0; i < r.events.size(); ++i) body += (i ? "," : "") + r.events[i];
        return {200, body + "]}"};
    }
    store::AggregateRequest ar;
    ar.condition = cond ? &*cond : nullptr;
    ar.hint = hint;
    ar.metric = metric;
    ar.field = field;
    ar.group_by = group_by;
    ar.interval_ns = interval;
    ar.limit = limit;
    const store::AggregateResult r = s->aggregate(ar);
    std::string body = "{\"results\":[";
    for (size_t i = 0; i < r.rows.size(); ++i) {
        const auto& row = r.rows[i];
        body += i ? ",{" : "{";
        if (row.bucket_ns) body += "\"time\":\"" + event::format_rfc3339_ns(*row.bucket_ns) + "\",";
        body += "\"group\":{";
        for (size_t g = 0; g < group_by.size(); ++g) {
            body += (g ? ",\"" : "\"") + http::json_escape(group_by[g]) + "\":";
            body += row.group[g] ? "\"" + http::json_escape(*row.group[g]) + "\"" : "null";
        }
        body += "},\"count\":" + std::to_string(row.count) +
                ",\"value\":" + (row.value ? json_number(*row.value) : "null") + "}";
    }
    return {200, body + "],\"groups_total\":" + std::to_string(r.groups_total) + "}"};
}

/// An aggregate's rows: time (with --interval), the group fields, count, value.
int print_aggregate(simdjson::dom::element doc, const std::vector<std::string>& group_by,
                    const std::string& format, bool with_time) {
    simdjson::dom::array results;
    if (doc["results"].get(results) != simdjson::SUCCESS) {
        std::fprintf(stderr, "weir query: the answer has no results\n");
        return 1;
    }
    std::vector<std::string> header;
    if (with_time) header.push_back("time");
    header.insert(header.end(), group_by.begin(), group_by.end());
    header.push_back("count");
    header.push_back("value");
    if (format == "csv") {
        for (size_t i = 0; i < header.size(); ++i)
            std::printf("%s%s", i ? "," : "", csv_cell(header[i]).c_str());
        std::printf("\n");
    } else if (format == "table") {
        for (size_t i = 0; i < header.size(); ++i) std::printf("%s%-20s", i ? "  " : "", header[i].c_str());
        std::printf("\n");
    }
    for (simdjson::dom::element e : results) {
        simdjson::dom::object o;
        if (e.get(o) != simdjson::SUCCESS) continue;
        if (format == "json") {
            std::printf("%s\n", simdjson::minify(e).c_str());
            continue;
        }
        std::vector<std::string> cells;
        if (with_time) cells.push_back(field(o, "time"));
        simdjson::dom::object g;
        for (const auto& f : group_by) {
            simdjson::dom::element v;
            cells.push_back(
                o["group"].get(g) == simdjson::SUCCESS && g[f].get(v) == simdjson::SUCCESS ? text_of(v) : "");
        }
        cells.push_back(field(o, "count"));
        cells.push_back(field(o, "value"));
        for (size_t i = 0; i < cells.size(); ++i) {
            if (format == "csv")
                std::printf("%s%s", i ? "," : "", csv_cell(cells[i]).c_str());
            else
                std::printf("%s%-20s", i ? "  " : "", cells[i].c_str());
        }
        std::printf("\n");
    }
    return 0;
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (!s.empty() && start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        if (comma > start) out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

}  // namespace

int cmd_query(int argc, char** argv) {
    std::string q, since, from, to, limit = "100", format = "table", api, config = "weir.yaml";
    std::string data_dir, metric, agg_field, group_by_text, interval;
    bool limit_given = false;
    bool have_q = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* name) -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "weir query: %s needs a value\n", name);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "-h" || a == "--help") {
            query_usage(stdout);
            return 0;
        } else if (a == "--since") {
            since = value("--since");
        } else if (a == "--from") {
            from = value("--from");
        } else if (a == "--to") {
            to = value("--to");
        } else if (a == "--limit") {
            limit = value("--limit");
            limit_given = true;
        } else if (a == "--data-dir") {
            data_dir = value("--data-dir");
        } else if (a == "--aggregate") {
            metric = value("--aggregate");
        } else if (a == "--field") {
            agg_field = value("--field");
        } else if (a == "--group-by") {
            group_by_text = value("--group-by");
        } else if (a == "--interval") {
            interval = value("--interval");
        } else if (a == "--format") {
            format = value("--format");
        } else if (a == "--api") {
            api = value("--api");
        } else if (a == "-c" || a == "--config") {
            config = value("--config");
        } else if ((a.empty() || a[0] != '-') && !have_q) {
            q = a;
            have_q = true;
        } else {
            std::fprintf(stderr, "weir query: unknown argument '%s'\n", a.c_str());
            query_usage(stderr);
            return 2;
        }
    }
    if (format != "table" && format != "json" && format != "csv") {
        std::fprintf(stderr, "weir query: --format expects table, json or csv, found '%s'\n", format.c_str());
        return 2;
    }
    if (!since.empty() && !from.empty()) {
        std::fprintf(stderr, "weir query: give --since or --from, not both\n");
        return 2;
    }
    static const char* kMetrics[] = {"count", "sum", "avg", "min", "max", "p50", "p90", "p95", "p99"};
    if (!metric.empty() &&
        std::find(std::begin(kMetrics), std::end(kMetrics), metric) == std::end(kMetrics)) {
        std::fprintf(
            stderr,
            "weir query: --aggregate expects count, sum, avg, min, max, p50, p90, p95 or p99, found '%s'\n",
            metric.c_str());
        return 2;
    }
    if (!metric.empty() && metric != "count" && agg_field.empty()) {
        std::fprintf(stderr, "weir query: --aggregate %s needs --field (a numeric field)\n", metric.c_str());
        return 2;
    }
    if (metric.empty() && (!agg_field.empty() || !group_by_text.empty() || !interval.empty())) {
        std::fprintf(stderr, "weir query: --field, --group-by and --interval go with --aggregate\n");
        return 2;
    }
    int64_t interval_value = 0;
    if (!interval.empty()) {
        const auto ns = interval_ns(interval);
        if (!ns) {
            std::fprintf(stderr, "weir query: --interval expects 30s, 5m, 1h or 1d, found '%s'\n",
                         interval.c_str());
            return 2;
        }
        interval_value = *ns;
    }
    const std::vector<std::string> group_by = split_list(group_by_text);
    if (!metric.empty() && !limit_given) limit = "10";
    char* limit_end = nullptr;
    const long long limit_n = std::strtoll(limit.c_str(), &limit_end, 10);
    if (limit_end == limit.c_str() || *limit_end || limit_n < 1 || limit_n > 10000) {
        std::fprintf(stderr, "weir query: --limit expects a number from 1 to 10000, found '%s'\n",
                     limit.c_str());
        return 2;
    }

    http::ClientResponse r;
    if (!data_dir.empty()) {
        std::string path;
        try {
            path = store_path_for(data_dir, config);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "weir query: %s\n", e.what());
            return 2;
        }
        const LocalAnswer a =
            ask_store(path, q, since.empty() ? from : "now-" + since, to, static_cast<size_t>(limit_n),
                      metric, agg_field, group_by, interval_value);
        r.status = a.status;
        r.body = a.body;
    } else {
        if (api.empty()) {
            try {
                api = config::load_service(config).admin_listen;
            } catch (const std::exception&) {
                api = "127.0.0.1:8686";
            }
        }
        const size_t colon = api.rfind(':');
        const int port = colon == std::string::npos ? 0 : std::atoi(api.c_str() + colon + 1);
        if (colon == std::string::npos || port <= 0 || port > 65535) {
            std::fprintf(stderr, "weir query: --api expects HOST:PORT, found '%s'\n", api.c_str());
            return 2;
        }
        std::string host = api.substr(0, colon);
        if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);

        std::string target =
            (metric.empty() ? "/api/v1/logs/search?limit=" : "/api/v1/logs/aggregate?limit=") +
            percent_encode(limit);
        if (!metric.empty()) {
            target += "&metric=" + percent_encode(metric);
            if (!agg_field.empty()) target += "&field=" + percent_encode(agg_field);
            if (!group_by_text.empty()) target += "&group_by=" + percent_encode(group_by_text);
            if (!interval.empty()) target += "&interval=" + percent_encode(interval);
        }
        if (!q.empty()) target += "&q=" + percent_encode(q);
        if (!since.empty()) target += "&from=" + percent_encode("now-" + since);
        if (!from.empty()) target += "&from=" + percent_encode(from);
        if (!to.empty()) target += "&to=" + percent_encode(to);
        std::vector<std::pair<std::string, std::string>> headers;
        if (const char* tok = std::getenv("WEIR_TOKEN"); tok && *tok)
            headers.emplace_back("Authorization", std::string("Bearer ") + tok);

        try {
            r = http::http_request(host, static_cast<uint16_t>(port), "GET", target, {}, headers,
                                   std::chrono::seconds(60));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "weir query: cannot reach the daemon at %s: %s\n", api.c_str(), e.what());
            return 1;
        }
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) {
        std::fprintf(stderr, "weir query: the daemon answered %d with something that is not JSON\n",
                     r.status);
        return 1;
    }
    if (r.status != 200) {
        simdjson::dom::object o;
        std::string msg = r.body;
        if (doc.get(o) == simdjson::SUCCESS) msg = field(o, "error");
        std::fprintf(stderr, "weir query: %s\n", msg.c_str());
        simdjson::dom::object eo;
        int64_t pos;
        if (doc.get(eo) == simdjson::SUCCESS && eo["position"].get(pos) == simdjson::SUCCESS && !q.empty()) {
            std::fprintf(stderr, "  %s\n  %*s^\n", q.c_str(), static_cast<int>(pos), "");
        }
        return 1;
    }
    if (!metric.empty()) return print_aggregate(doc, group_by, format, interval_value != 0);
    simdjson::dom::array results;
    if (doc["results"].get(results) != simdjson::SUCCESS) {
        std::fprintf(stderr, "weir query: the answer has no results\n");
        return 1;
    }
    if (format == "csv") std::printf("time,level,service,host,message\n");
    size_t n = 0;
    for (simdjson::dom::element e : results) {
        simdjson::dom::object o;
        if (e.get(o) != simdjson::SUCCESS) continue;
        ++n;
        if (format == "json") {
            std::printf("%s\n", simdjson::minify(e).c_str());
            continue;
        }
        std::string service = field(o, "service");
        if (service.empty()) service = field(o, "app");
        const std::string t = field(o, "@timestamp"), level = field(o, "level"), hostname = field(o, "host"),
                          message = field(o, "message");
        if (format == "csv") {
            std::printf("%s,%s,%s,%s,%s\n", csv_cell(t).c_str(), csv_cell(level).c_str(),
                        csv_cell(service).c_str(), csv_cell(hostname).c_str(), csv_cell(message).c_str());
        } else {
            std::printf("%-30s  %-5s  %-12s  %s\n", t.c_str(), level.c_str(), service.c_str(),
                        message.c_str());
        }
    }
    if (format == "table") {
        uint64_t total = 0;
        bool exact = true;
        if (doc["total"].get(total) != simdjson::SUCCESS) total = n;
        if (doc["total_exact"].get(exact) != simdjson::SUCCESS) exact = false;
        std::fprintf(stderr, "%zu shown of %s%llu matching\n", n, exact ? "" : "at least ",
                     static_cast<unsigned long long>(total));
    }
    return 0;
}

}  // namespace weir::cli
