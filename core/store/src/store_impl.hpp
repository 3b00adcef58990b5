// Internal: the Store implementation shared by store.cpp (writer) and query.cpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <weir/store/store.hpp>

#include "partition.hpp"

namespace weir::store::detail {

class StoreImpl final : public Store {
public:
    explicit StoreImpl(const StoreOptions& o);
    ~StoreImpl() override;

    void write(const event::Batch& batch, Done done) override;
    void flush() override;
    SearchResult search(const SearchRequest& req) override;
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

private:
    struct Item {
        std::string encoded;
        size_t events = 0;
        uint64_t seq = 0;
        Done done;
    };

    std::shared_ptr<Partition> partition(int64_t day, bool create);
    std::vector<std::shared_ptr<Partition>> partitions_between(int64_t from_ns, int64_t to_ns,
                                                               uint64_t* pruned);
    void writer_loop();
    bool commit_partition(Partition& p, const std::vector<std::pair<BlockMeta, std::string>>& blocks,
                          const std::unordered_map<std::string, std::vector<uint64_t>>& terms,
                          std::string& why);
    /// Marks the store degraded, waits a second; false when closing.
    bool wait_degraded(const std::string& why);

    StoreOptions opts_;
    std::string canonical_;

    std::mutex parts_mu_;
    std::map<int64_t, std::shared_ptr<Partition>> parts_;

    std::mutex q_mu_;
    std::condition_variable q_cv_, q_space_cv_, done_cv_;
    std::deque<Item> queue_;
    size_t queued_events_ = 0;
    uint64_t enqueued_seq_ = 0, finished_seq_ = 0;
    bool stopping_ = false;

    std::mutex state_mu_;
    bool degraded_ = false;
    std::string degraded_reason_;

    std::atomic<uint64_t> commits_{0}, events_written_{0}, blocks_written_{0}, write_errors_{0},
        map_grows_{0}, index_repairs_{0}, bad_batches_{0}, partitions_deleted_{0}, corrupt_blocks_{0};

    std::thread writer_;  // last: started once everything above exists
};

}  // namespace weir::store::detail
