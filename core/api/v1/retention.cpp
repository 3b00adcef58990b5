// GET and POST /api/v1/retention: the store's retention, changed at runtime.
#include <weir/api/topics.hpp>

namespace weir::api::v1 {

void register_retention(http::Router&, Context&) {}  // TODO

}  // namespace weir::api::v1
