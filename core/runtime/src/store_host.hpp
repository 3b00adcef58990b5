// Internal: the host side of weir_host_api::store_write.
#pragma once

#include <weir/plugin.h>

namespace weir::store {
class Store;
}

namespace weir::runtime {

/// The store the host call writes to (null: none). Set by the engine before
/// any pipeline starts and cleared after every pipeline stopped.
void set_host_store(store::Store* s);

int32_t store_host_write(weir_ctx* ctx, const weir_batch* batch, uint64_t ack_token) noexcept;

}  // namespace weir::runtime
