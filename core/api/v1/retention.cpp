// GET and POST /api/v1/retention: the store's retention, changed at runtime
// (until the daemon restarts: the change is not written to weir.yaml).
#include <simdjson.h>

#include <cctype>
#include <stdexcept>
#include <weir/api/topics.hpp>
#include <weir/config/units.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/store/store.hpp>

#include "logs_common.hpp"

namespace weir::api::v1 {
namespace {

/// A duration given as "30d" (or "0s", or 0: keep everything).
std::optional<int64_t> duration_value(simdjson::dom::element e) {
    std::string_view text;
    int64_t n;
    if (e.get(text) == simdjson::SUCCESS) return config::parse_duration_ns(text);
    if (e.get(n) == simdjson::SUCCESS && n == 0) return 0;
    return std::nullopt;
}

/// Reads the body into `p` (fields absent keep their value); a 400 naming the field on error.
std::optional<http::Response> read_policy(const std::string& body, store::RetentionPolicy& p) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::object o;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS || doc.get(o) != simdjson::SUCCESS)
        return bad_request(
            "the body must be a JSON object like "
            "{\"max_age\":\"30d\",\"max_size\":\"10GiB\",\"by_level\":{\"ERROR\":\"90d\"},\"emergency\":"
            "true}");
    for (auto [key, value] : o) {
        if (key == "max_age") {
            const auto ns = duration_value(value);
            if (!ns || *ns < 0)
                return bad_request(
                    "max_age expects a duration like \"30d\" or \"12h\" (\"0s\": keep everything), found " +
                        simdjson::minify(value),
                    std::nullopt, "max_age");
            p.max_age_ns = *ns;
        } else if (key == "max_size") {
            std::string_view text;
            uint64_t n;
            std::optional<int64_t> bytes;
            if (value.get(text) == simdjson::SUCCESS)
                bytes = config::parse_size_bytes(text);
            else if (value.get(n) == simdjson::SUCCESS && n <= static_cast<uint64_t>(INT64_MAX))
                bytes = static_cast<int64_t>(n);
            if (!bytes || *bytes < 0)
                return bad_request(
                    "max_size expects a size like \"10GiB\" or \"500MB\" (\"0\": no bound), found " +
                        simdjson::minify(value),
                    std::nullopt, "max_size");
            p.max_bytes = static_cast<uint64_t>(*bytes);
        } else if (key == "by_level") {
            simdjson::dom::object levels;
            if (value.get(levels) != simdjson::SUCCESS)
                return bad_request(
                    "by_level expects an object of level to age, like {\"ERROR\":\"90d\"}, found " +
                        simdjson::minify(value),
                    std::nullopt, "by_level");
            p.by_level.clear();
            for (auto [level, age] : levels) {
                const std::string name(level);
                bool word = !name.empty();
                for (char c : name)
                    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') word = false;
                if (!word)
                    return bad_request(
                        "by_level expects level names (ERROR, WARN, INFO, DEBUG), found \"" + name + "\"",
                        std::nullopt, "by_level");
                const auto ns = duration_value(age);
                if (!ns || *ns <= 0)
                    return bad_request("by_level." + name +
                                           " expects a positive duration like \"90d\", found " +
                                           simdjson::minify(age),
                                       std::nullopt, "by_level." + name);
                p.by_level[name] = *ns;
            }
        } else if (key == "emergency") {
            bool b;
            if (value.get(b) != simdjson::SUCCESS)
                return bad_request("emergency expects true or false, found " + simdjson::minify(value),
                                   std::nullopt, "emergency");
            p.emergency = b;
        } else {
            return bad_request("unknown field \"" + std::string(key) +
                                   "\" (expected max_age, max_size, by_level, emergency)",
                               std::nullopt, std::string(key));
        }
    }
    return std::nullopt;
}

}  // namespace

void register_retention(http::Router& r, Context& ctx) {
    r.get("/api/v1/retention",
          "The store's retention: max_age, max_size, by_level, emergency (what weir.yaml set, or the last "
          "POST).",
          http::Scope::Read, [&ctx](const http::Request&) {
              const auto s = ctx.engine.store();
              if (!s) return no_store();
              return http::Response::json(200, "{\"policy\":" + s->retention().to_json() + "}");
          });
    r.post("/api/v1/retention",
           "Changes the retention until restart (fields left out keep their value) and runs a pass at once; "
           "answers the policy and what the pass deleted.",
           http::Scope::Admin, [&ctx](const http::Request& req) {
               const auto s = ctx.engine.store();
               if (!s) return no_store();
               store::RetentionPolicy p = s->retention();
               if (auto err = read_policy(req.body, p)) return *err;
               try {
                   const store::RetentionReport report = s->set_retention(p);
                   return http::Response::json(200, "{\"policy\":" + s->retention().to_json() +
                                                        ",\"report\":" + report.to_json() +
                                                        ",\"persisted\":false}");
               } catch (const std::exception& e) {
                   return http::Response::json(
                       503, "{\"error\":\"" + http::json_escape(e.what()) + "\",\"status\":503}");
               }
           });
}

}  // namespace weir::api::v1
