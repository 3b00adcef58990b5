#include "partition.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <stdexcept>
#include <weir/store/block.hpp>

#include "bytes.hpp"

namespace weir::store::detail {
namespace {

[[noreturn]] void lmdb_fail(const std::string& dir, const char* what, int rc) {
    throw std::runtime_error("store partition " + dir + ": " + what + ": " + mdb_strerror(rc));
}

}  // namespace

Partition::Partition(int64_t d, std::string folder, bool sync, uint64_t initial_map_bytes, bool read_only)
    : day(d), dir(std::move(folder)) {
    std::error_code ec;
    const bool fresh = !std::filesystem::exists(dir + "/data.mdb", ec);
    if (read_only && fresh) throw std::runtime_error("store partition " + dir + ": no data.mdb");
    if (!read_only) std::filesystem::create_directories(dir, ec);
    if (ec)
        throw std::runtime_error("store partition " + dir + ": cannot create the folder: " + ec.message());
    // LMDB maps the file: a new environment whose first pages could not be
    // written would fault on the first read. Refuse to start one without room.
    if (fresh && free_bytes() < kMinFreeBytes) {
        std::filesystem::remove_all(dir, ec);
        throw std::runtime_error("disk full: no room for a new partition in " + dir);
    }
    int rc = mdb_env_create(&env);
    if (rc) lmdb_fail(dir, "mdb_env_create", rc);
    mdb_env_set_maxdbs(env, 8);
    map_size_ = initial_map_bytes;
    const uint64_t existing = file_bytes();
    while (map_size_ < existing + (existing / 2)) map_size_ *= 2;
    mdb_env_set_mapsize(env, map_size_);
    // NOTLS: read transactions are not tied to threads (queries run on API
    // workers). No WRITEMAP: a stray write cannot corrupt the file.
    const unsigned flags = MDB_NOTLS | (sync ? 0u : MDB_NOSYNC) | (read_only ? MDB_RDONLY : 0u);
    rc = mdb_env_open(env, dir.c_str(), flags, 0640);
    if (rc) {
        mdb_env_close(env);
        env = nullptr;
        lmdb_fail(dir, "mdb_env_open", rc);
    }
    MDB_txn* txn = nullptr;
    const unsigned create = read_only ? 0u : MDB_CREATE;
    rc = mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0u, &txn);
    if (!rc) rc = mdb_dbi_open(txn, "blocks", create, &blocks);
    if (!rc) rc = mdb_dbi_open(txn, "terms", create, &terms);
    if (!rc) rc = mdb_dbi_open(txn, "rollups", create, &rollups);
    if (!rc) rc = mdb_dbi_open(txn, "frames", create, &frames);
    if (!rc) {
        // Partitions written before commits were recorded have no such
        // database: opened read-only they simply have no commit log.
        const int c = mdb_dbi_open(txn, "commits", create, &commits);
        if (c == MDB_NOTFOUND && read_only)
            commits = 0;
        else
            rc = c;
    }
    if (!rc) {
        rc = mdb_txn_commit(txn);
        txn = nullptr;
    }
    if (rc) {
        if (txn) mdb_txn_abort(txn);
        mdb_env_close(env);
        env = nullptr;
        if (fresh && !read_only) std::filesystem::remove_all(dir, ec);
        lmdb_fail(dir, "opening the databases", rc);
    }
    load_metas();
}

Partition::~Partition() {
    if (env) mdb_env_close(env);
}

void Partition::load_metas() {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) return;
    MDB_cursor* cur = nullptr;
    if (mdb_cursor_open(txn, blocks, &cur) == 0) {
        MDB_val k, v;
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size != 8) continue;
            const uint64_t id = get_be64(static_cast<const char*>(k.mv_data));
            BlockHeader h;
            // A block that does not decode stays on disk and is reported by
            // queries that read it; the zone map then covers all time.
            BlockMeta m{id, INT64_MIN, INT64_MAX, 0};
            if (decode_block_header({static_cast<const char*>(v.mv_data), v.mv_size}, h))
                m = BlockMeta{id, h.min_ns, h.max_ns, h.count};
            metas_.push_back(m);
            events_ += m.count;
            next_id_ = std::max(next_id_, id + 1);
        }
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
}

std::vector<BlockMeta> Partition::metas() const {
    std::lock_guard lock(meta_mu_);
    return metas_;
}
void Partition::add_meta(const BlockMeta& m) {
    std::lock_guard lock(meta_mu_);
    metas_.push_back(m);
    events_ += m.count;
    next_id_ = std::max(next_id_, m.id + 1);
}
void Partition::set_metas(std::vector<BlockMeta> metas) {
    std::lock_guard lock(meta_mu_);
    metas_ = std::move(metas);
    events_ = 0;
    for (const auto& m : metas_) {
        events_ += m.count;
        next_id_ = std::max(next_id_, m.id + 1);
    }
}
uint64_t Partition::next_block_id() const {
    std::lock_guard lock(meta_mu_);
    return next_id_;
}
size_t Partition::block_count() const {
    std::lock_guard lock(meta_mu_);
    return metas_.size();
}
uint64_t Partition::events() const {
    std::lock_guard lock(meta_mu_);
    return events_;
}

uint64_t Partition::file_bytes() const {
    struct stat st {};
    if (::stat((dir + "/data.mdb").c_str(), &st) != 0) return 0;
    return static_cast<uint64_t>(st.st_size);
}

uint64_t Partition::free_bytes() const {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0) return UINT64_MAX;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

uint64_t Partition::room_needed(uint64_t extra) const {
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(env, &info) || mdb_env_stat(env, &st)) return 0;
    const uint64_t used = (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
    // Copy-on-write needs room for the new pages before the old are freed.
    const uint64_t want = used + 3 * extra + (8ull << 20);
    return want <= map_size_ ? 0 : want;
}

bool Partition::ensure_room(uint64_t extra) {
    const uint64_t want = room_needed(extra);
    if (!want) return false;
    uint64_t size = map_size_;
    while (size < want) size *= 2;
    if (mdb_env_set_mapsize(env, size)) return false;
    map_size_ = size;
    return true;
}

bool Partition::grow() {
    if (mdb_env_set_mapsize(env, map_size_ * 2)) return false;
    map_size_ *= 2;
    return true;
}

}  // namespace weir::store::detail
