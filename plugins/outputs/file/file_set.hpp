// The files one file output writes: open on first use, at most
// max_open_files descriptors (the least recently used is closed), each file
// rotated by size and time, written in chunks of at most about kWriteChunk
// bytes (one write(2) per file per batch for ordinary batches), rolled back
// when a batch fails so a retry does not duplicate lines.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <weir/sdk.hpp>

#include "compressor.hpp"

namespace weir::file_output {

struct FileSettings {
    uint64_t rotate_size = 0;        // bytes; 0: never by size
    int64_t rotate_interval_ns = 0;  // 0: never by time
    int64_t max_files = 0;           // rotated files kept per path; 0: all
    bool compress = false;           // gzip rotated files
    bool fsync_each = false;         // fdatasync before acknowledging
    int64_t fsync_interval_ns = 0;   // fdatasync at most this often; 0: never
    size_t max_open_files = 64;
};

/// Why a batch could not be written: the counter reason, and one sentence.
struct WriteFailure {
    const char* reason;  // disk_full, permission_denied, io_error
    std::string message;
};

/// errno as the reason a write failure is counted under.
const char* failure_reason(int err);

class FileSet {
public:
    struct Slot;

    FileSet(const Context& ctx, FileSettings settings);
    ~FileSet();
    FileSet(const FileSet&) = delete;
    FileSet& operator=(const FileSet&) = delete;

    /// The slot of `path`; valid until the next commit().
    Slot* slot(const std::string& path);
    /// Bytes a file's pending text may reach before it is written, before the
    /// batch ends: the rendered text then stays small (and in the CPU cache
    /// when the kernel copies it) whatever the size of the batch.
    static constexpr size_t kWriteChunk = 256u << 10;

    /// The bytes waiting for `slot` in this batch; append whole lines, then
    /// call appended().
    std::string& pending(Slot* slot);
    /// After whole lines were appended to pending(slot): writes them now once
    /// they reach kWriteChunk. A failure is kept and returned by commit(),
    /// which rolls the batch back as if it had been written at once.
    inline void appended(Slot* slot);
    /// Writes every slot's pending bytes (one write(2) per file, unless
    /// rotation splits it), syncs as configured. On failure the files of this
    /// batch are truncated back to where they were and the failure returned.
    std::optional<WriteFailure> commit();
    /// Drops what the current batch rendered (nothing is written).
    void discard();
    /// Close every file: the next write opens the paths again (SIGHUP, after
    /// logrotate renamed them). Any thread.
    void request_reopen() { reopen_generation_.fetch_add(1, std::memory_order_relaxed); }
    /// Sync what was written since the last sync (shutdown).
    std::optional<WriteFailure> sync();

    size_t open_files() const { return open_.size(); }

private:
    void close_file(Slot& s);
    int open_file(Slot& s);  // 0 or errno
    int rotate(Slot& s);     // 0 or errno
    int write_slot(Slot& s, std::string* failed_op);
    void shift_rotated(const std::string& path);
    void rollback();
    void prune();
    int64_t period_of(int64_t time_ns) const;
    void write_early(Slot& s);
    void start_writing();

    Context ctx_;
    FileSettings settings_;
    std::unique_ptr<Compressor> compressor_;
    std::unordered_map<std::string, std::unique_ptr<Slot>> slots_;
    std::list<Slot*> open_;  // open descriptors, most recently used first
    std::vector<Slot*> touched_;
    std::atomic<uint64_t> reopen_generation_{0};
    uint64_t seen_generation_ = 0;
    int64_t last_sync_ns_ = 0;
    bool writing_ = false;                 // this batch wrote (or tried to write) some bytes
    std::optional<WriteFailure> failure_;  // an early write of this batch failed
};

struct FileSet::Slot {
    std::string path;
    int fd = -1;
    uint64_t size = 0;   // bytes in the file (as this writer knows it)
    int64_t period = 0;  // rotate_interval period the file belongs to
    std::string pending;
    bool touched = false;  // in touched_ this batch
    bool rotated = false;  // rotated during this batch: no rollback
    bool dirty = false;    // written since the last sync
    uint64_t batch_start = 0;
    bool has_batch_start = false;
    std::list<Slot*>::iterator lru;
};

inline void FileSet::appended(Slot* s) {
    if (s->pending.size() >= kWriteChunk) write_early(*s);
}

}  // namespace weir::file_output
