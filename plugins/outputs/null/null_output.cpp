// null: counts events and discards them (for benchmarks and tests).
#include <chrono>
#include <string>
#include <weir/sdk.hpp>

namespace {

class NullOutput final : public weir::Output {
public:
    NullOutput(weir::Context& ctx, const weir::Options& opts)
        : weir::Output(ctx), log_every_(std::chrono::nanoseconds(opts.duration_ns("log_every"))) {
        next_log_ = std::chrono::steady_clock::now() + log_every_;
    }

    weir::WriteResult write(weir::Batch& batch, uint64_t) override {
        count_ += batch.size();
        if (log_every_.count() > 0 && std::chrono::steady_clock::now() >= next_log_) {
            ctx_.info("discarded " + std::to_string(count_) + " events so far");
            next_log_ = std::chrono::steady_clock::now() + log_every_;
        }
        return weir::WriteResult::Ok;
    }

private:
    std::chrono::nanoseconds log_every_;
    std::chrono::steady_clock::time_point next_log_;
    uint64_t count_ = 0;
};

const weir::Option null_options[] = {
    weir::option::duration("log_every", "0s", "Log the running count at this interval.")
        .empty_means("never (0s)"),
};

}  // namespace

WEIR_PLUGIN(NullOutput, WEIR_KIND_OUTPUT, "null", "0.1.0", "Counts events and discards them.", null_options)
