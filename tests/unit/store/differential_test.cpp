// The randomized differential test: random events (late and out of order
// across days, unicode, nested fields, numbers stored as strings, repeated
// keys, equal timestamps) and thousands of random queries, each answered by
// the store and by a brute-force evaluation of the same condition on every
// event. Search (totals, exact ordered rows, cursor paging both ways),
// aggregate (every metric, grouped, bucketed), get, context, sources and the
// fields catalogue.
//
// WEIR_DIFF_SCALE (a factor, default 1; 0.3 under AddressSanitizer) scales
// the number of queries; WEIR_DIFF_SEED picks another seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/store.hpp>

#include "store_fixture.hpp"

namespace {

using namespace weir;
using namespace weir::store::testing;
using condition::Condition;
using condition::IndexHint;

double scale() {
    double s = 1.0;
#if defined(__SANITIZE_ADDRESS__)
    s = 0.3;
#endif
    if (const char* e = std::getenv("WEIR_DIFF_SCALE")) s = std::atof(e);
    return s > 0 ? s : 1.0;
}

uint64_t seed() {
    if (const char* e = std::getenv("WEIR_DIFF_SEED")) return std::strtoull(e, nullptr, 10);
    return 20260119;
}

size_t scaled(size_t n) { return std::max<size_t>(1, static_cast<size_t>(static_cast<double>(n) * scale())); }

const char* const kLevels[] = {"INFO", "info", "ERROR", "error", "WARN", "debug", "Fatal"};
const char* const kServices[] = {"checkout", "payment.service", "auth", "Search", "größe-dienst"};
const char* const kSources[] = {"/var/log/app.log", "/var/log/db.log", "syslog:10.0.0.7", "stdin"};
const char* const kWords[] = {
    "timeout", "connection",   "refused",          "ok",        "login", "größe",     "日本語",
    "retry",   "db_error",     "Timeout",          "TIMEOUT",   "conn",  "connected", "naïve",
    "emoji😀",  "10.0.0.1:443", "user@example.com", "path/to/x", "a_b_c", "x"};

/// Random events over four days: a tenth are late by up to two days, times
/// come from a coarse grid now and then (ties), bodies mix unicode, some are
/// empty with a message field instead; fields nest, repeat, and hold numbers
/// as numbers, as strings and as floats.
void random_events(event::Batch& b, size_t n, std::mt19937_64& rng) {
    for (size_t k = 0; k < n; ++k) {
        int64_t t = kBase + static_cast<int64_t>(rng() % (4 * kDayNs));
        if (rng() % 10 == 0) t -= static_cast<int64_t>(rng() % (2 * kDayNs));
        if (rng() % 4 == 0) t -= t % 60'000'000'000;  // on the minute: many equal times
        std::string body;
        const int words = 1 + static_cast<int>(rng() % 6);
        for (int w = 0; w < words; ++w) body += std::string(w ? " " : "") + kWords[rng() % std::size(kWords)];
        if (rng() % 3 == 0) body += " req=" + std::to_string(rng() % 1000);
        if (rng() % 5 == 0) body += " order=" + std::to_string(100000 + rng() % 50);
        const bool empty_body = rng() % 10 == 0;
        const size_t i = b.add(empty_body ? std::string_view{} : std::string_view(body), t);
        const weir_node root = b.event(i).root;
        b.put(root, "seq", int_v(static_cast<int64_t>(k)), 0);
        if (empty_body) b.put(root, "message", str_v(body), 0);
        if (rng() % 8) b.put(root, "level", str_v(kLevels[rng() % std::size(kLevels)]), 0);
        if (rng() % 3) b.put(root, "service", str_v(kServices[rng() % std::size(kServices)]), 0);
        if (rng() % 6) b.put(root, "source", str_v(kSources[rng() % std::size(kSources)]), 0);
        if (rng() % 25 == 0) b.put(root, "source", str_v("dup"), WEIR_PUT_APPEND);  // repeated key
        if (rng() % 30 == 0) b.put(root, "service", int_v(7), 0);                   // not a string
        switch (rng() % 4) {
            case 0:
                b.put(root, "status", int_v(200 + static_cast<int64_t>(rng() % 4) * 100), 0);
                break;
            case 1:
                b.put(root, "status", str_v(rng() % 2 ? "503" : "404"), 0);  // numbers as strings
                break;
            case 2:
                b.put(root, "status", float_v(500.0), 0);
                break;
            default:
                break;
        }
        switch (rng() % 5) {
            case 0:
                b.put(root, "latency_ms", str_v(std::to_string(rng() % 2000)), 0);
                break;
            case 1:
                b.put(root, "latency_ms", float_v(static_cast<double>(rng() % 20000) / 10.0), 0);
                break;
            case 2:
                b.put(root, "latency_ms", str_v("n/a"), 0);
                break;
            default:
                b.put(root, "latency_ms", int_v(static_cast<int64_t>(rng() % 2000)), 0);
        }
        switch (rng() % 7) {  // numeric ids as numbers, numeric text and not numbers at all
            case 0:
                b.put(root, "user_id", int_v(12345 + static_cast<int64_t>(rng() % 3)), 0);
                break;
            case 1:
                b.put(root, "user_id", str_v(rng() % 2 ? "12345" : "12346"), 0);
                break;
            case 2:
                b.put(root, "user_id", float_v(12345.0), 0);
                break;
            case 3:
                b.put(root, "user_id", str_v(rng() % 2 ? "012345" : "12345.0"), 0);
                break;
            case 4:
                b.put(root, "user_id", str_v("u-12345"), 0);
                break;
            case 5:
                b.put(root, "user_id", float_v(12345.5), 0);
                break;
            default:
                break;
        }
        if (rng() % 2) b.put(root, "tenant", str_v(rng() % 2 ? "acme" : "globex"), 0);
        if (rng() % 3) {
            const weir_node req = b.put(root, "request", container_v(WEIR_VAL_OBJECT), 0);
            b.put(req, "path", str_v(rng() % 2 ? "/api/pay" : "/health"), 0);
            if (rng() % 2) {
                const weir_node u = b.put(req, "user", container_v(WEIR_VAL_OBJECT), 0);
                b.put(u, "id", rng() % 2 ? int_v(static_cast<int64_t>(rng() % 5)) : str_v("u-1"), 0);
            }
        }
        if (rng() % 7 == 0) b.put(root, "ok", bool_v(rng() % 2), 0);
        if (rng() % 9 == 0) {
            const weir_node a = b.put(root, "tags", container_v(WEIR_VAL_ARRAY), 0);
            b.put(a, "", str_v("t1"), WEIR_PUT_APPEND);
        }
    }
}

/// A random condition of the query language, written as a user would.
std::string random_condition(std::mt19937_64& rng, int depth) {
    static const char* const atoms[] = {
        "timeout",
        "TIMEOUT",
        "größe",
        "日本語",
        "naïve",
        "emoji😀",
        "conn*",
        "*rror",
        "\"connection refused\"",
        "\"db_error retry\"",
        "10.0.0.1",
        "user@example.com",
        "level:error",
        "level:(warn OR info)",
        "level IN (\"ERROR\", \"fatal\")",
        "level != debug",
        "service:payment.service",
        "service:\"größe-dienst\"",
        "service:search",
        "source:\"/var/log/app.log\"",
        "source:/var/log/*",
        "status>=500",
        "status:503",
        "status = \"503\"",
        "status<300",
        "latency_ms>1000",
        "latency_ms<=20.5",
        "request.path:/api/pay",
        "request.path:/api/*",
        "request.user.id:3",
        "request.user.id EXISTS",
        "_exists_:tenant",
        "user_id:12345",
        "user_id:\"12346\"",
        "user_id:12345.0",
        "user_id:12345.5",
        "user_id:1.2345e4",
        "user_id IN (12346, 12347)",
        "user_id:u-12345",
        "user_id:(12345 OR u-12345)",
        "status:500",
        "status IN (404, 200)",
        "request.user.id:3",
        "tenant:acme",
        "ok:true",
        "message:retry",
        "req",
        "100007",
        "order",
        "xenonfault",
        "x",
    };
    const int pick = static_cast<int>(rng() % (depth > 2 ? 1 : 5));
    if (pick == 0 || pick == 1) return atoms[rng() % std::size(atoms)];
    if (pick == 2) return "NOT (" + random_condition(rng, depth + 1) + ")";
    const std::string a = random_condition(rng, depth + 1), b = random_condition(rng, depth + 1);
    if (pick == 3) return "(" + a + ") AND (" + b + ")";
    return "(" + a + ") OR (" + b + ")";
}

bool tenant_ok(const event::Batch& b, size_t i, const std::string& tenant) {
    if (tenant.empty()) return true;
    weir_value v;
    return b.get(b.event(i).root, "tenant", &v) && v.type == WEIR_VAL_STRING &&
           std::string_view(v.as.s.data, v.as.s.size) == tenant;
}

int64_t seq_of(const event::Batch& b, size_t i) {
    weir_value v;
    b.get(b.event(i).root, "seq", &v);
    return v.as.i;
}

/// (time, seq) with the order among equal times made canonical (by seq):
/// the store orders ties by where rows live, which brute force cannot know.
using Rows = std::vector<std::pair<int64_t, int64_t>>;
Rows canonical(Rows r, bool desc) {
    std::stable_sort(r.begin(), r.end(), [&](const auto& x, const auto& y) {
        if (x.first != y.first) return desc ? x.first > y.first : x.first < y.first;
        return x.second < y.second;
    });
    return r;
}

Rows rows_of(const store::SearchResult& r) {
    Rows out;
    for (size_t k = 0; k < r.refs.size(); ++k)
        out.emplace_back(r.refs[k].time_ns, json_int(r.events[k], "seq"));
    return out;
}

struct Question {
    std::string text;
    std::optional<Condition> cond;
    IndexHint hint;
    std::string tenant;
};

Question random_question(std::mt19937_64& rng) {
    Question q;
    if (rng() % 6) {
        q.text = random_condition(rng, 0);
        q.cond = Condition::compile(q.text);
        q.hint = q.cond->index_hint();  // what the API does: the index is used as in production
    }
    switch (rng() % 4) {
        case 0:  // a window crossing a day boundary
            q.hint.from_ns = kBase + kDayNs - static_cast<int64_t>(rng() % (6 * 3'600'000'000'000));
            q.hint.to_ns = kBase + kDayNs + static_cast<int64_t>(rng() % (6 * 3'600'000'000'000));
            break;
        case 1: {  // any window, maybe empty
            const int64_t a = kBase - kDayNs + static_cast<int64_t>(rng() % (6 * kDayNs));
            q.hint.from_ns = std::max(q.hint.from_ns, a);
            q.hint.to_ns = std::min(q.hint.to_ns, a + static_cast<int64_t>(rng() % kDayNs));
            break;
        }
        default:
            break;
    }
    if (rng() % 4 == 0) q.tenant = rng() % 2 ? "acme" : "globex";
    return q;
}

class StoreDifferential : public StoreDir {
protected:
    void SetUp() override {
        StoreDir::SetUp();
        std::mt19937_64 rng(seed());
        random_events(src_, std::max<size_t>(1500, scaled(4000)), rng);
        for (int k = 0; k < 4; ++k) {  // a word few blocks hold
            const size_t i = src_.add("rare xenonfault here", kBase + k * kDayNs / 2 + 17);
            src_.put(src_.event(i).root, "seq", int_v(static_cast<int64_t>(i)), 0);
        }
        // Written in random order and batch sizes: late events land in older
        // days after newer ones, blocks overlap in time.
        order_.resize(src_.size());
        for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
        std::shuffle(order_.begin(), order_.end(), rng);
        opts_.sync = false;  // nothing here survives a crash anyway
        // Fields holding numbers, numeric text and both: their number keys too.
        opts_.index_fields.push_back("status");
        opts_.index_fields.push_back("request.user.id");
        store_ = store::Store::open(opts_);
        write_rows(*store_, src_, order_, 1 + rng() % 500);
    }

    std::vector<size_t> matching(const Question& q) const {
        std::vector<size_t> out;
        for (size_t i = 0; i < src_.size(); ++i) {
            const int64_t t = src_.event(i).time_ns;
            if (t < q.hint.from_ns || t > q.hint.to_ns || !tenant_ok(src_, i, q.tenant)) continue;
            if (q.cond && !q.cond->matches(src_, i)) continue;
            out.push_back(i);
        }
        return out;
    }

    Rows brute_rows(const Question& q, bool desc) const {
        Rows r;
        for (size_t i : matching(q)) r.emplace_back(src_.event(i).time_ns, seq_of(src_, i));
        return canonical(std::move(r), desc);
    }

    store::SearchRequest request(const Question& q, size_t limit, bool desc) const {
        store::SearchRequest req;
        req.condition = q.cond ? &*q.cond : nullptr;
        req.hint = q.hint;
        req.tenant = q.tenant;
        req.limit = limit;
        req.newest_first = desc;
        return req;
    }

    event::Batch src_;
    std::vector<size_t> order_;
    std::unique_ptr<store::Store> store_;
};

TEST_F(StoreDifferential, SearchTotalsRowsAndCursorPagesAgreeWithBruteForce) {
    std::mt19937_64 rng(seed() + 1);
    const size_t queries = scaled(1000);
    size_t nonempty = 0;
    for (size_t k = 0; k < queries; ++k) {
        const Question q = random_question(rng);
        const bool desc = rng() % 3 != 0;
        const Rows want = brute_rows(q, desc);
        nonempty += !want.empty();
        // Everything in one page: an exact total and the same rows.
        const auto all = store_->search(request(q, 1'000'000, desc));
        ASSERT_EQ(all.total, want.size()) << q.text << " tenant " << q.tenant;
        ASSERT_TRUE(all.total_exact) << q.text;
        ASSERT_EQ(canonical(rows_of(all), desc), want) << q.text;
        // The first page of a small limit: the best rows, a lower-bound total.
        const size_t limit = 1 + rng() % 50;
        const auto first = store_->search(request(q, limit, desc));
        const Rows head(want.begin(),
                        want.begin() + static_cast<std::ptrdiff_t>(std::min(limit, want.size())));
        // Same times; among equal times at the cut the store picks by position.
        const Rows got_head = rows_of(first);
        ASSERT_EQ(got_head.size(), head.size()) << q.text;
        const std::set<std::pair<int64_t, int64_t>> wanted(want.begin(), want.end());
        for (size_t n = 0; n < head.size(); ++n) {
            ASSERT_EQ(got_head[n].first, head[n].first) << q.text << " row " << n;
            ASSERT_TRUE(wanted.count(got_head[n])) << q.text << " row " << n;
        }
        ASSERT_LE(first.total, want.size()) << q.text;
        ASSERT_GE(first.total, head.size()) << q.text;
        if (first.total_exact) {
            ASSERT_EQ(first.total, want.size()) << q.text;
        }
        ASSERT_EQ(first.next_cursor.has_value(), want.size() > head.size() || !first.total_exact) << q.text;
        // Paging with cursors (some queries): every row exactly once, in order.
        if (k % 8 == 0) {
            auto page = request(q, 1 + rng() % 400, desc);
            Rows paged;
            std::vector<store::RowRef> refs;
            for (int guard = 0; guard < 10000; ++guard) {
                const auto r = store_->search(page);
                const Rows got = rows_of(r);
                paged.insert(paged.end(), got.begin(), got.end());
                refs.insert(refs.end(), r.refs.begin(), r.refs.end());
                if (!r.next_cursor) break;
                ASSERT_FALSE(r.refs.empty()) << q.text;  // a cursor always moves on
                page.after = r.next_cursor;
            }
            ASSERT_EQ(canonical(paged, desc), want) << q.text;
            std::set<std::string> distinct;
            for (const auto& r : refs) distinct.insert(r.to_cursor());
            ASSERT_EQ(distinct.size(), refs.size()) << q.text;
            ASSERT_EQ(refs.size(), all.refs.size()) << q.text;
            for (size_t n = 0; n < refs.size(); ++n)
                ASSERT_EQ(refs[n].to_cursor(), all.refs[n].to_cursor()) << q.text << " row " << n;
        }
    }
    EXPECT_GT(nonempty, queries / 4);  // the queries do find things
}

// ---- aggregate ----------------------------------------------------------------

bool lookup_path(const event::Batch& b, size_t i, std::string_view path, weir_value& out) {
    weir_node node = b.event(i).root;
    size_t start = 0;
    for (;;) {
        const size_t dot = path.find('.', start);
        const std::string_view part =
            path.substr(start, dot == std::string_view::npos ? path.npos : dot - start);
        if (!b.get(node, part, &out)) {
            if (start == 0 && dot == std::string_view::npos && path == "message") {
                out.type = WEIR_VAL_STRING;
                out.as.s = weir_str{b.body(i).data(), b.body(i).size()};
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

/// What aggregate documents: strings as they are, integers in decimal, floats
/// with 17 digits, true/false, null; objects and arrays group as absent.
std::optional<std::string> group_text(const weir_value& v) {
    char buf[64];
    switch (v.type) {
        case WEIR_VAL_STRING:
            return std::string(v.as.s.data, v.as.s.size);
        case WEIR_VAL_INT:
            return std::to_string(v.as.i);
        case WEIR_VAL_FLOAT:
            std::snprintf(buf, sizeof buf, "%.17g", v.as.f);
            return std::string(buf);
        case WEIR_VAL_BOOL:
            return std::string(v.as.b ? "true" : "false");
        case WEIR_VAL_NULL:
            return std::string("null");
        default:
            return std::nullopt;
    }
}

/// Numbers, and strings that read wholly as a finite number.
std::optional<double> number_of(const weir_value& v) {
    if (v.type == WEIR_VAL_INT) return static_cast<double>(v.as.i);
    if (v.type == WEIR_VAL_FLOAT) return std::isfinite(v.as.f) ? std::optional<double>(v.as.f) : std::nullopt;
    if (v.type != WEIR_VAL_STRING || !v.as.s.size) return std::nullopt;
    const std::string s(v.as.s.data, v.as.s.size);
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
    return d;
}

std::optional<double> metric_of(const std::string& metric, uint64_t count, std::vector<double> xs) {
    if (metric == "count") return static_cast<double>(count);
    if (xs.empty()) return std::nullopt;
    std::sort(xs.begin(), xs.end());
    double sum = 0;
    for (double x : xs) sum += x;
    if (metric == "sum") return sum;
    if (metric == "avg") return sum / static_cast<double>(xs.size());
    if (metric == "min") return xs.front();
    if (metric == "max") return xs.back();
    const double q = std::atof(metric.c_str() + 1) / 100.0;  // nearest rank
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(xs.size())));
    rank = std::clamp<size_t>(rank, 1, xs.size());
    return xs[rank - 1];
}

TEST_F(StoreDifferential, AggregatesAgreeWithBruteForce) {
    std::mt19937_64 rng(seed() + 2);
    static const char* const metrics[] = {"count", "sum", "avg", "min", "max", "p50", "p90", "p95", "p99"};
    static const std::vector<std::vector<std::string>> groupings = {{},
                                                                    {"level"},
                                                                    {"service"},
                                                                    {"status"},
                                                                    {"request.path"},
                                                                    {"level", "tenant"},
                                                                    {"request.user.id"},
                                                                    {"source"}};
    static const char* const fields[] = {"latency_ms", "status", "request.user.id", "seq"};
    const size_t queries = scaled(500);
    for (size_t k = 0; k < queries; ++k) {
        const Question q = random_question(rng);
        store::AggregateRequest a;
        a.condition = q.cond ? &*q.cond : nullptr;
        a.hint = q.hint;
        a.tenant = q.tenant;
        a.metric = metrics[rng() % std::size(metrics)];
        a.field = a.metric == "count" ? "" : fields[rng() % std::size(fields)];
        a.group_by = groupings[rng() % groupings.size()];
        if (rng() % 3 == 0)
            a.interval_ns = (rng() % 2 ? 3'600'000'000'000 : 60'000'000'000) * (1 + rng() % 5);
        a.limit = 100000;  // every group: the ranking among ties is not what this compares
        a.exact = true;    // percentiles and unique counts by a scan, not from sketches
        // Brute force: (bucket, group) -> count and values.
        std::map<std::pair<int64_t, std::vector<std::optional<std::string>>>,
                 std::pair<uint64_t, std::vector<double>>>
            want;
        for (size_t i : matching(q)) {
            std::vector<std::optional<std::string>> g;
            weir_value v;
            for (const auto& f : a.group_by)
                g.push_back(lookup_path(src_, i, f, v) ? group_text(v) : std::nullopt);
            int64_t bucket = 0;
            if (a.interval_ns > 0) {
                const int64_t t = src_.event(i).time_ns, r = t % a.interval_ns;
                bucket = t - (r < 0 ? r + a.interval_ns : r);
            }
            auto& acc = want[{bucket, g}];
            ++acc.first;
            if (!a.field.empty() && lookup_path(src_, i, a.field, v))
                if (auto x = number_of(v)) acc.second.push_back(*x);
        }
        const auto got = store_->aggregate(a);
        ASSERT_TRUE(got.exact);
        std::set<std::vector<std::optional<std::string>>> groups;
        for (const auto& [key, acc] : want) groups.insert(key.second);
        ASSERT_EQ(got.groups_total, groups.size()) << q.text << " " << a.metric;
        ASSERT_EQ(got.rows.size(), want.size()) << q.text << " " << a.metric << " " << a.field;
        for (const auto& row : got.rows) {
            const auto it = want.find({row.bucket_ns.value_or(0), row.group});
            ASSERT_NE(it, want.end()) << q.text;
            ASSERT_EQ(row.count, it->second.first) << q.text;
            const auto v = metric_of(a.metric, it->second.first, it->second.second);
            ASSERT_EQ(row.value.has_value(), v.has_value()) << q.text << " " << a.metric << " " << a.field;
            if (v) {
                ASSERT_NEAR(*row.value, *v, 1e-9 * std::max(1.0, std::fabs(*v))) << q.text << " " << a.metric;
            }
        }
        // Rows by time: buckets ascending.
        for (size_t n = 1; n < got.rows.size(); ++n)
            ASSERT_LE(got.rows[n - 1].bucket_ns.value_or(0), got.rows[n].bucket_ns.value_or(0));
        // The top-N keeps exactly min(limit, groups) groups.
        if (!a.group_by.empty() && groups.size() > 2) {
            a.limit = 2;
            const auto top = store_->aggregate(a);
            std::set<std::vector<std::optional<std::string>>> kept;
            for (const auto& row : top.rows) kept.insert(row.group);
            ASSERT_EQ(kept.size(), 2u) << q.text;
            ASSERT_EQ(top.groups_total, groups.size());
        }
    }
}

// ---- get, context, sources -------------------------------------------------------

TEST_F(StoreDifferential, GetAndContextAgreeWithTheStoreOrder) {
    std::mt19937_64 rng(seed() + 3);
    // The store's total order (time, day, block, row), from one ascending search.
    store::SearchRequest every;
    every.limit = 1'000'000;
    every.newest_first = false;
    const auto all = store_->search(every);
    ASSERT_EQ(all.refs.size(), src_.size());
    std::map<int64_t, size_t> src_of_seq;
    for (size_t i = 0; i < src_.size(); ++i) src_of_seq[seq_of(src_, i)] = i;
    std::vector<size_t> src_at;  // position in the order -> index in src_
    for (const auto& e : all.events) src_at.push_back(src_of_seq.at(json_int(e, "seq")));
    const size_t anchors = scaled(400);
    static const char* const sames[] = {"source", "host", "service", ""};
    for (size_t k = 0; k < anchors; ++k) {
        const size_t at = rng() % all.refs.size();
        const size_t i = src_at[at];
        const std::string tenant = rng() % 3 == 0 ? (rng() % 2 ? "acme" : "globex") : "";
        // get: the same event, or nothing for another tenant.
        const auto one = store_->get(all.refs[at], tenant);
        ASSERT_EQ(one.has_value(), tenant_ok(src_, i, tenant));
        if (one) {
            ASSERT_EQ(*one, all.events[at]);
        }
        store::RowRef wrong = all.refs[at];
        wrong.time_ns -= 1;
        ASSERT_FALSE(store_->get(wrong, ""));

        store::ContextRequest cr;
        cr.ref = all.refs[at];
        cr.tenant = tenant;
        cr.before = rng() % 30;
        cr.after = rng() % 30;
        cr.same_field = sames[rng() % std::size(sames)];
        const auto got = store_->context(cr);
        ASSERT_EQ(got.found, tenant_ok(src_, i, tenant));
        if (!got.found) continue;
        auto value = [&](size_t j) -> std::optional<std::string> {
            weir_value v;
            if (cr.same_field.empty()) return std::string();
            if (!src_.get(src_.event(j).root, cr.same_field, &v) || v.type != WEIR_VAL_STRING)
                return std::nullopt;
            return std::string(v.as.s.data, v.as.s.size);
        };
        const auto anchor_value = value(i);
        std::vector<std::string> want_before, want_after;
        for (size_t p = at; p-- > 0 && want_before.size() < cr.before;)
            if (tenant_ok(src_, src_at[p], tenant) && value(src_at[p]) == anchor_value)
                want_before.insert(want_before.begin(), all.refs[p].to_cursor());
        for (size_t p = at + 1; p < all.refs.size() && want_after.size() < cr.after; ++p)
            if (tenant_ok(src_, src_at[p], tenant) && value(src_at[p]) == anchor_value)
                want_after.push_back(all.refs[p].to_cursor());
        std::vector<std::string> before, after;
        for (const auto& r : got.before_refs) before.push_back(r.to_cursor());
        for (const auto& r : got.after_refs) after.push_back(r.to_cursor());
        ASSERT_EQ(before, want_before) << "same " << cr.same_field << " at " << at;
        ASSERT_EQ(after, want_after) << "same " << cr.same_field << " at " << at;
        ASSERT_EQ(got.event, all.events[at]);
    }
}

TEST_F(StoreDifferential, SourcesAgreeWithBruteForce) {
    std::mt19937_64 rng(seed() + 4);
    const size_t queries = scaled(150);
    for (size_t k = 0; k < queries; ++k) {
        Question q = random_question(rng);
        store::SourcesRequest sr;
        sr.from_ns = q.hint.from_ns;
        sr.to_ns = q.hint.to_ns;
        sr.tenant = q.tenant;
        sr.fields = {"source", "service", "level"};
        q.cond.reset();
        std::map<std::pair<std::string, std::string>, std::pair<uint64_t, int64_t>> want, got;
        for (size_t i : matching(q)) {
            for (const auto& f : sr.fields) {
                // A top-level string present once: what a block's header counts.
                int seen = 0;
                std::optional<std::string> value;
                for (weir_entry e = src_.first(src_.event(i).root); e; e = src_.next(e)) {
                    const auto& x = src_.entry(e);
                    if (std::string_view(x.key.data, x.key.size) != f) continue;
                    ++seen;
                    if (x.value.type == WEIR_VAL_STRING)
                        value = std::string(x.value.as.s.data, x.value.as.s.size);
                }
                if (seen != 1 || !value) continue;
                auto& w = want[{f, *value}];
                ++w.first;
                w.second = std::max(w.second, src_.event(i).time_ns);
            }
        }
        const auto r = store_->sources(sr);
        for (const auto& v : r.values) got[{v.field, v.value}] = {v.count, v.last_seen_ns};
        ASSERT_EQ(got, want) << "from " << sr.from_ns << " to " << sr.to_ns << " tenant " << sr.tenant;
    }
}

TEST_F(StoreDifferential, FieldsAgreeWithBruteForceWhenTheSampleHoldsEveryMatch) {
    std::mt19937_64 rng(seed() + 5);
    static const char* const kTypes[] = {"string", "integer", "float", "bool", "null", "object", "array"};
    const size_t queries = scaled(60);
    for (size_t k = 0; k < queries; ++k) {
        const Question q = random_question(rng);
        std::map<std::string, std::pair<uint64_t, std::set<std::string>>> want;
        for (size_t i : matching(q)) {
            std::set<std::string> names;
            std::function<void(weir_node, const std::string&)> visit = [&](weir_node obj,
                                                                           const std::string& prefix) {
                for (weir_entry e = src_.first(obj); e; e = src_.next(e)) {
                    const auto& x = src_.entry(e);
                    const std::string name = prefix + std::string(x.key.data, x.key.size);
                    if (x.value.type == WEIR_VAL_OBJECT && src_.first(x.value.as.node)) {
                        visit(x.value.as.node, name + ".");
                        continue;
                    }
                    const int t = x.value.type;
                    want[name].second.insert(t == WEIR_VAL_STRING   ? kTypes[0]
                                             : t == WEIR_VAL_INT    ? kTypes[1]
                                             : t == WEIR_VAL_FLOAT  ? kTypes[2]
                                             : t == WEIR_VAL_BOOL   ? kTypes[3]
                                             : t == WEIR_VAL_NULL   ? kTypes[4]
                                             : t == WEIR_VAL_OBJECT ? kTypes[5]
                                                                    : kTypes[6]);
                    names.insert(name);
                }
            };
            visit(src_.event(i).root, "");
            if (!src_.body(i).empty() && !src_.get(src_.event(i).root, "message", nullptr)) {
                names.insert("message");
                want["message"].second.insert("string");
            }
            for (const auto& n : names) ++want[n].first;
        }
        store::FieldsRequest fr;
        fr.condition = q.cond ? &*q.cond : nullptr;
        fr.hint = q.hint;
        fr.tenant = q.tenant;
        fr.sample_events = 100000;
        const auto r = store_->fields(fr);
        ASSERT_TRUE(r.exact) << q.text;
        std::map<std::string, std::pair<uint64_t, std::string>> got, expected;
        for (const auto& f : r.fields) got[f.name] = {f.count, f.type};
        for (const auto& [name, w] : want)
            expected[name] = {w.first, w.second.size() == 1 ? *w.second.begin() : "mixed"};
        ASSERT_EQ(got, expected) << q.text;
    }
}

}  // namespace
