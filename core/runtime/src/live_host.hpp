// Internal: the host side of weir_host_api::live_open, live_publish and live_close.
#pragma once

#include <weir/plugin.h>

namespace weir::runtime {

weir_live* live_host_open(weir_ctx* ctx, const weir_live_options* o, char* err, size_t err_cap) noexcept;
void live_host_publish(weir_live* live, const weir_batch* batch) noexcept;
void live_host_close(weir_live* live) noexcept;

}  // namespace weir::runtime
