// The http output's queue of encoded requests, oldest first. Requests live
// in memory up to a byte bound; beyond it the newest are written to the
// spool directory (one file per request), which is itself bounded. Spooled
// requests of an earlier run are loaded at start and sent first. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace weir::http_output {

enum class SpoolFull { Block, DropNewest, DropOldest };

struct Request {
    uint64_t seq = 0;
    size_t events = 0;
    std::string body;   // empty while spooled
    std::string path;   // the spool file, if spooled
    size_t size = 0;    // body bytes (in memory or on disk)
    std::vector<uint64_t> tokens;  // host acknowledgements waiting for this request (none from an earlier run)
    bool spooled() const { return !path.empty(); }
};

class RequestQueue {
public:
    struct Limits {
        size_t memory_bytes = 8u << 20;
        size_t spool_bytes = 256u << 20;
        SpoolFull on_full = SpoolFull::Block;
    };
    /// Called (outside the lock) for requests dropped by a full spool.
    using OnDrop = std::function<void(Request&)>;
    RequestQueue(std::string dir, Limits limits, OnDrop on_drop);

    /// Loads requests spooled by an earlier run (oldest first). Returns how many.
    size_t recover(std::string& error);
    enum class Placed { Memory, Spool, Dropped, Closed };
    /// Adds a request at the back, numbering it. With SpoolFull::Block and
    /// `may_block`, waits while memory and spool are both full (or until
    /// close()); without `may_block` it is then kept in memory over the bound.
    Placed push(Request r, bool may_block = true);
    /// The oldest request (body loaded if spooled), waiting up to `wait`.
    std::optional<Request> front(std::chrono::milliseconds wait);
    /// The front request was delivered (or dropped): remove it and its file.
    void pop_front(uint64_t seq);
    /// Writes every in-memory request to the spool (at shutdown). Returns how
    /// many could not be written (spool full or disk errors).
    size_t spool_all();
    void close();

    size_t memory_bytes() const;
    size_t spool_bytes() const;
    size_t size() const;
    /// Last disk error (spool writes), for the log.
    std::string last_error() const;

private:
    bool spill_locked(Request& r);  // writes r's body to a file; false on error
    void make_room_locked(std::vector<Request>& dropped);
    std::string file_for(uint64_t seq) const;

    std::string dir_;
    Limits limits_;
    OnDrop on_drop_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Request> q_;
    size_t memory_ = 0;
    size_t spool_ = 0;
    uint64_t last_seq_ = 0;
    bool closed_ = false;
    std::string last_error_;
};

}  // namespace weir::http_output
