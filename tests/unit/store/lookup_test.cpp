// Point reads of the store: permalinks, context across blocks and days, the
// fields catalogue and the sources with their counts and last-seen times.
#include <gtest/gtest.h>

#include <map>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/store.hpp>

#include "store_fixture.hpp"

namespace {

using namespace weir;
using namespace weir::store::testing;

class StoreLookup : public StoreDir {};

/// Events of two sources interleaved, one a second from `start`, `seq` 0..n-1.
void interleaved(event::Batch& b, size_t n, int64_t start, const char* tenant_of_odd = nullptr) {
    for (size_t i = 0; i < n; ++i) {
        const size_t j = b.add("line " + std::to_string(i), start + static_cast<int64_t>(i) * 1'000'000'000);
        const weir_node root = b.event(j).root;
        b.put(root, "source", str_v(i % 3 == 0 ? "/var/log/a.log" : "/var/log/b.log"), 0);
        b.put(root, "host", str_v(i % 2 ? "web-1" : "web-2"), 0);
        b.put(root, "seq", int_v(static_cast<int64_t>(i)), 0);
        if (tenant_of_odd) b.put(root, "tenant", str_v(i % 2 ? tenant_of_odd : "other"), 0);
    }
}

std::vector<store::RowRef> all_refs(store::Store& s, const std::string& tenant = {}) {
    store::SearchRequest req;
    req.limit = 1'000'000;
    req.newest_first = false;
    req.tenant = tenant;
    return s.search(req).refs;
}

TEST_F(StoreLookup, APermalinkReadsTheEventBackAndNothingElse) {
    event::Batch src;
    interleaved(src, 300, kBase + kDayNs - 100'000'000'000, "acme");  // crosses midnight
    auto s = store::Store::open(opts_);
    write_all(*s, src, 70);
    store::SearchRequest req;
    req.limit = 1000;
    const auto r = s->search(req);
    ASSERT_EQ(r.refs.size(), 300u);
    for (size_t k = 0; k < r.refs.size(); k += 7) {
        const auto got = s->get(r.refs[k], "");
        ASSERT_TRUE(got) << r.refs[k].to_cursor();
        EXPECT_EQ(*got, r.events[k]);
        // Through its text, as the API reads it.
        const auto back = store::RowRef::from_cursor(r.refs[k].to_cursor());
        ASSERT_TRUE(back);
        EXPECT_EQ(s->get(*back, ""), got);
        const bool acme = json_int(*got, "seq") % 2 == 1;
        EXPECT_EQ(s->get(r.refs[k], "acme").has_value(), acme);
        EXPECT_EQ(s->get(r.refs[k], "other").has_value(), !acme);
    }
    store::RowRef bad = r.refs[0];
    bad.time_ns += 1;  // a neighbour's row number with another time is not this event
    EXPECT_FALSE(s->get(bad, ""));
    bad = r.refs[0];
    bad.row = 100000;
    EXPECT_FALSE(s->get(bad, ""));
    bad = r.refs[0];
    bad.block = 999999;
    EXPECT_FALSE(s->get(bad, ""));
    bad = r.refs[0];
    bad.day += 100;
    EXPECT_FALSE(s->get(bad, ""));
    EXPECT_FALSE(store::RowRef::from_cursor("12.x.3.4"));
    EXPECT_FALSE(store::RowRef::from_cursor("1.2.3.4.5"));
    EXPECT_FALSE(store::RowRef::from_cursor(""));
}

TEST_F(StoreLookup, ContextShowsTheSameSourcesNeighboursAcrossBlocksAndDays) {
    event::Batch src;
    interleaved(src, 400, kBase + kDayNs - 150'000'000'000);
    auto s = store::Store::open(opts_);
    // Written out of order: the blocks overlap in time.
    std::vector<size_t> order;
    for (size_t i = 0; i < 400; i += 2) order.push_back(i);
    for (size_t i = 1; i < 400; i += 2) order.push_back(i);
    write_rows(*s, src, order, 50);
    const auto refs = all_refs(*s);
    ASSERT_EQ(refs.size(), 400u);
    std::vector<int64_t> seq_of;
    for (const auto& r : refs) seq_of.push_back(json_int(*s->get(r, ""), "seq"));
    for (size_t anchor : {0u, 1u, 5u, 149u, 150u, 151u, 222u, 398u, 399u}) {
        for (const std::string same : {"source", "host", ""}) {
            store::ContextRequest cr;
            cr.ref = refs[anchor];
            cr.before = 7;
            cr.after = 9;
            cr.same_field = same;
            const auto got = s->context(cr);
            ASSERT_TRUE(got.found);
            const int64_t a = seq_of[anchor];
            auto key = [&](int64_t q) {
                if (same == "source") return q % 3 == 0 ? 0 : 1;
                if (same == "host") return static_cast<int>(q % 2);
                return 0;
            };
            std::vector<int64_t> want_before, want_after;
            for (int64_t q = a - 1; q >= 0 && want_before.size() < 7; --q)
                if (key(q) == key(a)) want_before.insert(want_before.begin(), q);
            for (int64_t q = a + 1; q < 400 && want_after.size() < 9; ++q)
                if (key(q) == key(a)) want_after.push_back(q);
            std::vector<int64_t> before, after;
            for (const auto& e : got.before) before.push_back(json_int(e, "seq"));
            for (const auto& e : got.after) after.push_back(json_int(e, "seq"));
            EXPECT_EQ(before, want_before) << "anchor " << a << " same " << same;
            EXPECT_EQ(after, want_after) << "anchor " << a << " same " << same;
            EXPECT_EQ(json_int(got.event, "seq"), a);
            ASSERT_EQ(got.before_refs.size(), got.before.size());
            for (size_t k = 0; k < got.before.size(); ++k)
                EXPECT_EQ(*s->get(got.before_refs[k], ""), got.before[k]);
        }
    }
    store::ContextRequest cr;
    cr.ref = refs[10];
    cr.ref.row = 5000;
    EXPECT_FALSE(s->context(cr).found);
}

TEST_F(StoreLookup, ContextOfAnotherTenantsEventIsNotFound) {
    event::Batch src;
    interleaved(src, 100, kBase, "acme");
    auto s = store::Store::open(opts_);
    write_all(*s, src, 100);
    const auto refs = all_refs(*s);
    for (size_t k = 0; k < refs.size(); ++k) {
        store::ContextRequest cr;
        cr.ref = refs[k];
        cr.tenant = "acme";
        cr.same_field = "";
        const auto got = s->context(cr);
        const bool acme = json_int(*s->get(refs[k], ""), "seq") % 2 == 1;
        ASSERT_EQ(got.found, acme);
        for (const auto& e : got.before) EXPECT_EQ(json_int(e, "seq") % 2, 1) << e;
        for (const auto& e : got.after) EXPECT_EQ(json_int(e, "seq") % 2, 1) << e;
    }
}

TEST_F(StoreLookup, FieldsNamesTypesCountsAndTopValues) {
    event::Batch src;
    for (int i = 0; i < 200; ++i) {
        const size_t j = src.add(i % 10 ? "hello" : "", kBase + i * 1'000'000'000LL);
        const weir_node root = src.event(j).root;
        src.put(root, "level", str_v(i % 4 ? "INFO" : "ERROR"), 0);
        src.put(root, "status", i % 2 ? int_v(200) : str_v("503"), 0);  // a number as a string: mixed
        src.put(root, "latency", float_v(1.5), 0);
        if (i % 5 == 0) src.put(root, "ok", bool_v(true), 0);
        const weir_node req = src.put(root, "request", container_v(WEIR_VAL_OBJECT), 0);
        src.put(req, "path", str_v(i % 3 ? "/a" : "/b"), 0);
        const weir_node hdr = src.put(req, "headers", container_v(WEIR_VAL_OBJECT), 0);
        src.put(hdr, "host", str_v("example.com"), 0);
        if (i % 10 == 0) src.put(root, "message", str_v("from a field"), 0);
        if (i < 2) src.put(root, "tags", container_v(WEIR_VAL_ARRAY), 0);
    }
    auto s = store::Store::open(opts_);
    write_all(*s, src, 200);
    store::FieldsRequest fr;
    auto r = s->fields(fr);
    EXPECT_TRUE(r.exact);
    EXPECT_EQ(r.events_sampled, 200u);
    std::map<std::string, store::FieldInfo> by;
    for (const auto& f : r.fields) by[f.name] = f;
    ASSERT_TRUE(by.count("level"));
    EXPECT_EQ(by["level"].type, "string");
    EXPECT_EQ(by["level"].count, 200u);
    ASSERT_GE(by["level"].top.size(), 2u);
    EXPECT_EQ(by["level"].top[0], (std::pair<std::string, uint64_t>{"INFO", 150}));
    EXPECT_EQ(by["level"].top[1], (std::pair<std::string, uint64_t>{"ERROR", 50}));
    EXPECT_EQ(by["status"].type, "mixed");
    EXPECT_EQ(by["latency"].type, "float");
    EXPECT_EQ(by["ok"].type, "bool");
    EXPECT_EQ(by["ok"].count, 40u);
    EXPECT_EQ(by["request.path"].count, 200u);
    EXPECT_EQ(by["request.path"].type, "string");
    EXPECT_EQ(by["request.headers.host"].count, 200u);
    EXPECT_FALSE(by.count("request"));  // objects show as their leaves
    EXPECT_EQ(by["tags"].type, "array");
    EXPECT_EQ(by["message"].count, 200u);  // the body, or the message field
    EXPECT_EQ(by["message"].type, "string");
    // By count, descending.
    for (size_t k = 1; k < r.fields.size(); ++k) EXPECT_GE(r.fields[k - 1].count, r.fields[k].count);

    // A sample of the newest events only.
    fr.sample_events = 50;
    r = s->fields(fr);
    EXPECT_FALSE(r.exact);
    EXPECT_EQ(r.events_sampled, 50u);
    // A condition narrows what is looked at.
    const auto cond = condition::Condition::compile("level:error");
    fr.sample_events = 10000;
    fr.condition = &cond;
    r = s->fields(fr);
    EXPECT_TRUE(r.exact);
    EXPECT_EQ(r.events_sampled, 50u);
}

TEST_F(StoreLookup, SourcesCountAndLastSeenFromHeadersAndRows) {
    event::Batch src;
    // Source a only in the first half of each block's rows, b everywhere, c in one late event.
    std::map<std::string, std::pair<uint64_t, int64_t>> want;  // value -> count, last seen
    for (int i = 0; i < 1000; ++i) {
        const int64_t t = kBase + i * 1'000'000'000LL;
        const size_t j = src.add("x", t);
        const std::string source = i % 5 == 0 ? "a" : "b";
        src.put(src.event(j).root, "source", str_v(source), 0);
        src.put(src.event(j).root, "service", str_v(i < 500 ? "api" : "web"), 0);
        auto& w = want[source];
        ++w.first;
        w.second = std::max(w.second, t);
    }
    const size_t j = src.add("late", kBase - kDayNs + 5);
    src.put(src.event(j).root, "source", str_v("c"), 0);
    src.put(src.event(j).root, "source", str_v("c2"), WEIR_PUT_APPEND);  // twice: not counted
    const size_t k = src.add("late", kBase - kDayNs + 7);
    src.put(src.event(k).root, "source", str_v("c"), 0);
    want["c"] = {1, kBase - kDayNs + 7};
    auto s = store::Store::open(opts_);
    write_all(*s, src, 250);
    store::SourcesRequest sr;
    auto r = s->sources(sr);
    std::map<std::string, std::pair<uint64_t, int64_t>> got, services;
    for (const auto& v : r.values)
        (v.field == "source" ? got : services)[v.value] = {v.count, v.last_seen_ns};
    EXPECT_EQ(got, want);
    EXPECT_EQ(services["api"], (std::pair<uint64_t, int64_t>{500, kBase + 499'000'000'000LL}));
    EXPECT_EQ(services["web"], (std::pair<uint64_t, int64_t>{500, kBase + 999'000'000'000LL}));
    EXPECT_EQ(r.values[0].field, "source");
    EXPECT_EQ(r.values[0].value, "b");  // by count
    EXPECT_EQ(r.stats.path, "headers");

    // A range cutting through blocks: the rows at its edges are read.
    sr.from_ns = kBase + 100'000'000'000LL;
    sr.to_ns = kBase + 199'500'000'000LL;
    sr.fields = {"source"};
    r = s->sources(sr);
    ASSERT_EQ(r.values.size(), 2u);
    EXPECT_EQ(r.values[0].value, "b");
    EXPECT_EQ(r.values[0].count, 80u);
    EXPECT_EQ(r.values[0].last_seen_ns, kBase + 199'000'000'000LL);
    EXPECT_EQ(r.values[1].value, "a");
    EXPECT_EQ(r.values[1].count, 20u);
    EXPECT_EQ(r.values[1].last_seen_ns, kBase + 195'000'000'000LL);
}

TEST_F(StoreLookup, SourcesOfATenantOnly) {
    event::Batch src;
    interleaved(src, 300, kBase, "acme");
    auto s = store::Store::open(opts_);
    write_all(*s, src, 300);
    store::SourcesRequest sr;
    sr.tenant = "acme";
    sr.fields = {"source", "host"};
    const auto r = s->sources(sr);
    std::map<std::string, uint64_t> got;
    for (const auto& v : r.values) got[v.field + "=" + v.value] = v.count;
    // Odd seq only: a.log holds seq % 3 == 0 (odd ones: 50), b.log the other 100; hosts: web-1.
    EXPECT_EQ(got, (std::map<std::string, uint64_t>{
                       {"source=/var/log/a.log", 50}, {"source=/var/log/b.log", 100}, {"host=web-1", 150}}));
}

}  // namespace
