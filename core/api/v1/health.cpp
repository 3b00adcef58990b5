// GET /health: is the daemon up. Open to anyone who reaches the listener and
// answered even when every connection slot is busy.
#include <weir/api/topics.hpp>

namespace weir::api::v1 {

void register_health(http::Router& r, Context&) {
    r.get("/health", "Liveness: {\"status\":\"ok\"} while the daemon runs.", http::Scope::None,
          [](const http::Request&) { return http::Response::json(200, "{\"status\":\"ok\"}"); })
        .priority = true;
}

}  // namespace weir::api::v1
