// Per-minute rollups: their sketches and encoding, and aggregate answers from
// the rollups equal to the answers of a scan of the blocks (the same store
// asked with use_rollups = false), with late events and partial minutes.
#include "rollup.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/store.hpp>

namespace {

using namespace weir;
using store::detail::Hll;
using store::detail::MinuteRollup;
using store::detail::Sketch;

constexpr int64_t kMin = 60'000'000'000;
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
weir_value float_v(double d) {
    weir_value v{};
    v.type = WEIR_VAL_FLOAT;
    v.as.f = d;
    return v;
}

const char* kLevels[] = {"INFO", "info", "ERROR", "WARN", "debug"};
const char* kServices[] = {"checkout", "payment.service", "auth", "Search"};
const char* kSources[] = {"/var/log/app.log", "syslog"};
const char* kMessages[] = {"user %d logged in", "payment %d failed: timeout after %d ms",
                           "GET /api/v1/orders/%d 200", "cache miss for key k%dx", "connection refused"};

/// Events over two days around `start`, out of order, some late (an hour
/// back); level, service and source absent at times, a level repeated or a
/// number at times (such minutes are irregular), latencies, user ids.
void events(event::Batch& b, size_t n, std::mt19937_64& rng, int64_t start) {
    for (size_t k = 0; k < n; ++k) {
        int64_t t = start + static_cast<int64_t>(rng() % (2 * kDayNs));
        if (rng() % 9 == 0) t -= 3'600'000'000'000;
        if (rng() % 11 == 0) t = t / kMin * kMin;  // exactly on a minute boundary
        char msg[128];
        std::snprintf(msg, sizeof msg, kMessages[rng() % std::size(kMessages)], static_cast<int>(rng() % 500),
                      static_cast<int>(rng() % 3000));
        const bool empty_body = rng() % 10 == 0;
        const size_t i = b.add(empty_body ? std::string_view{} : std::string_view(msg), t);
        const weir_node root = b.event(i).root;
        if (empty_body) b.put(root, "message", str_v(msg), 0);
        if (rng() % 8) b.put(root, "level", str_v(kLevels[rng() % std::size(kLevels)]), 0);
        if (rng() % 3) b.put(root, "service", str_v(kServices[rng() % std::size(kServices)]), 0);
        if (rng() % 4) b.put(root, "source", str_v(kSources[rng() % std::size(kSources)]), 0);
        if (rng() % 200 == 0) b.put(root, "level", int_v(3), WEIR_PUT_APPEND);  // irregular
        if (rng() % 5) b.put(root, "latency_ms", int_v(static_cast<int64_t>(rng() % 5000)), 0);
        if (rng() % 3 == 0) b.put(root, "duration_s", float_v(static_cast<double>(rng() % 1000) / 7.0), 0);
        if (rng() % 2) b.put(root, "user_id", str_v("u" + std::to_string(rng() % 700)), 0);
    }
}

class RollupTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("weir-rollup-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        opts_.path = dir_.string();
        opts_.block_events = 64;
        opts_.initial_map_bytes = 1 << 20;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    static void write_all(store::Store& s, const event::Batch& src, size_t per_batch) {
        for (size_t start = 0; start < src.size(); start += per_batch) {
            event::Batch part;
            for (size_t i = start; i < std::min(src.size(), start + per_batch); ++i) {
                const size_t j = part.add(src.body(i), src.event(i).time_ns);
                for (weir_entry e = src.first(src.event(i).root); e; e = src.next(e))
                    part.put(part.event(j).root, {src.entry(e).key.data, src.entry(e).key.size},
                             src.entry(e).value, WEIR_PUT_APPEND);
            }
            s.write(part, nullptr);
        }
        s.flush();
    }

    std::filesystem::path dir_;
    store::StoreOptions opts_;
};

std::string rows_text(const store::AggregateResult& r) {
    std::string out;
    for (const auto& row : r.rows) {
        out += row.bucket_ns ? std::to_string(*row.bucket_ns) : "-";
        for (const auto& g : row.group) out += "|" + (g ? *g : std::string("<none>"));
        char v[64];
        std::snprintf(v, sizeof v, "%.17g", row.value ? *row.value : -1.0);
        out += " count=" + std::to_string(row.count) + " value=" + v + "\n";
    }
    return out;
}

TEST(RollupSketch, QuantilesAreWithinTheStatedRelativeErrorAndMergeExactly) {
    std::mt19937_64 rng(1);
    std::vector<double> xs;
    Sketch a, b, all;
    for (int k = 0; k < 20000; ++k) {
        double x = std::exp(static_cast<double>(rng() % 10000) / 1000.0) - 1;  // 0 .. 22025, skewed
        if (k % 50 == 0) x = -x;
        xs.push_back(x);
        (k % 2 ? a : b).add(x);
        all.add(x);
    }
    a.merge(b);
    std::sort(xs.begin(), xs.end());
    for (double q : {0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) {
        const double exact = xs[static_cast<size_t>(std::ceil(q * xs.size())) - 1];
        const auto got = a.quantile(q);
        ASSERT_TRUE(got);
        EXPECT_LE(std::fabs(*got - exact), Sketch::kRelativeError * std::fabs(exact) + 1e-9) << q;
        EXPECT_EQ(*got, *all.quantile(q)) << q;  // merging equals adding everything to one
    }
    EXPECT_EQ(*a.quantile(1.0), xs.back());
    EXPECT_FALSE(Sketch{}.quantile(0.5));
}

TEST(RollupSketch, HyperLogLogIsWithinThreeStandardErrors) {
    for (size_t n : {0, 1, 10, 1000, 50000}) {
        Hll a, b;
        for (size_t k = 0; k < n; ++k) {
            const uint64_t h = store::detail::hash64("user-" + std::to_string(k));
            (k % 3 ? a : b).add(h);
            a.add(h);  // duplicates change nothing
        }
        a.merge(b);
        const double est = a.estimate();
        EXPECT_LE(std::fabs(est - static_cast<double>(n)), 3 * Hll::kStdError * static_cast<double>(n) + 1)
            << n << " estimated " << est;
    }
}

TEST(RollupSketch, TemplatesMaskNumbersAndIds) {
    using store::detail::message_template;
    EXPECT_EQ(message_template("user 12345 failed from 10.0.0.1 id=ab12f"),
              "user <n> failed from <n>.<n>.<n>.<n> id=<id>");
    EXPECT_EQ(message_template("connection refused"), "connection refused");
    EXPECT_EQ(message_template("req-8f3a2b done in 12ms"), "<id> done in <id>");
    EXPECT_LE(message_template(std::string(1000, 'a')).size(), store::detail::kMaxTemplateBytes);
}

TEST(RollupSketch, EncodedMinutesRoundTripAndCorruptionIsAnError) {
    std::mt19937_64 rng(2);
    event::Batch b;
    events(b, 300, rng, kBase);
    store::detail::RollupConfig cfg;
    cfg.unique_fields = {"user_id"};
    MinuteRollup r;
    for (size_t i = 0; i < b.size(); ++i) store::detail::add_to_rollup(cfg, b, i, r);
    std::string enc;
    r.encode(enc);
    MinuteRollup back;
    ASSERT_TRUE(store::detail::decode_rollup(enc, back));
    std::string again;
    back.encode(again);
    EXPECT_EQ(enc, again);
    EXPECT_EQ(back.events, 300u);
    EXPECT_TRUE(back.sketches.count("latency_ms"));
    EXPECT_TRUE(back.sketches.count("duration_s"));
    for (size_t pos = 0; pos < enc.size(); pos += 3) {
        std::string bad = enc;
        bad[pos] = static_cast<char>(bad[pos] ^ 0x21);
        MinuteRollup out;
        EXPECT_FALSE(store::detail::decode_rollup(bad, out)) << pos;
    }
    MinuteRollup out;
    EXPECT_FALSE(store::detail::decode_rollup(std::string_view(enc).substr(0, enc.size() / 2), out));
    EXPECT_FALSE(store::detail::decode_rollup("", out));
}

TEST_F(RollupTest, RollupAnswersEqualScanAnswers) {
    std::mt19937_64 rng(42);
    event::Batch src;
    events(src, 6000, rng, kBase);
    auto s = store::Store::open(opts_);
    write_all(*s, src, 250);  // late events land in minutes already stored: merged

    const auto c_err = condition::Condition::compile("level:error");
    const auto c_mix = condition::Condition::compile("level:(warn OR info) NOT service:auth");
    const auto c_in = condition::Condition::compile("service IN (checkout, Search) AND NOT source:syslog");
    const auto c_word = condition::Condition::compile("level:error timeout");  // reads the message: scan
    struct Range {
        int64_t from, to;
        bool aligned;
    };
    const Range ranges[] = {
        {INT64_MIN, INT64_MAX, true},
        {kBase + 90 * kMin, kBase + 150 * kMin - 1, true},                                // one hour
        {kBase + 90 * kMin + 17'000'000'000, kBase + 150 * kMin + 5'000'000'000, false},  // partial minutes
        {kBase + kDayNs - 30 * kMin + 1, kBase + kDayNs + 30 * kMin, false},              // across days
        {kBase + 5 * kMin, kBase + 5 * kMin + 30'000'000'000, false},                     // inside one minute
    };
    const std::vector<std::vector<std::string>> groupings = {
        {}, {"level"}, {"service", "level"}, {"source"}, {"level", "service", "source"}};
    const condition::Condition* conds[] = {nullptr, &c_err, &c_mix, &c_in, &c_word};
    size_t rollup_answers = 0;
    for (const auto& r : ranges) {
        for (const auto& g : groupings) {
            for (const auto* c : conds) {
                for (int64_t interval : {int64_t{0}, kMin, 5 * kMin, 3'600'000'000'000}) {
                    store::AggregateRequest a;
                    a.condition = c;
                    a.hint.from_ns = r.from;
                    a.hint.to_ns = r.to;
                    a.group_by = g;
                    a.interval_ns = interval;
                    a.limit = 1000;
                    store::AggregateRequest scan = a;
                    scan.use_rollups = false;
                    const auto got = s->aggregate(a);
                    const auto want = s->aggregate(scan);
                    const std::string what = (c ? c->text() : "<none>") + " by " + std::to_string(g.size()) +
                                             " every " + std::to_string(interval) + " from " +
                                             std::to_string(r.from);
                    ASSERT_EQ(rows_text(got), rows_text(want)) << what;
                    EXPECT_TRUE(got.exact);
                    EXPECT_NE(want.stats.path, "rollup");
                    if (c == &c_word) {
                        EXPECT_NE(got.stats.path, "rollup") << what;
                    } else if (r.aligned) {
                        EXPECT_EQ(got.stats.path, "rollup") << what;
                        ++rollup_answers;
                    }
                    if (got.stats.path == "rollup") {
                        EXPECT_LT(got.stats.blocks_scanned, want.stats.blocks_scanned + 1) << what;
                    }
                }
            }
        }
    }
    EXPECT_GT(rollup_answers, 50u);

    // Top messages by template: exact from the rollups.
    for (const auto& r : ranges) {
        store::AggregateRequest a;
        a.hint.from_ns = r.from;
        a.hint.to_ns = r.to;
        a.group_by = {"template"};
        a.limit = 10;
        store::AggregateRequest scan = a;
        scan.use_rollups = false;
        const auto got = s->aggregate(a);
        ASSERT_EQ(rows_text(got), rows_text(s->aggregate(scan)));
        if (r.aligned) {
            EXPECT_EQ(got.stats.path, "rollup");
        }
        EXPECT_TRUE(got.exact);
    }
}

TEST_F(RollupTest, PercentilesAndUniqueCountsAreWithinTheirBoundsAndSaySo) {
    std::mt19937_64 rng(9);
    event::Batch src;
    events(src, 8000, rng, kBase);
    opts_.rollup_unique_fields = {"user_id"};
    auto s = store::Store::open(opts_);
    write_all(*s, src, 500);
    for (const char* m : {"p50", "p95", "p99", "p99.9"}) {
        for (const char* field : {"latency_ms", "duration_s"}) {
            for (int64_t interval : {int64_t{0}, 3'600'000'000'000}) {
                store::AggregateRequest a;
                a.metric = m;
                a.field = field;
                a.interval_ns = interval;
                a.hint.from_ns = kBase + 7 * kMin + 3;  // partial first minute: merged from blocks
                a.hint.to_ns = kBase + kDayNs + 400 * kMin;
                store::AggregateRequest exact = a;
                exact.exact = true;
                const auto got = s->aggregate(a);
                const auto want = s->aggregate(exact);
                EXPECT_EQ(got.stats.path, "rollup");
                EXPECT_FALSE(got.exact);
                EXPECT_EQ(got.relative_error, Sketch::kRelativeError);
                EXPECT_TRUE(want.exact);
                EXPECT_NE(want.stats.path, "rollup");
                ASSERT_EQ(got.rows.size(), want.rows.size()) << m;
                for (size_t k = 0; k < got.rows.size(); ++k) {
                    EXPECT_EQ(got.rows[k].count, want.rows[k].count);
                    ASSERT_TRUE(got.rows[k].value && want.rows[k].value);
                    EXPECT_LE(std::fabs(*got.rows[k].value - *want.rows[k].value),
                              Sketch::kRelativeError * std::fabs(*want.rows[k].value) + 1e-9)
                        << m << " " << field;
                }
            }
        }
    }
    for (const char* m : {"min", "max"}) {  // exact from the rollups
        store::AggregateRequest a;
        a.metric = m;
        a.field = "latency_ms";
        store::AggregateRequest scan = a;
        scan.use_rollups = false;
        const auto got = s->aggregate(a);
        EXPECT_EQ(got.stats.path, "rollup");
        EXPECT_TRUE(got.exact);
        EXPECT_EQ(rows_text(got), rows_text(s->aggregate(scan)));
    }
    store::AggregateRequest u;
    u.metric = "unique";
    u.field = "user_id";
    u.hint.from_ns = kBase + 3 * kMin + 1;
    u.hint.to_ns = kBase + 600 * kMin;
    store::AggregateRequest ue = u;
    ue.exact = true;
    const auto got = s->aggregate(u);
    const auto want = s->aggregate(ue);
    ASSERT_EQ(got.rows.size(), 1u);
    ASSERT_EQ(want.rows.size(), 1u);
    std::set<std::string> users;
    for (size_t i = 0; i < src.size(); ++i) {
        const int64_t t = src.event(i).time_ns;
        weir_value v;
        if (t >= u.hint.from_ns && t <= u.hint.to_ns && src.get(src.event(i).root, "user_id", &v))
            users.insert(std::string(v.as.s.data, v.as.s.size));
    }
    EXPECT_EQ(*want.rows[0].value, static_cast<double>(users.size()));
    EXPECT_TRUE(want.exact);
    EXPECT_EQ(got.stats.path, "rollup");
    EXPECT_FALSE(got.exact);
    EXPECT_LE(std::fabs(*got.rows[0].value - static_cast<double>(users.size())),
              3 * Hll::kStdError * static_cast<double>(users.size()) + 1);

    // stddev (population) by a scan.
    store::AggregateRequest sd;
    sd.metric = "stddev";
    sd.field = "latency_ms";
    const auto sr = s->aggregate(sd);
    double sum = 0, sq = 0, n = 0;
    for (size_t i = 0; i < src.size(); ++i) {
        weir_value v;
        if (!src.get(src.event(i).root, "latency_ms", &v)) continue;
        sum += static_cast<double>(v.as.i);
        sq += static_cast<double>(v.as.i) * static_cast<double>(v.as.i);
        ++n;
    }
    ASSERT_EQ(sr.rows.size(), 1u);
    EXPECT_NEAR(*sr.rows[0].value, std::sqrt(sq / n - (sum / n) * (sum / n)), 1e-6);
}

TEST_F(RollupTest, DaysWrittenWithoutRollupsAreAnsweredFromBlocks) {
    std::mt19937_64 rng(3);
    event::Batch first, second;
    events(first, 800, rng, kBase);
    events(second, 800, rng, kBase + 2 * kDayNs);  // new days
    opts_.rollups = false;
    {
        auto s = store::Store::open(opts_);
        write_all(*s, first, 200);
    }
    opts_.rollups = true;
    auto s = store::Store::open(opts_);
    write_all(*s, first, 200);   // the old days again: they now hold blocks without rollups
    write_all(*s, second, 200);  // new days: rollups from their first block
    store::AggregateRequest a;
    a.group_by = {"level"};
    a.interval_ns = kMin;
    a.limit = 100;
    store::AggregateRequest scan = a;
    scan.use_rollups = false;
    EXPECT_EQ(rows_text(s->aggregate(a)), rows_text(s->aggregate(scan)));
    a.hint.to_ns = kBase + 2 * kDayNs - 1;  // only the old days
    const auto old_days = s->aggregate(a);
    EXPECT_NE(old_days.stats.path, "rollup");
    EXPECT_EQ(old_days.stats.rollup_minutes, 0u);
    a.hint.from_ns = kBase + 2 * kDayNs;
    a.hint.to_ns = INT64_MAX;
    const auto new_days = s->aggregate(a);
    EXPECT_EQ(new_days.stats.path, "rollup");
    EXPECT_GT(new_days.stats.rollup_minutes, 0u);
    EXPECT_GT(new_days.stats.blocks_pruned_rollup, 0u);
}

}  // namespace
