// One stored event and its neighbours, streamed exports, sources, fields and
// the quick stats: GET /api/v1/logs/{id}, /logs/{id}/context, /logs/export,
// /sources, /fields, /stats/errors, /stats/keywords.
#include <weir/api/topics.hpp>

#include "logs_common.hpp"

namespace weir::api::v1 {

void register_logs_read(http::Router&, Context&) {}  // TODO

}  // namespace weir::api::v1
