// store: hands batches to the daemon's embedded store. The acknowledgement
// comes after the durable commit, so a file checkpoint never passes an event
// that is not stored.
#include <cstddef>
#include <weir/sdk.hpp>

namespace {

class StoreOutput final : public weir::Output {
public:
    StoreOutput(weir::Context& ctx, const weir::Options&) : weir::Output(ctx) {
        const weir_host_api* h = ctx.host();
        if (h->struct_size < offsetof(weir_host_api, store_write) + sizeof(h->store_write) || !h->store_write)
            throw weir::ConfigError("this weir has no embedded store (host too old)");
    }
    ~StoreOutput() override {
        // Every write handed over must be acknowledged before the context goes.
        ctx_.host()->store_write(ctx_.raw(), nullptr, 0);
    }

    weir::WriteResult write(weir::Batch& batch, uint64_t ack_token) override {
        if (batch.size() == 0) return weir::WriteResult::Ok;
        const int32_t rc = ctx_.host()->store_write(ctx_.raw(), batch.raw(), ack_token);
        if (rc == WEIR_PENDING) return weir::WriteResult::Pending;
        if (!warned_) {
            ctx_.error(
                "the store is disabled (store.enabled: false in the service file); events are retried");
            warned_ = true;
        }
        return weir::WriteResult::Retry;
    }

private:
    bool warned_ = false;
};

}  // namespace

WEIR_PLUGIN(StoreOutput, WEIR_KIND_OUTPUT, "store", "0.1.0",
            "Writes events to the daemon's embedded store (searchable through /api/v1/logs).",
            WEIR_NO_OPTIONS)
