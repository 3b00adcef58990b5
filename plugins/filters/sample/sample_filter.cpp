// sample: keeps one event in `rate`, at random or deterministically by a key
// (every event with the same key value is kept or dropped together).
#include "../sample_common.hpp"

#include <weir/sdk.hpp>

#include <random>

namespace {

class SampleFilter final : public weir::Filter {
public:
    SampleFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx), guard_(opts), key_(opts.str("key")), rng_(std::random_device{}()) {
        const int64_t rate = opts.integer("rate");
        if (rate < 1) throw weir::ConfigError("rate must be at least 1 (keep one event in rate)");
        rate_ = static_cast<uint64_t>(rate);
    }

    void process(weir::Batch& batch) override {
        if (rate_ == 1) return;
        for (weir::Event ev : batch) {
            if (guard_.protects(ev)) continue;
            bool keep;
            if (key_.empty()) {
                keep = rng_() % rate_ == 0;
            } else {
                weir::filters::event_key(ev, key_, false, scratch_);
                keep = weir::filters::fnv1a(scratch_) % rate_ == 0;
            }
            if (!keep) ev.drop();
        }
    }

private:
    weir::filters::LevelGuard guard_;
    std::string key_;
    uint64_t rate_ = 1;
    std::minstd_rand rng_;
    std::string scratch_;
};

const weir_option_def sample_options[] = {
    weir::option::integer("rate", "10", "Keep one event in this many."),
    weir::option::string("key", "",
                         "Field whose value decides (the same value: kept or dropped together); empty: at random."),
    weir::filters::keep_level_option,
    weir::filters::level_key_option,
};

}  // namespace

WEIR_PLUGIN(SampleFilter, WEIR_KIND_FILTER, "sample", "0.1.0",
            "Keeps one event in N, at random or by a key; errors and worse are always kept.", sample_options)
