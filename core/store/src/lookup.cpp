// Point reads: one event by its permalink, its neighbours from the same
// source, the fields catalogue for autocomplete, and the sources with their
// counts and last-seen times (mostly from block headers).
#include <roaring/roaring.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <queue>
#include <shared_mutex>
#include <unordered_map>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>
#include <weir/store/term_index.hpp>

#include "bytes.hpp"
#include "store_impl.hpp"

namespace weir::store::detail {
namespace {

// A smaller cousin of query.cpp's Snapshot: the zone maps, a read
// transaction, and the shared lock that keeps the map from being resized.
struct View {
    std::shared_ptr<Partition> p;
    std::shared_lock<std::shared_mutex> lock;
    MDB_txn* txn = nullptr;
    std::vector<BlockMeta> metas;
    View() = default;
    View(const View&) = delete;
    View& operator=(const View&) = delete;
    ~View() {
        if (txn) mdb_txn_abort(txn);
    }
};

std::unique_ptr<View> open_view(std::shared_ptr<Partition> p) {
    auto v = std::make_unique<View>();
    v->p = std::move(p);
    v->lock = std::shared_lock(v->p->mu);
    v->metas = v->p->metas();  // before the transaction: every listed block is visible to it
    if (mdb_txn_begin(v->p->env, nullptr, MDB_RDONLY, &v->txn)) {
        v->txn = nullptr;
        return nullptr;
    }
    return v;
}

bool block_bytes(View& v, uint64_t id, std::string_view& out) {
    std::string key;
    put_be64(key, id);
    MDB_val k{key.size(), key.data()}, val;
    if (mdb_get(v.txn, v.p->blocks, &k, &val)) return false;
    out = {static_cast<const char*>(val.mv_data), val.mv_size};
    return true;
}

struct DCtx {
    ZSTD_DCtx* d = ZSTD_createDCtx();
    DCtx() = default;
    DCtx(const DCtx&) = delete;
    DCtx& operator=(const DCtx&) = delete;
    ~DCtx() { ZSTD_freeDCtx(d); }
};

bool read_block(View& v, uint64_t id, event::Batch& b, ZSTD_DCtx* dctx) {
    std::string_view bytes;
    if (!block_bytes(v, id, bytes)) return false;
    b.clear();
    return decode_block(bytes, b, dctx);
}

/// The top-level string value of `field`, only when the event holds that key
/// once (exactly what a block keeps dictionary-coded).
std::optional<std::string_view> single_string(const event::Batch& b, size_t i, std::string_view field) {
    std::optional<std::string_view> out;
    int seen = 0;
    for (weir_entry e = b.first(b.event(i).root); e; e = b.next(e)) {
        const auto& x = b.entry(e);
        if (std::string_view(x.key.data, x.key.size) != field) continue;
        if (++seen > 1) return std::nullopt;
        if (x.value.type == WEIR_VAL_STRING) out = std::string_view(x.value.as.s.data, x.value.as.s.size);
    }
    return out;
}

bool tenant_ok(const event::Batch& b, size_t i, const std::string& tenant) {
    if (tenant.empty()) return true;
    weir_value v;
    return b.get(b.event(i).root, "tenant", &v) && v.type == WEIR_VAL_STRING &&
           std::string_view(v.as.s.data, v.as.s.size) == tenant;
}

/// The value context compares: the field's string value (first occurrence),
/// or nullopt when the event has none.
std::optional<std::string> same_value(const event::Batch& b, size_t i, const std::string& field) {
    weir_value v;
    if (!b.get(b.event(i).root, field, &v) || v.type != WEIR_VAL_STRING) return std::nullopt;
    return std::string(v.as.s.data, v.as.s.size);
}

bool asc_before(const RowRef& a, const RowRef& b) {
    if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
    if (a.day != b.day) return a.day < b.day;
    if (a.block != b.block) return a.block < b.block;
    return a.row < b.row;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

/// The blocks of `v` that may hold field=value according to the term index;
/// nullopt when the index cannot say (then every block may).
std::optional<Bitmap> blocks_with(View& v, const std::string& field, const std::string& value) {
    const std::string k = field_key(field, lower_ascii(value));
    MDB_val kv{k.size(), const_cast<char*>(k.data())}, val;
    const int rc = mdb_get(v.txn, v.p->terms, &kv, &val);
    if (rc == MDB_NOTFOUND) return make_bitmap();
    if (rc) return std::nullopt;
    Bitmap b = decode_bitmap({static_cast<const char*>(val.mv_data), val.mv_size});
    if (!b) return std::nullopt;
    return b;
}

}  // namespace

std::optional<std::string> StoreImpl::get(const RowRef& ref, const std::string& tenant) {
    auto p = partition(ref.day, false);
    if (!p) return std::nullopt;
    auto v = open_view(std::move(p));
    if (!v) return std::nullopt;
    DCtx dctx;
    event::Batch b;
    if (!read_block(*v, ref.block, b, dctx.d)) return std::nullopt;
    // The time must agree too: a cursor names one row, never a neighbour.
    if (ref.row >= b.size() || b.event(ref.row).time_ns != ref.time_ns) return std::nullopt;
    if (!tenant_ok(b, ref.row, tenant)) return std::nullopt;
    return std::string(b.to_json(ref.row));
}

ContextResult StoreImpl::context(const ContextRequest& req) {
    ContextResult res;
    QueryStats& st = res.stats;
    DCtx dctx;
    event::Batch b;
    std::optional<std::string> anchor_value;
    {
        auto p = partition(req.ref.day, false);
        if (!p) return res;
        auto v = open_view(std::move(p));
        if (!v) return res;
        ++st.blocks_scanned;
        if (!read_block(*v, req.ref.block, b, dctx.d)) return res;
        const uint32_t r = req.ref.row;
        if (r >= b.size() || b.event(r).time_ns != req.ref.time_ns || !tenant_ok(b, r, req.tenant))
            return res;
        res.found = true;
        res.event = std::string(b.to_json(r));
        if (!req.same_field.empty()) anchor_value = same_value(b, r, req.same_field);
    }
    const bool indexed = anchor_value && std::find(opts_.index_fields.begin(), opts_.index_fields.end(),
                                                   req.same_field) != opts_.index_fields.end();
    struct Hit {
        RowRef ref;
        std::string json;
    };
    // One side: the `want` rows nearest the anchor in (time, day, block, row)
    // order, walking blocks outward from it and stopping once the next block
    // cannot hold a nearer row than the farthest kept.
    auto side = [&](bool forward, size_t want, std::vector<std::string>& events, std::vector<RowRef>& refs) {
        if (!want) return;
        const int64_t t0 = req.ref.time_ns;
        auto parts = forward ? partitions_between(t0, std::numeric_limits<int64_t>::max(), nullptr)
                             : partitions_between(std::numeric_limits<int64_t>::min(), t0, nullptr);
        if (!forward) std::reverse(parts.begin(), parts.end());  // outward from the anchor's day
        // nearer(a, c): a lies closer to the anchor than c on this side.
        auto nearer = [&](const RowRef& a, const RowRef& c) {
            return forward ? asc_before(a, c) : asc_before(c, a);
        };
        auto cmp = [&](const Hit& a, const Hit& c) { return nearer(a.ref, c.ref); };  // farthest on top
        std::priority_queue<Hit, std::vector<Hit>, decltype(cmp)> heap(cmp);
        for (auto& p : parts) {
            // Every event of a day lies in that day: once one day filled the
            // list, the days beyond it cannot hold a nearer row.
            if (heap.size() >= want) break;
            auto v = open_view(std::move(p));
            if (!v) continue;
            ++st.partitions_scanned;
            std::optional<Bitmap> allowed;
            if (indexed) allowed = blocks_with(*v, req.same_field, *anchor_value);
            std::vector<BlockMeta> blocks;
            for (const auto& m : v->metas) {
                if (forward ? m.max_ns < t0 : m.min_ns > t0) {
                    ++st.blocks_pruned_time;
                    continue;
                }
                if (allowed && !roaring_bitmap_contains(allowed->get(), static_cast<uint32_t>(m.id))) {
                    ++st.blocks_pruned_index;
                    continue;
                }
                blocks.push_back(m);
            }
            std::sort(blocks.begin(), blocks.end(), [&](const BlockMeta& a, const BlockMeta& c) {
                return forward ? a.min_ns < c.min_ns : a.max_ns > c.max_ns;
            });
            for (const auto& m : blocks) {
                if (heap.size() >= want) {
                    const int64_t far = heap.top().ref.time_ns;
                    if (forward ? m.min_ns > far : m.max_ns < far) break;
                }
                ++st.blocks_scanned;
                if (!read_block(*v, m.id, b, dctx.d)) {
                    corrupt_blocks_.fetch_add(1);
                    ++st.blocks_unreadable;
                    continue;
                }
                for (size_t i = 0; i < b.size(); ++i) {
                    ++st.rows_scanned;
                    const RowRef ref{b.event(i).time_ns, v->p->day, m.id, static_cast<uint32_t>(i)};
                    if (!nearer(req.ref, ref)) continue;  // the anchor itself, or the other side
                    if (heap.size() >= want && !nearer(ref, heap.top().ref)) continue;
                    if (!tenant_ok(b, i, req.tenant)) continue;
                    if (!req.same_field.empty() && same_value(b, i, req.same_field) != anchor_value) continue;
                    Hit h{ref, std::string(b.to_json(i))};
                    if (heap.size() >= want) heap.pop();
                    heap.push(std::move(h));
                }
            }
        }
        std::vector<Hit> hits;
        while (!heap.empty()) {
            hits.push_back(std::move(const_cast<Hit&>(heap.top())));
            heap.pop();
        }
        // The heap gives the farthest first: after the anchor that is newest
        // first, so reverse; before it, farthest is oldest, already in order.
        if (forward) std::reverse(hits.begin(), hits.end());
        for (auto& h : hits) {
            refs.push_back(h.ref);
            events.push_back(std::move(h.json));
        }
    };
    side(false, req.before, res.before, res.before_refs);
    side(true, req.after, res.after, res.after_refs);
    if (indexed) st.path = "index";
    return res;
}

namespace {

/// What the fields catalogue keeps per name, bounded: values past
/// kMaxTrackedValues distinct ones are counted for the field, not by value.
constexpr size_t kMaxFieldNames = 1000;
constexpr size_t kMaxTrackedValues = 1000;
constexpr size_t kMaxValueBytes = 256;

struct FieldAcc {
    uint64_t count = 0;
    size_t last_event = std::numeric_limits<size_t>::max();
    uint32_t types = 0;  // bit per type name
    std::unordered_map<std::string, uint64_t> values;
};

const char* const kTypeNames[] = {"string", "integer", "float", "bool", "null", "object", "array"};

int type_bit(int32_t t) {
    switch (t) {
        case WEIR_VAL_STRING:
            return 0;
        case WEIR_VAL_INT:
            return 1;
        case WEIR_VAL_FLOAT:
            return 2;
        case WEIR_VAL_BOOL:
            return 3;
        case WEIR_VAL_NULL:
            return 4;
        case WEIR_VAL_OBJECT:
            return 5;
        default:
            return 6;
    }
}

std::optional<std::string> value_text(const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_STRING:
            return std::string(v.as.s.data, std::min<size_t>(v.as.s.size, kMaxValueBytes));
        case WEIR_VAL_INT:
            return std::to_string(v.as.i);
        case WEIR_VAL_FLOAT: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", v.as.f);
            return std::string(buf);
        }
        case WEIR_VAL_BOOL:
            return std::string(v.as.b ? "true" : "false");
        default:
            return std::nullopt;
    }
}

struct Catalogue {
    std::unordered_map<std::string, FieldAcc> by_name;
    std::vector<std::string> order;  // first seen first (ties in the answer)

    void note(const std::string& name, size_t event, const weir_value& v) {
        auto it = by_name.find(name);
        if (it == by_name.end()) {
            if (by_name.size() >= kMaxFieldNames) return;
            it = by_name.emplace(name, FieldAcc{}).first;
            order.push_back(name);
        }
        FieldAcc& a = it->second;
        if (a.last_event != event) {
            ++a.count;
            a.last_event = event;
        }
        a.types |= 1u << type_bit(v.type);
        if (auto text = value_text(v)) {
            auto vit = a.values.find(*text);
            if (vit != a.values.end())
                ++vit->second;
            else if (a.values.size() < kMaxTrackedValues)
                a.values.emplace(std::move(*text), 1);
        }
    }

    void visit(const event::Batch& b, weir_node obj, const std::string& prefix, size_t event) {
        for (weir_entry e = b.first(obj); e; e = b.next(e)) {
            const auto& x = b.entry(e);
            const std::string name = prefix + std::string(x.key.data, x.key.size);
            if (x.value.type == WEIR_VAL_OBJECT && b.first(x.value.as.node)) {
                visit(b, x.value.as.node, name + ".", event);  // leaves under dotted names
                continue;
            }
            note(name, event, x.value);
        }
    }
};

}  // namespace

FieldsResult StoreImpl::fields(const FieldsRequest& req) {
    FieldsResult res;
    // The newest matching events, as search finds them (with its pruning).
    SearchRequest sr;
    sr.condition = req.condition;
    sr.hint = req.hint;
    sr.tenant = req.tenant;
    sr.limit = std::max<size_t>(req.sample_events, 1);
    sr.cancel = req.cancel;
    SearchResult found = search(sr);
    res.stats = found.stats;
    res.exact = found.total_exact && found.total <= found.refs.size();
    std::map<std::pair<int64_t, uint64_t>, std::vector<uint32_t>> rows_by_block;
    for (const auto& r : found.refs) rows_by_block[{r.day, r.block}].push_back(r.row);
    found.events.clear();
    found.events.shrink_to_fit();

    Catalogue cat;
    DCtx dctx;
    event::Batch b;
    size_t nth = 0;
    int64_t open_day = std::numeric_limits<int64_t>::min();
    std::unique_ptr<View> v;
    for (const auto& [where, rows] : rows_by_block) {
        if (where.first != open_day) {
            v.reset();
            open_day = where.first;
            if (auto p = partition(open_day, false)) v = open_view(std::move(p));
        }
        if (!v || !read_block(*v, where.second, b, dctx.d)) continue;
        for (uint32_t r : rows) {
            if (r >= b.size()) continue;
            ++res.events_sampled;
            cat.visit(b, b.event(r).root, "", nth);
            // The message words match against: the body when the event has no message field.
            if (!b.body(r).empty() && !b.get(b.event(r).root, "message", nullptr)) {
                weir_value m{};
                m.type = WEIR_VAL_STRING;
                m.as.s = weir_str{b.body(r).data(), b.body(r).size()};
                cat.note("message", nth, m);
            }
            ++nth;
        }
    }
    for (const auto& name : cat.order) {
        FieldAcc& a = cat.by_name[name];
        FieldInfo f;
        f.name = name;
        int bits = 0, last = 0;
        for (int k = 0; k < 7; ++k)
            if (a.types & (1u << k)) ++bits, last = k;
        f.type = bits == 1 ? kTypeNames[last] : "mixed";
        f.count = a.count;
        std::vector<std::pair<std::string, uint64_t>> top(a.values.begin(), a.values.end());
        const size_t n = std::min(top.size(), req.top_values);
        std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(n), top.end(),
                          [](const auto& x, const auto& y) {
                              return x.second != y.second ? x.second > y.second : x.first < y.first;
                          });
        top.resize(n);
        f.top = std::move(top);
        res.fields.push_back(std::move(f));
    }
    std::stable_sort(res.fields.begin(), res.fields.end(), [](const FieldInfo& x, const FieldInfo& y) {
        return x.count != y.count ? x.count > y.count : x.name < y.name;
    });
    return res;
}

SourcesResult StoreImpl::sources(const SourcesRequest& req) {
    SourcesResult res;
    QueryStats& st = res.stats;
    std::vector<int> dicts;
    for (const auto& f : req.fields) {
        for (size_t k = 0; k < kDictFields.size(); ++k)
            if (kDictFields[k] == f) dicts.push_back(static_cast<int>(k));
    }
    struct Acc {
        uint64_t count = 0;
        int64_t last = std::numeric_limits<int64_t>::min();
    };
    // Per requested field: value -> count and last seen.
    std::vector<std::map<std::string, Acc>> acc(dicts.size());
    auto parts = partitions_between(req.from_ns, req.to_ns, &st.partitions_pruned);
    std::vector<std::unique_ptr<View>> views;
    struct Candidate {
        size_t view;
        BlockMeta meta;
    };
    std::vector<Candidate> blocks;
    for (auto& p : parts) {
        auto v = open_view(std::move(p));
        if (!v) continue;
        ++st.partitions_scanned;
        for (const auto& m : v->metas) {
            if (m.max_ns < req.from_ns || m.min_ns > req.to_ns) {
                ++st.blocks_pruned_time;
                continue;
            }
            blocks.push_back({views.size(), m});
        }
        views.push_back(std::move(v));
    }
    DCtx dctx;
    event::Batch b;
    const size_t tenant_dict = 5;  // kDictFields[5] == "tenant"
    // Rows of a decoded block inside the range and of the tenant: counts and
    // exact last-seen times by value.
    auto scan = [&](const Candidate& c, bool count) {
        View& v = *views[c.view];
        ++st.blocks_scanned;
        if (!read_block(v, c.meta.id, b, dctx.d)) {
            corrupt_blocks_.fetch_add(1);
            ++st.blocks_unreadable;
            return;
        }
        for (size_t i = 0; i < b.size(); ++i) {
            ++st.rows_scanned;
            const int64_t t = b.event(i).time_ns;
            if (t < req.from_ns || t > req.to_ns || !tenant_ok(b, i, req.tenant)) continue;
            for (size_t f = 0; f < dicts.size(); ++f) {
                const auto value = single_string(b, i, kDictFields[dicts[f]]);
                if (!value) continue;
                Acc& a = acc[f][std::string(*value)];
                if (count) ++a.count;
                if (t > a.last) a.last = t;
            }
        }
    };
    // Newest first: counts from the header where it answers, rows otherwise;
    // a header-answered block is decoded only when it may hold a newer row of
    // one of its values than the newest known (blocks come by their newest
    // row, so once known, a value's last-seen time only needs checking).
    std::sort(blocks.begin(), blocks.end(),
              [](const Candidate& x, const Candidate& y) { return x.meta.max_ns > y.meta.max_ns; });
    bool any_rows = false;
    BlockHeader h;
    for (const auto& c : blocks) {
        std::string_view bytes;
        if (!block_bytes(*views[c.view], c.meta.id, bytes) || !decode_block_header(bytes, h)) {
            corrupt_blocks_.fetch_add(1);
            ++st.blocks_unreadable;
            continue;
        }
        const auto& tenants = h.dicts[tenant_dict];
        if (!req.tenant.empty() && std::none_of(tenants.begin(), tenants.end(),
                                                [&](const auto& x) { return x.text == req.tenant; })) {
            ++st.blocks_pruned_index;  // no row of this tenant
            continue;
        }
        const bool whole_tenant = req.tenant.empty() || (tenants.size() == 1 && tenants[0].count == h.count);
        if (!whole_tenant || c.meta.min_ns < req.from_ns || c.meta.max_ns > req.to_ns) {
            scan(c, true);
            any_rows = true;
            continue;
        }
        ++st.blocks_scanned;
        bool newer = false;
        for (size_t f = 0; f < dicts.size(); ++f) {
            const auto& dict = h.dicts[dicts[f]];
            for (const auto& val : dict) {
                Acc& a = acc[f][val.text];
                a.count += val.count;
                if (a.last >= c.meta.max_ns) continue;
                if (dict.size() == 1 && val.count == h.count)
                    a.last = c.meta.max_ns;  // every row has it: the block's newest row is its last
                else
                    newer = true;
            }
        }
        if (newer) scan(c, false);
    }
    for (size_t f = 0; f < dicts.size(); ++f) {
        const size_t start = res.values.size();
        for (auto& [value, a] : acc[f]) {
            if (!a.count) continue;
            res.values.push_back({std::string(kDictFields[dicts[f]]), value, a.count, a.last});
        }
        std::stable_sort(res.values.begin() + static_cast<std::ptrdiff_t>(start), res.values.end(),
                         [](const SourceInfo& x, const SourceInfo& y) { return x.count > y.count; });
    }
    st.path = any_rows ? "scan" : "headers";
    return res;
}

}  // namespace weir::store::detail
