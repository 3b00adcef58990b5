// The live tail's hub: follows what the store commits (or what a `websocket`
// output publishes) and fans it out to subscribers, each with its own filter,
// tenant and bounded buffer. It never blocks the store's writer nor lets one
// subscriber slow another: what does not fit is dropped, counted and reported
// to the client. See docs/tail.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <weir/condition/condition.hpp>
#include <weir/store/store.hpp>

namespace weir::event {
class Batch;
}

namespace weir::tail {

struct HubOptions {
    /// Events buffered per subscriber; when full the oldest are dropped.
    size_t buffer_events = 1000;
    size_t max_subscribers = 10000;    // in all
    size_t max_per_token = 100;        // per API token (0: no bound)
    double max_events_per_second = 0;  // per subscriber (0: no bound)
    std::chrono::milliseconds heartbeat{5000};
    /// Events waiting for the hub thread before whole commits are dropped
    /// (for every subscriber, counted as reason "hub_behind").
    size_t max_queued_events = 100000;
    /// A subscriber's transport may hold this many messages; the hub moves
    /// more from the buffer only while it holds fewer.
    size_t transport_queue = 128;
};

/// Where a pushed subscriber's messages go (a WebSocket). Thread-safe.
class Sink {
public:
    virtual ~Sink() = default;
    virtual bool open() const = 0;
    /// Messages handed over and not yet written to the peer.
    virtual size_t queued() const = 0;
    virtual bool send(std::string message) = 0;
    virtual void close() = 0;
};

/// One event as every subscriber gets it.
struct Rendered {
    store::CommitPos pos;
    store::RowRef ref;
    std::string line;  // {"type":"log","cursor":...,"id":...,"data":{...}}
};

/// {"type":"log",...} for an event's JSON object.
std::string log_line(const store::CommitPos& pos, const store::RowRef& ref, std::string_view event_json);

class Hub;

/// One client of the tail. Created by Hub::subscribe; starts in catch-up
/// (live events are buffered, nothing is sent) until go_live().
class Subscriber {
public:
    Subscriber(Hub& hub, HubOptions options, std::optional<condition::Condition> condition,
               std::string tenant, std::string token, std::shared_ptr<Sink> sink, store::CommitPos start);
    ~Subscriber();

    const std::optional<condition::Condition>& condition() const { return condition_; }
    const std::string& tenant() const { return tenant_; }

    /// Catch-up is over: buffered events at or before `upto`, or in `skip`
    /// (what a backfill already gave), are discarded and the rest flow.
    /// Returns false (and stays in catch-up, dropping nothing) when the
    /// buffer overflowed with events after `upto`: replay further from the
    /// store first. `force` goes live regardless (the loss is reported).
    bool go_live(const store::CommitPos& upto, const std::set<store::CommitPos>* skip = nullptr,
                 bool force = false);
    /// The last place delivered to the client (or, with nothing pending,
    /// the last commit looked at): a reconnect with it misses nothing.
    store::CommitPos cursor() const;
    /// Records that `pos` went to the client during catch-up.
    void delivered(const store::CommitPos& pos);

    void pause();
    void resume();
    bool paused() const;
    /// Stops following (the hub forgets it on its next pass).
    void close();
    bool closed() const;

    /// Pull mode (no sink; SSE and NDJSON): waits up to `wait` for
    /// messages and appends at most `max` of them to `out` via `frame`
    /// (cursor, JSON). A heartbeat comes once per heartbeat interval of
    /// silence. Returns false once closed.
    bool pull(std::vector<std::pair<std::string, std::string>>& out, size_t max,
              std::chrono::milliseconds wait);

    // Hub thread only.
    void offer(const std::shared_ptr<const Rendered>& ev);
    void seen_commit(uint64_t seq);
    void lost(uint64_t events);  // a commit the hub could not look at
    void pump(std::chrono::steady_clock::time_point now);

private:
    friend class Hub;
    /// The next message to send, or nullopt; under mu_.
    std::optional<std::pair<std::string, std::string>> next_locked(std::chrono::steady_clock::time_point now);
    store::CommitPos cursor_locked() const;
    bool rate_ok_locked(std::chrono::steady_clock::time_point now);
    void push_locked(std::chrono::steady_clock::time_point now);

    Hub& hub_;
    const HubOptions opts_;  // the hub's when this subscriber came
    const std::optional<condition::Condition> condition_;
    const std::string tenant_;
    const std::string token_;
    const std::shared_ptr<Sink> sink_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<const Rendered>> ring_;
    bool live_ = false;
    bool live_notice_ = false;  // {"type":"live"} still to send
    bool paused_ = false;
    bool closed_ = false;
    uint64_t dropped_pending_ = 0;                    // not yet reported to the client
    std::optional<store::CommitPos> dropped_newest_;  // during catch-up: the newest event dropped
    store::CommitPos delivered_;
    store::CommitPos seen_;
    std::chrono::steady_clock::time_point last_sent_;
    double tokens_ = 0;
    std::chrono::steady_clock::time_point tokens_at_;
};

class Hub {
public:
    /// Follows `store`'s commits (null: only publish() feeds it).
    Hub(std::shared_ptr<store::Store> store, HubOptions options);
    ~Hub();
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    /// A new subscriber in catch-up, or null with `refusal` set when a limit
    /// refuses it. `sink` null: pull mode.
    std::shared_ptr<Subscriber> subscribe(std::optional<condition::Condition> condition, std::string tenant,
                                          std::string token, std::shared_ptr<Sink> sink,
                                          std::string& refusal);

    /// Events of a pipeline that does not store (the `websocket` output):
    /// given positions of their own, in the hub's own sequence. Any thread;
    /// never blocks (dropped and counted when the hub is behind).
    void publish(const event::Batch& batch);

    HubOptions options() const;
    /// New limits and buffer sizes for subscribers that come from now on
    /// (a reloaded `websocket` output); max_queued_events stays.
    void reconfigure(const HubOptions& options);
    store::Store* store() const { return store_.get(); }
    size_t subscribers() const;
    /// weir_tail_* Prometheus lines; `labels` ("" or `channel="name"`).
    std::string metrics_text(const std::string& labels = {}) const;

    // Counters (subscribers add theirs).
    std::atomic<uint64_t> sent{0}, dropped_buffer{0}, dropped_paused{0}, dropped_hub{0}, dropped_rate{0},
        refused{0};

private:
    struct Commit {
        uint64_t seq = 0;
        std::string encoded;  // the batch, event::encode_batch
        std::vector<uint32_t> rows;
        std::vector<store::RowRef> refs;
        size_t events = 0;
    };
    void enqueue(Commit c);
    void loop();
    void process(const Commit& c, const std::vector<std::shared_ptr<Subscriber>>& subs);

    HubOptions opts_;  // under mu_
    std::shared_ptr<store::Store> store_;
    const size_t max_queued_;  // opts_.max_queued_events, read without mu_
    uint64_t listener_ = 0;

    mutable std::mutex mu_;  // subscribers_
    std::vector<std::shared_ptr<Subscriber>> subscribers_;
    std::atomic<uint64_t> last_seq_{0};  // the newest commit seen (followed or not)
    std::atomic<size_t> active_{0};      // subscribers not yet forgotten: 0 copies nothing

    std::mutex q_mu_;
    std::condition_variable q_cv_;
    std::deque<Commit> queue_;
    size_t queued_events_ = 0;
    uint64_t lost_events_ = 0;  // dropped for being behind, to report to every subscriber
    bool stopping_ = false;
    uint64_t published_seq_ = 0;  // publish(): the hub's own sequence

    std::thread thread_;
};

/// The weir_tail_* Prometheus lines of several hubs, each with its labels
/// ("" or `channel="name"`), one HELP and TYPE per metric.
std::string metrics_text(const std::vector<std::pair<std::string, const Hub*>>& hubs);

}  // namespace weir::tail
