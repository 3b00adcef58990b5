#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>
#include <weir/live_stats/live_stats.hpp>

using weir::event::Batch;
using weir::live_stats::LiveStats;
using weir::live_stats::Options;
using weir::live_stats::Sketch;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'780'000'000LL * kSec;  // a whole second

weir_value str(const std::string& s, Batch& b) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    auto* p = b.arena().allocate(s.size());
    std::copy(s.begin(), s.end(), p);
    v.as.s = {p, s.size()};
    return v;
}
weir_value num(double d) {
    weir_value v{};
    v.type = WEIR_VAL_FLOAT;
    v.as.f = d;
    return v;
}

struct Ev {
    std::string level, source, service, tenant;
    double latency = -1;
};

std::vector<uint32_t> fill(Batch& b, const std::vector<Ev>& evs) {
    std::vector<uint32_t> rows;
    for (const auto& e : evs) {
        const size_t i = b.add("x", kT0);
        const weir_node root = b.event(i).root;
        if (!e.level.empty()) b.put(root, "level", str(e.level, b), 0);
        if (!e.source.empty()) b.put(root, "source", str(e.source, b), 0);
        if (!e.service.empty()) b.put(root, "service", str(e.service, b), 0);
        if (!e.tenant.empty()) b.put(root, "tenant", str(e.tenant, b), 0);
        if (e.latency >= 0) b.put(root, "latency_ms", num(e.latency), 0);
        rows.push_back(static_cast<uint32_t>(i));
    }
    return rows;
}

// Pulls "key":<number> out of a flat-enough JSON text (the tests know the shape).
double field(const std::string& json, const std::string& path_key) {
    const auto p = json.find("\"" + path_key + "\":");
    if (p == std::string::npos) return -1;
    return std::stod(json.substr(p + path_key.size() + 3));
}
std::string object(const std::string& json, const std::string& key) {
    const auto p = json.find("\"" + key + "\":{");
    if (p == std::string::npos) return {};
    const size_t start = p + key.size() + 3;
    int depth = 0;
    for (size_t i = start; i < json.size(); ++i) {
        if (json[i] == '{') ++depth;
        if (json[i] == '}' && --depth == 0) return json.substr(start, i - start + 1);
    }
    return {};
}

}  // namespace

TEST(LiveStatsSketch, QuantilesWithinRelativeError) {
    Sketch s;
    std::vector<double> xs;
    std::mt19937 rng(7);
    std::lognormal_distribution<double> d(3, 1.5);
    for (int i = 0; i < 20000; ++i) xs.push_back(d(rng));
    for (double x : xs) s.add(x);
    std::sort(xs.begin(), xs.end());
    for (double q : {0.5, 0.9, 0.99}) {
        const double truth = xs[static_cast<size_t>(std::ceil(q * xs.size())) - 1];
        const auto got = s.quantile(q);
        ASSERT_TRUE(got);
        EXPECT_LE(std::fabs(*got - truth), truth * Sketch::kRelativeError * 1.0001) << q;
    }
    EXPECT_EQ(s.max(), xs.back());
    EXPECT_EQ(s.count(), xs.size());
}

TEST(LiveStatsSketch, MergeEqualsAddingAll) {
    Sketch a, b, all;
    for (int i = 1; i <= 1000; ++i) {
        (i % 2 ? a : b).add(i);
        all.add(i);
    }
    a.merge(b);
    for (double q : {0.5, 0.9, 0.99}) EXPECT_EQ(*a.quantile(q), *all.quantile(q));
    EXPECT_EQ(a.count(), 1000u);
    EXPECT_EQ(a.max(), 1000);
    EXPECT_FALSE(Sketch{}.quantile(0.5));
}

TEST(LiveStats, ExactCountsPerSecond) {
    LiveStats ls;
    Batch b;
    std::vector<Ev> evs = {{"error", "nginx", "web", "", 10},
                           {"info", "nginx", "web", "", 20},
                           {"Info", "app", "api", "", 30},
                           {"FATAL", "app", "api", "", 40},
                           {"", "", "", "", -1},
                           {"warn", "db", "", "", 50},
                           {"critical", "db", "api", "", 60},
                           {"debug", "nginx", "web", "", 70}};
    auto rows = fill(b, evs);
    ls.record(b, rows, kT0 + 100);
    // A second batch in the next second counts there.
    Batch b2;
    auto rows2 = fill(b2, {{"error", "nginx", "web", "", 5}});
    ls.record(b2, rows2, kT0 + kSec + 5);
    ls.tick(kT0 + 2 * kSec + 1, 42);

    const auto s0 = ls.stats_json(kT0 / kSec, "");
    ASSERT_TRUE(s0);
    EXPECT_NE(s0->find("\"type\":\"stats\""), std::string::npos);
    EXPECT_NE(s0->find("\"interval_s\":1"), std::string::npos);
    EXPECT_EQ(field(*s0, "events"), 8);
    EXPECT_EQ(field(*s0, "errors_per_s"), 3);  // error, FATAL, critical
    EXPECT_EQ(field(*s0, "ingest_per_s"), 0);  // the engine count went to the second it closed last
    const auto lv = object(*s0, "by_level");
    EXPECT_EQ(lv, "{\"CRITICAL\":1,\"DEBUG\":1,\"ERROR\":1,\"FATAL\":1,\"INFO\":2,\"UNKNOWN\":1,\"WARN\":1}");
    EXPECT_EQ(object(*s0, "by_source"), "{\"app\":2,\"db\":2,\"nginx\":3}");
    EXPECT_EQ(object(*s0, "by_service"), "{\"api\":3,\"web\":3}");
    const auto lat = object(object(*s0, "latency_ms"), "1s");
    EXPECT_EQ(field(lat, "count"), 7);
    EXPECT_EQ(field(lat, "max"), 70);
    EXPECT_NEAR(field(lat, "p50"), 40, 40 * 0.011);

    const auto s1 = ls.stats_json(kT0 / kSec + 1, "");
    ASSERT_TRUE(s1);
    EXPECT_EQ(field(*s1, "events"), 1);
    EXPECT_EQ(field(*s1, "ingest_per_s"), 42);
    // The minute window holds both seconds.
    EXPECT_EQ(field(object(object(*s1, "latency_ms"), "1m"), "count"), 8);
    EXPECT_EQ(field(object(object(*s1, "latency_ms"), "1s"), "count"), 1);
    EXPECT_EQ(ls.latest(), kT0 / kSec + 1);
    EXPECT_EQ(ls.since(kT0 / kSec, "").size(), 1u);
}

TEST(LiveStats, TopSourcesAndOther) {
    Options o;
    o.top_n = 2;
    LiveStats ls(o);
    Batch b;
    std::vector<Ev> evs;
    for (int i = 0; i < 5; ++i) evs.push_back({"info", "a", "", "", -1});
    for (int i = 0; i < 3; ++i) evs.push_back({"info", "b", "", "", -1});
    for (int i = 0; i < 2; ++i) evs.push_back({"info", "c", "", "", -1});
    evs.push_back({"info", "d", "", "", -1});
    auto rows = fill(b, evs);
    ls.record(b, rows, kT0);
    ls.tick(kT0 + kSec, 0);
    EXPECT_EQ(object(*ls.stats_json(kT0 / kSec, ""), "by_source"), "{\"a\":5,\"b\":3,\"other\":3}");
}

TEST(LiveStats, TenantsSeeOnlyTheirOwn) {
    LiveStats ls;
    Batch b;
    auto rows = fill(b, {{"error", "s", "", "acme", 1},
                         {"info", "s", "", "acme", 2},
                         {"info", "s", "", "globex", 3},
                         {"info", "s", "", "", 4}});
    ls.record(b, rows, kT0);
    ls.tick(kT0 + kSec, 100);
    const auto all = *ls.stats_json(kT0 / kSec, "");
    const auto acme = *ls.stats_json(kT0 / kSec, "acme");
    const auto none = *ls.stats_json(kT0 / kSec, "initech");
    EXPECT_EQ(field(all, "events"), 4);
    EXPECT_EQ(field(all, "ingest_per_s"), 100);
    EXPECT_EQ(field(acme, "events"), 2);
    EXPECT_EQ(field(acme, "errors_per_s"), 1);
    EXPECT_EQ(field(acme, "ingest_per_s"), 2);  // its own stored events, not the engine's
    EXPECT_EQ(field(object(object(acme, "latency_ms"), "1s"), "max"), 2);
    EXPECT_EQ(field(none, "events"), 0);
    EXPECT_EQ(object(none, "by_level"), "{}");
}

TEST(LiveStats, MinuteWindowSlides) {
    LiveStats ls;
    // One event a second for 90 seconds, latency = the second's index.
    for (int s = 0; s < 90; ++s) {
        Batch b;
        auto rows = fill(b, {{"info", "x", "", "", static_cast<double>(s + 1)}});
        ls.record(b, rows, kT0 + s * kSec + 1);
    }
    ls.tick(kT0 + 90 * kSec, 0);
    const int64_t last = kT0 / kSec + 89;
    EXPECT_EQ(ls.latest(), last);
    EXPECT_FALSE(ls.stats_json(last - 60, ""));  // 60 seconds kept
    const auto j = *ls.stats_json(last, "");
    const auto m = object(object(j, "latency_ms"), "1m");
    EXPECT_EQ(field(m, "count"), 60);
    EXPECT_EQ(field(m, "max"), 90);
    // values 31..90: the nearest-rank median is 60.
    EXPECT_NEAR(field(m, "p50"), 60, 60 * 0.011);
    // The series holds the last N seconds, oldest first.
    const auto series = ls.series_json(3, "");
    EXPECT_EQ(series.rfind("{\"type\":\"series\",\"points\":[", 0), 0u);
    size_t n = 0;
    for (size_t p = 0; (p = series.find("\"type\":\"stats\"", p)) != std::string::npos; ++p) ++n;
    EXPECT_EQ(n, 3u);
}

TEST(LiveStats, QuietSecondsAreEmptyPoints) {
    LiveStats ls;
    Batch b;
    auto rows = fill(b, {{"info", "x", "", "", -1}});
    ls.record(b, rows, kT0);
    ls.tick(kT0 + 5 * kSec, 0);
    const auto pts = ls.since(0, "");
    ASSERT_EQ(pts.size(), 5u);
    EXPECT_EQ(field(pts[0], "events"), 1);
    for (size_t i = 1; i < 5; ++i) EXPECT_EQ(field(pts[i], "events"), 0);
}

TEST(LiveStats, ConfiguredFieldsAndNumericStrings) {
    Options o;
    o.numeric_fields = {"took"};
    LiveStats ls(o);
    Batch b;
    const size_t i = b.add("x", kT0);
    b.put(b.event(i).root, "took", str("12.5", b), 0);
    b.put(b.event(i).root, "latency_ms", num(3), 0);  // not configured: not followed
    const size_t k = b.add("y", kT0);
    b.put(b.event(k).root, "took", str("fast", b), 0);  // not a number: skipped
    std::vector<uint32_t> rows = {0, 1};
    ls.record(b, rows, kT0);
    ls.tick(kT0 + kSec, 0);
    const auto j = *ls.stats_json(kT0 / kSec, "");
    EXPECT_EQ(object(j, "latency_ms"), "");
    EXPECT_EQ(field(object(object(j, "took"), "1s"), "count"), 1);
    EXPECT_EQ(field(object(object(j, "took"), "1s"), "max"), 12.5);
}

TEST(LiveStats, ErrorLevels) {
    for (const char* l : {"ERROR", "FATAL", "CRITICAL", "CRIT", "ERR", "EMERG", "ALERT", "PANIC"})
        EXPECT_TRUE(weir::live_stats::is_error_level(l)) << l;
    for (const char* l : {"WARN", "INFO", "DEBUG", "UNKNOWN", "ERRORS"})
        EXPECT_FALSE(weir::live_stats::is_error_level(l)) << l;
}
