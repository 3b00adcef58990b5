// GET /metrics (Prometheus text) and GET /api/v1/metrics/instances (the
// per-instance counters as NDJSON, streamed).
#include <weir/api/topics.hpp>
#include <weir/keys/keys.hpp>
#include <weir/metrics/registry.hpp>
#include <weir/runtime/engine.hpp>

namespace weir::api::v1 {
namespace {

/// Instances per streamed chunk.
constexpr size_t kInstancesPerChunk = 64;

std::string instance_json(const metrics::InstanceMetrics& m) {
    using http::json_escape;
    std::string out = "{\"pipeline\":\"" + json_escape(m.pipeline) + "\",\"kind\":\"" + json_escape(m.kind) +
                      "\",\"plugin\":\"" + json_escape(m.plugin) + "\",\"instance\":\"" +
                      json_escape(m.instance) + "\",\"events_in\":" + std::to_string(m.events_in.load()) +
                      ",\"events_out\":" + std::to_string(m.events_out.load()) +
                      ",\"bytes_in\":" + std::to_string(m.bytes_in.load()) +
                      ",\"bytes_out\":" + std::to_string(m.bytes_out.load()) +
                      ",\"queue_depth\":" + std::to_string(m.queue_depth.load());
    for (const auto& [label, counters] : {std::pair{"errors", &m.errors}, std::pair{"dropped", &m.dropped}}) {
        out += ",\"" + std::string(label) + "\":{";
        bool first = true;
        for (const auto& [reason, n] : counters->snapshot()) {
            out += (first ? "\"" : ",\"") + json_escape(reason) + "\":" + std::to_string(n);
            first = false;
        }
        out += "}";
    }
    return out + "}\n";
}

}  // namespace

void register_metrics(http::Router& r, Context& ctx) {
    r.get("/metrics",
          "Prometheus text: every plugin instance's counters, the reloads and the API server's own.",
          http::Scope::Read, [&ctx](const http::Request&) {
              std::string body = ctx.engine.metrics_text();
              if (ctx.server_metrics) body += ctx.server_metrics();
              if (ctx.tokens && ctx.tokens->store) {
                  body +=
                      "# HELP weir_api_tokens API tokens loaded from service.api.tokens_file.\n"
                      "# TYPE weir_api_tokens gauge\nweir_api_tokens " +
                      std::to_string(ctx.tokens->store->size()) +
                      "\n# HELP weir_api_tokens_reload_failures_total Re-reads of the tokens file that were "
                      "refused (the previous tokens stayed).\n# TYPE weir_api_tokens_reload_failures_total "
                      "counter\nweir_api_tokens_reload_failures_total " +
                      std::to_string(ctx.tokens->reload_failures.load()) + "\n";
              }
              return http::Response::text(200, std::move(body), "text/plain; version=0.0.4; charset=utf-8");
          });
    r.get("/api/v1/metrics/instances",
          "Each plugin instance's counters, one JSON object per line (streamed; ?pipeline= to pick one).",
          http::Scope::Read, [&ctx](const http::Request& req) {
              auto all = ctx.engine.metrics().instances();
              const std::string only = req.query_param("pipeline");
              auto list = std::make_shared<std::vector<std::shared_ptr<metrics::InstanceMetrics>>>();
              for (auto& m : all)
                  if (only.empty() || m->pipeline == only) list->push_back(std::move(m));
              auto next = std::make_shared<size_t>(0);
              http::Response resp;
              resp.content_type = "application/x-ndjson";
              resp.stream = [list, next](std::string& chunk) {
                  const size_t end = std::min(list->size(), *next + kInstancesPerChunk);
                  for (; *next < end; ++*next) chunk += instance_json(*(*list)[*next]);
                  return *next < list->size();
              };
              return resp;
          });
}

}  // namespace weir::api::v1
