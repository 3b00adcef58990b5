// weir_host_api::store_write: outputs hand batches to the engine's store; the
// acknowledgement comes from the store's writer thread after the commit.
#include "store_host.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <weir/event/batch.hpp>
#include <weir/store/store.hpp>

#include "host_context.hpp"

namespace weir::runtime {
namespace {

std::atomic<store::Store*> g_store{nullptr};

/// Writes of each context not yet acknowledged, so a plugin's destroy can
/// wait for them before its context goes away.
std::mutex g_mu;
std::condition_variable g_cv;
std::unordered_map<const HostContext*, size_t> g_outstanding;

}  // namespace

void set_host_store(store::Store* s) { g_store.store(s); }

int32_t store_host_write(weir_ctx* c, const weir_batch* b, uint64_t token) noexcept {
    auto* ctx = static_cast<HostContext*>(c);
    try {
        if (!b) {
            std::unique_lock lock(g_mu);
            g_cv.wait(lock, [&] { return g_outstanding[ctx] == 0; });
            g_outstanding.erase(ctx);
            return WEIR_OK;
        }
        store::Store* s = g_store.load();
        if (!s) return WEIR_ERROR;
        {
            std::lock_guard lock(g_mu);
            ++g_outstanding[ctx];
        }
        s->write(*event::from_c(b), [ctx, token](bool committed) {
            pipeline_output_ack(ctx, token, committed ? WEIR_OK : WEIR_ERROR);
            {
                std::lock_guard lock(g_mu);
                --g_outstanding[ctx];
            }
            g_cv.notify_all();
        });
        return WEIR_PENDING;
    } catch (const std::exception& e) {
        Log::error(ctx->component, std::string("store write failed: ") + e.what());
        ctx->metrics->errors.add("store_write_failed", 1);
        return WEIR_ERROR;
    } catch (...) {
        return WEIR_ERROR;
    }
}

}  // namespace weir::runtime
