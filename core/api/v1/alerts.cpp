// GET /api/v1/alerts: the alert rules, their states and the history of changes.
#include <weir/api/topics.hpp>
#include <weir/runtime/engine.hpp>

namespace weir::api::v1 {

void register_alerts(http::Router& r, Context& ctx) {
    r.get("/api/v1/alerts",
          "Alert rule groups with each rule's state (inactive, pending, firing), value and last evaluation, "
          "and the history of state changes, newest first.",
          http::Scope::Read,
          [&ctx](const http::Request&) { return http::Response::json(200, ctx.engine.alerts_json()); });
}

}  // namespace weir::api::v1
