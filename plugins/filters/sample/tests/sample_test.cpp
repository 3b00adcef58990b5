#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

void add(Batch& b, const std::string& body, const char* level, const std::string& trace) {
    const size_t i = b.add(body, 0);
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{level, std::strlen(level)};
    b.put(b.event(i).root, "level", v, 0);
    v.as.s = weir_str{trace.data(), trace.size()};
    b.put(b.event(i).root, "trace_id", v, 0);
}

}  // namespace

TEST(SampleFilter, KeepsAboutOneInNAndEveryError) {
    StageHarness h(WEIR_TEST_PLUGIN, "{rate: 10}");
    Batch b;
    for (int i = 0; i < 10000; ++i) add(b, "info " + std::to_string(i), "info", "t");
    for (int i = 0; i < 50; ++i) add(b, "error " + std::to_string(i), i % 2 ? "ERROR" : "fatal", "t");
    h.process(b);
    size_t infos = 0, errors = 0;
    for (size_t i = 0; i < b.size(); ++i) (std::string(b.body(i)).rfind("info", 0) == 0 ? infos : errors)++;
    EXPECT_EQ(errors, 50u);  // at or above error: never sampled
    EXPECT_GT(infos, 800u);
    EXPECT_LT(infos, 1200u);
    EXPECT_EQ(h.metrics().dropped.get("filtered"), 10000u - infos);
}

TEST(SampleFilter, ByKeyRelatedEventsStayTogether) {
    StageHarness h(WEIR_TEST_PLUGIN, "{rate: 4, key: trace_id, keep_level: none}");
    Batch b;
    for (int t = 0; t < 400; ++t)
        for (int span = 0; span < 5; ++span) add(b, "span", "error", "trace-" + std::to_string(t));
    h.process(b);
    // Whole traces are kept or dropped: every kept trace has its five spans.
    std::map<std::string, int> per_trace;
    for (size_t i = 0; i < b.size(); ++i) {
        weir_value v;
        ASSERT_TRUE(b.get(b.event(i).root, "trace_id", &v));
        per_trace[std::string(v.as.s.data, v.as.s.size)]++;
    }
    for (const auto& [t, n] : per_trace) EXPECT_EQ(n, 5) << t;
    EXPECT_GT(per_trace.size(), 50u);
    EXPECT_LT(per_trace.size(), 150u);
    // Deterministic: the same traces again.
    Batch again;
    for (const auto& [t, n] : per_trace) add(again, "span", "info", t);
    h.process(again);
    EXPECT_EQ(again.size(), per_trace.size());
}

TEST(SampleFilter, BadOptions) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{rate: 0}"), std::runtime_error);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{keep_level: loud}"), std::runtime_error);
}
