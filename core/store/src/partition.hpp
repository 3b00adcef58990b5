// Internal: one time partition (a UTC day), its own LMDB environment.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace weir::store::detail {

/// A block's zone map, kept in memory so planning reads no block.
struct BlockMeta {
    uint64_t id = 0;
    int64_t min_ns = 0, max_ns = 0;
    uint32_t count = 0;
};

class Partition {
public:
    /// Opens (creating when `create`) the environment in `dir`. Throws
    /// std::runtime_error naming the folder. `read_only`: MDB_RDONLY, nothing
    /// created (another process may be writing it).
    Partition(int64_t day, std::string dir, bool sync, uint64_t initial_map_bytes, bool read_only = false);
    ~Partition();
    Partition(const Partition&) = delete;
    Partition& operator=(const Partition&) = delete;

    const int64_t day;
    const std::string dir;
    MDB_env* env = nullptr;
    MDB_dbi blocks = 0;   // u64 big-endian block id -> block
    MDB_dbi terms = 0;    // term key -> roaring bitmap of block ids + CRC
    MDB_dbi rollups = 0;  // minute key -> the minute's rollup + CRC (rollup.hpp)
    MDB_dbi frames = 0;   // term key -> roaring bitmap of frame ids (block << 5 | frame) + CRC
    /// u64 big-endian commit seq -> u64 big-endian first and last block id the
    /// commit wrote here (the live tail's cursor replay). 0: none (read-only
    /// open of a partition written before commits were recorded).
    MDB_dbi commits = 0;

    /// Shared while a read transaction is open; exclusive to resize the map
    /// or close the environment (LMDB needs no transaction open for either).
    std::shared_mutex mu;

    std::vector<BlockMeta> metas() const;
    void add_meta(const BlockMeta& m);
    /// Replaces the zone maps after retention rewrote or deleted blocks.
    void set_metas(std::vector<BlockMeta> metas);
    uint64_t next_block_id() const;
    uint64_t events() const;
    size_t block_count() const;

    /// Grows the map so that `extra` more bytes fit with room to spare. Call
    /// with `mu` held exclusively. Returns true when it grew.
    bool ensure_room(uint64_t extra);
    /// The map size `extra` more bytes need, or 0 when they fit. Only the
    /// writer changes the map, so it may ask without the lock.
    uint64_t room_needed(uint64_t extra) const;
    /// Doubles the map (after MDB_MAP_FULL). Call with `mu` held exclusively.
    bool grow();
    uint64_t file_bytes() const;
    /// Space left on the partition's filesystem.
    uint64_t free_bytes() const;
    /// What a commit or a new partition needs free before it is tried: LMDB
    /// maps its file, and a page it could not write would fault when read.
    static constexpr uint64_t kMinFreeBytes = 1ull << 20;

private:
    void load_metas();
    mutable std::mutex meta_mu_;
    std::vector<BlockMeta> metas_;
    uint64_t next_id_ = 1;
    uint64_t events_ = 0;
    uint64_t map_size_ = 0;
};

}  // namespace weir::store::detail
