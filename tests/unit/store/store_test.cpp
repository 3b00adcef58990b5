#include <roaring/roaring.h>
// The store: block format, posting lists, and search and aggregate against a
// brute-force scan with the same condition.
#include <gtest/gtest.h>
#include <lmdb.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>
#include <weir/store/term_index.hpp>

namespace {

using namespace weir;
using condition::IndexHint;
using condition::IndexKey;

constexpr int64_t kDayNs = 86'400'000'000'000;
constexpr int64_t kBase = 1'768'780'800'000'000'000;  // 2026-01-19T00:00:00Z

weir_value str_v(std::string_view s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{s.data(), s.size()};
    return v;
}
weir_value int_v(int64_t i) {
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = i;
    return v;
}

/// The event with its top-level fields sorted: the block moves dictionary
/// fields to the end of an event, which no query can tell apart.
std::string canon(const event::Batch& b, size_t i) {
    std::vector<std::string> parts;
    for (weir_entry e = b.first(b.event(i).root); e; e = b.next(e)) {
        event::Batch one;
        const size_t j = one.add({}, 0);
        const auto& x = b.entry(e);
        (void)j;
        std::string k(x.key.data, x.key.size);
        // Render the value through a one-field event.
        std::function<void(const weir_value&, weir_node, std::string_view)> copy =
            [&](const weir_value& v, weir_node parent, std::string_view key) {
                const weir_node made = one.put(parent, key, v, WEIR_PUT_APPEND);
                if (v.type == WEIR_VAL_OBJECT || v.type == WEIR_VAL_ARRAY)
                    for (weir_entry c = b.first(v.as.node); c; c = b.next(c))
                        copy(b.entry(c).value, made, {b.entry(c).key.data, b.entry(c).key.size});
            };
        copy(x.value, one.event(0).root, k);
        parts.emplace_back(one.to_json(0));
    }
    std::sort(parts.begin(), parts.end());
    std::string out = std::to_string(b.event(i).time_ns) + "|" + std::string(b.body(i)) + "|" +
                      std::to_string(b.event(i).flags);
    for (auto& p : parts) out += p;
    return out;
}

const char* kLevels[] = {"INFO", "info", "ERROR", "warn", "debug"};
const char* kServices[] = {"checkout", "payment.service", "auth", "Search"};
const char* kWords[] = {"timeout", "connection", "refused", "ok",       "login",
                        "größe",   "日本語",     "retry",   "db_error", "10.0.0.1:443"};

/// Random events: late and out of order over three days, unicode, nested
/// fields, numbers as strings, a field repeated, an empty body with a message field.
void random_events(event::Batch& b, size_t n, std::mt19937_64& rng) {
    for (size_t k = 0; k < n; ++k) {
        const int64_t t =
            kBase + static_cast<int64_t>(rng() % (3 * kDayNs)) - (rng() % 7 == 0 ? kDayNs / 2 : 0);
        std::string body;
        const int words = 1 + static_cast<int>(rng() % 5);
        for (int w = 0; w < words; ++w) body += std::string(w ? " " : "") + kWords[rng() % std::size(kWords)];
        body += " req=" + std::to_string(rng() % 1000) + " order=" + std::to_string(100000 + rng() % 50);
        const bool empty_body = rng() % 10 == 0;
        const size_t i = b.add(empty_body ? std::string_view{} : std::string_view(body), t);
        const weir_node root = b.event(i).root;
        if (empty_body) b.put(root, "message", str_v(body), 0);
        if (rng() % 8) b.put(root, "level", str_v(kLevels[rng() % std::size(kLevels)]), 0);
        if (rng() % 3) b.put(root, "service", str_v(kServices[rng() % std::size(kServices)]), 0);
        if (rng() % 5 == 0) b.put(root, "level", int_v(3), WEIR_PUT_APPEND);  // repeated key
        b.put(root, "status", rng() % 2 ? int_v(200 + static_cast<int64_t>(rng() % 4) * 100) : str_v("503"),
              0);
        b.put(root, "latency_ms", int_v(static_cast<int64_t>(rng() % 2000)), 0);
        if (rng() % 2) b.put(root, "tenant", str_v(rng() % 2 ? "acme" : "globex"), 0);
        weir_value obj{};
        obj.type = WEIR_VAL_OBJECT;
        const weir_node req = b.put(root, "request", obj, 0);
        b.put(req, "path", str_v(rng() % 2 ? "/api/pay" : "/health"), 0);
    }
}

TEST(StoreBlock, RoundTripsEveryEventAndItsFields) {
    for (const int version : {1, 2}) {  // the previous release's blocks still read
        std::mt19937_64 rng(7);
        event::Batch b;
        random_events(b, 5000, rng);
        std::vector<uint32_t> rows(b.size());
        for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
        ZSTD_CCtx* c = ZSTD_createCCtx();
        ZSTD_DCtx* d = ZSTD_createDCtx();
        std::string bytes;
        store::encode_block(b, rows, c, bytes, version);
        event::Batch out;
        store::BlockHeader h;
        std::string err;
        ASSERT_TRUE(store::decode_block(bytes, out, d, &h, &err)) << err;
        ASSERT_EQ(out.size(), b.size());
        std::multiset<std::string> want, got;
        for (size_t i = 0; i < b.size(); ++i) want.insert(canon(b, i));
        for (size_t i = 0; i < out.size(); ++i) got.insert(canon(out, i));
        EXPECT_EQ(want, got);
        for (size_t i = 1; i < out.size(); ++i) EXPECT_LE(out.event(i - 1).time_ns, out.event(i).time_ns);
        uint64_t levels = 0;
        for (const auto& v : h.dicts[0]) levels += v.count;
        EXPECT_GT(levels, 0u);
        EXPECT_LE(levels, h.count);
        EXPECT_EQ(h.version, static_cast<uint32_t>(version));

        // Some frames only: exactly their rows, numbered as in the whole block.
        event::Batch part;
        std::vector<uint32_t> got_rows;
        ASSERT_TRUE(store::decode_block_frames(bytes, 0b1000'0101, part, got_rows, d, &err)) << err;
        ASSERT_EQ(part.size(), got_rows.size());
        const size_t per = store::frame_rows(out.size());
        size_t expect = 0;
        for (size_t r = 0; r < out.size(); ++r)
            if (version == 1 || ((0b1000'0101u >> (r / per)) & 1)) ++expect;
        EXPECT_EQ(part.size(), expect);
        if (version == 2) {
            EXPECT_LT(part.size(), out.size());
        }
        for (size_t k = 0; k < part.size(); ++k) EXPECT_EQ(canon(part, k), canon(out, got_rows[k])) << k;
        ZSTD_freeCCtx(c);
        ZSTD_freeDCtx(d);
    }
}

TEST(StoreBlock, CorruptBytesAreAnErrorNeverACrash) {
    for (const int version : {1, 2}) {
        std::mt19937_64 rng(3);
        event::Batch b;
        random_events(b, 300, rng);
        std::vector<uint32_t> rows(b.size());
        for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
        ZSTD_CCtx* c = ZSTD_createCCtx();
        ZSTD_DCtx* d = ZSTD_createDCtx();
        std::string bytes;
        store::encode_block(b, rows, c, bytes, version);
        for (size_t pos = 0; pos < bytes.size(); pos += 7) {
            std::string bad = bytes;
            bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
            event::Batch out;
            std::string err;
            EXPECT_FALSE(store::decode_block(bad, out, d, nullptr, &err)) << pos;
            EXPECT_FALSE(err.empty());
        }
        event::Batch out;
        EXPECT_FALSE(store::decode_block(std::string_view(bytes).substr(0, bytes.size() / 2), out, d));
        ZSTD_freeCCtx(c);
        ZSTD_freeDCtx(d);
    }
}

TEST(StoreTermIndex, BitmapsCarryAChecksum) {
    auto bm = store::make_bitmap();
    for (uint32_t i : {1u, 5u, 70000u}) roaring_bitmap_add(bm.get(), i);
    std::string enc = store::encode_bitmap(bm.get());
    auto back = store::decode_bitmap(enc);
    ASSERT_TRUE(back);
    EXPECT_TRUE(roaring_bitmap_equals(bm.get(), back.get()));
    enc[2] = static_cast<char>(enc[2] ^ 1);
    EXPECT_FALSE(store::decode_bitmap(enc));
    EXPECT_FALSE(store::decode_bitmap("ab"));
    EXPECT_LE(store::field_key("user_id", std::string(2000, 'x')).size(), 511u);
}

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("weir-store-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        opts_.path = dir_.string();
        opts_.block_events = 64;
        opts_.initial_map_bytes = 1 << 20;  // small: the map must grow by itself
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void write_all(store::Store& s, const event::Batch& src, size_t per_batch) {
        for (size_t start = 0; start < src.size(); start += per_batch) {
            event::Batch part;
            for (size_t i = start; i < std::min(src.size(), start + per_batch); ++i) {
                const size_t j = part.add(src.body(i), src.event(i).time_ns);
                for (weir_entry e = src.first(src.event(i).root); e; e = src.next(e)) {
                    std::function<void(const weir_value&, weir_node, std::string_view)> copy =
                        [&](const weir_value& v, weir_node parent, std::string_view key) {
                            const weir_node made = part.put(parent, key, v, WEIR_PUT_APPEND);
                            if (v.type == WEIR_VAL_OBJECT || v.type == WEIR_VAL_ARRAY)
                                for (weir_entry c = src.first(v.as.node); c; c = src.next(c))
                                    copy(src.entry(c).value, made,
                                         {src.entry(c).key.data, src.entry(c).key.size});
                        };
                    copy(src.entry(e).value, part.event(j).root,
                         {src.entry(e).key.data, src.entry(e).key.size});
                }
            }
            s.write(part, nullptr);
        }
        s.flush();
    }

    std::filesystem::path dir_;
    store::StoreOptions opts_;
};

/// The brute-force answer: every event of `src` the condition matches in the
/// time range, newest first, as canonical text.
std::vector<std::string> brute(const event::Batch& src, const condition::Condition* c, const IndexHint& h,
                               const std::string& tenant = {}) {
    std::vector<std::pair<int64_t, std::string>> hits;
    for (size_t i = 0; i < src.size(); ++i) {
        const int64_t t = src.event(i).time_ns;
        if (t < h.from_ns || t > h.to_ns) continue;
        if (!tenant.empty()) {
            weir_value v;
            if (!src.get(src.event(i).root, "tenant", &v) || v.type != WEIR_VAL_STRING ||
                std::string_view(v.as.s.data, v.as.s.size) != tenant)
                continue;
        }
        if (c && !c->matches(src, i)) continue;
        hits.emplace_back(t, canon(src, i));
    }
    std::stable_sort(hits.begin(), hits.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::vector<std::string> out;
    for (auto& h2 : hits) out.push_back(h2.second);
    return out;
}

/// Store search results in canonical form, re-read from their JSON times.
std::vector<int64_t> times_of(const store::SearchResult& r) {
    std::vector<int64_t> out;
    for (const auto& ref : r.refs) out.push_back(ref.time_ns);
    return out;
}

struct Case {
    const char* text;
    IndexHint hint;  // a sound hint for the condition, built by hand
};

IndexKey word(const char* w) { return IndexKey{IndexKey::Kind::word, "", w}; }
IndexKey prefix(const char* w) { return IndexKey{IndexKey::Kind::word_prefix, "", w}; }
IndexKey field(const char* f, const char* v) { return IndexKey{IndexKey::Kind::field, f, v}; }

std::vector<Case> cases() {
    return {
        {"timeout", {{{word("timeout")}}}},
        {"level:error timeout", {{{field("level", "error")}, {word("timeout")}}}},
        {"level:error AND timeout", {{{field("level", "error")}, {word("timeout")}}}},
        {"connection OR refused", {{{word("connection"), word("refused")}}}},
        {"service:payment.service", {{{field("service", "payment.service")}}}},
        {"größe", {{{word("größe")}}}},
        {"日本語 NOT retry", {{{word("日本語")}}}},
        {"\"connection refused\"", {{{word("connection")}, {word("refused")}}}},
        {"status>=500", {}},
        {"status:503 level:(warn OR info)", {{{field("level", "warn"), field("level", "info")}}}},
        {"request.path:/api/pay",
         {{{field("request.path", "/api/pay")}}}},  // not indexed: must prune nothing
        {"retr*", {{{prefix("retr")}}}},
        {"db_error", {{{word("db_error")}}}},
        {"_exists_:tenant NOT level:debug", {}},
        {"nothingmatchesthis", {{{word("nothingmatchesthis")}}}},
        {"100007", {{{word("100007")}}}},  // a long number: not indexed, answered by a scan
        {"100007 OR timeout", {{{word("100007"), word("timeout")}}}},
        {"100007", {{{prefix("1000")}}}},  // a prefix of digits may name a long number: answered by a scan
    };
}

TEST_F(StoreTest, SearchAgreesWithABruteForceScanForRandomEventsAndConditions) {
    std::mt19937_64 rng(42);
    event::Batch src;
    random_events(src, 3000, rng);
    auto s = store::Store::open(opts_);
    write_all(*s, src, 333);
    for (const auto& c : cases()) {
        const auto cond = condition::Condition::compile(c.text);
        for (int variant = 0; variant < 3; ++variant) {
            IndexHint h = variant == 0 ? IndexHint{} : c.hint;
            if (variant == 2) {  // a time window crossing a partition boundary
                h.from_ns = kBase + kDayNs - 3'600'000'000'000;
                h.to_ns = kBase + kDayNs + 7'200'000'000'000;
            }
            const auto want = brute(src, &cond, h);
            store::SearchRequest req;
            req.condition = &cond;
            req.hint = h;
            req.limit = 100000;
            const auto got = s->search(req);
            ASSERT_EQ(got.total, want.size()) << c.text << " variant " << variant;
            EXPECT_TRUE(got.total_exact);
            // Same rows, newest first.
            std::vector<int64_t> want_times;
            for (const auto& w : want) want_times.push_back(std::stoll(w.substr(0, w.find('|'))));
            EXPECT_EQ(times_of(got), want_times) << c.text;
            if (variant == 1 && std::string_view(c.text) == "nothingmatchesthis") {
                EXPECT_EQ(got.stats.blocks_scanned, 0u) << c.text;
            }

            // Paging: small pages with the cursor give the same rows, each once.
            store::SearchRequest page = req;
            page.limit = 37;
            std::vector<int64_t> paged;
            for (int guard = 0; guard < 1000; ++guard) {
                const auto r = s->search(page);
                for (auto t : times_of(r)) paged.push_back(t);
                if (!r.next_cursor) break;
                page.after = r.next_cursor;
            }
            EXPECT_EQ(paged, want_times) << c.text;
        }
    }
}

/// A random condition and a sound hint for it, built side by side: a word or
/// field=value atom requires its key; AND joins the requirements; OR keeps
/// one group holding a key of each side; NOT and comparisons require nothing.
struct RandomCondition {
    std::string text;
    IndexHint hint;
};

RandomCondition random_condition(std::mt19937_64& rng, int depth) {
    static const char* words[] = {"timeout", "connection", "refused",  "ok",        "login",
                                  "größe",   "retry",      "db_error", "xenonfault"};
    static const std::pair<const char*, const char*> fields[] = {
        {"level", "error"},  {"level", "info"},          {"level", "warn"},
        {"service", "auth"}, {"service", "search"},      {"service", "payment.service"},
        {"tenant", "acme"},  {"request.path", "/health"}};
    const int pick = static_cast<int>(rng() % (depth > 2 ? 4 : 7));
    RandomCondition r;
    if (pick <= 1) {
        const char* w = words[rng() % std::size(words)];
        r.text = w;
        r.hint.all = {{word(w)}};
    } else if (pick == 2) {
        const auto& [f, v] = fields[rng() % std::size(fields)];
        r.text = std::string(f) + ":" + v;
        r.hint.all = {{field(f, v)}};
    } else if (pick == 3) {
        r.text = rng() % 2 ? "status>=500" : "latency_ms<300";
    } else if (pick == 4) {
        auto a = random_condition(rng, depth + 1);
        r.text = "NOT (" + a.text + ")";
    } else {
        auto a = random_condition(rng, depth + 1), b = random_condition(rng, depth + 1);
        if (pick == 5) {
            r.text = "(" + a.text + ") AND (" + b.text + ")";
            r.hint.all = a.hint.all;
            r.hint.all.insert(r.hint.all.end(), b.hint.all.begin(), b.hint.all.end());
        } else {
            r.text = "(" + a.text + ") OR (" + b.text + ")";
            if (!a.hint.all.empty() && !b.hint.all.empty()) {
                std::vector<IndexKey> either = a.hint.all.front();
                either.insert(either.end(), b.hint.all.front().begin(), b.hint.all.front().end());
                r.hint.all = {either};
            }
        }
    }
    return r;
}

TEST_F(StoreTest, RandomConditionsWithSoundHintsAgreeWithABruteForceScan) {
    std::mt19937_64 rng(1234);
    event::Batch src;
    random_events(src, 2500, rng);
    for (int k = 0; k < 5; ++k)
        src.add("rare xenonfault here", kBase + k * kDayNs / 2);  // a word few blocks hold
    // Small blocks (one frame each), and big ones whose frames the index
    // names one by one.
    for (const size_t block_events : {size_t{64}, size_t{2048}}) {
        opts_.block_events = block_events;
        opts_.path = (dir_ / ("blocks-" + std::to_string(block_events))).string();
        auto s = store::Store::open(opts_);
        write_all(*s, src, 1200);
        uint64_t pruned = 0, rows = 0;
        for (int k = 0; k < 300; ++k) {
            const auto rc = random_condition(rng, 0);
            const auto cond = condition::Condition::compile(rc.text);
            IndexHint h = rc.hint;
            if (k % 3 == 0) {
                h.from_ns = kBase + static_cast<int64_t>(rng() % (2 * kDayNs));
                h.to_ns = h.from_ns + static_cast<int64_t>(rng() % kDayNs);
            }
            const auto want = brute(src, &cond, h);
            store::SearchRequest req;
            req.condition = &cond;
            req.hint = h;
            req.limit = 100000;
            const auto got = s->search(req);
            ASSERT_EQ(got.total, want.size()) << rc.text;
            std::vector<int64_t> want_times;
            for (const auto& w : want) want_times.push_back(std::stoll(w.substr(0, w.find('|'))));
            ASSERT_EQ(times_of(got), want_times) << rc.text;
            pruned += got.stats.blocks_pruned_index;
            rows += got.stats.rows_scanned;

            store::AggregateRequest a;
            a.condition = &cond;
            a.hint = h;
            const auto ar = s->aggregate(a);
            ASSERT_EQ(ar.rows.empty() ? 0u : ar.rows[0].count, want.size()) << rc.text;
        }
        EXPECT_GT(pruned, 0u);  // the hints did prune somewhere
        // Frames left out: fewer rows decoded than 300 scans of everything.
        EXPECT_LT(rows, 300u * src.size()) << block_events;
    }
}

TEST_F(StoreTest, NewestFirstStopsAtTheLimitAndTenantsSeeOnlyTheirs) {
    std::mt19937_64 rng(9);
    event::Batch src;
    random_events(src, 2000, rng);
    for (int k = 0; k < 3; ++k) src.add("a needle in the haystack", kBase + k * kDayNs / 3);
    auto s = store::Store::open(opts_);
    write_all(*s, src, 500);

    // A needle word reads only the blocks that hold it.
    const auto needle = condition::Condition::compile("needle");
    store::SearchRequest nreq;
    nreq.condition = &needle;
    nreq.hint.all = {{word("needle")}};
    const auto nr = s->search(nreq);
    EXPECT_EQ(nr.total, 3u);
    EXPECT_LE(nr.stats.blocks_scanned, 3u);
    EXPECT_GT(nr.stats.blocks_pruned_index, 20u);
    EXPECT_EQ(nr.stats.path, "index");

    store::SearchRequest req;
    req.limit = 10;
    const auto r = s->search(req);
    const auto want = brute(src, nullptr, {});
    ASSERT_EQ(r.events.size(), 10u);
    std::vector<int64_t> want_times;
    for (size_t k = 0; k < 10; ++k) want_times.push_back(std::stoll(want[k].substr(0, want[k].find('|'))));
    EXPECT_EQ(times_of(r), want_times);
    EXPECT_FALSE(r.total_exact);
    EXPECT_LT(r.stats.blocks_scanned, 2000u / 64);
    ASSERT_TRUE(r.next_cursor);

    store::SearchRequest t;
    t.tenant = "acme";
    t.limit = 100000;
    const auto tr = s->search(t);
    EXPECT_EQ(tr.total, brute(src, nullptr, {}, "acme").size());
    for (const auto& e : tr.events) EXPECT_NE(e.find("\"tenant\":\"acme\""), std::string::npos);
}

TEST_F(StoreTest, AggregatesCountsSeriesAndPercentilesExactly) {
    std::mt19937_64 rng(5);
    event::Batch src;
    random_events(src, 1500, rng);
    auto s = store::Store::open(opts_);
    write_all(*s, src, 256);

    store::AggregateRequest a;
    a.group_by = {"service"};
    a.limit = 100;
    const auto r = s->aggregate(a);
    std::map<std::string, uint64_t> want;
    for (size_t i = 0; i < src.size(); ++i) {
        weir_value v;
        want[src.get(src.event(i).root, "service", &v) ? std::string(v.as.s.data, v.as.s.size) : "<none>"]++;
    }
    std::map<std::string, uint64_t> got;
    for (const auto& row : r.rows) got[row.group[0] ? *row.group[0] : "<none>"] += row.count;
    EXPECT_EQ(got, want);

    const auto cond = condition::Condition::compile("timeout");
    store::AggregateRequest series;
    series.condition = &cond;
    series.interval_ns = 3'600'000'000'000;
    const auto sr = s->aggregate(series);
    uint64_t sum = 0;
    for (const auto& row : sr.rows) {
        ASSERT_TRUE(row.bucket_ns);
        EXPECT_EQ(*row.bucket_ns % series.interval_ns, 0);
        sum += row.count;
    }
    EXPECT_EQ(sum, brute(src, &cond, {}).size());

    store::AggregateRequest p;
    p.metric = "p95";
    p.field = "latency_ms";
    p.exact = true;  // not the rollups' sketch
    const auto pr = s->aggregate(p);
    std::vector<double> lat;
    for (size_t i = 0; i < src.size(); ++i) {
        weir_value v;
        src.get(src.event(i).root, "latency_ms", &v);
        lat.push_back(static_cast<double>(v.as.i));
    }
    std::sort(lat.begin(), lat.end());
    ASSERT_EQ(pr.rows.size(), 1u);
    ASSERT_TRUE(pr.rows[0].value);
    EXPECT_EQ(*pr.rows[0].value, lat[static_cast<size_t>(std::ceil(0.95 * lat.size())) - 1]);
    EXPECT_TRUE(pr.exact);
}

TEST_F(StoreTest, DataSurvivesReopenAndTheStoreOpensOncePerProcess) {
    std::mt19937_64 rng(11);
    event::Batch src;
    random_events(src, 800, rng);
    {
        auto s = store::Store::open(opts_);
        EXPECT_THROW(store::Store::open(opts_), std::runtime_error);
        write_all(*s, src, 100);
        EXPECT_GT(s->stats().map_grows, 0u);  // 1 MiB maps had to grow
    }
    auto s = store::Store::open(opts_);
    store::SearchRequest req;
    req.limit = 100000;
    EXPECT_EQ(s->search(req).total, src.size());
    EXPECT_EQ(s->stats().events, src.size());
    EXPECT_GE(s->stats().partitions, 3u);
}

TEST_F(StoreTest, AcknowledgesOnlyAfterTheCommitAndRetentionDropsWholeDays) {
    opts_.retention_ns = kDayNs;
    auto s = store::Store::open(opts_);
    event::Batch b;
    b.add("old event", kBase);
    b.add("new event", kBase + 2 * kDayNs);
    std::atomic<int> acked{0};
    s->write(b, [&](bool ok) {
        if (ok) acked.fetch_add(1);
    });
    s->flush();
    EXPECT_EQ(acked.load(), 1);
    EXPECT_EQ(s->stats().partitions, 2u);
    s->apply_retention(kBase + 2 * kDayNs + 1);
    EXPECT_EQ(s->stats().partitions, 1u);
    store::SearchRequest req;
    const auto r = s->search(req);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_NE(r.events[0].find("new event"), std::string::npos);
}

TEST_F(StoreTest, ACorruptBlockIsSkippedCountedAndReported) {
    event::Batch src;
    for (int i = 0; i < 300; ++i) src.add("event " + std::to_string(i), kBase + i * 1'000'000'000LL);
    {
        auto s = store::Store::open(opts_);
        write_all(*s, src, 300);
    }
    // Damage the first block of the day behind the store's back.
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    ASSERT_EQ(mdb_env_open(env, (dir_ / "2026-01-19").c_str(), 0, 0640), 0);
    MDB_txn* txn = nullptr;
    MDB_dbi dbi;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    ASSERT_EQ(mdb_dbi_open(txn, "blocks", 0, &dbi), 0);
    MDB_cursor* cur = nullptr;
    ASSERT_EQ(mdb_cursor_open(txn, dbi, &cur), 0);
    MDB_val k, v;
    ASSERT_EQ(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
    std::string bad(static_cast<const char*>(v.mv_data), v.mv_size);
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x40);
    std::string key(static_cast<const char*>(k.mv_data), k.mv_size);
    mdb_cursor_close(cur);
    MDB_val nk{key.size(), key.data()}, nv{bad.size(), bad.data()};
    ASSERT_EQ(mdb_put(txn, dbi, &nk, &nv, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    auto s = store::Store::open(opts_);
    store::SearchRequest req;
    req.limit = 1000;
    const auto r = s->search(req);
    EXPECT_EQ(r.total, 300u - 64u);  // the other blocks still answer
    EXPECT_EQ(r.stats.blocks_unreadable, 1u);
    EXPECT_NE(s->metrics_text().find("weir_store_corrupt_blocks_total 1"), std::string::npos);
}

TEST_F(StoreTest, CommitListenersSeeEveryCommittedEventAtItsPermalink) {
    std::mt19937_64 rng(21);
    event::Batch src;
    random_events(src, 1500, rng);
    auto s = store::Store::open(opts_);
    std::mutex mu;
    std::vector<std::pair<store::RowRef, std::string>> seen;
    uint64_t last_seq = 0;
    bool ordered = true;
    const uint64_t id = s->add_commit_listener([&](const store::CommitView& c) {
        std::lock_guard lock(mu);
        if (c.seq <= last_seq) ordered = false;
        last_seq = c.seq;
        ASSERT_EQ(c.rows->size(), c.refs->size());
        for (size_t k = 0; k < c.rows->size(); ++k)
            seen.emplace_back((*c.refs)[k], std::string(c.events->to_json((*c.rows)[k])));
    });
    write_all(*s, src, 250);
    s->flush();
    s->remove_commit_listener(id);
    write_all(*s, src, 250);  // not seen: the listener is gone
    s->flush();
    std::lock_guard lock(mu);
    EXPECT_TRUE(ordered);
    ASSERT_EQ(seen.size(), src.size());
    for (const auto& [ref, json] : seen) {
        const auto got = s->get(ref, "");
        ASSERT_TRUE(got) << ref.to_cursor();
        // The block keeps dictionary fields last: the same fields, maybe reordered.
        std::string a = *got, b = json;
        EXPECT_EQ(a.substr(0, 45), b.substr(0, 45));  // the timestamp
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        EXPECT_EQ(a, b) << *got << "\n" << json;
    }
}

TEST_F(StoreTest, SeveralEncodersCommitInQueueOrderAndIndexEveryEventOnce) {
    // Three encoder threads and three writers at once: groups are built side
    // by side but committed in the order they left the queue, so each
    // writer's acknowledgements come in its own order, the listener sees
    // commit seqs rising, and every event is stored once where it says.
    std::mt19937_64 rng(77);
    event::Batch src;
    random_events(src, 3000, rng);
    opts_.encode_threads = 3;
    opts_.block_events = 64;  // many blocks per group: ids are rebased at commit
    auto s = store::Store::open(opts_);
    std::mutex mu;
    std::set<std::string> refs;
    uint64_t last_seq = 0, seen = 0;
    bool ordered = true;
    const uint64_t id = s->add_commit_listener([&](const store::CommitView& c) {
        std::lock_guard lock(mu);
        if (c.seq <= last_seq) ordered = false;
        last_seq = c.seq;
        seen += c.rows->size();
        for (const auto& r : *c.refs) refs.insert(r.to_cursor());
    });
    std::vector<std::vector<int>> acks(3);
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w)
        writers.emplace_back([&, w] {
            for (int k = 0; k < 40; ++k) {
                event::Batch part;
                for (size_t i = static_cast<size_t>(w * 1000 + k * 25);
                     i < static_cast<size_t>(w * 1000 + k * 25 + 25); ++i) {
                    const size_t j = part.add(src.body(i), src.event(i).time_ns);
                    for (weir_entry e = src.first(src.event(i).root); e; e = src.next(e)) {
                        const auto& x = src.entry(e);
                        if (x.value.type != WEIR_VAL_OBJECT && x.value.type != WEIR_VAL_ARRAY)
                            part.put(part.event(j).root, {x.key.data, x.key.size}, x.value, WEIR_PUT_APPEND);
                    }
                }
                s->write(part, [&, w, k](bool ok) {
                    std::lock_guard lock(mu);
                    acks[static_cast<size_t>(w)].push_back(ok ? k : -1);
                });
            }
        });
    for (auto& t : writers) t.join();
    s->flush();
    s->remove_commit_listener(id);
    std::lock_guard lock(mu);
    EXPECT_TRUE(ordered);
    EXPECT_EQ(seen, src.size());
    EXPECT_EQ(refs.size(), src.size());  // no two events at one place
    for (const auto& a : acks) {
        ASSERT_EQ(a.size(), 40u);
        for (int k = 0; k < 40; ++k) EXPECT_EQ(a[static_cast<size_t>(k)], k);
    }
    for (const auto& cursor : refs) {
        const auto ref = store::RowRef::from_cursor(cursor);
        ASSERT_TRUE(ref);
        EXPECT_TRUE(s->get(*ref, "")) << cursor;
    }
    // The term index points at every block its events are in.
    for (const char* text : {"timeout", "level:error", "service:auth"}) {
        const auto cond = condition::Condition::compile(text);
        store::SearchRequest req;
        req.condition = &cond;
        req.limit = 100000;
        store::SearchRequest scan = req;
        IndexHint h;
        if (std::string_view(text) == "timeout")
            h.all = {{word("timeout")}};
        else if (std::string_view(text) == "level:error")
            h.all = {{field("level", "error")}};
        else
            h.all = {{field("service", "auth")}};
        req.hint = h;
        EXPECT_EQ(s->search(req).total, brute(src, &cond, IndexHint{}).size()) << text;
        EXPECT_EQ(s->search(scan).total, brute(src, &cond, IndexHint{}).size()) << text;
    }
}

}  // namespace

TEST_F(StoreTest, ACancelledQueryStopsWithCancelledAndAClearFlagChangesNothing) {
    std::mt19937_64 rng(13);
    event::Batch src;
    random_events(src, 1200, rng);
    auto s = store::Store::open(opts_);
    write_all(*s, src, 300);
    std::atomic<bool> flag{false};
    const auto cond = condition::Condition::compile("timeout");

    store::SearchRequest sr;
    sr.condition = &cond;
    sr.limit = 100000;
    sr.cancel = &flag;
    const auto want = s->search(sr).total;
    EXPECT_EQ(want, brute(src, &cond, {}).size());
    store::AggregateRequest ar;  // a word query's series: blocks, not rollups
    ar.condition = &cond;
    ar.interval_ns = 3'600'000'000'000;
    ar.cancel = &flag;
    uint64_t sum = 0;
    for (const auto& row : s->aggregate(ar).rows) sum += row.count;
    EXPECT_EQ(sum, want);
    store::AggregateRequest by_level;  // rollups
    by_level.group_by = {"level"};
    by_level.cancel = &flag;
    EXPECT_FALSE(s->aggregate(by_level).rows.empty());

    flag = true;
    EXPECT_THROW(s->search(sr), store::Cancelled);
    EXPECT_THROW(s->aggregate(ar), store::Cancelled);
    EXPECT_THROW(s->aggregate(by_level), store::Cancelled);
    store::FieldsRequest fr;
    fr.cancel = &flag;
    EXPECT_THROW(s->fields(fr), store::Cancelled);
}
