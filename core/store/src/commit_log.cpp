// The commit log: each commit records, in every partition it wrote, the
// range of blocks it wrote there (key: its seq). The live tail reads it to
// give a reconnecting client exactly the rows committed after its cursor, and
// the store restarts its commit seq from the newest one recorded.
#include <lmdb.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <shared_mutex>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>

#include "bytes.hpp"
#include "store_impl.hpp"

namespace weir::store {

std::string CommitPos::to_cursor() const {
    if (*this == end_of(seq)) return std::to_string(seq);
    char buf[128];
    std::snprintf(buf, sizeof buf, "%llu-%lld-%llu-%u", static_cast<unsigned long long>(seq),
                  static_cast<long long>(day), static_cast<unsigned long long>(block), row);
    return buf;
}

std::optional<CommitPos> CommitPos::from_cursor(std::string_view text) {
    if (text.empty() || text.size() > 100 || text.front() < '0' || text.front() > '9') return std::nullopt;
    unsigned long long seq, block;
    long long day;
    unsigned row;
    char tail;
    const std::string s(text);
    if (s.find_first_not_of("0123456789") == std::string::npos && s.size() <= 19)
        return end_of(std::stoull(s));
    if (std::sscanf(s.c_str(), "%llu-%lld-%llu-%u%c", &seq, &day, &block, &row, &tail) != 4)
        return std::nullopt;
    return CommitPos{seq, day, block, row};
}

}  // namespace weir::store

namespace weir::store::detail {
namespace {

struct LogView {
    std::shared_ptr<Partition> p;
    std::shared_lock<std::shared_mutex> lock;
    MDB_txn* txn = nullptr;
    LogView() = default;
    LogView(const LogView&) = delete;
    LogView& operator=(const LogView&) = delete;
    ~LogView() {
        if (txn) mdb_txn_abort(txn);
    }
};

std::unique_ptr<LogView> open_log(std::shared_ptr<Partition> p) {
    if (!p->commits) return nullptr;
    auto v = std::make_unique<LogView>();
    v->p = std::move(p);
    v->lock = std::shared_lock(v->p->mu);
    if (mdb_txn_begin(v->p->env, nullptr, MDB_RDONLY, &v->txn)) {
        v->txn = nullptr;
        return nullptr;
    }
    return v;
}

struct Cursor {
    MDB_cursor* c = nullptr;
    Cursor(MDB_txn* txn, MDB_dbi dbi) {
        if (mdb_cursor_open(txn, dbi, &c)) c = nullptr;
    }
    ~Cursor() {
        if (c) mdb_cursor_close(c);
    }
};

/// One commit's blocks in one partition.
struct Span {
    uint64_t seq = 0, first = 0, last = 0;
    size_t view = 0;
    int64_t day = 0;
};

bool decode_span(const MDB_val& k, const MDB_val& v, Span& s) {
    if (k.mv_size != 8 || v.mv_size != 16) return false;
    s.seq = get_be64(static_cast<const char*>(k.mv_data));
    s.first = get_be64(static_cast<const char*>(v.mv_data));
    s.last = get_be64(static_cast<const char*>(v.mv_data) + 8);
    return s.first <= s.last;
}

bool tenant_ok(const event::Batch& b, size_t i, const std::string& tenant) {
    if (tenant.empty()) return true;
    weir_value v;
    return b.get(b.event(i).root, "tenant", &v) && v.type == WEIR_VAL_STRING &&
           std::string_view(v.as.s.data, v.as.s.size) == tenant;
}

}  // namespace

uint64_t StoreImpl::newest_persisted_seq() {
    uint64_t newest = 0;
    std::vector<std::shared_ptr<Partition>> parts;
    {
        std::lock_guard lock(parts_mu_);
        for (const auto& [day, p] : parts_) parts.push_back(p);
    }
    for (auto& p : parts) {
        auto v = open_log(p);
        if (!v) continue;
        Cursor c(v->txn, p->commits);
        MDB_val k, val;
        if (c.c && mdb_cursor_get(c.c, &k, &val, MDB_LAST) == 0 && k.mv_size == 8)
            newest = std::max(newest, get_be64(static_cast<const char*>(k.mv_data)));
    }
    return newest;
}

std::optional<uint64_t> StoreImpl::commit_of(const RowRef& ref) {
    auto p = partition(ref.day, false);
    if (!p) return std::nullopt;
    auto v = open_log(p);
    if (!v) return std::nullopt;
    Cursor c(v->txn, p->commits);
    if (!c.c) return std::nullopt;
    // Block ranges grow with the seq: walk back from the newest commit (the
    // tail asks about recent events).
    MDB_val k, val;
    for (int rc = mdb_cursor_get(c.c, &k, &val, MDB_LAST); rc == 0;
         rc = mdb_cursor_get(c.c, &k, &val, MDB_PREV)) {
        Span s;
        if (!decode_span(k, val, s)) continue;
        if (ref.block > s.last) return std::nullopt;  // written by no recorded commit
        if (ref.block >= s.first) return s.seq;
    }
    return std::nullopt;
}

ReplayResult StoreImpl::replay(const ReplayRequest& req) {
    ReplayResult res;
    res.reached = req.after;
    const uint64_t upto = commit_seq_.load();  // every partition of these commits is durable
    if (req.after.seq > upto) return res;
    std::vector<std::shared_ptr<Partition>> parts;
    {
        std::lock_guard lock(parts_mu_);
        for (const auto& [day, p] : parts_) parts.push_back(p);
    }
    std::vector<std::unique_ptr<LogView>> views;
    std::vector<Span> spans;
    for (auto& p : parts) {
        auto v = open_log(p);
        if (!v) continue;
        Cursor c(v->txn, p->commits);
        if (!c.c) continue;
        std::string key;
        put_be64(key, req.after.seq);
        MDB_val k{key.size(), key.data()}, val;
        for (int rc = mdb_cursor_get(c.c, &k, &val, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(c.c, &k, &val, MDB_NEXT)) {
            Span s;
            if (!decode_span(k, val, s)) continue;
            if (s.seq > upto) break;
            s.view = views.size();
            s.day = p->day;
            spans.push_back(s);
        }
        views.push_back(std::move(v));
    }
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return a.seq != b.seq ? a.seq < b.seq : a.day < b.day; });
    ZSTD_DCtx* dctx = ZSTD_createDCtx();
    event::Batch b;
    const size_t limit = std::max<size_t>(req.limit, 1);
    for (const Span& s : spans) {
        LogView& v = *views[s.view];
        for (uint64_t block = s.first; block <= s.last; ++block) {
            if (CommitPos{s.seq, s.day, block, std::numeric_limits<uint32_t>::max()} <= req.after) continue;
            std::string key;
            put_be64(key, block);
            MDB_val k{key.size(), key.data()}, val;
            if (mdb_get(v.txn, v.p->blocks, &k, &val)) continue;  // deleted by retention
            b.clear();
            if (!decode_block({static_cast<const char*>(val.mv_data), val.mv_size}, b, dctx)) {
                corrupt_blocks_.fetch_add(1);
                continue;
            }
            for (size_t i = 0; i < b.size(); ++i) {
                const CommitPos pos{s.seq, s.day, block, static_cast<uint32_t>(i)};
                if (pos <= req.after) continue;
                res.reached = pos;
                if (!tenant_ok(b, i, req.tenant)) continue;
                if (req.condition && !req.condition->matches(b, i)) continue;
                res.events.emplace_back(b.to_json(i));
                res.refs.push_back(RowRef{b.event(i).time_ns, s.day, block, static_cast<uint32_t>(i)});
                res.positions.push_back(pos);
                if (res.events.size() >= limit) {
                    res.more = true;
                    ZSTD_freeDCtx(dctx);
                    return res;
                }
            }
        }
    }
    ZSTD_freeDCtx(dctx);
    return res;
}

}  // namespace weir::store::detail
