#include <weir/api/context.hpp>
#include <weir/keys/keys.hpp>
#include <weir/runtime/log.hpp>

namespace weir::api {

void Tokens::reload() {
    if (!store) return;
    try {
        store->reload();
        last_reload_ok.store(1);
        runtime::Log::info("api",
                           "reloaded " + std::to_string(store->size()) + " API tokens from " + store->path());
    } catch (const std::exception& e) {
        reload_failures.fetch_add(1);
        last_reload_ok.store(0);
        runtime::Log::error("api", std::string(e.what()) + "; the previous tokens stay in use");
    }
}

}  // namespace weir::api
