// `weir query 'level:ERROR timeout' --since 1h`: asks a running daemon's
// search API and prints what it answers as a table, JSON lines or CSV.
#include <simdjson.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>
#include <weir/http/client.hpp>

#include "commands.hpp"

namespace weir::cli {
namespace {

void query_usage(FILE* out) {
    std::fputs(
        "usage: weir query [QUERY] [options]\n"
        "\n"
        "Searches the store of a running daemon, newest first.\n"
        "\n"
        "options:\n"
        "  --since DURATION    only events newer than this (15m, 1h, 7d)\n"
        "  --from TIME         only events at or after TIME (2026-01-19T10:00:00Z, now-2h, yesterday)\n"
        "  --to TIME           only events at or before TIME\n"
        "  --limit N           at most N events (default 100)\n"
        "  --format FORMAT     table (default), json (one object per line) or csv\n"
        "  --api HOST:PORT     the daemon's API (default: service.admin_listen of the service file)\n"
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

}  // namespace

int cmd_query(int argc, char** argv) {
    std::string q, since, from, to, limit = "100", format = "table", api, config = "weir.yaml";
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
        } else if (a == "--format") {
            format = value("--format");
        } else if (a == "--api") {
            api = value("--api");
        } else if (a == "-c" || a == "--config") {
            config = value("--config");
        } else if (!a.empty() && a[0] != '-' && !have_q) {
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

    std::string target = "/api/v1/logs/search?limit=" + percent_encode(limit);
    if (!q.empty()) target += "&q=" + percent_encode(q);
    if (!since.empty()) target += "&from=" + percent_encode("now-" + since);
    if (!from.empty()) target += "&from=" + percent_encode(from);
    if (!to.empty()) target += "&to=" + percent_encode(to);
    std::vector<std::pair<std::string, std::string>> headers;
    if (const char* tok = std::getenv("WEIR_TOKEN"); tok && *tok)
        headers.emplace_back("Authorization", std::string("Bearer ") + tok);

    http::ClientResponse r;
    try {
        r = http::http_request(host, static_cast<uint16_t>(port), "GET", target, {}, headers,
                               std::chrono::seconds(60));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weir query: cannot reach the daemon at %s: %s\n", api.c_str(), e.what());
        return 1;
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
