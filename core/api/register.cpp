// The one list of API topics.
#include <weir/api/topics.hpp>

namespace weir::api {

void register_routes(http::Router& router, Context& ctx) {
    v1::register_health(router, ctx);
    v1::register_metrics(router, ctx);
    v1::register_status(router, ctx);
    v1::register_reload(router, ctx);
    v1::register_logs(router, ctx);
    v1::register_logs_read(router, ctx);
    v1::register_retention(router, ctx);
    v1::register_alerts(router, ctx);
    v1::register_stats_live(router, ctx);
    v1::register_saved_queries(router, ctx);
    v1::register_routes_listing(router, ctx);
    v1::register_tail(router, ctx);
}

}  // namespace weir::api
