// drop: Drops the events that match a condition (health checks, debug noise, a chatty source).
#include <weir/sdk.hpp>

namespace {

class DropFilter final : public weir::Filter {
public:
    DropFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx), condition_(ctx, opts.str("condition")) {}

    // One call evaluates the whole batch in the host; dropped events are
    // removed and counted by the host (weir_events_dropped_total{reason="filtered"}).
    void process(weir::Batch& batch) override { condition_.drop(batch, /*drop_matching=*/true); }

private:
    weir::Condition condition_;
};

const weir_option_def drop_options[] = {
    weir::option::required_string("condition", "Events matching this condition are dropped."),
};

}  // namespace

WEIR_PLUGIN_FLAGS(DropFilter, WEIR_KIND_FILTER, "drop", "0.1.0",
                  "Drops the events that match a condition (health checks, debug noise, a chatty source).",
                  drop_options, WEIR_PLUGIN_THREAD_SAFE)
