#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace weir::metrics {

/// Counters keyed by a short reason ("parse_error", "queue_full"). Reasons are
/// few, so a mutex-guarded map is cheap at batch granularity.
class ReasonCounters {
public:
    void add(const std::string& reason, uint64_t n);
    std::map<std::string, uint64_t> snapshot() const;
    uint64_t get(const std::string& reason) const;

private:
    mutable std::mutex mu_;
    std::map<std::string, uint64_t> counts_;
};

/// A latency histogram with fixed buckets (seconds), Prometheus style.
class Histogram {
public:
    static constexpr std::array<double, 14> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   5.0};
    void observe_ns(int64_t ns);
    struct Snapshot {
        std::array<uint64_t, kBounds.size() + 1> buckets{};  // non-cumulative, last = +Inf
        uint64_t count = 0;
        double sum_seconds = 0;
    };
    Snapshot snapshot() const;

private:
    std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
    std::atomic<uint64_t> count_{0};
    std::atomic<uint64_t> sum_ns_{0};
};

/// The telemetry of one plugin instance. Every plugin has the same names.
struct InstanceMetrics {
    std::string pipeline;
    std::string kind;  // input, parser, filter, output
    std::string plugin;
    std::string instance;

    std::atomic<uint64_t> events_in{0};
    std::atomic<uint64_t> events_out{0};
    std::atomic<uint64_t> bytes_in{0};
    std::atomic<uint64_t> bytes_out{0};
    std::atomic<int64_t> queue_depth{0};  // events waiting in front of this instance
    ReasonCounters dropped;
    ReasonCounters errors;
    ReasonCounters outcomes;  // counted results that are not errors (enriched, redacted, spooled...)
    Histogram batch_latency;  // time spent per batch in this instance
};

/// All metrics of the daemon. Instances register themselves and disappear
/// from /metrics when their pipeline is gone.
class Registry {
public:
    std::shared_ptr<InstanceMetrics> instance(const std::string& pipeline, const std::string& kind,
                                              const std::string& plugin, const std::string& instance);

    std::atomic<uint64_t> reloads_ok{0};
    std::atomic<uint64_t> reloads_failed{0};
    std::atomic<int64_t> last_reload_ok{1};
    std::atomic<int64_t> last_reload_warnings{0};
    std::atomic<int64_t> pipelines{0};
    std::atomic<int64_t> plugins_loaded{0};
    std::atomic<int64_t> plugins_refused{0};

    /// Prometheus text exposition format 0.0.4.
    std::string render_prometheus() const;
    /// Live instances (expired ones are pruned).
    std::vector<std::shared_ptr<InstanceMetrics>> instances() const;

private:
    mutable std::mutex mu_;
    mutable std::vector<std::weak_ptr<InstanceMetrics>> instances_;
};

}  // namespace weir::metrics
