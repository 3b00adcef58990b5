// POST /api/v1/reload: the same reload as SIGHUP, run on the control thread.
// The answer waits for the result without holding a worker.
#include <weir/api/topics.hpp>
#include <weir/runtime/engine.hpp>

namespace weir::api::v1 {

void register_reload(http::Router& r, Context& ctx) {
    r.add_async("POST", "/api/v1/reload",
                "Re-reads every YAML file and the plugin folders; 200 with what started, stopped and stayed, "
                "422 with the errors (nothing changed).",
                http::Scope::Admin, [&ctx](const http::Request&, http::Respond respond) {
                    ctx.reload([respond](const runtime::ReloadResult& result) {
                        respond(http::Response::json(result.ok ? 200 : 422, result.to_json()));
                    });
                });
}

}  // namespace weir::api::v1
