// throttle: at most `limit` events per `window` per key (a field, or the
// template of the message), dropping the rest; when a window has closed, one
// summary event per throttled key says how many were suppressed. Timed: the
// host's flush batches close a window on time without waiting for the next
// events, and the last window's summary is emitted at stop.
#include <chrono>
#include <mutex>
#include <unordered_map>
#include <weir/clock.hpp>
#include <weir/sdk.hpp>

#include "../sample_common.hpp"

namespace {

using weir::clock::steady_ns;
using weir::clock::wall_ns;

class ThrottleFilter final : public weir::Filter {
public:
    ThrottleFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx),
          guard_(opts),
          key_(opts.str("key")),
          templated_(opts.boolean("key_template")),
          summary_(opts.boolean("summary")) {
        // Bounds are the option table's.
        limit_ = static_cast<uint64_t>(opts.integer("limit"));
        window_ns_ = opts.duration_ns("window");
        max_keys_ = static_cast<size_t>(opts.integer("max_keys"));
        if (templated_ && key_.empty())
            throw weir::ConfigError("key_template needs a key (for example key: message)");
        window_start_ = steady_ns();
    }

    // One instance for all workers: the counts are shared, under one lock
    // taken once per batch.
    void process(weir::Batch& batch) override {
        std::lock_guard lock(mu_);
        const size_t n = batch.size();
        const int64_t now = steady_ns();
        if (batch.flush_request() == WEIR_FLUSH_ALL) {
            close_window(batch);  // the pipeline stops: what this window suppressed is told now
            return;
        }
        if (now - window_start_ >= window_ns_) {
            close_window(batch);
            window_start_ += (now - window_start_) / window_ns_ * window_ns_;
        }
        for (size_t i = 0; i < n; ++i) {
            weir::Event ev = batch[i];
            if (guard_.protects(ev)) continue;
            weir::filters::event_key(ev, key_, templated_, scratch_);
            auto it = counts_.find(scratch_);
            if (it == counts_.end()) {
                if (counts_.size() >= max_keys_)
                    scratch_ = "_other";  // bounded memory: the rest share one key
                it = counts_.try_emplace(scratch_).first;
            }
            if (it->second.passed < limit_) {
                ++it->second.passed;
            } else {
                ++it->second.suppressed;
                ev.drop();
            }
        }
    }

private:
    struct Count {
        uint64_t passed = 0;
        uint64_t suppressed = 0;
    };

    /// The window is over: one summary event per key that lost events.
    void close_window(weir::Batch& batch) {
        if (summary_) {
            const int64_t t = wall_ns();
            const double window_s = static_cast<double>(window_ns_) / 1e9;
            for (const auto& [key, c] : counts_) {
                if (c.suppressed == 0) continue;
                char msg[160];
                std::snprintf(msg, sizeof msg, "throttle: suppressed %llu events in %g s",
                              static_cast<unsigned long long>(c.suppressed), window_s);
                const size_t i = batch.add(msg, t);
                auto f = batch[i].fields();
                f.set("level", "warn");
                f.set("throttle_key", key);
                f.set_int("throttle_suppressed", static_cast<int64_t>(c.suppressed));
                f.set_int("throttle_passed", static_cast<int64_t>(c.passed));
                f.set_float("throttle_window_s", window_s);
            }
        }
        counts_.clear();
    }

    weir::filters::LevelGuard guard_;
    std::string key_;
    bool templated_;
    bool summary_;
    uint64_t limit_ = 0;
    int64_t window_ns_ = 0;
    size_t max_keys_ = 0;
    std::mutex mu_;
    int64_t window_start_ = 0;
    std::unordered_map<std::string, Count> counts_;
    std::string scratch_;
};

const weir::Option throttle_options[] = {
    weir::option::integer("limit", "100", "Events let through per key and window.").at_least("0"),
    weir::option::duration("window", "1s", "The window the limit applies to.").at_least("1ms"),
    weir::option::string(
        "key", "", "Field the limit applies per value of (message: its text); empty: one limit for all."),
    weir::option::boolean(
        "key_template", "false",
        "Group by the key's template: runs of digits (and hex) replaced, so 'took 35 ms' = 'took 120 ms'."),
    weir::option::boolean("summary", "true",
                          "After a window, add one event per throttled key with the count suppressed."),
    weir::option::integer("max_keys", "10000",
                          "Keys tracked per window at most; beyond, keys share one limit (_other).")
        .at_least("1"),
    weir::filters::keep_level_option,
    weir::filters::level_key_option,
};

}  // namespace

WEIR_PLUGIN_FLAGS(
    ThrottleFilter, WEIR_KIND_FILTER, "throttle", "0.1.0",
    "At most N events per window per key (or message template), with a summary of what was suppressed.",
    throttle_options, WEIR_PLUGIN_THREAD_SAFE | WEIR_PLUGIN_TIMED)
