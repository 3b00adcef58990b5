// Which part of each file every output has acknowledged, and its persistence.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace weir::inputs {

/// What the first bytes of a file hash to, so a reused inode is not taken
/// for the file that had it before (and a file rewritten from the start is
/// noticed). `len` grows with the file up to kFingerprintBytes.
struct Fingerprint {
    uint32_t len = 0;
    uint64_t hash = 0;
    bool operator==(const Fingerprint&) const = default;
};
inline constexpr uint32_t kFingerprintBytes = 256;

/// What a checkpoint file says about one file.
struct Saved {
    uint64_t offset = 0;
    Fingerprint fp;
    bool has_fp = false;  // checkpoints written before fingerprints have none
    std::string path;     // where the file was when the checkpoint was written
};

/// A file's identity: it survives renames (rotation) but not replacement.
struct FileKey {
    uint64_t dev = 0;
    uint64_t ino = 0;
    bool operator<(const FileKey& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
    bool operator==(const FileKey& o) const { return dev == o.dev && ino == o.ino; }
};

/// Tracks emitted batches per file and advances a file's committed offset
/// only across the contiguous prefix of acknowledged batches, so acks that
/// arrive out of order never move a checkpoint past an unacknowledged line.
/// Thread-safe: emits come from the input thread, acks from output threads.
class CheckpointTracker {
public:
    /// Starts tracking a file whose lines before `offset` are already committed.
    void track(const FileKey& key, const std::string& path, uint64_t offset, Fingerprint fp = {});
    void set_fingerprint(const FileKey& key, Fingerprint fp);
    void set_path(const FileKey& key, const std::string& path);
    /// Forget pending batches of a file and commit `offset` (truncation).
    void reset(const FileKey& key, uint64_t offset);
    void forget(const FileKey& key);
    /// A batch covering the file up to `end` went out with `cookie`.
    void emitted(const FileKey& key, uint64_t cookie, uint64_t end);
    /// Returns true if a committed offset moved.
    bool acked(uint64_t cookie, bool delivered);
    /// Committed offset of a file (0 if unknown).
    uint64_t committed(const FileKey& key) const;
    /// Batches emitted but not yet acknowledged, over all files.
    size_t pending() const;
    /// Files tracked.
    size_t files() const;
    /// "dev ino offset fp=len:hash path\n" per file, sorted.
    std::string serialize() const;
    /// Parses what serialize() wrote (and the older form without fp=);
    /// unknown lines are skipped.
    static std::map<FileKey, Saved> parse(const std::string& text);

private:
    struct Pending {
        uint64_t cookie;
        uint64_t end;
        bool acked = false;
        bool failed = false;
    };
    struct File {
        std::string path;
        uint64_t committed = 0;
        Fingerprint fp;
        std::deque<Pending> pending;
    };
    mutable std::mutex mu_;
    std::map<FileKey, File> files_;
    std::unordered_map<uint64_t, FileKey> owner_;
};

/// Writes checkpoints to one small file, replacing its content with a single
/// pwrite (padded with newlines, never truncated): a crash leaves either the
/// old or the new text, never a mix.
class CheckpointFile {
public:
    explicit CheckpointFile(std::string path) : path_(std::move(path)) {}
    ~CheckpointFile();
    std::string read() const;
    bool write(const std::string& text);
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    size_t written_ = 0;
};

}  // namespace weir::inputs
