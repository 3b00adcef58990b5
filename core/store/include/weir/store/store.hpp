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
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
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
    /// Threads that build blocks, postings and rollups ahead of the one
    /// thread that commits them (0: one). Each takes what is queued at the
    /// time, so more of them also means smaller, more frequent commits.
    size_t encode_threads = 1;
    /// Whole partitions older than this are deleted (0: keep everything).
    int64_t retention_ns = 0;
    /// Fields indexed as field=value (lower-cased whole string values).
    /// Where the store's own warnings go (paused writes); default: standard error.
    std::function<void(const std::string& message)> warn;
    /// Where what retention deleted is logged; default: `warn`, else standard error.
    std::function<void(const std::string& message)> info;
    std::vector<std::string> index_fields = {"level",  "service",  "app",        "host",   "source",
                                             "tenant", "trace_id", "request_id", "user_id"};

    /// Retention by total size: the oldest partitions are deleted until the
    /// store fits (0: no bound).
    uint64_t retention_bytes = 0;
    /// Retention by level (upper-cased level -> age): events of that level
    /// older than the age are deleted; other levels follow retention_ns.
    std::map<std::string, int64_t> retention_by_level;
    /// On a full disk, delete the oldest partition (never today's) so that
    /// today's logs keep flowing, instead of only pausing writes.
    bool emergency_retention = false;

    /// Per-minute rollups written at ingest (see docs/store.md, "Rollups").
    bool rollups = true;
    /// Numeric fields with a mergeable histogram per minute; empty: every
    /// top-level field whose name contains "latency" or "duration".
    std::vector<std::string> rollup_numeric_fields;
    /// Fields with a per-minute HyperLogLog (approximate unique counts).
    std::vector<std::string> rollup_unique_fields = {"user_id", "client_ip", "ip", "session_id"};

    /// Opens the existing store for reading only: no writer thread, no
    /// retention, nothing created (`weir query --data-dir`, `weir store`).
    bool read_only = false;
};

/// What retention does; changed at runtime by set_retention().
struct RetentionPolicy {
    int64_t max_age_ns = 0;  // 0: keep everything
    uint64_t max_bytes = 0;  // 0: no size bound
    std::map<std::string, int64_t> by_level;
    bool emergency = false;
    std::string to_json() const;
};

/// What one retention pass deleted (also logged and counted).
struct RetentionReport {
    uint64_t partitions_deleted = 0;
    uint64_t events_deleted = 0;       // every event deleted: whole partitions and rows by level
    uint64_t blocks_rewritten = 0;     // blocks rewritten (or deleted) without rows past their level's age
    uint64_t bytes_freed = 0;          // partition files deleted, plus block bytes rewritten away
    std::vector<std::string> actions;  // one sentence each, as logged
    std::string to_json() const;
};

/// What `weir store verify` found.
struct VerifyReport {
    uint64_t partitions = 0, blocks = 0, events = 0, index_entries = 0;
    std::vector<std::string> problems;  // empty: the store is sound
    bool ok() const { return problems.empty(); }
    std::string to_json() const;
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
    uint64_t blocks_unreadable = 0;     // corrupt blocks skipped (counted in weir_store_corrupt_blocks_total)
    uint64_t rollup_minutes = 0;        // stored minutes read from the rollups
    uint64_t blocks_pruned_rollup = 0;  // blocks not read: the rollups answered all their minutes
    std::string path = "scan";          // scan, index, headers, rollup
    std::string to_json() const;
};

/// Thrown by a query whose `cancel` flag was set while it ran (its client
/// went away): the query stopped between two blocks, nothing is answered.
class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("the query was cancelled: its client went away") {}
};

/// A query's cancellation flag: null, or set by someone else to stop it.
using CancelFlag = const std::atomic<bool>*;

struct SearchRequest {
    const condition::Condition* condition = nullptr;  // null: everything
    condition::IndexHint hint;  // time bounds and keys (from the condition, or hand-built)
    std::string tenant;         // non-empty: only events whose tenant field is this
    size_t limit = 100;
    bool newest_first = true;
    std::optional<RowRef> after;  // cursor: rows strictly after this one in the order
    CancelFlag cancel = nullptr;  // set: stop with Cancelled
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
    /// count sum avg min max stddev unique, or a percentile pNN (p50, p99.9: 0 < NN <= 100)
    std::string metric = "count";
    std::string field;  // the field of every metric but count (numeric but for unique)
    /// Fields, or the one pseudo-field "template": the message with its
    /// numbers and ids masked (top-N messages).
    std::vector<std::string> group_by;
    int64_t interval_ns = 0;  // >0: a time series of buckets this wide
    size_t limit = 10;        // groups kept (top-N by value)
    /// Percentiles and unique counts come from sketches when the rollups hold
    /// them (approximate, said in the result); true: always exact, by a scan.
    bool exact = false;
    /// false: never read rollups (tests compare both paths).
    bool use_rollups = true;
    CancelFlag cancel = nullptr;  // set: stop with Cancelled
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
    /// When not exact: percentiles are within this relative error of the
    /// exact nearest-rank value; unique counts have this standard error.
    double relative_error = 0;
    QueryStats stats;
};

/// GET /api/v1/logs/{id}/context: the neighbours of one event from the same
/// source (as `grep -C` shows them), oldest first on both sides.
struct ContextRequest {
    RowRef ref;
    std::string tenant;
    size_t before = 10, after = 10;
    std::string same_field = "source";  // empty: every event, whatever its source
};

struct ContextResult {
    bool found = false;
    std::string event;                       // the anchor's JSON
    std::vector<std::string> before, after;  // JSON objects, oldest first
    std::vector<RowRef> before_refs, after_refs;
    QueryStats stats;
};

/// GET /api/v1/fields: what fields the matching events carry, for autocomplete.
struct FieldsRequest {
    const condition::Condition* condition = nullptr;
    condition::IndexHint hint;
    std::string tenant;
    size_t sample_events = 10000;  // newest events looked at, at most
    size_t top_values = 10;
    CancelFlag cancel = nullptr;  // set: stop with Cancelled
};

struct FieldInfo {
    std::string name;  // dotted path for nested fields
    std::string type;  // string, integer, float, bool, object, array, mixed
    uint64_t count = 0;
    std::vector<std::pair<std::string, uint64_t>> top;  // most frequent values first
};

struct FieldsResult {
    std::vector<FieldInfo> fields;  // by count, descending
    uint64_t events_sampled = 0;
    bool exact = true;  // false: the sample stopped before every match
    QueryStats stats;
};

/// GET /api/v1/sources: each value of the dictionary fields (source, service,
/// ...) in the time range, with its count and the time it was last seen.
/// Only top-level string values present once in an event count (what the
/// blocks keep in their header dictionaries, so most counts come from headers).
struct SourcesRequest {
    int64_t from_ns = std::numeric_limits<int64_t>::min();
    int64_t to_ns = std::numeric_limits<int64_t>::max();
    std::string tenant;
    std::vector<std::string> fields = {"source", "service"};  // each one of kDictFields
};

struct SourceInfo {
    std::string field, value;
    uint64_t count = 0;
    int64_t last_seen_ns = 0;
};

struct SourcesResult {
    std::vector<SourceInfo> values;  // by field (in request order), then count descending
    QueryStats stats;
};

struct StoreStats {
    uint64_t partitions = 0, blocks = 0, events = 0, bytes_on_disk = 0;
    uint64_t commits = 0, events_written = 0, write_errors = 0, map_grows = 0;
    bool degraded = false;
    std::string degraded_reason;
};

/// One partition, as `weir store stats` lists it.
struct PartitionStats {
    std::string day;  // YYYY-MM-DD
    uint64_t events = 0, blocks = 0, bytes_on_disk = 0;
    int64_t min_ns = 0, max_ns = 0;  // oldest and newest event (0 when empty)
};

/// What one group commit made durable, as live followers (the tail, the live
/// counters) see it. Valid only during the listener call: copy what you keep.
struct CommitView {
    /// Store-wide, increasing by one per commit (in memory; restarts at the
    /// newest persisted value + 1 once commits are persisted).
    uint64_t seq = 0;
    /// The committed events: events->event((*rows)[i]) now lives at
    /// (*refs)[i]. In commit order (by partition, then block and row).
    const event::Batch* events = nullptr;
    const std::vector<uint32_t>* rows = nullptr;
    const std::vector<RowRef>* refs = nullptr;
};

/// A place in commit order: (commit seq, partition day, block, row). Every
/// stored event has one; the live tail's cursor names the last event a
/// client was given. Text form: "<seq>-<day>-<block>-<row>" (decimal), or
/// "<seq>" alone for the end of that commit (after each of its rows).
struct CommitPos {
    static CommitPos end_of(uint64_t seq) {
        return {seq, std::numeric_limits<int64_t>::max(), std::numeric_limits<uint64_t>::max(),
                std::numeric_limits<uint32_t>::max()};
    }
    uint64_t seq = 0;
    int64_t day = 0;
    uint64_t block = 0;
    uint32_t row = 0;
    auto operator<=>(const CommitPos&) const = default;
    std::string to_cursor() const;
    static std::optional<CommitPos> from_cursor(std::string_view text);
};

/// Rows committed after a place, in commit order (Store::replay).
struct ReplayRequest {
    CommitPos after;  // rows strictly after this place
    const condition::Condition* condition = nullptr;
    std::string tenant;
    size_t limit = 1000;
};

struct ReplayResult {
    std::vector<std::string> events;  // JSON objects
    std::vector<RowRef> refs;
    std::vector<CommitPos> positions;
    /// The place the walk reached: every row up to here was looked at (the
    /// next page starts after it). Never before `after`.
    CommitPos reached;
    bool more = false;  // stopped at the limit
};

/// Called on the store's writer thread right after a durable commit. Must be
/// quick and must not call back into the store's write path (copy, hand off).
using CommitListener = std::function<void(const CommitView&)>;

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

    /// Follows commits (see CommitListener); returns an id for removal. Any thread.
    virtual uint64_t add_commit_listener(CommitListener listener) = 0;
    /// After it returns, the listener is not running and is never called again.
    virtual void remove_commit_listener(uint64_t id) = 0;

    virtual SearchResult search(const SearchRequest& req) = 0;
    /// The matching rows committed after `req.after`, oldest commit first,
    /// up to the newest commit completed when the call began. Rows deleted
    /// by retention are simply absent.
    virtual ReplayResult replay(const ReplayRequest& req) = 0;
    /// The commit that wrote the block holding `ref`, or nullopt (unknown
    /// block, or a partition written before commits were recorded).
    virtual std::optional<uint64_t> commit_of(const RowRef& ref) = 0;
    /// The newest completed commit's seq (0: none yet).
    virtual uint64_t last_commit_seq() = 0;
    /// One event by its permalink (RowRef); nullopt when absent or of another tenant.
    virtual std::optional<std::string> get(const RowRef& ref, const std::string& tenant) = 0;
    virtual ContextResult context(const ContextRequest& req) = 0;
    virtual FieldsResult fields(const FieldsRequest& req) = 0;
    virtual SourcesResult sources(const SourcesRequest& req) = 0;
    virtual AggregateResult aggregate(const AggregateRequest& req) = 0;
    virtual StoreStats stats() = 0;
    virtual std::vector<PartitionStats> partition_stats() = 0;
    /// Why writes are paused (a full disk, I/O errors), or nullopt. Cheap.
    virtual std::optional<std::string> degraded() = 0;
    /// Prometheus text lines (weir_store_*).
    virtual std::string metrics_text() = 0;
    /// Applies the retention now (the writer also does it hourly).
    virtual RetentionReport apply_retention(int64_t now_ns) = 0;
    virtual RetentionPolicy retention() = 0;
    /// Replaces the retention (POST /api/v1/retention) and applies it at once.
    virtual RetentionReport set_retention(const RetentionPolicy& policy) = 0;

    /// A hot, consistent copy of every partition into `dir` (created; must be
    /// empty): LMDB's environment copy, one read snapshot per partition.
    /// Throws std::runtime_error naming what failed.
    virtual void backup(const std::string& dir) = 0;
    /// Checks every block's checksum and decoding, that the zone maps match
    /// the blocks, and that every index entry decodes and points at a block
    /// that exists.
    virtual VerifyReport verify() = 0;
};

/// Puts a backup made by Store::backup() at `store_path` (which must not hold
/// a store, or `force`: it is replaced). The backup is verified first. The
/// store must not be open: refused while a process holds its lock file.
/// Throws std::runtime_error saying why.
void restore(const std::string& backup_dir, const std::string& store_path, bool force = false);

/// A top-level field whose name contains "latency" or "duration" (any case):
/// what gets a histogram when no numeric fields are configured.
bool default_numeric_field(std::string_view name);

/// Days since the epoch of a UTC time (the partition it belongs to).
int64_t day_of(int64_t time_ns);

}  // namespace weir::store
