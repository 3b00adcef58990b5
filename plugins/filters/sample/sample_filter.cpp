// sample: keeps one event in `rate`, at random or deterministically by a key
// (every event with the same key value is kept or dropped together).
#include <random>
#include <weir/sdk.hpp>

#include "../sample_common.hpp"

namespace {

class SampleFilter final : public weir::Filter {
public:
    SampleFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx), guard_(opts), key_(opts.str("key")), rng_(std::random_device{}()) {
        rate_ = static_cast<uint64_t>(opts.integer("rate"));  // at least 1 (the table)
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

const weir::Option sample_options[] = {
    weir::option::integer("rate", "10", "Keep one event in this many.").at_least("1"),
    weir::option::string(
        "key", "", "Field whose value decides (the same value: kept or dropped together); empty: at random."),
    weir::filters::keep_level_option,
    weir::filters::level_key_option,
};

}  // namespace

WEIR_PLUGIN(SampleFilter, WEIR_KIND_FILTER, "sample", "0.1.0",
            "Keeps one event in N, at random or by a key; errors and worse are always kept.", sample_options)
