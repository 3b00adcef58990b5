// Live counters: per-second counts of the events the store commits (by level,
// source and service, errors, latency percentiles of numeric fields), kept
// for the last minute and read by GET /api/v1/stats/live. Fed from the
// store's commit listener on its writer thread, so nothing is re-queried.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <weir/event/batch.hpp>

namespace weir::live_stats {

/// A log-bucketed histogram (the DDSketch idea): bucket i holds values in
/// (gamma^(i-1), gamma^i] with gamma = (1+a)/(1-a), so every quantile read
/// from it is within a = kRelativeError of the true value. Values at or below
/// kMinValue (and negative ones) count as zero. Two sketches merge exactly.
class Sketch {
public:
    static constexpr double kRelativeError = 0.01;
    static constexpr double kMinValue = 1e-9;
    void add(double x);
    void merge(const Sketch& o);
    uint64_t count() const { return n_; }
    double max() const { return max_; }
    /// The nearest-rank q-quantile (0 < q <= 1); nullopt when empty.
    std::optional<double> quantile(double q) const;

private:
    std::map<int32_t, uint64_t> buckets_;
    uint64_t zero_ = 0, n_ = 0;
    double min_ = 0, max_ = 0;
};

struct Options {
    /// Numeric fields with latency percentiles; empty: every top-level field
    /// whose name contains "latency" or "duration" (as the store's rollups).
    std::vector<std::string> numeric_fields;
    /// Sources and services kept apart per second; the rest sum into "other".
    size_t top_n = 10;
    /// Numeric fields followed at most (the auto rule could find many).
    size_t max_numeric_fields = 16;
    /// Tenants counted apart per second; events of further tenants show in
    /// the store-wide view only.
    size_t max_tenants = 256;
};

/// One second's counts of one view (store-wide, or one tenant).
struct Counts {
    uint64_t events = 0, errors = 0;
    std::map<std::string, uint64_t, std::less<>> by_level, by_source, by_service;
    std::map<std::string, Sketch, std::less<>> latency;
};

/// One closed second.
struct Second {
    int64_t sec = 0;      // Unix seconds
    uint64_t ingest = 0;  // events into every pipeline's inputs during it (engine-wide)
    Counts all;
    std::map<std::string, Counts, std::less<>> tenants;
};

/// Is this (upper-cased) level an error? ERROR, FATAL, CRITICAL, as
/// GET /api/v1/stats/errors counts them, plus their usual short forms.
bool is_error_level(std::string_view upper_level);

class LiveStats {
public:
    static constexpr size_t kKeepSeconds = 60;
    /// Distinct sources or services counted apart within one second before
    /// further ones go straight to "other" (bounds memory on the write path).
    static constexpr size_t kMaxKeysPerSecond = 4096;

    explicit LiveStats(Options o = {});
    ~LiveStats();
    LiveStats(const LiveStats&) = delete;
    LiveStats& operator=(const LiveStats&) = delete;

    /// Counts events.event(rows[i]) as committed at `now_ns` (wall clock).
    /// Called on the store's writer thread; quick.
    void record(const event::Batch& events, const std::vector<uint32_t>& rows, int64_t now_ns);
    /// Closes every second before now_ns's one; `ingest` (engine-wide events
    /// in since the previous call) goes to the last second it closes.
    void tick(int64_t now_ns, uint64_t ingest);

    /// Starts a thread that calls tick() just after each second boundary,
    /// with ingest_delta() as the engine-wide count. Stopped by the destructor.
    void start(std::function<uint64_t()> ingest_delta);

    /// The newest closed second's Unix time; nullopt before the first.
    std::optional<int64_t> latest() const;
    /// The stats object of closed second `sec` as `tenant` ("": every tenant)
    /// sees it; nullopt when that second is not kept.
    std::optional<std::string> stats_json(int64_t sec, const std::string& tenant) const;
    /// The stats objects of the closed seconds after `after`, oldest first.
    std::vector<std::string> since(int64_t after, const std::string& tenant) const;
    /// {"type":"series","points":[...]} of the last n closed seconds.
    std::string series_json(size_t n, const std::string& tenant) const;
    /// Waits (at most `timeout`) until a second after `after` is closed.
    bool wait_after(int64_t after, std::chrono::milliseconds timeout) const;

private:
    void count(Counts& c, const event::Batch& b, size_t row, std::string_view level_upper, bool error,
               const std::vector<std::pair<std::string_view, double>>& numbers);
    void roll_to(int64_t sec);                                             // mu_ held
    std::string render(const Second& s, const std::string& tenant) const;  // mu_ held

    Options opts_;
    mutable std::mutex mu_;
    mutable std::condition_variable closed_cv_;
    Second current_;
    bool have_current_ = false;
    std::deque<Second> closed_;  // oldest first, consecutive seconds, at most kKeepSeconds
    std::vector<std::pair<std::string_view, double>> numbers_;  // scratch of record()

    std::thread ticker_;
    std::mutex tick_mu_;
    std::condition_variable tick_cv_;
    bool stop_ = false;
};

}  // namespace weir::live_stats
