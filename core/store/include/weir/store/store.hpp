// The embedded log store: one per daemon, owned by the engine and alive across
// reloads. Time partitions (a UTC day each, its own LMDB environment), events
// in time-ordered columnar blocks, an exact term index per partition, one
// writer thread with group commits. See docs/store.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <weir/condition/index_hint.hpp>

namespace weir::event {
class Batch;
}
namespace weir::condition {
class Condition;
}

namespace weir::store {

struct StoreOptions {
    std::string path;  // folder holding one sub-folder per partition
    /// fsync every commit (LMDB's default). Off: a crash may lose the last
    /// commits (never integrity), and acknowledgements no longer mean durable.
    bool sync = true;
    size_t block_events = 4096;
    /// Map size a new partition starts with; it grows by itself.
    uint64_t initial_map_bytes = 64ull << 20;
    /// Events queued for the writer before write() blocks (backpressure).
    size_t max_queued_events = 1 << 16;
    /// Whole partitions older than this are deleted (0: keep everything).
    int64_t retention_ns = 0;
    /// Fields indexed as field=value (lower-cased whole string values).
    /// Where the store's own warnings go (paused writes); default: standard error.
    std::function<void(const std::string& message)> warn;
    std::vector<std::string> index_fields = {"level",  "service",  "app",        "host",   "source",
                                             "tenant", "trace_id", "request_id", "user_id"};
};

/// Where a row lives; newest-first order is (time, partition, block, row) descending.
struct RowRef {
    int64_t time_ns = 0;
    int64_t day = 0;
    uint64_t block = 0;
    uint32_t row = 0;
    std::string to_cursor() const;
    static std::optional<RowRef> from_cursor(std::string_view text);
};

/// What answering cost, reported with every answer.
struct QueryStats {
    uint64_t partitions_scanned = 0, partitions_pruned = 0;
    uint64_t blocks_scanned = 0, blocks_pruned_time = 0, blocks_pruned_index = 0;
    uint64_t rows_scanned = 0;
    uint64_t postings_read = 0;
    uint64_t blocks_unreadable = 0;  // corrupt blocks skipped (counted in weir_store_corrupt_blocks_total)
    std::string path = "scan";       // scan, index, headers
    std::string to_json() const;
};

struct SearchRequest {
    const condition::Condition* condition = nullptr;  // null: everything
    condition::IndexHint hint;  // time bounds and keys (from the condition, or hand-built)
    std::string tenant;         // non-empty: only events whose tenant field is this
    size_t limit = 100;
    bool newest_first = true;
    std::optional<RowRef> after;  // cursor: rows strictly after this one in the order
};

struct SearchResult {
    uint64_t total = 0;
    bool total_exact = true;          // false: the walk stopped at the limit; total is a lower bound
    std::vector<std::string> events;  // JSON objects
    std::vector<RowRef> refs;
    std::optional<RowRef> next_cursor;
    QueryStats stats;
};

struct AggregateRequest {
    const condition::Condition* condition = nullptr;
    condition::IndexHint hint;
    std::string tenant;
    std::string metric = "count";  // count sum avg min max p50 p90 p95 p99
    std::string field;             // the numeric field of every metric but count
    std::vector<std::string> group_by;
    int64_t interval_ns = 0;  // >0: a time series of buckets this wide
    size_t limit = 10;        // groups kept (top-N by value)
};

struct AggregateRow {
    std::optional<int64_t> bucket_ns;
    std::vector<std::optional<std::string>> group;  // one per group_by field (nullopt: absent)
    uint64_t count = 0;
    std::optional<double> value;  // nullopt: no numeric value in the group
};

struct AggregateResult {
    std::vector<AggregateRow> rows;
    uint64_t groups_total = 0;  // before the limit
    bool exact = true;
    QueryStats stats;
};

struct StoreStats {
    uint64_t partitions = 0, blocks = 0, events = 0, bytes_on_disk = 0;
    uint64_t commits = 0, events_written = 0, write_errors = 0, map_grows = 0;
    bool degraded = false;
    std::string degraded_reason;
};

class Store {
public:
    /// Opens (creating) the store at options.path and starts its writer.
    /// Throws std::runtime_error naming the folder when it cannot, or when
    /// this process already has that store open.
    static std::unique_ptr<Store> open(const StoreOptions& options);
    virtual ~Store() = default;

    /// Called once the write is durable (true) or given up on (false: the
    /// store is closing with the write not committed).
    using Done = std::function<void(bool committed)>;
    /// Copies the batch's events (not those flagged dropped) and queues them
    /// for the writer; blocks while the queue is full. Any thread.
    virtual void write(const event::Batch& batch, Done done) = 0;
    /// Waits until everything written before the call is committed or given up.
    virtual void flush() = 0;

    virtual SearchResult search(const SearchRequest& req) = 0;
    virtual AggregateResult aggregate(const AggregateRequest& req) = 0;
    virtual StoreStats stats() = 0;
    /// Why writes are paused (a full disk, I/O errors), or nullopt. Cheap.
    virtual std::optional<std::string> degraded() = 0;
    /// Prometheus text lines (weir_store_*).
    virtual std::string metrics_text() = 0;
    /// Deletes partitions past the retention now (the writer also does it hourly).
    virtual void apply_retention(int64_t now_ns) = 0;
};

/// Days since the epoch of a UTC time (the partition it belongs to).
int64_t day_of(int64_t time_ns);

}  // namespace weir::store
