// The http output's queue of encoded requests, oldest first. Requests live
// in memory up to a bound on the memory they hold; beyond it (and at once
// while the endpoint is failing) they are written to the spool directory,
// one file per request, itself bounded. A request is acknowledged as soon as
// it is safely in the spool (file fsynced, renamed, directory fsynced): from
// then on a crash replays it from disk instead of re-reading its lines.
// Spooled requests of an earlier run are loaded at start and sent first.
// Thread-safe.
#pragma once

#include <chrono>
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

/// Bookkeeping charged to each request held in memory on top of its body:
/// the request itself, its queue slot, and what the host keeps per batch
/// whose acknowledgement waits for it.
inline constexpr size_t kRequestOverhead = 256;
inline constexpr size_t kPerTokenOverhead = 192;

struct Request {
    uint64_t seq = 0;
    size_t events = 0;
    std::string body;  // empty while spooled
    std::string path;  // the spool file, if spooled
    size_t size = 0;   // charged bytes: memory held (in memory) or file size (spooled)
    std::vector<uint64_t>
        tokens;  // acknowledgements still owed (none once spooled, none from an earlier run)
    bool spooled() const { return !path.empty(); }
};

/// The memory a request in memory holds: its body as allocated (capacity,
/// not length), its tokens and the per-request bookkeeping.
size_t memory_held(const Request& r);

class RequestQueue {
public:
    struct Limits {
        size_t memory_bytes = 8u << 20;
        size_t spool_bytes = 256u << 20;
        SpoolFull on_full = SpoolFull::Block;
        /// After a failed spool write, the next attempt waits this long.
        std::chrono::milliseconds spool_retry{1000};
    };
    /// Called (outside the lock) for requests given up: reason is
    /// "spool_full", "spool_write_failed" or "spool_unreadable".
    using OnDrop = std::function<void(Request&, const char* reason)>;
    /// Called (outside the lock) when requests are safely in the spool, with
    /// the acknowledgements they owed and how many events they hold.
    using OnSpooled = std::function<void(const std::vector<uint64_t>& tokens, size_t events)>;
    RequestQueue(std::string dir, Limits limits, OnDrop on_drop, OnSpooled on_spooled = {});

    /// Loads requests spooled by an earlier run (oldest first). Returns how many.
    size_t recover(std::string& error);
    enum class Placed { Memory, Spool, Dropped, Closed };
    /// Adds a request at the back, numbering it: in memory while within the
    /// bound (in the spool first while prefer_spool is on), else in the
    /// spool, else spool_full applies. With SpoolFull::Block and `may_block`
    /// it waits for room (retrying a failing spool every spool_retry) or
    /// close(); without `may_block` it is then kept in memory over the bound.
    Placed push(Request r, bool may_block = true);
    /// With SpoolFull::Block, waits until a request could be placed (or
    /// close()); returns at once for the drop policies.
    void wait_for_room();
    /// The oldest request (body loaded if spooled), waiting up to `wait`.
    std::optional<Request> front(std::chrono::milliseconds wait);
    /// The request was delivered (or refused): removes it and its file and
    /// returns the acknowledgements it still owed.
    std::vector<uint64_t> pop_front(uint64_t seq);
    /// While on (the endpoint is failing), new requests go to the spool
    /// before memory, so that they are acknowledged at once.
    void set_prefer_spool(bool on);
    /// Writes in-memory requests to the spool while it has room and works
    /// (the endpoint is failing). Returns how many were written.
    size_t spill_memory();
    /// Writes every in-memory request to the spool (at shutdown). Returns how
    /// many could not be written (spool full or disk errors).
    size_t spool_all();
    void close();

    size_t memory_bytes() const;
    size_t spool_bytes() const;
    size_t size() const;

    /// Failed spool writes since the last call, and the last error, for the
    /// log and metrics; `recovered` when a write succeeded after failures.
    struct SpoolErrors {
        uint64_t failures = 0;
        std::string last_error;
        bool recovered = false;
    };
    SpoolErrors take_spool_errors();

private:
    struct Done {  // callbacks to run once the lock is released
        std::vector<std::pair<Request, const char*>> dropped;
        std::vector<uint64_t> acked;
        size_t spooled_events = 0;
    };
    void finish(Done& done);
    bool spool_usable_locked() const;
    bool spill_locked(Request& r, Done& done);  // writes r's body to a file; false on error
    std::string file_for(uint64_t seq) const;

    std::string dir_;
    Limits limits_;
    OnDrop on_drop_;
    OnSpooled on_spooled_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Request> q_;
    size_t memory_ = 0;
    size_t spool_ = 0;
    uint64_t last_seq_ = 0;
    bool closed_ = false;
    bool prefer_spool_ = false;
    bool spool_failing_ = false;
    std::chrono::steady_clock::time_point spool_failed_at_{};
    SpoolErrors errors_;
};

}  // namespace weir::http_output
