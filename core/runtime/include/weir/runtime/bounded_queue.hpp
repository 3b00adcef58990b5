#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace weir::runtime {

/// A queue bounded in items' events and bytes. push() blocks while full — the
/// backpressure that makes inputs stop reading. An empty queue always admits
/// one item, so a single oversized batch cannot wedge the pipeline.
template <class T>
class BoundedQueue {
public:
    BoundedQueue(size_t max_events, size_t max_bytes) : max_events_(max_events), max_bytes_(max_bytes) {}

    /// Blocks until there is room. Returns false (item untouched) if the queue
    /// was closed or aborted meanwhile.
    bool push(T& item, size_t events, size_t bytes) {
        std::unique_lock lock(mu_);
        not_full_.wait(lock, [&] { return closed_ || aborted_ || fits(events, bytes); });
        if (closed_ || aborted_) return false;
        put(item, events, bytes);
        lock.unlock();
        not_empty_.notify_one();
        return true;
    }

    /// Like push but never waits; false when full, closed or aborted.
    bool try_push(T& item, size_t events, size_t bytes) {
        std::unique_lock lock(mu_);
        if (closed_ || aborted_ || !fits(events, bytes)) return false;
        put(item, events, bytes);
        lock.unlock();
        not_empty_.notify_one();
        return true;
    }

    /// Blocks for the next item; nullopt once closed and drained (or aborted).
    std::optional<T> pop() {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return !items_.empty() || closed_ || aborted_; });
        if (items_.empty() || aborted_) return std::nullopt;
        Slot s = std::move(items_.front());
        items_.pop_front();
        events_ -= s.events;
        bytes_ -= s.bytes;
        lock.unlock();
        not_full_.notify_all();
        return std::move(s.item);
    }

    /// No more pushes; pop() drains what is left, then returns nullopt.
    void close() {
        {
            std::lock_guard lock(mu_);
            closed_ = true;
        }
        not_full_.notify_all();
        not_empty_.notify_all();
    }

    /// Give up: wake everyone; pop() returns nullopt at once. Remaining items
    /// can be taken with take_all().
    void abort() {
        {
            std::lock_guard lock(mu_);
            aborted_ = true;
        }
        not_full_.notify_all();
        not_empty_.notify_all();
    }

    std::deque<T> take_all() {
        std::lock_guard lock(mu_);
        std::deque<T> out;
        for (auto& s : items_) out.push_back(std::move(s.item));
        items_.clear();
        events_ = bytes_ = 0;
        return out;
    }

    size_t events() const {
        std::lock_guard lock(mu_);
        return events_;
    }

private:
    struct Slot {
        T item;
        size_t events;
        size_t bytes;
    };
    bool fits(size_t events, size_t bytes) const {
        return items_.empty() || (events_ + events <= max_events_ && bytes_ + bytes <= max_bytes_);
    }
    void put(T& item, size_t events, size_t bytes) {
        items_.push_back(Slot{std::move(item), events, bytes});
        events_ += events;
        bytes_ += bytes;
    }

    mutable std::mutex mu_;
    std::condition_variable not_full_;
    std::condition_variable not_empty_;
    std::deque<Slot> items_;
    size_t events_ = 0;
    size_t bytes_ = 0;
    size_t max_events_;
    size_t max_bytes_;
    bool closed_ = false;
    bool aborted_ = false;
};

}  // namespace weir::runtime
