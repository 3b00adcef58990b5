// One function per API topic, each defined in core/api/v1/<topic>.cpp.
// Only register.cpp calls them.
#pragma once

#include <weir/api/context.hpp>

namespace weir::api::v1 {

void register_health(http::Router& r, Context& ctx);
void register_metrics(http::Router& r, Context& ctx);
void register_status(http::Router& r, Context& ctx);
void register_reload(http::Router& r, Context& ctx);
void register_logs(http::Router& r, Context& ctx);
void register_logs_read(http::Router& r, Context& ctx);
void register_retention(http::Router& r, Context& ctx);
void register_saved_queries(http::Router& r, Context& ctx);
void register_alerts(http::Router& r, Context& ctx);
void register_stats_live(http::Router& r, Context& ctx);
void register_routes_listing(http::Router& r, Context& ctx);
void register_tail(http::Router& r, Context& ctx);

}  // namespace weir::api::v1
