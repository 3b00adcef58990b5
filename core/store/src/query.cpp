// Searches and aggregations on MVCC snapshots: each partition is read in one
// short read transaction, so a heavy query never stalls the writer.
#include <roaring/roaring.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <queue>
#include <shared_mutex>
#include <unordered_map>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>
#include <weir/store/term_index.hpp>

#include "bytes.hpp"
#include "store_impl.hpp"

namespace weir::store {

std::string RowRef::to_cursor() const {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%lld.%lld.%llu.%u", static_cast<long long>(time_ns),
                  static_cast<long long>(day), static_cast<unsigned long long>(block), row);
    return buf;
}

std::optional<RowRef> RowRef::from_cursor(std::string_view text) {
    RowRef r;
    long long t, d;
    unsigned long long b;
    unsigned row;
    char tail;
    const std::string s(text);
    if (std::sscanf(s.c_str(), "%lld.%lld.%llu.%u%c", &t, &d, &b, &row, &tail) != 4) return std::nullopt;
    r.time_ns = t;
    r.day = d;
    r.block = b;
    r.row = row;
    return r;
}

std::string QueryStats::to_json() const {
    return "{\"partitions_scanned\":" + std::to_string(partitions_scanned) +
           ",\"partitions_pruned\":" + std::to_string(partitions_pruned) +
           ",\"blocks_scanned\":" + std::to_string(blocks_scanned) +
           ",\"blocks_pruned_time\":" + std::to_string(blocks_pruned_time) +
           ",\"blocks_pruned_index\":" + std::to_string(blocks_pruned_index) +
           ",\"rows_scanned\":" + std::to_string(rows_scanned) +
           ",\"postings_read\":" + std::to_string(postings_read) +
           ",\"blocks_unreadable\":" + std::to_string(blocks_unreadable) + ",\"path\":\"" + path + "\"}";
}

namespace detail {
namespace {

bool before(const RowRef& a, const RowRef& b) {  // a sorts before b in ascending order
    if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
    if (a.day != b.day) return a.day < b.day;
    if (a.block != b.block) return a.block < b.block;
    return a.row < b.row;
}

constexpr size_t kMaxPrefixTerms = 4096;

/// A read snapshot of one partition: its zone maps, a read transaction, and
/// the shared lock that keeps the map from being resized under it.
struct Snapshot {
    std::shared_ptr<Partition> p;
    std::shared_lock<std::shared_mutex> lock;
    MDB_txn* txn = nullptr;
    std::vector<BlockMeta> metas;
    std::optional<Bitmap> allowed;  // nullopt: the index prunes nothing
    Snapshot() = default;
    Snapshot(Snapshot&& o) noexcept
        : p(std::move(o.p)),
          lock(std::move(o.lock)),
          txn(o.txn),
          metas(std::move(o.metas)),
          allowed(std::move(o.allowed)) {
        o.txn = nullptr;
    }
    ~Snapshot() {
        if (txn) mdb_txn_abort(txn);
    }
};

/// Union of the posting lists of one group's keys; nullopt when a key cannot
/// be answered by the index (not indexed, too many prefix terms, damaged).
std::optional<Bitmap> group_bitmap(Snapshot& s, const std::vector<condition::IndexKey>& group,
                                   const std::vector<std::string>& indexed, QueryStats& st) {
    Bitmap acc = make_bitmap();
    auto add_value = [&](const MDB_val& v) -> bool {
        Bitmap b = decode_bitmap({static_cast<const char*>(v.mv_data), v.mv_size});
        if (!b) return false;
        ++st.postings_read;
        roaring_bitmap_or_inplace(acc.get(), b.get());
        return true;
    };
    for (const auto& key : group) {
        if (key.kind == condition::IndexKey::Kind::word) {
            if (!indexed_word(key.text)) return std::nullopt;
            const std::string k = word_key(key.text);
            MDB_val kv{k.size(), const_cast<char*>(k.data())}, v;
            const int rc = mdb_get(s.txn, s.p->terms, &kv, &v);
            if (rc == 0 && !add_value(v)) return std::nullopt;
            if (rc != 0 && rc != MDB_NOTFOUND) return std::nullopt;
        } else if (key.kind == condition::IndexKey::Kind::field) {
            if (std::find(indexed.begin(), indexed.end(), key.field) == indexed.end()) return std::nullopt;
            const std::string k = field_key(key.field, key.text);
            MDB_val kv{k.size(), const_cast<char*>(k.data())}, v;
            const int rc = mdb_get(s.txn, s.p->terms, &kv, &v);
            if (rc == 0 && !add_value(v)) return std::nullopt;
            if (rc != 0 && rc != MDB_NOTFOUND) return std::nullopt;
        } else {
            // Words of digits only may be long numbers, which are not indexed.
            if (key.text.find_first_not_of("0123456789") == std::string::npos) return std::nullopt;
            const std::string prefix = word_key(key.text);
            MDB_cursor* cur = nullptr;
            if (mdb_cursor_open(s.txn, s.p->terms, &cur)) return std::nullopt;
            MDB_val kv{prefix.size(), const_cast<char*>(prefix.data())}, v;
            size_t n = 0;
            bool ok = true;
            for (int rc = mdb_cursor_get(cur, &kv, &v, MDB_SET_RANGE); rc == 0;
                 rc = mdb_cursor_get(cur, &kv, &v, MDB_NEXT)) {
                const std::string_view k(static_cast<const char*>(kv.mv_data), kv.mv_size);
                if (k.substr(0, prefix.size()) != prefix) break;
                if (++n > kMaxPrefixTerms || !add_value(v)) {
                    ok = false;
                    break;
                }
            }
            mdb_cursor_close(cur);
            if (!ok) return std::nullopt;
        }
    }
    return acc;
}

struct Plan {
    std::vector<Snapshot> snaps;
    struct Candidate {
        size_t snap;
        BlockMeta meta;
    };
    std::vector<Candidate> blocks;
};

/// Opens a snapshot of every partition the time range touches and keeps the
/// blocks that neither the zone maps nor the index rule out.
Plan plan(StoreImpl& store, std::vector<std::shared_ptr<Partition>> parts,
          const condition::IndexHint& hint_in, const std::string& tenant,
          const std::vector<std::string>& indexed, QueryStats& st) {
    condition::IndexHint hint = hint_in;
    if (!tenant.empty() && std::find(indexed.begin(), indexed.end(), "tenant") != indexed.end()) {
        std::string lower = tenant;
        for (char& c : lower)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        hint.all.push_back({condition::IndexKey{condition::IndexKey::Kind::field, "tenant", lower}});
    }
    Plan out;
    for (auto& p : parts) {
        Snapshot s;
        s.p = p;
        s.lock = std::shared_lock(p->mu);
        s.metas = p->metas();  // before the transaction: every listed block is visible to it
        if (mdb_txn_begin(p->env, nullptr, MDB_RDONLY, &s.txn)) {
            s.txn = nullptr;
            continue;
        }
        ++st.partitions_scanned;
        for (const auto& group : hint.all) {
            auto g = group_bitmap(s, group, indexed, st);
            if (!g) continue;
            if (!s.allowed)
                s.allowed = std::move(*g);
            else
                roaring_bitmap_and_inplace(s.allowed->get(), g->get());
        }
        const size_t idx = out.snaps.size();
        for (const auto& m : s.metas) {
            if (m.max_ns < hint.from_ns || m.min_ns > hint.to_ns) {
                ++st.blocks_pruned_time;
                continue;
            }
            if (s.allowed && !roaring_bitmap_contains(s.allowed->get(), static_cast<uint32_t>(m.id))) {
                ++st.blocks_pruned_index;
                continue;
            }
            out.blocks.push_back({idx, m});
        }
        out.snaps.push_back(std::move(s));
    }
    if (!hint.all.empty()) st.path = "index";
    for (const auto& s : out.snaps)
        if (s.allowed) st.path = "index";
    return out;
}

bool read_block(Snapshot& s, uint64_t id, event::Batch& b, ZSTD_DCtx* dctx, std::string& err) {
    std::string key;
    put_be64(key, id);
    MDB_val k{key.size(), key.data()}, v;
    const int rc = mdb_get(s.txn, s.p->blocks, &k, &v);
    if (rc) {
        err = mdb_strerror(rc);
        return false;
    }
    b.clear();
    return decode_block({static_cast<const char*>(v.mv_data), v.mv_size}, b, dctx, nullptr, &err);
}

bool tenant_ok(const event::Batch& b, size_t i, const std::string& tenant) {
    if (tenant.empty()) return true;
    weir_value v;
    return b.get(b.event(i).root, "tenant", &v) && v.type == WEIR_VAL_STRING &&
           std::string_view(v.as.s.data, v.as.s.size) == tenant;
}

struct DCtx {
    ZSTD_DCtx* d = ZSTD_createDCtx();
    ~DCtx() { ZSTD_freeDCtx(d); }
};

}  // namespace

SearchResult StoreImpl::search(const SearchRequest& req) {
    SearchResult res;
    QueryStats& st = res.stats;
    auto parts = partitions_between(req.hint.from_ns, req.hint.to_ns, &st.partitions_pruned);
    Plan pl = plan(*this, std::move(parts), req.hint, req.tenant, opts_.index_fields, st);
    const bool desc = req.newest_first;
    // Newest first: blocks by their newest event; the walk stops once the
    // next block cannot hold anything better than the worst kept row.
    std::sort(pl.blocks.begin(), pl.blocks.end(), [&](const Plan::Candidate& a, const Plan::Candidate& b) {
        return desc ? a.meta.max_ns > b.meta.max_ns : a.meta.min_ns < b.meta.min_ns;
    });
    struct Hit {
        RowRef ref;
        std::string json;
    };
    // Heap with the worst kept row on top.
    auto worse = [&](const Hit& a, const Hit& b) {
        return desc ? before(a.ref, b.ref) : before(b.ref, a.ref);
    };
    auto better_cmp = [&](const Hit& a, const Hit& b) { return worse(b, a); };
    std::priority_queue<Hit, std::vector<Hit>, decltype(better_cmp)> heap(better_cmp);
    DCtx dctx;
    event::Batch b;
    size_t scanned_blocks = 0;
    const size_t limit = std::max<size_t>(req.limit, 1);
    for (const auto& c : pl.blocks) {
        if (heap.size() >= limit) {
            const auto& worst = heap.top().ref;
            if (desc ? c.meta.max_ns < worst.time_ns : c.meta.min_ns > worst.time_ns) break;
        }
        if (req.after) {
            if (desc ? c.meta.min_ns > req.after->time_ns : c.meta.max_ns < req.after->time_ns) {
                ++scanned_blocks;
                continue;
            }
        }
        Snapshot& s = pl.snaps[c.snap];
        std::string err;
        ++scanned_blocks;
        ++st.blocks_scanned;
        if (!read_block(s, c.meta.id, b, dctx.d, err)) {
            corrupt_blocks_.fetch_add(1);
            ++st.blocks_unreadable;
            continue;
        }
        for (size_t i = 0; i < b.size(); ++i) {
            ++st.rows_scanned;
            const int64_t t = b.event(i).time_ns;
            if (t < req.hint.from_ns || t > req.hint.to_ns) continue;
            RowRef ref{t, s.p->day, c.meta.id, static_cast<uint32_t>(i)};
            if (req.after && (desc ? !before(ref, *req.after) : !before(*req.after, ref))) continue;
            if (!tenant_ok(b, i, req.tenant)) continue;
            if (req.condition && !req.condition->matches(b, i)) continue;
            ++res.total;
            Hit h{ref, {}};
            if (heap.size() < limit) {
                h.json = std::string(b.to_json(i));
                heap.push(std::move(h));
            } else if (worse(heap.top(), h)) {
                h.json = std::string(b.to_json(i));
                heap.pop();
                heap.push(std::move(h));
            }
        }
    }
    res.total_exact = scanned_blocks == pl.blocks.size();
    std::vector<Hit> hits;
    while (!heap.empty()) {
        hits.push_back(heap.top());
        heap.pop();
    }
    std::reverse(hits.begin(), hits.end());  // best first
    for (auto& h : hits) {
        res.refs.push_back(h.ref);
        res.events.push_back(std::move(h.json));
    }
    if (!res.refs.empty() && (!res.total_exact || res.total > res.refs.size()))
        res.next_cursor = res.refs.back();
    return res;
}

namespace {

bool lookup_path(const event::Batch& b, size_t i, std::string_view path, weir_value& out) {
    weir_node node = b.event(i).root;
    size_t start = 0;
    for (;;) {
        const size_t dot = path.find('.', start);
        const std::string_view part =
            path.substr(start, dot == std::string_view::npos ? path.npos : dot - start);
        if (!b.get(node, part, &out)) {
            if (start == 0 && dot == std::string_view::npos && path == "message") {
                const auto body = b.body(i);
                out.type = WEIR_VAL_STRING;
                out.as.s = weir_str{body.data(), body.size()};
                return true;
            }
            return false;
        }
        if (dot == std::string_view::npos) return true;
        if (out.type != WEIR_VAL_OBJECT) return false;
        node = out.as.node;
        start = dot + 1;
    }
}

std::optional<std::string> group_text(const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_STRING:
            return std::string(v.as.s.data, v.as.s.size);
        case WEIR_VAL_INT:
            return std::to_string(v.as.i);
        case WEIR_VAL_FLOAT: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", v.as.f);
            return std::string(buf);
        }
        case WEIR_VAL_BOOL:
            return std::string(v.as.b ? "true" : "false");
        case WEIR_VAL_NULL:
            return std::string("null");
        default:
            return std::nullopt;
    }
}

std::optional<double> number_of(const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_INT:
            return static_cast<double>(v.as.i);
        case WEIR_VAL_FLOAT:
            return std::isfinite(v.as.f) ? std::optional<double>(v.as.f) : std::nullopt;
        case WEIR_VAL_STRING: {
            const std::string s(v.as.s.data, v.as.s.size);
            if (s.empty()) return std::nullopt;
            char* end = nullptr;
            const double d = std::strtod(s.c_str(), &end);
            if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
            return d;
        }
        default:
            return std::nullopt;
    }
}

struct Acc {
    uint64_t count = 0, n = 0;
    double sum = 0, min = 0, max = 0;
    std::vector<double> values;
    void add_value(double x, bool keep) {
        if (!n) min = max = x;
        min = std::min(min, x);
        max = std::max(max, x);
        sum += x;
        ++n;
        if (keep) values.push_back(x);
    }
    void merge(const Acc& o) {
        count += o.count;
        if (o.n) {
            if (!n) min = o.min, max = o.max;
            min = std::min(min, o.min);
            max = std::max(max, o.max);
        }
        sum += o.sum;
        n += o.n;
        values.insert(values.end(), o.values.begin(), o.values.end());
    }
    std::optional<double> value(const std::string& metric) {
        if (metric == "count") return static_cast<double>(count);
        if (!n) return std::nullopt;
        if (metric == "sum") return sum;
        if (metric == "avg") return sum / static_cast<double>(n);
        if (metric == "min") return min;
        if (metric == "max") return max;
        // pNN: nearest rank, exact.
        const double q = std::atof(metric.c_str() + 1) / 100.0;
        std::sort(values.begin(), values.end());
        size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
        if (rank < 1) rank = 1;
        return values[std::min(rank, values.size()) - 1];
    }
};

}  // namespace

bool valid_metric(const std::string& m) {
    return m == "count" || m == "sum" || m == "avg" || m == "min" || m == "max" || m == "p50" || m == "p90" ||
           m == "p95" || m == "p99";
}

AggregateResult StoreImpl::aggregate(const AggregateRequest& req) {
    AggregateResult res;
    QueryStats& st = res.stats;
    auto parts = partitions_between(req.hint.from_ns, req.hint.to_ns, &st.partitions_pruned);
    Plan pl = plan(*this, std::move(parts), req.hint, req.tenant, opts_.index_fields, st);
    const bool percentile = req.metric.size() == 3 && req.metric[0] == 'p';
    const bool needs_value = req.metric != "count";
    // Counts by nothing or one dictionary field, with no condition, come from
    // block headers for blocks wholly inside the time range.
    int dict = -1;
    bool header_ok = !req.condition && req.tenant.empty() && req.metric == "count" && req.interval_ns <= 0 &&
                     req.group_by.size() <= 1;
    if (header_ok && req.group_by.size() == 1) {
        for (size_t k = 0; k < kDictFields.size(); ++k)
            if (kDictFields[k] == req.group_by[0]) dict = static_cast<int>(k);
        if (dict < 0) header_ok = false;
    }
    struct Key {
        int64_t bucket;
        std::vector<std::optional<std::string>> group;
        bool operator==(const Key& o) const { return bucket == o.bucket && group == o.group; }
    };
    auto encode_key = [](const std::vector<std::optional<std::string>>& g) {
        std::string k;
        for (const auto& x : g) {
            if (x) {
                k += '+';
                k += *x;
            } else {
                k += '-';
            }
            k += '\x1f';
        }
        return k;
    };
    std::map<std::pair<int64_t, std::string>, Acc> accs;
    std::unordered_map<std::string, std::vector<std::optional<std::string>>> group_of;
    DCtx dctx;
    event::Batch b;
    bool used_headers = false, scanned = false;
    for (const auto& c : pl.blocks) {
        Snapshot& s = pl.snaps[c.snap];
        if (header_ok && c.meta.min_ns >= req.hint.from_ns && c.meta.max_ns <= req.hint.to_ns) {
            std::string key;
            put_be64(key, c.meta.id);
            MDB_val k{key.size(), key.data()}, v;
            BlockHeader h;
            if (mdb_get(s.txn, s.p->blocks, &k, &v) == 0 &&
                decode_block_header({static_cast<const char*>(v.mv_data), v.mv_size}, h)) {
                uint64_t with = 0;
                if (dict >= 0)
                    for (const auto& val : h.dicts[dict]) with += val.count;
                // Rows without the field (or with it in another form) need the
                // rows themselves: then the block is scanned whole.
                if (dict < 0 || with == h.count) {
                    used_headers = true;
                    ++st.blocks_scanned;
                    if (dict < 0) {
                        accs[{0, encode_key({})}].count += h.count;
                        group_of[encode_key({})] = {};
                    } else {
                        for (const auto& val : h.dicts[dict]) {
                            std::vector<std::optional<std::string>> g{val.text};
                            const std::string gk = encode_key(g);
                            accs[{0, gk}].count += val.count;
                            group_of[gk] = g;
                        }
                    }
                    continue;
                }
            }
        }
        std::string err;
        ++st.blocks_scanned;
        if (!read_block(s, c.meta.id, b, dctx.d, err)) {
            corrupt_blocks_.fetch_add(1);
            ++st.blocks_unreadable;
            continue;
        }
        scanned = true;
        for (size_t i = 0; i < b.size(); ++i) {
            ++st.rows_scanned;
            const int64_t t = b.event(i).time_ns;
            if (t < req.hint.from_ns || t > req.hint.to_ns) continue;
            if (!tenant_ok(b, i, req.tenant)) continue;
            if (req.condition && !req.condition->matches(b, i)) continue;
            std::vector<std::optional<std::string>> g;
            weir_value v;
            for (const auto& f : req.group_by) {
                if (lookup_path(b, i, f, v)) {
                    g.push_back(group_text(v));
                } else {
                    g.push_back(std::nullopt);
                }
            }
            int64_t bucket = 0;
            if (req.interval_ns > 0) {
                const int64_t r = t % req.interval_ns;
                bucket = t - (r < 0 ? r + req.interval_ns : r);
            }
            const std::string gk = encode_key(g);
            Acc& a = accs[{bucket, gk}];
            ++a.count;
            if (needs_value && lookup_path(b, i, req.field, v))
                if (auto x = number_of(v)) a.add_value(*x, percentile);
            if (!group_of.count(gk)) group_of[gk] = std::move(g);
        }
        b.clear();
    }
    if (used_headers && !scanned) st.path = "headers";
    // Top-N groups by their value over the whole range.
    std::map<std::string, Acc> totals;
    for (auto& [k, a] : accs) totals[k.second].merge(a);
    std::vector<std::pair<std::string, double>> ranked;
    for (auto& [gk, a] : totals) {
        const auto v = a.value(req.metric);
        ranked.emplace_back(gk, v ? *v : -INFINITY);
    }
    res.groups_total = ranked.size();
    std::stable_sort(ranked.begin(), ranked.end(), [&](const auto& x, const auto& y) {
        if (x.second != y.second) return x.second > y.second;
        return x.first < y.first;
    });
    const size_t keep =
        req.group_by.empty() ? ranked.size() : std::min(ranked.size(), std::max<size_t>(req.limit, 1));
    std::unordered_map<std::string, size_t> rank_of;
    for (size_t k = 0; k < keep; ++k) rank_of[ranked[k].first] = k;
    for (auto& [k, a] : accs) {
        if (!rank_of.count(k.second)) continue;
        AggregateRow row;
        if (req.interval_ns > 0) row.bucket_ns = k.first;
        row.group = group_of[k.second];
        row.count = a.count;
        row.value = a.value(req.metric);
        res.rows.push_back(std::move(row));
    }
    std::stable_sort(res.rows.begin(), res.rows.end(), [&](const AggregateRow& x, const AggregateRow& y) {
        if (x.bucket_ns != y.bucket_ns) return x.bucket_ns < y.bucket_ns;
        return rank_of[encode_key(x.group)] < rank_of[encode_key(y.group)];
    });
    return res;
}

}  // namespace detail
}  // namespace weir::store
