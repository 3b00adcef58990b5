#pragma once

#include <weir/plugin.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <weir/event/arena.hpp>

// The ABI forward-declares this opaque type; the host's Batch derives from it
// so a weir_batch* handed across the boundary is a Batch*.
struct weir_batch {};

namespace weir::event {

/// One entry of an object or array: a key (empty in arrays) and a value.
/// Entries of one container form a singly linked list in insertion order.
struct Entry {
    weir_str key;
    weir_value value;
    uint32_t next;  // 0: last
};

struct Container {
    uint32_t first;  // 0: empty
    uint32_t last;
    int32_t type;  // WEIR_VAL_OBJECT or WEIR_VAL_ARRAY
};

struct EventRecord {
    int64_t time_ns;
    weir_str body;
    uint32_t flags;
    weir_node root;  // object holding the fields
};

/// A batch of events. It owns every byte its events refer to (in its arena)
/// and is recycled whole: after clear() its vectors and arena keep their
/// capacity, so steady-state processing allocates nothing per event.
///
/// Not thread-safe: one thread holds a batch at a time.
class Batch : public weir_batch {
public:
    Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    size_t size() const { return events_.size(); }
    bool empty() const { return events_.empty(); }
    /// Sum of body sizes.
    size_t bytes() const { return bytes_; }
    /// Approximate memory held (capacity of arena and tables).
    size_t memory() const;

    /// Append an event. The body is copied unless `borrow` (already in this arena or static).
    size_t add(std::string_view body, int64_t time_ns, uint32_t flags = 0, bool borrow = false);
    EventRecord& event(size_t i) { return events_[i]; }
    const EventRecord& event(size_t i) const { return events_[i]; }
    std::string_view body(size_t i) const { return {events_[i].body.data, events_[i].body.size}; }
    void set_body(size_t i, std::string_view body, bool borrow = false);

    Arena& arena() { return arena_; }

    // ---- object model ----------------------------------------------------------
    weir_node new_container(int32_t type);
    /// See weir_host_api::put.
    weir_node put(weir_node parent, std::string_view key, const weir_value& v, uint32_t flags);
    bool get(weir_node parent, std::string_view key, weir_value* out) const;
    bool remove(weir_node parent, std::string_view key);
    weir_entry first(weir_node parent) const { return parent ? containers_[parent].first : 0; }
    weir_entry next(weir_entry e) const { return e ? entries_[e].next : 0; }
    const Entry& entry(weir_entry e) const { return entries_[e]; }
    const Container& container(weir_node n) const { return containers_[n]; }

    /// Remove events flagged WEIR_EVENT_DROPPED; returns how many went.
    size_t compact();
    /// Forget all events, keeping capacity.
    void clear();

    /// The event rendered as one JSON line (see json_writer.hpp), in a buffer
    /// of the calling thread valid until its next to_json call. Read-only.
    std::string_view to_json(size_t i) const;

    // ---- bookkeeping used by the runtime, not by plugins ---------------------------
    uint64_t ack_cookie = 0;
    void* origin = nullptr;  // the input that made it
    int64_t created_ns = 0;  // monotonic time of the first event, for latency
    uint64_t sequence = 0;
    std::string stream;  // which stream of its input (a file, a connection)
    int32_t flush = 0;   // WEIR_FLUSH_* for an ordered parser's empty batches
    /// Acknowledgements this batch carries for earlier batches whose lines an
    /// ordered parser held back: (origin, cookie) pairs, in emission order.
    std::vector<std::pair<void*, uint64_t>> carried_acks;
    bool own_ack_withheld = false;  // ack_cookie is carried by a later batch instead

private:
    Arena arena_;
    std::vector<EventRecord> events_;
    std::vector<Entry> entries_;         // [0] unused: 0 means "none"
    std::vector<Container> containers_;  // [0] unused
    size_t bytes_ = 0;
};

inline Batch* from_c(weir_batch* b) { return static_cast<Batch*>(b); }
inline const Batch* from_c(const weir_batch* b) { return static_cast<const Batch*>(b); }

}  // namespace weir::event
