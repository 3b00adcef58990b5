// GET /api/v1: every route with its method, scope and help line.
#include <weir/api/topics.hpp>

namespace weir::api::v1 {

void register_routes_listing(http::Router& r, Context&) {
    const http::Router* router = &r;
    r.get("/api/v1", "This list: every route, its method, the scope a token needs, and what it does.",
          http::Scope::Read,
          [router](const http::Request&) { return http::Response::json(200, router->describe_json()); });
}

}  // namespace weir::api::v1
