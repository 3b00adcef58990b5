// GET /api/v1/status and its WebSocket twin, /api/v1/status/stream, which
// sends the status once a second (and whenever the client sends "status").
#include <weir/api/topics.hpp>
#include <weir/runtime/engine.hpp>

namespace weir::api::v1 {

void register_status(http::Router& r, Context& ctx) {
    r.get("/api/v1/status", "Pipelines, their stages, loaded plugins and the last reload.", http::Scope::Read,
          [&ctx](const http::Request&) { return http::Response::json(200, ctx.engine.status_json()); });
    http::WebSocketRoute ws;
    ws.on_open = [&ctx](const std::shared_ptr<http::WebSocket>& c, const http::Request&) {
        c->send(ctx.engine.status_json());
    };
    ws.on_message = [&ctx](const std::shared_ptr<http::WebSocket>& c, const std::string& msg) {
        if (msg == "status")
            c->send(ctx.engine.status_json());
        else
            c->send("{\"error\":\"send 'status' or nothing\"}");
    };
    ws.tick = std::chrono::seconds(1);
    ws.on_tick = [&ctx](const std::shared_ptr<http::WebSocket>& c) { c->send(ctx.engine.status_json()); };
    r.websocket("/api/v1/status/stream", "WebSocket: the status every second, and on each 'status' message.",
                http::Scope::Read, std::move(ws));
}

}  // namespace weir::api::v1
