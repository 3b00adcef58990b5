// What the API topics are given: the engine, the control thread's reload, and
// the server's own telemetry. Topics register their routes from their own
// files (core/api/v1/<topic>.cpp); register.cpp is the one list of them.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <weir/http/router.hpp>

namespace weir::runtime {
class Engine;
struct ReloadResult;
}  // namespace weir::runtime
namespace weir::keys {
class KeyStore;
}

namespace weir::api {

/// The API tokens and how their last re-read went.
struct Tokens {
    std::shared_ptr<keys::KeyStore> store;  // null: no tokens file
    std::atomic<uint64_t> reload_failures{0};
    std::atomic<int64_t> last_reload_ok{1};
    /// Re-reads the file; a bad file keeps the current tokens and is logged.
    void reload();
};

struct Context {
    runtime::Engine& engine;
    /// Runs a reload on the control thread and calls `done` there with its result.
    std::function<void(std::function<void(const runtime::ReloadResult&)> done)> reload;
    /// The API server's own counters (per route), Prometheus text.
    std::function<std::string()> server_metrics;
    Tokens* tokens = nullptr;
};

/// Adds every topic's routes. `ctx` must outlive the router.
void register_routes(http::Router& router, Context& ctx);

}  // namespace weir::api
