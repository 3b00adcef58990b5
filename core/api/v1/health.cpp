// GET /health: is the daemon up. Open to anyone who reaches the listener and
// answered even when every connection slot is busy.
#include <weir/api/topics.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/store/store.hpp>

namespace weir::api::v1 {

void register_health(http::Router& r, Context& ctx) {
    r.get("/health",
          "Liveness: {\"status\":\"ok\"} while the daemon runs; \"degraded\" while the store cannot write.",
          http::Scope::None,
          [&ctx](const http::Request&) {
              if (const auto s = ctx.engine.store())
                  if (const auto why = s->degraded())
                      return http::Response::json(
                          200, "{\"status\":\"degraded\",\"store\":\"" + http::json_escape(*why) + "\"}");
              return http::Response::json(200, "{\"status\":\"ok\"}");
          })
        .priority = true;
}

}  // namespace weir::api::v1
