// Internal: the pieces of a running pipeline, shared by pipeline.cpp and the
// in-process test harness.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>
#include <weir/event/batch.hpp>
#include <weir/event/time_format.hpp>
#include <weir/kind.hpp>
#include <weir/metrics/registry.hpp>
#include <weir/runtime/bounded_queue.hpp>
#include <weir/runtime/pipeline.hpp>

#include "host_context.hpp"

namespace weir::config {
struct StageConfig;
}
namespace weir::loader {
struct PluginHandle;
}

namespace weir::runtime {

using event::Batch;
using BatchPtr = std::unique_ptr<Batch>;

using weir::kind_name;

inline constexpr size_t kMaxPendingWrites = 16;
inline constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
inline constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
/// How long a stop waits, past its drain deadline, for threads to come back.
inline constexpr auto kAbandonGrace = std::chrono::milliseconds(2000);

/// A thread whose end can be awaited with a time limit. A stop that runs out
/// of time detaches what is still running (an output blocked in a `write` to a
/// pipe nobody reads cannot be interrupted) instead of hanging on it.
class TrackedThread {
public:
    TrackedThread() = default;
    TrackedThread(TrackedThread&&) = default;
    TrackedThread& operator=(TrackedThread&&) = default;
    template <class F>
    explicit TrackedThread(F fn) {
        state_ = std::make_shared<State>();
        thread_ = std::thread([s = state_, fn = std::move(fn)]() mutable {
            fn();
            std::lock_guard lock(s->mu);
            s->done = true;
            s->cv.notify_all();
        });
    }
    ~TrackedThread() {
        if (thread_.joinable()) thread_.join();
    }
    bool joinable() const { return thread_.joinable(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    /// Joins if the thread ends by `limit`; otherwise detaches it and returns false.
    bool join_until(std::chrono::steady_clock::time_point limit) {
        if (!thread_.joinable()) return true;
        {
            std::unique_lock lock(state_->mu);
            if (!state_->cv.wait_until(lock, limit, [&] { return state_->done; })) {
                thread_.detach();
                return false;
            }
        }
        thread_.join();
        return true;
    }

private:
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
    };
    std::shared_ptr<State> state_;
    std::thread thread_;
};

/// One batch on its way to every output; acknowledged when all have it.
struct InFlight {
    BatchPtr batch;
    size_t events = 0;  // of the batch, for counters once it may be recycled
    size_t bytes = 0;
    std::atomic<int> remaining{0};  // outputs yet to acknowledge
    std::atomic<int> readers{0};    // outputs that may still read the batch
    std::atomic<bool> recycled{false};
    std::atomic<bool> failed{false};
    std::atomic<bool> refused{false};  // an output refused it for good (dropped, counted)
    InputSlot* origin = nullptr;       // null: nothing of its own to acknowledge
    uint64_t cookie = 0;
    /// Earlier batches whose held-back lines this one carries (ordered parsers).
    std::vector<std::pair<InputSlot*, uint64_t>> carried;
};
using InFlightPtr = std::shared_ptr<InFlight>;

struct InputSlot {
    Instance inst;
    TrackedThread thread;
    std::atomic<bool> stop{false};
};

struct OutputSlot {
    OutputSlot(size_t max_events, size_t max_bytes) : queue(max_events, max_bytes) {}
    Instance inst;
    BoundedQueue<InFlightPtr> queue;
    TrackedThread thread;
    std::mutex mu;
    std::condition_variable cv;
    std::unordered_map<uint64_t, InFlightPtr> pending;  // writes answered WEIR_PENDING
    std::deque<InFlightPtr> retry;                      // asynchronously failed writes
    uint64_t next_token = 1;
    uint64_t writing = 0;  // token of the write under way on the writer thread (under mu)
    std::string refusal;   // its reason, if the plugin refused it from inside `write` (under mu)
    std::atomic<bool> abandon{false};
};

struct PipelineCore {
    PipelineCore(size_t qe, size_t qb) : work(qe, qb) {}
    std::string name, file, key;
    BuildEnv env;
    size_t batch_max_events = 2048, batch_max_bytes = 1 << 20;
    size_t queue_max_events = 65536, queue_max_bytes = 16 << 20;
    int workers = 1;
    std::vector<std::unique_ptr<InputSlot>> inputs;
    std::vector<std::unique_ptr<Instance>> parsers;  // one per worker, or one shared
    /// An ordered parser (WEIR_PLUGIN_ORDERED) runs on the input threads, one
    /// batch at a time, not on the workers.
    Instance* ordered = nullptr;
    std::mutex ordered_mu;
    std::unordered_map<std::string, std::vector<std::pair<void*, uint64_t>>> withheld;  // by stream
    TrackedThread ordered_timer;
    std::condition_variable ordered_cv;
    bool ordered_stop = false;                                    // under ordered_mu
    std::vector<std::vector<std::unique_ptr<Instance>>> filters;  // [filter][worker or 0]
    /// A filter declared WEIR_PLUGIN_TIMED: empty flush batches go through
    /// the workers every 100 ms and once at stop.
    bool timed_filters = false;
    TrackedThread filter_timer;
    std::mutex filter_timer_mu;
    std::condition_variable filter_timer_cv;
    bool filter_timer_stop = false;  // under filter_timer_mu
    std::vector<std::unique_ptr<OutputSlot>> outputs;
    BoundedQueue<BatchPtr> work;
    std::vector<TrackedThread> worker_threads;

    std::mutex pool_mu;
    std::vector<BatchPtr> pool;
    size_t pool_max = 8;

    std::atomic<bool> abandon{false};
    /// A thread did not come back after the drain deadline and its grace: the
    /// pipeline's memory and instances stay alive for it (never freed).
    bool wedged = false;
    bool started = false;
    bool stopped = false;
    int64_t started_at_ns = 0;

    // -- batches ---------------------------------------------------------------
    BatchPtr take_batch() {
        {
            std::lock_guard lock(pool_mu);
            if (!pool.empty()) {
                BatchPtr b = std::move(pool.back());
                pool.pop_back();
                return b;
            }
        }
        return std::make_unique<Batch>();
    }
    void recycle(BatchPtr b) {
        if (!b) return;
        b->clear();
        std::lock_guard lock(pool_mu);
        if (pool.size() < pool_max) pool.push_back(std::move(b));
    }

    // -- acknowledgements --------------------------------------------------------
    static void ack_input(InputSlot* origin, uint64_t cookie, bool ok) {
        if (origin && origin->inst.descriptor->input_ack)
            origin->inst.descriptor->input_ack(origin->inst.self, cookie, ok ? WEIR_OK : WEIR_ERROR);
    }
    void finish(const InFlightPtr& inf, bool ok) {
        for (const auto& [origin, cookie] : inf->carried) ack_input(origin, cookie, ok);
        ack_input(inf->origin, inf->cookie, ok);
        if (inf->readers.load() == 0) recycle_once(inf);
    }
    /// An output is done reading the batch (written and copied, or given up).
    void release(const InFlightPtr& inf) {
        if (inf->readers.fetch_sub(1) == 1) recycle_once(inf);
    }
    void recycle_once(const InFlightPtr& inf) {
        if (!inf->recycled.exchange(true)) recycle(std::move(inf->batch));
    }
    static bool buffers(const OutputSlot& o) { return (o.inst.descriptor->flags & WEIR_PLUGIN_BUFFERS) != 0; }
    /// A status in today's meaning: a plugin built before WEIR_RETRY and
    /// WEIR_ERROR meant two things said WEIR_ERROR for "retry" from `write`,
    /// and from `ack` unless it buffers (where it meant "given up").
    static int32_t status_of(const OutputSlot& o, int32_t rc, bool from_ack) {
        if (rc == WEIR_ERROR && o.inst.descriptor->struct_size < WEIR_DESCRIPTOR_RULES_SIZE &&
            !(from_ack && buffers(o)))
            return WEIR_RETRY;
        return rc;
    }
    /// Counts a refused write's events as dropped and marks the batch.
    static void count_refused(OutputSlot& o, InFlight& inf, const std::string& reason) {
        inf.refused.store(true);
        o.inst.ctx->metrics->dropped.add(reason.empty() ? "refused" : reason, inf.events);
    }
    /// The acknowledgements a batch owes, taken out of it before it is recycled.
    static InFlightPtr in_flight(BatchPtr b) {
        auto inf = std::make_shared<InFlight>();
        auto* origin_ctx = static_cast<HostContext*>(b->origin);
        inf->origin = origin_ctx && !b->own_ack_withheld ? origin_ctx->input : nullptr;
        inf->cookie = b->ack_cookie;
        for (const auto& [o, cookie] : b->carried_acks)
            inf->carried.emplace_back(o ? static_cast<HostContext*>(o)->input : nullptr, cookie);
        inf->events = b->size();
        inf->bytes = b->bytes();
        inf->batch = std::move(b);
        return inf;
    }

    // -- ordered parsers -------------------------------------------------------------
    /// Runs the ordered parser on one batch (ordered_mu held) and settles
    /// whose acknowledgement waits for lines it holds back.
    void run_ordered(Batch& b) {
        const int32_t rc = run_stage(*ordered, b);
        b.compact();  // slots of lines joined into other events
        auto it = withheld.find(b.stream);
        if (it != withheld.end() && rc != WEIR_HELD_OLDER) {
            // Earlier batches' held lines are all out now, in this batch.
            // (With WEIR_HELD_OLDER the event they began is still growing.)
            b.carried_acks.insert(b.carried_acks.end(), it->second.begin(), it->second.end());
            withheld.erase(it);
            it = withheld.end();
        }
        const bool own = b.origin != nullptr && b.flush == WEIR_FLUSH_NONE;
        if (own && (rc == WEIR_HELD || rc == WEIR_HELD_OLDER)) {
            if (it == withheld.end()) it = withheld.try_emplace(b.stream).first;
            it->second.emplace_back(b.origin, b.ack_cookie);
            b.own_ack_withheld = true;
        }
        auto& m = *ordered->ctx->metrics;
        m.events_out.fetch_add(b.size(), std::memory_order_relaxed);
        m.bytes_out.fetch_add(b.bytes(), std::memory_order_relaxed);
    }

    /// Timer and shutdown: asks the ordered parser for what it releases, one
    /// stream per call, until a call adds nothing (ordered_mu held).
    void flush_ordered(int32_t mode) {
        for (int k = 0; k < 100000; ++k) {
            BatchPtr t = take_batch();
            t->flush = mode;
            run_ordered(*t);
            if (t->empty() && t->carried_acks.empty()) {
                recycle(std::move(t));
                return;
            }
            const size_t n = t->size(), bytes = t->bytes();
            t->created_ns = event::monotonic_ns();
            BatchPtr item = std::move(t);
            if (!work.push(item, n, bytes)) {
                finish(in_flight(std::move(item)), false);
                return;
            }
            if (n == 0) return;  // acknowledgements only: nothing more to release
        }
    }
    /// Hands the workers an empty batch that asks timed filters for what is
    /// due (WEIR_FLUSH_DUE) or for everything (WEIR_FLUSH_ALL, at stop).
    void flush_filters(int32_t mode) {
        BatchPtr t = take_batch();
        t->flush = mode;
        t->created_ns = event::monotonic_ns();
        const bool ok = mode == WEIR_FLUSH_ALL ? work.push(t, 0, 0) : work.try_push(t, 0, 0);
        if (!ok) recycle(std::move(t));  // a full queue: real batches close the windows anyway
    }
    void complete(const InFlightPtr& inf, bool ok) {
        if (!ok) inf->failed.store(true);
        if (inf->remaining.fetch_sub(1) == 1) finish(inf, !inf->failed.load());
    }

    // -- stages --------------------------------------------------------------------
    /// Runs one parser or filter on a batch; returns what `process` returned.
    static int32_t run_stage(Instance& inst, Batch& b) {
        auto& m = *inst.ctx->metrics;
        m.events_in.fetch_add(b.size(), std::memory_order_relaxed);
        m.bytes_in.fetch_add(b.bytes(), std::memory_order_relaxed);
        const int64_t t0 = event::monotonic_ns();
        const int32_t rc = inst.descriptor->process(inst.self, &b);
        m.batch_latency.observe_ns(event::monotonic_ns() - t0);
        const bool held =
            (inst.descriptor->flags & WEIR_PLUGIN_ORDERED) && (rc == WEIR_HELD || rc == WEIR_HELD_OLDER);
        if (rc != WEIR_OK && !held) m.errors.add("process_failed", 1);
        return rc;
    }

    void dispatch(BatchPtr b) {
        const size_t n = b->size();
        const size_t bytes = b->bytes();
        InFlightPtr inf = in_flight(std::move(b));
        if (n == 0 || outputs.empty()) {
            finish(inf, true);
            return;
        }
        inf->remaining.store(static_cast<int>(outputs.size()));
        inf->readers.store(static_cast<int>(outputs.size()));
        for (auto& o : outputs) {
            InFlightPtr copy = inf;
            if (!o->queue.push(copy, n, bytes)) {
                complete(inf, false);
                release(inf);
                continue;
            }
            o->inst.ctx->metrics->queue_depth.store(static_cast<int64_t>(o->queue.events()));
        }
    }

    void worker_loop(size_t w) {
        Instance* parser = parsers.empty() ? nullptr : parsers[std::min(w, parsers.size() - 1)].get();
        while (auto item = work.pop()) {
            BatchPtr b = std::move(*item);
            if (parser && !ordered) {
                parser->ctx->metrics->queue_depth.store(static_cast<int64_t>(work.events()));
                run_stage(*parser, *b);
                b->compact();  // what a parser drops it has counted itself
                parser->ctx->metrics->events_out.fetch_add(b->size(), std::memory_order_relaxed);
                parser->ctx->metrics->bytes_out.fetch_add(b->bytes(), std::memory_order_relaxed);
            }
            for (auto& per_worker : filters) {
                Instance& f = *per_worker[std::min(w, per_worker.size() - 1)];
                run_stage(f, *b);
                const size_t dropped = b->compact();
                if (dropped) f.ctx->metrics->dropped.add("filtered", dropped);
                f.ctx->metrics->events_out.fetch_add(b->size(), std::memory_order_relaxed);
                f.ctx->metrics->bytes_out.fetch_add(b->bytes(), std::memory_order_relaxed);
            }
            dispatch(std::move(b));
        }
    }

    // -- outputs ---------------------------------------------------------------------
    bool wait_backoff(OutputSlot& o, std::chrono::milliseconds d) {
        std::unique_lock lock(o.mu);
        o.cv.wait_for(lock, d, [&] { return o.abandon.load(); });
        return !o.abandon.load();
    }

    void deliver(OutputSlot& o, const InFlightPtr& inf) {
        auto& m = *o.inst.ctx->metrics;
        auto backoff = kFirstBackoff;
        Batch& b = *inf->batch;
        m.events_in.fetch_add(b.size(), std::memory_order_relaxed);
        m.bytes_in.fetch_add(b.bytes(), std::memory_order_relaxed);
        for (;;) {
            uint64_t token;
            {
                std::lock_guard lock(o.mu);
                token = o.next_token++;
                o.pending.emplace(token, inf);  // the plugin may ack before write returns
                o.writing = token;
            }
            const int64_t t0 = event::monotonic_ns();
            int32_t rc = status_of(o, o.inst.descriptor->write(o.inst.self, &b, token), false);
            m.batch_latency.observe_ns(event::monotonic_ns() - t0);
            std::string refusal;
            {
                std::lock_guard lock(o.mu);
                o.writing = 0;
                refusal.swap(o.refusal);
            }
            if (rc == WEIR_PENDING && !refusal.empty()) rc = WEIR_REFUSED;  // refused inside write after all
            if (rc == WEIR_PENDING) {
                if (buffers(o)) {
                    release(inf);  // it has its own copy and bounds its own backlog
                    return;
                }
                std::unique_lock lock(o.mu);
                o.cv.wait(lock, [&] { return o.pending.size() < kMaxPendingWrites || o.abandon.load(); });
                return;
            }
            {
                std::lock_guard lock(o.mu);
                o.pending.erase(token);
            }
            if (rc == WEIR_OK) {
                m.events_out.fetch_add(b.size(), std::memory_order_relaxed);
                m.bytes_out.fetch_add(b.bytes(), std::memory_order_relaxed);
                complete(inf, true);
                release(inf);
                return;
            }
            if (rc == WEIR_REFUSED) {  // for good: never written again, the inputs go on
                count_refused(o, *inf, refusal);
                complete(inf, true);
                release(inf);
                return;
            }
            m.errors.add("write_failed", 1);
            if (rc == WEIR_ERROR) {  // given up: the inputs hear it was not delivered
                complete(inf, false);
                release(inf);
                return;
            }
            if (!wait_backoff(o, backoff)) {
                complete(inf, false);
                release(inf);
                return;
            }
            backoff = std::min(backoff * 2, kMaxBackoff);
        }
    }

    void output_loop(OutputSlot& o) {
        for (;;) {
            InFlightPtr inf;
            {
                std::lock_guard lock(o.mu);
                if (!o.retry.empty()) {
                    inf = std::move(o.retry.front());
                    o.retry.pop_front();
                }
            }
            if (!inf) {
                auto item = o.queue.pop();
                if (!item) {
                    // Queue closed: wait for outstanding asynchronous writes.
                    std::unique_lock lock(o.mu);
                    o.cv.wait(lock,
                              [&] { return o.abandon.load() || o.pending.empty() || !o.retry.empty(); });
                    if (!o.retry.empty() && !o.abandon.load()) continue;
                    break;
                }
                inf = std::move(*item);
                o.inst.ctx->metrics->queue_depth.store(static_cast<int64_t>(o.queue.events()));
            }
            if (o.abandon.load()) {
                complete(inf, false);
                release(inf);
                continue;
            }
            deliver(o, inf);
        }
        // Anything still waiting is abandoned: not acknowledged, so it is re-read.
        std::vector<InFlightPtr> left, left_released;
        {
            std::lock_guard lock(o.mu);
            // A buffering output let go of its pending batches when it wrote them.
            for (auto& [t, inf] : o.pending) (buffers(o) ? left_released : left).push_back(inf);
            o.pending.clear();
            for (auto& inf : o.retry) left.push_back(inf);
            o.retry.clear();
        }
        for (auto& inf : o.queue.take_all()) left.push_back(inf);
        for (auto& inf : left) {
            complete(inf, false);
            release(inf);
        }
        for (auto& inf : left_released) complete(inf, false);
    }

    /// Settles write `token` as refused for good (see weir_host_api::refuse).
    void refuse(OutputSlot& o, uint64_t token, const char* reason) {
        InFlightPtr inf;
        {
            std::lock_guard lock(o.mu);
            if (token == o.writing) {  // inside `write`: deliver() settles it when write returns
                o.refusal = reason;
                return;
            }
            auto it = o.pending.find(token);
            if (it == o.pending.end()) return;  // abandoned meanwhile
            inf = std::move(it->second);
            o.pending.erase(it);
        }
        o.cv.notify_all();
        count_refused(o, *inf, reason);
        complete(inf, true);
        if (!buffers(o)) release(inf);
    }

    void ack(OutputSlot& o, uint64_t token, int32_t status) {
        status = status_of(o, status, true);
        if (status == WEIR_REFUSED) {
            refuse(o, token, "refused");
            return;
        }
        InFlightPtr inf;
        {
            std::lock_guard lock(o.mu);
            auto it = o.pending.find(token);
            if (it == o.pending.end()) return;  // abandoned meanwhile
            inf = std::move(it->second);
            o.pending.erase(it);
            if (status != WEIR_OK) {
                o.inst.ctx->metrics->errors.add("write_failed", 1);
                // WEIR_ERROR, or WEIR_RETRY from a buffering output whose batch
                // may be recycled already: nothing to write again.
                if (status != WEIR_RETRY || buffers(o)) {
                    o.cv.notify_all();
                    complete(inf, false);
                    if (!buffers(o)) release(inf);
                    return;
                }
                o.retry.push_back(inf);
                inf.reset();
            }
        }
        o.cv.notify_all();
        if (inf) {
            auto& m = *o.inst.ctx->metrics;
            m.events_out.fetch_add(inf->events, std::memory_order_relaxed);
            m.bytes_out.fetch_add(inf->bytes, std::memory_order_relaxed);
            complete(inf, true);
            if (!buffers(o)) release(inf);
        }
    }
};

/// Creates the plugin instance for `stage` (throws std::runtime_error with a
/// positioned one-line message when the plugin refuses).
void make_instance(Instance& inst, PipelineCore& core, const config::StageConfig& stage,
                   const loader::PluginHandle& handle, std::shared_ptr<metrics::InstanceMetrics> m);

}  // namespace weir::runtime
