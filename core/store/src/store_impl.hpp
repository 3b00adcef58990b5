// Internal: the Store implementation shared by store.cpp (writer) and query.cpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <weir/event/batch.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>

#include "partition.hpp"
#include "rollup.hpp"

namespace weir::store::detail {

/// What one commit adds to a term's posting lists: block ids (`terms`) and
/// frame ids, block << 5 | frame (`frames`). Both only grow.
struct TermIds {
    std::vector<uint64_t> blocks;
    std::vector<uint32_t> frames;
};

/// Stops a query between two blocks once its flag is set.
inline void check_cancel(CancelFlag flag) {
    if (flag && flag->load(std::memory_order_relaxed)) throw Cancelled();
}

/// Frame ids hold a block id in 27 bits.
inline constexpr uint64_t kMaxFrameIndexedBlock = (uint64_t{1} << 27) - 1;

class StoreImpl final : public Store {
public:
    explicit StoreImpl(const StoreOptions& o);
    ~StoreImpl() override;

    void write(const event::Batch& batch, Done done) override;
    void flush() override;
    uint64_t add_commit_listener(CommitListener listener) override;
    void remove_commit_listener(uint64_t id) override;
    SearchResult search(const SearchRequest& req) override;
    ReplayResult replay(const ReplayRequest& req) override;
    std::optional<uint64_t> commit_of(const RowRef& ref) override;
    uint64_t last_commit_seq() override { return commit_seq_.load(); }
    AggregateResult aggregate(const AggregateRequest& req) override;
    StoreStats stats() override;
    std::optional<std::string> degraded() override;
    std::string metrics_text() override;
    std::optional<std::string> get(const RowRef& ref, const std::string& tenant) override;
    ContextResult context(const ContextRequest& req) override;
    FieldsResult fields(const FieldsRequest& req) override;
    SourcesResult sources(const SourcesRequest& req) override;
    RetentionReport apply_retention(int64_t now_ns) override;
    RetentionPolicy retention() override;
    RetentionReport set_retention(const RetentionPolicy& policy) override;
    void backup(const std::string& dir) override;
    VerifyReport verify() override;
    std::vector<PartitionStats> partition_stats() override;

private:
    struct Item {
        std::string encoded;
        size_t events = 0;
        uint64_t seq = 0;
        Done done;
    };
    /// One day's share of a group, built by an encoder with block ids
    /// counted from 0; the committer adds the partition's next id.
    struct PreparedDay {
        int64_t day = 0;
        std::vector<std::pair<BlockMeta, std::string>> blocks;
        std::unordered_map<std::string, TermIds> terms;
        std::map<int64_t, MinuteRollup> minutes;
        std::vector<std::pair<uint64_t, std::string>> digests;
        std::vector<uint32_t> order;  // rows of the group, in commit order
        std::vector<RowRef> refs;     // their places (block ids relative)
    };
    /// A group of queued writes, ready to commit.
    struct Prepared {
        uint64_t ticket = 0;
        std::deque<Item> items;
        event::Batch group;
        std::vector<PreparedDay> days;
    };

    std::shared_ptr<Partition> partition(int64_t day, bool create);
    std::vector<std::shared_ptr<Partition>> partitions_between(int64_t from_ns, int64_t to_ns,
                                                               uint64_t* pruned);
    /// Encoder threads: take what is queued, build it (prepare), hand it on.
    void encoder_loop();
    void prepare(Prepared& g, ZSTD_CCtx* cctx);
    /// The writer thread: commits prepared groups in the order they were taken.
    void writer_loop();
    void commit_group(Prepared& g);
    bool commit_partition(Partition& p, uint64_t seq,
                          const std::vector<std::pair<BlockMeta, std::string>>& blocks,
                          const std::unordered_map<std::string, TermIds>& terms,
                          const std::map<int64_t, MinuteRollup>& minutes, std::string& why);
    /// Merges the minutes into the partition's rollups (and keeps its
    /// "complete" mark true) in the commit's transaction; an LMDB error code.
    int put_rollups(MDB_txn* txn, Partition& p, const std::map<int64_t, MinuteRollup>& minutes,
                    uint64_t first_block);
    /// The newest commit seq recorded in any partition (commit_log.cpp).
    uint64_t newest_persisted_seq();
    void notify_listeners(uint64_t seq, const event::Batch& group, const std::vector<uint32_t>& order,
                          const std::vector<RowRef>& refs);
    /// Marks the store degraded, waits a second; false when closing.
    bool wait_degraded(const std::string& why);

    StoreOptions opts_;
    RollupConfig rollup_cfg_;
    std::vector<std::pair<uint64_t, std::string>> number_digests_;  // writer: the commit's blocks
    std::string canonical_;

    std::mutex parts_mu_;
    std::map<int64_t, std::shared_ptr<Partition>> parts_;

    std::mutex q_mu_;
    std::condition_variable q_cv_, q_space_cv_, done_cv_;
    std::deque<Item> queue_;
    size_t queued_events_ = 0;
    uint64_t enqueued_seq_ = 0, finished_seq_ = 0;
    bool stopping_ = false;
    // Groups between the queue and the writer (under q_mu_): tickets are
    // given in queue order, and the writer commits them in that order.
    uint64_t next_ticket_ = 0, commit_ticket_ = 0;
    size_t preparing_ = 0;  // groups taken from the queue, not yet ready
    size_t encoder_count_ = 1;
    std::map<uint64_t, std::unique_ptr<Prepared>> ready_;

    // Commit listeners: called by the writer under listeners_mu_.
    std::mutex listeners_mu_;
    std::map<uint64_t, CommitListener> listeners_;
    uint64_t next_listener_ = 1;
    std::atomic<bool> have_listeners_{false};
    std::atomic<uint64_t> commit_seq_{0};

    std::mutex state_mu_;
    bool degraded_ = false;
    std::string degraded_reason_;

    std::atomic<uint64_t> commits_{0}, events_written_{0}, blocks_written_{0}, write_errors_{0},
        map_grows_{0}, index_repairs_{0}, bad_batches_{0}, partitions_deleted_{0}, corrupt_blocks_{0},
        rollup_repairs_{0};

    // Retention, backup, verify and the store's lock file (maintenance.cpp).
    struct Maintenance;
    static std::shared_ptr<Maintenance> make_maintenance(const StoreOptions& o);
    /// Writer thread: the hourly pass and the passes asked for meanwhile.
    void run_retention(int64_t now_ns);
    /// Writer thread, on a full disk: deletes the oldest partition but today's.
    void emergency_retention();
    /// Fails the passes still waiting once the writer has stopped.
    void cancel_retention();
    std::string retention_metrics_text();
    RetentionReport retention_pass(const RetentionPolicy& policy, int64_t now_ns);
    /// Takes `p` out of the store and deletes its folder once no reader is inside.
    void delete_partition(std::shared_ptr<Partition> p, int reason, const std::string& why,
                          RetentionReport& report);
    /// Rewrites the blocks of `p` without the rows of the levels past their cutoff.
    void level_rewrite(Partition& p, const std::map<std::string, int64_t>& cutoff_by_level,
                       RetentionReport& report);
    void note(const std::string& message);  // logs what retention did
    std::shared_ptr<Maintenance> maint_;
    bool retention_wanted_ = false;  // under q_mu_: wakes the writer for a pass

    std::vector<std::thread> encoders_;  // last: started once everything above exists
    std::thread writer_;
};

}  // namespace weir::store::detail
