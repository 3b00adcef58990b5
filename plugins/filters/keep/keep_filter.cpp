// keep: Keeps only the events that match a condition; drops the rest.
#include <weir/sdk.hpp>

namespace {

class KeepFilter final : public weir::Filter {
public:
    KeepFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx), condition_(ctx, opts.str("condition")) {}

    // One call evaluates the whole batch in the host; dropped events are
    // removed and counted by the host (weir_events_dropped_total{reason="filtered"}).
    void process(weir::Batch& batch) override { condition_.drop(batch, /*drop_matching=*/false); }

private:
    weir::Condition condition_;
};

const weir_option_def keep_options[] = {
    weir::option::required_string("condition", "Only events matching this condition are kept."),
};

}  // namespace

WEIR_PLUGIN_FLAGS(KeepFilter, WEIR_KIND_FILTER, "keep", "0.1.0",
                  "Keeps only the events that match a condition; drops the rest.", keep_options,
                  WEIR_PLUGIN_THREAD_SAFE)
