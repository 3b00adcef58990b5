// The `store:` section of the service file: the daemon's embedded log store.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weir::config {

struct StoreConfig {
    /// false: no store (outputs of `type: store` then fail to start).
    bool enabled = true;
    /// Folder of the partitions; relative paths are under service.data_dir.
    /// Default: <data_dir>/store.
    std::string path;
    /// fsync each commit; false trades the last commits on power loss for speed.
    bool sync = true;
    /// Whole days older than this are deleted (0: keep everything).
    int64_t retention_ns = 0;
    int64_t block_events = 4096;
    /// Threads that build blocks, postings and rollups ahead of the writer.
    int64_t encode_threads = 1;
    /// Fields indexed as field=value; empty: the store's default list.
    std::vector<std::string> index_fields;
    /// Total size kept; the oldest days go past it (0: no bound).
    uint64_t retention_bytes = 0;
    /// Level (upper case) -> age: events of that level older than it are deleted.
    std::map<std::string, int64_t> retention_by_level;
    bool emergency_retention = false;
    bool rollups = true;
    /// Empty: fields whose name contains latency or duration.
    std::vector<std::string> rollup_numeric_fields;
    /// Empty: the store's default list.
    std::vector<std::string> rollup_unique_fields;
};

}  // namespace weir::config
