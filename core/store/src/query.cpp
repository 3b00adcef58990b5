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
#include <unordered_set>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>
#include <weir/store/term_index.hpp>

#include "bytes.hpp"
#include "rollup.hpp"
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
           ",\"blocks_unreadable\":" + std::to_string(blocks_unreadable) +
           ",\"rollup_minutes\":" + std::to_string(rollup_minutes) +
           ",\"blocks_pruned_rollup\":" + std::to_string(blocks_pruned_rollup) + ",\"path\":\"" + path +
           "\"}";
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
    bool frame_index = false;       // `allowed` holds frame ids (block << 5 | frame), not block ids
    Snapshot() = default;
    Snapshot(Snapshot&& o) noexcept
        : p(std::move(o.p)),
          lock(std::move(o.lock)),
          txn(o.txn),
          metas(std::move(o.metas)),
          allowed(std::move(o.allowed)),
          frame_index(o.frame_index) {
        o.txn = nullptr;
    }
    ~Snapshot() {
        if (txn) mdb_txn_abort(txn);
    }
};

/// Union of the posting lists of one group's keys; nullopt when a key cannot
/// be answered by the index (not indexed, too many prefix terms, damaged).
std::optional<Bitmap> group_bitmap(Snapshot& s, const std::vector<condition::IndexKey>& group,
                                   const std::vector<std::string>& indexed, int64_t from_ns, int64_t to_ns,
                                   QueryStats& st) {
    Bitmap acc = make_bitmap();
    auto add_value = [&](const MDB_val& v) -> bool {
        Bitmap b = decode_bitmap({static_cast<const char*>(v.mv_data), v.mv_size});
        if (!b) return false;
        ++st.postings_read;
        roaring_bitmap_or_inplace(acc.get(), b.get());
        return true;
    };
    std::vector<uint32_t> numbers;  // number keys: answered from the blocks' digests
    for (const auto& key : group) {
        if (key.kind == condition::IndexKey::Kind::word) {
            if (!indexed_word(key.text)) return std::nullopt;
            const std::string k = word_key(key.text);
            MDB_val kv{k.size(), const_cast<char*>(k.data())}, v;
            const int rc = mdb_get(s.txn, s.frame_index ? s.p->frames : s.p->terms, &kv, &v);
            if (rc == 0 && !add_value(v)) return std::nullopt;
            if (rc != 0 && rc != MDB_NOTFOUND) return std::nullopt;
        } else if (key.kind == condition::IndexKey::Kind::number) {
            if (std::find(indexed.begin(), indexed.end(), key.field) == indexed.end()) return std::nullopt;
            numbers.push_back(number_hash(key.field, key.text));
        } else if (key.kind == condition::IndexKey::Kind::field) {
            if (std::find(indexed.begin(), indexed.end(), key.field) == indexed.end()) return std::nullopt;
            const std::string k = field_key(key.field, key.text);
            MDB_val kv{k.size(), const_cast<char*>(k.data())}, v;
            const int rc = mdb_get(s.txn, s.frame_index ? s.p->frames : s.p->terms, &kv, &v);
            if (rc == 0 && !add_value(v)) return std::nullopt;
            if (rc != 0 && rc != MDB_NOTFOUND) return std::nullopt;
        } else {
            // Words of digits only may be long numbers, which are not indexed.
            if (key.text.find_first_not_of("0123456789") == std::string::npos) return std::nullopt;
            const std::string prefix = word_key(key.text);
            MDB_cursor* cur = nullptr;
            if (mdb_cursor_open(s.txn, s.frame_index ? s.p->frames : s.p->terms, &cur)) return std::nullopt;
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
    if (!numbers.empty()) {
        // A block without a digest (written before digests existed) or with a
        // damaged one may hold any number.
        for (const auto& m : s.metas) {
            if (m.max_ns < from_ns || m.min_ns > to_ns) continue;  // pruned by time anyway
            const std::string k = number_digest_key(m.id);
            MDB_val kv{k.size(), const_cast<char*>(k.data())}, v;
            bool may = true;
            if (mdb_get(s.txn, s.p->frames, &kv, &v) == 0) {
                ++st.postings_read;
                const std::string_view d(static_cast<const char*>(v.mv_data), v.mv_size);
                may = false;
                for (uint32_t h : numbers)
                    if (number_digest_has(d, h) != 0) {
                        may = true;
                        break;
                    }
            }
            if (!may) continue;
            if (s.frame_index)
                roaring_bitmap_add_range(acc.get(), m.id << 5, (m.id << 5) + 32);
            else
                roaring_bitmap_add(acc.get(), static_cast<uint32_t>(m.id));
        }
    }
    return acc;
}

struct Plan {
    std::vector<Snapshot> snaps;
    struct Candidate {
        size_t snap;
        BlockMeta meta;
        uint32_t frames = ~0u;  // the block's frames that may match
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
        {
            MDB_val fk{kRollupsCompleteKey.size(), const_cast<char*>(kRollupsCompleteKey.data())}, fv;
            s.frame_index = mdb_get(s.txn, p->frames, &fk, &fv) == 0;
        }
        for (const auto& group : hint.all) {
            auto g = group_bitmap(s, group, indexed, hint.from_ns, hint.to_ns, st);
            if (!g) continue;
            if (!s.allowed)
                s.allowed = std::move(*g);
            else
                roaring_bitmap_and_inplace(s.allowed->get(), g->get());
        }
        const size_t idx = out.snaps.size();
        std::vector<uint32_t> masks;  // frame index: block id -> frames that may match
        if (s.allowed && s.frame_index) {
            uint64_t top = 0;
            for (const auto& m : s.metas) top = std::max(top, m.id);
            masks.assign(top + 1, 0);
            roaring_iterate(
                s.allowed->get(),
                [](uint32_t v, void* arg) {
                    auto& mk = *static_cast<std::vector<uint32_t>*>(arg);
                    if ((v >> 5) < mk.size()) mk[v >> 5] |= 1u << (v & 31);
                    return true;
                },
                &masks);
        }
        for (const auto& m : s.metas) {
            if (m.max_ns < hint.from_ns || m.min_ns > hint.to_ns) {
                ++st.blocks_pruned_time;
                continue;
            }
            uint32_t frames = ~0u;
            if (s.allowed && s.frame_index) {
                frames = masks[m.id];
                if (!frames) {
                    ++st.blocks_pruned_index;
                    continue;
                }
            } else if (s.allowed && !roaring_bitmap_contains(s.allowed->get(), static_cast<uint32_t>(m.id))) {
                ++st.blocks_pruned_index;
                continue;
            }
            out.blocks.push_back({idx, m, frames});
        }
        out.snaps.push_back(std::move(s));
    }
    if (!hint.all.empty()) st.path = "index";
    for (const auto& s : out.snaps)
        if (s.allowed) st.path = "index";
    return out;
}

/// Decodes the block's `frames` into `b`, their row numbers into `rows`.
bool read_block(Snapshot& s, uint64_t id, uint32_t frames, event::Batch& b, std::vector<uint32_t>& rows,
                ZSTD_DCtx* dctx, std::string& err) {
    std::string key;
    put_be64(key, id);
    MDB_val k{key.size(), key.data()}, v;
    const int rc = mdb_get(s.txn, s.p->blocks, &k, &v);
    if (rc) {
        err = mdb_strerror(rc);
        return false;
    }
    b.clear();
    rows.clear();
    return decode_block_frames({static_cast<const char*>(v.mv_data), v.mv_size}, frames, b, rows, dctx, &err);
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
    std::vector<uint32_t> rows;
    size_t scanned_blocks = 0;
    const size_t limit = std::max<size_t>(req.limit, 1);
    for (const auto& c : pl.blocks) {
        check_cancel(req.cancel);
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
        if (!read_block(s, c.meta.id, c.frames, b, rows, dctx.d, err)) {
            corrupt_blocks_.fetch_add(1);
            ++st.blocks_unreadable;
            continue;
        }
        for (size_t i = 0; i < b.size(); ++i) {
            ++st.rows_scanned;
            const int64_t t = b.event(i).time_ns;
            if (t < req.hint.from_ns || t > req.hint.to_ns) continue;
            RowRef ref{t, s.p->day, c.meta.id, rows[i]};
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

/// Whether a normalised condition (Condition::describe()) reads nothing but
/// level, service and source: equalities, IN lists and LIKE on them, joined
/// by AND, OR, NOT and parentheses. Such a condition is decided by the three
/// values alone, so a rollup key can be tested on an event holding just them.
class KeyFieldsOnly {
public:
    explicit KeyFieldsOnly(std::string_view s) : s_(s) {}
    bool check() { return expr(0) && i_ == s_.size(); }

private:
    bool eat(std::string_view t) {
        if (s_.substr(i_, t.size()) != t) return false;
        i_ += t.size();
        return true;
    }
    bool value() {
        if (i_ < s_.size() && s_[i_] == '"') {
            for (++i_; i_ < s_.size(); ++i_) {
                if (s_[i_] == '\\') {
                    ++i_;
                } else if (s_[i_] == '"') {
                    ++i_;
                    return true;
                }
            }
            return false;
        }
        const size_t start = i_;
        while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != '(' && s_[i_] != ')' && s_[i_] != ',' &&
               s_[i_] != '"')
            ++i_;
        return i_ > start;
    }
    bool atom() {
        for (auto f : kRollupKeyFields) {
            if (s_.substr(i_, f.size()) != f) continue;
            const size_t save = i_;
            i_ += f.size();
            if (eat(":") || eat(" LIKE ")) return value();
            if (eat(" IN (")) {
                if (!value()) return false;
                while (eat(", "))
                    if (!value()) return false;
                return eat(")");
            }
            i_ = save;
        }
        return false;
    }
    bool unary(int depth) {
        if (depth > 80) return false;
        if (eat("NOT ")) return unary(depth + 1);
        if (eat("(")) return expr(depth + 1) && eat(")");
        return atom();
    }
    bool conj(int depth) {
        if (!unary(depth)) return false;
        while (eat(" AND "))
            if (!unary(depth)) return false;
        return true;
    }
    bool expr(int depth) {
        if (!conj(depth)) return false;
        while (eat(" OR "))
            if (!conj(depth)) return false;
        return true;
    }
    std::string_view s_;
    size_t i_ = 0;
};

struct Metric {
    enum Kind { count, sum, avg, min, max, stddev, percentile, unique } kind = count;
    double q = 0;  // percentile: 0 < q <= 1
};

std::optional<Metric> parse_metric(const std::string& m) {
    static const std::pair<const char*, Metric::Kind> kNamed[] = {
        {"count", Metric::count}, {"sum", Metric::sum},       {"avg", Metric::avg},      {"min", Metric::min},
        {"max", Metric::max},     {"stddev", Metric::stddev}, {"unique", Metric::unique}};
    for (const auto& [name, kind] : kNamed)
        if (m == name) return Metric{kind, 0};
    if (m.size() < 2 || m[0] != 'p') return std::nullopt;
    double q = 0;
    const auto r = std::from_chars(m.data() + 1, m.data() + m.size(), q);
    if (r.ec != std::errc() || r.ptr != m.data() + m.size() || !(q > 0 && q <= 100)) return std::nullopt;
    return Metric{Metric::percentile, q / 100};
}

struct Acc {
    uint64_t count = 0, n = 0;
    double sum = 0, min = 0, max = 0;
    double mean = 0, m2 = 0;  // Welford, for stddev
    std::vector<double> values;
    std::optional<Sketch> sketch;  // rollup minutes answered: values merge into it
    std::unordered_set<std::string> distinct;
    std::optional<Hll> hll;
    void add_value(double x, bool keep) {
        if (!n) min = max = x;
        min = std::min(min, x);
        max = std::max(max, x);
        sum += x;
        ++n;
        const double d = x - mean;
        mean += d / static_cast<double>(n);
        m2 += d * (x - mean);
        if (keep) values.push_back(x);
    }
    void merge(const Acc& o) {
        count += o.count;
        if (o.n) {
            if (!n) min = o.min, max = o.max;
            min = std::min(min, o.min);
            max = std::max(max, o.max);
            const double na = static_cast<double>(n), nb = static_cast<double>(o.n);
            const double d = o.mean - mean;
            m2 += o.m2 + d * d * na * nb / (na + nb);
            mean += d * nb / (na + nb);
        }
        sum += o.sum;
        n += o.n;
        values.insert(values.end(), o.values.begin(), o.values.end());
        if (o.sketch) {
            if (!sketch) sketch.emplace();
            sketch->merge(*o.sketch);
        }
        distinct.insert(o.distinct.begin(), o.distinct.end());
        if (o.hll) {
            if (!hll) hll.emplace();
            hll->merge(*o.hll);
        }
    }
    void add_sketch(const Sketch& s) {
        if (!s.count()) return;
        if (!sketch) sketch.emplace();
        sketch->merge(s);
        if (!n) min = s.min(), max = s.max();
        min = std::min(min, s.min());
        max = std::max(max, s.max());
        n += s.count();
    }
    std::optional<double> value(const Metric& m) {
        switch (m.kind) {
            case Metric::count:
                return static_cast<double>(count);
            case Metric::unique:
                if (hll) {
                    Hll all = *hll;
                    for (const auto& s : distinct) all.add(hash64(s));
                    return std::round(all.estimate());
                }
                return static_cast<double>(distinct.size());
            default:
                break;
        }
        if (!n) return std::nullopt;
        switch (m.kind) {
            case Metric::sum:
                return sum;
            case Metric::avg:
                return sum / static_cast<double>(n);
            case Metric::min:
                return min;
            case Metric::max:
                return max;
            case Metric::stddev:  // of the population, as Elasticsearch's extended_stats
                return std::sqrt(std::max(0.0, m2 / static_cast<double>(n)));
            default:
                break;
        }
        if (sketch) {  // approximate: the exact values scanned go into the sketch
            Sketch all = *sketch;
            for (double x : values) all.add(x);
            return all.quantile(m.q);
        }
        // Nearest rank, exact.
        std::sort(values.begin(), values.end());
        size_t rank = static_cast<size_t>(std::ceil(m.q * static_cast<double>(values.size()) * (1 - 1e-12)));
        if (rank < 1) rank = 1;
        return values[std::min(rank, values.size()) - 1];
    }
};

std::string encode_group(const std::vector<std::optional<std::string>>& g) {
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
}

struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

bool valid_metric(const std::string& m) { return parse_metric(m).has_value(); }

AggregateResult StoreImpl::aggregate(const AggregateRequest& req) {
    AggregateResult res;
    QueryStats& st = res.stats;
    const auto metric_opt = parse_metric(req.metric);
    const Metric metric = metric_opt ? *metric_opt : Metric{};
    auto parts = partitions_between(req.hint.from_ns, req.hint.to_ns, &st.partitions_pruned);
    Plan pl = plan(*this, std::move(parts), req.hint, req.tenant, opts_.index_fields, st);
    const bool percentile = metric.kind == Metric::percentile;
    const bool needs_value = metric.kind != Metric::count && metric.kind != Metric::unique;
    const bool by_template = req.group_by.size() == 1 && req.group_by[0] == "template";

    // Which rollup answers, if any (docs/store.md, "Rollups").
    enum class Use { none, counts, sketch, templates, hll } use = Use::none;
    std::vector<int> key_index;  // group_by field -> index in kRollupKeyFields
    const bool minutes_ok = req.interval_ns <= 0 || req.interval_ns % kMinuteNs == 0;
    if (opts_.rollups && req.use_rollups && req.tenant.empty() && minutes_ok) {
        bool keys_only = true;
        for (const auto& f : req.group_by) {
            const auto it = std::find(kRollupKeyFields.begin(), kRollupKeyFields.end(), f);
            if (it == kRollupKeyFields.end()) keys_only = false;
            key_index.push_back(static_cast<int>(it - kRollupKeyFields.begin()));
        }
        const bool cond_keys = !req.condition || KeyFieldsOnly(req.condition->describe()).check();
        if (metric.kind == Metric::count && keys_only && cond_keys) {
            use = Use::counts;
        } else if (metric.kind == Metric::count && by_template && !req.condition) {
            use = Use::templates;
        } else if (!req.condition && req.group_by.empty() &&
                   (metric.kind == Metric::min || metric.kind == Metric::max || (percentile && !req.exact)) &&
                   rollup_cfg_.tracks_numeric(req.field)) {
            use = Use::sketch;
        } else if (!req.condition && req.group_by.empty() && metric.kind == Metric::unique && !req.exact &&
                   rollup_cfg_.tracks_unique(req.field)) {
            use = Use::hll;
        }
    }

    // Counts by nothing or one dictionary field, with no condition, come from
    // block headers for blocks wholly inside the time range.
    int dict = -1;
    bool header_ok = !req.condition && req.tenant.empty() && metric.kind == Metric::count &&
                     req.interval_ns <= 0 && req.group_by.size() <= 1 && !by_template;
    if (header_ok && req.group_by.size() == 1) {
        for (size_t k = 0; k < kDictFields.size(); ++k)
            if (kDictFields[k] == req.group_by[0]) dict = static_cast<int>(k);
        if (dict < 0) header_ok = false;
    }
    std::map<std::pair<int64_t, std::string>, Acc> accs;
    std::unordered_map<std::string, std::vector<std::optional<std::string>>> group_of;
    auto bucket_of = [&](int64_t t) -> int64_t {
        if (req.interval_ns <= 0) return 0;
        const int64_t r = t % req.interval_ns;
        return t - (r < 0 ? r + req.interval_ns : r);
    };

    // Per partition: the minutes its rollups answer ([lo, hi] minus `holes`).
    struct Covered {
        int64_t lo = 1, hi = 0;
        std::vector<int64_t> holes;  // sorted
        bool covers(int64_t minute) const {
            return minute >= lo && minute <= hi && !std::binary_search(holes.begin(), holes.end(), minute);
        }
        bool covers_all(int64_t a, int64_t b) const {  // minutes a..b
            if (a < lo || b > hi) return false;
            const auto it = std::lower_bound(holes.begin(), holes.end(), a);
            return it == holes.end() || *it > b;
        }
    };
    std::vector<Covered> covered(pl.snaps.size());
    bool used_rollups = false;
    if (use != Use::none) {
        // Rollup keys decided once each: whether they match, and their group.
        struct KeyInfo {
            bool match;
            size_t gid;
        };
        std::unordered_map<std::string, KeyInfo, StringHash, std::equal_to<>> keys;
        std::vector<std::string> gids;  // group key text per gid
        std::unordered_map<std::string, size_t> gid_of;
        auto group_id = [&](std::vector<std::optional<std::string>> g) {
            std::string gk = encode_group(g);
            auto it = gid_of.find(gk);
            if (it != gid_of.end()) return it->second;
            const size_t id = gids.size();
            gid_of.emplace(gk, id);
            group_of.emplace(gk, std::move(g));
            gids.push_back(std::move(gk));
            return id;
        };
        std::vector<Acc> cur;  // per gid, for the bucket being read
        int64_t cur_bucket = 0;
        auto flush = [&] {
            for (size_t g = 0; g < cur.size(); ++g) {
                if (!cur[g].count && !cur[g].sketch && !cur[g].hll) continue;
                accs[{cur_bucket, gids[g]}].merge(cur[g]);
                cur[g] = Acc{};
            }
        };
        event::Batch probe;
        std::string tbuf;
        for (size_t si = 0; si < pl.snaps.size(); ++si) {
            check_cancel(req.cancel);
            Snapshot& s = pl.snaps[si];
            MDB_val ck{kRollupsCompleteKey.size(), const_cast<char*>(kRollupsCompleteKey.data())}, cv;
            if (mdb_get(s.txn, s.p->rollups, &ck, &cv) != 0) continue;  // a day written without rollups
            const int64_t day_lo = s.p->day * 1440, day_hi = day_lo + 1439;
            // Minutes wholly inside [from, to].
            const int64_t from_m =
                req.hint.from_ns == INT64_MIN ? day_lo : minute_of(req.hint.from_ns - 1) + 1;
            const int64_t to_m = req.hint.to_ns == INT64_MAX ? day_hi : minute_of(req.hint.to_ns + 1) - 1;
            Covered& cov = covered[si];
            cov.lo = std::max(from_m, day_lo);
            cov.hi = std::min(to_m, day_hi);
            if (cov.lo > cov.hi) continue;
            MDB_cursor* c = nullptr;
            if (mdb_cursor_open(s.txn, s.p->rollups, &c)) {
                cov = Covered{};
                continue;
            }
            const std::string first = rollup_key(cov.lo), last = rollup_key(cov.hi);
            MDB_val k{first.size(), const_cast<char*>(first.data())}, v;
            for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
                 rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                const std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
                if (key.size() != 8 || key > last) break;
                const int64_t minute = static_cast<int64_t>(get_be64(key.data()) ^ (uint64_t{1} << 63));
                ++st.rollup_minutes;
                RollupView rv;
                const unsigned section = use == Use::counts      ? kCountsSection
                                         : use == Use::templates ? kTemplatesSection
                                         : use == Use::sketch    ? kSketchesSection
                                                                 : kHllsSection;
                bool ok = parse_rollup({static_cast<const char*>(v.mv_data), v.mv_size}, rv, section) &&
                          !rv.damaged;
                if (ok && use == Use::counts) ok = rv.irregular == 0;
                if (ok && use == Use::templates) ok = rv.template_other == 0;
                if (ok && use == Use::sketch) ok = !rv.sketch_overflow;
                if (!ok) {
                    cov.holes.push_back(minute);
                    continue;
                }
                const int64_t bucket = bucket_of(minute * kMinuteNs);
                if (bucket != cur_bucket) {
                    flush();
                    cur_bucket = bucket;
                }
                auto slot = [&](size_t gid) -> Acc& {
                    if (cur.size() <= gid) cur.resize(gid + 1);
                    return cur[gid];
                };
                if (use == Use::counts) {
                    ok = for_each_count(rv.counts, [&](std::string_view blob, uint64_t n) {
                        auto it = keys.find(blob);
                        if (it == keys.end()) {
                            std::array<std::optional<std::string_view>, 3> p;
                            KeyInfo info{false, 0};
                            if (parse_key_blob(blob, p)) {
                                info.match = true;
                                if (req.condition) {
                                    probe.clear();
                                    const size_t e = probe.add({}, minute * kMinuteNs);
                                    for (size_t f = 0; f < 3; ++f) {
                                        if (!p[f]) continue;
                                        weir_value sv{};
                                        sv.type = WEIR_VAL_STRING;
                                        sv.as.s = weir_str{p[f]->data(), p[f]->size()};
                                        probe.put(probe.event(e).root, kRollupKeyFields[f], sv,
                                                  WEIR_PUT_APPEND);
                                    }
                                    info.match = req.condition->matches(probe, e);
                                }
                                std::vector<std::optional<std::string>> g;
                                for (int f : key_index)
                                    g.push_back(p[f] ? std::optional<std::string>(std::string(*p[f]))
                                                     : std::nullopt);
                                info.gid = group_id(std::move(g));
                            }
                            it = keys.emplace(std::string(blob), info).first;
                        }
                        if (it->second.match) slot(it->second.gid).count += n;
                    });
                } else if (use == Use::templates) {
                    std::string_view tsec;
                    ok = read_templates(rv, tbuf, tsec);
                    ok = ok && for_each_count(tsec, [&](std::string_view t, uint64_t n) {
                             auto it = keys.find(t);
                             if (it == keys.end())
                                 it = keys.emplace(std::string(t), KeyInfo{true, group_id({std::string(t)})})
                                          .first;
                             slot(it->second.gid).count += n;
                         });
                } else if (use == Use::sketch) {
                    Sketch sk;
                    const int f = find_sketch(rv.sketches, req.field, sk);
                    ok = f >= 0;
                    if (ok) {
                        Acc& a = slot(group_id({}));
                        a.count += rv.events;
                        a.add_sketch(sk);
                    }
                } else {
                    Hll h;
                    const int f = find_hll(rv.hlls, req.field, h);
                    ok = f >= 0;
                    if (ok) {
                        Acc& a = slot(group_id({}));
                        a.count += rv.events;
                        if (!a.hll) a.hll.emplace();
                        a.hll->merge(h);
                    }
                }
                if (!ok) {  // malformed inside: the minute is read from blocks instead
                    cov.holes.push_back(minute);
                    for (auto& a : cur) a = Acc{};
                    // Drop what this bucket gathered from earlier minutes too:
                    // simpler than undoing one minute, and rare.
                    for (int64_t m = minute - 1; m >= cov.lo && bucket_of(m * kMinuteNs) == bucket; --m)
                        cov.holes.push_back(m);
                    std::sort(cov.holes.begin(), cov.holes.end());
                    cov.holes.erase(std::unique(cov.holes.begin(), cov.holes.end()), cov.holes.end());
                    corrupt_blocks_.fetch_add(1);
                    ++st.blocks_unreadable;
                }
                used_rollups = true;
            }
            mdb_cursor_close(c);
            flush();
            std::sort(cov.holes.begin(), cov.holes.end());
        }
        flush();
    }

    DCtx dctx;
    event::Batch b;
    std::vector<uint32_t> rows;
    bool used_headers = false, scanned = false;
    std::string tmpl;
    for (const auto& c : pl.blocks) {
        check_cancel(req.cancel);
        Snapshot& s = pl.snaps[c.snap];
        const Covered& cov = covered[c.snap];
        const int64_t lo = std::max(c.meta.min_ns, req.hint.from_ns),
                      hi = std::min(c.meta.max_ns, req.hint.to_ns);
        if (cov.lo <= cov.hi && cov.covers_all(minute_of(lo), minute_of(hi))) {
            ++st.blocks_pruned_rollup;
            continue;
        }
        const bool partly_covered = cov.lo <= cov.hi;
        if (header_ok && !partly_covered && c.meta.min_ns >= req.hint.from_ns &&
            c.meta.max_ns <= req.hint.to_ns) {
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
                        accs[{0, encode_group({})}].count += h.count;
                        group_of[encode_group({})] = {};
                    } else {
                        for (const auto& val : h.dicts[dict]) {
                            std::vector<std::optional<std::string>> g{val.text};
                            const std::string gk = encode_group(g);
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
        if (!read_block(s, c.meta.id, c.frames, b, rows, dctx.d, err)) {
            corrupt_blocks_.fetch_add(1);
            ++st.blocks_unreadable;
            continue;
        }
        scanned = true;
        for (size_t i = 0; i < b.size(); ++i) {
            ++st.rows_scanned;
            const int64_t t = b.event(i).time_ns;
            if (t < req.hint.from_ns || t > req.hint.to_ns) continue;
            if (partly_covered && cov.covers(minute_of(t))) continue;  // counted from the rollup
            if (!tenant_ok(b, i, req.tenant)) continue;
            if (req.condition && !req.condition->matches(b, i)) continue;
            std::vector<std::optional<std::string>> g;
            weir_value v;
            if (by_template) {
                g.push_back(message_template(message_of(b, i)));
            } else {
                for (const auto& f : req.group_by) {
                    if (lookup_path(b, i, f, v)) {
                        g.push_back(group_text(v));
                    } else {
                        g.push_back(std::nullopt);
                    }
                }
            }
            const int64_t bucket = bucket_of(t);
            const std::string gk = encode_group(g);
            Acc& a = accs[{bucket, gk}];
            ++a.count;
            if (needs_value && lookup_path(b, i, req.field, v)) {
                if (auto x = number_of(v)) a.add_value(*x, percentile);
            } else if (metric.kind == Metric::unique && lookup_path(b, i, req.field, v)) {
                if (auto text = group_text(v)) a.distinct.insert(std::move(*text));
            }
            if (!group_of.count(gk)) group_of[gk] = std::move(g);
        }
        b.clear();
    }
    if (used_rollups) {
        st.path = "rollup";
        if (use == Use::sketch && percentile) {
            res.exact = false;
            res.relative_error = Sketch::kRelativeError;
        } else if (use == Use::hll) {
            res.exact = false;
            res.relative_error = Hll::kStdError;
        }
    } else if (used_headers && !scanned) {
        st.path = "headers";
    }
    // Top-N groups by their value over the whole range.
    std::map<std::string, Acc> totals;
    for (auto& [k, a] : accs) totals[k.second].merge(a);
    std::vector<std::pair<std::string, double>> ranked;
    for (auto& [gk, a] : totals) {
        const auto v = a.value(metric);
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
        row.value = a.value(metric);
        res.rows.push_back(std::move(row));
    }
    std::stable_sort(res.rows.begin(), res.rows.end(), [&](const AggregateRow& x, const AggregateRow& y) {
        if (x.bucket_ns != y.bucket_ns) return x.bucket_ns < y.bucket_ns;
        return rank_of[encode_group(x.group)] < rank_of[encode_group(y.group)];
    });
    return res;
}

}  // namespace detail
}  // namespace weir::store
