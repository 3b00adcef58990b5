#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

void add(Batch& b, const std::string& body, const char* level = "info") {
    const size_t i = b.add(body, 0);
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{level, std::strlen(level)};
    b.put(b.event(i).root, "level", v, 0);
}

int64_t int_field(const Batch& b, size_t i, const char* key) {
    weir_value v;
    return b.get(b.event(i).root, key, &v) && v.type == WEIR_VAL_INT ? v.as.i : -1;
}

}  // namespace

TEST(ThrottleFilter, PerTemplateLimitAndSummariesThatAddUp) {
    StageHarness h(WEIR_TEST_PLUGIN, "{limit: 10, window: 50ms, key: message, key_template: true}");
    Batch b;
    for (int i = 0; i < 100; ++i) add(b, "request took " + std::to_string(i * 7) + " ms");
    for (int i = 0; i < 3; ++i) add(b, "cache miss for id " + std::to_string(i));
    for (int i = 0; i < 20; ++i) add(b, "disk failed " + std::to_string(i), "error");  // never throttled
    h.process(b);
    EXPECT_EQ(b.size(), 10u + 3u + 20u);
    const uint64_t suppressed = h.metrics().dropped.get("filtered");
    EXPECT_EQ(suppressed, 90u);

    // The window closes; the next batch carries the summary first.
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    Batch next;
    add(next, "request took 1 ms");
    h.process(next);
    int64_t reported = 0;
    size_t summaries = 0;
    for (size_t i = 0; i < next.size(); ++i) {
        const int64_t n = int_field(next, i, "throttle_suppressed");
        if (n < 0) continue;
        ++summaries;
        reported += n;
        weir_value k;
        ASSERT_TRUE(next.get(next.event(i).root, "throttle_key", &k));
        EXPECT_EQ(std::string(k.as.s.data, k.as.s.size), "request took # ms");
    }
    EXPECT_EQ(summaries, 1u);
    EXPECT_EQ(static_cast<uint64_t>(reported), suppressed);  // the summaries add up to what was dropped
    EXPECT_EQ(next.size(), 2u);                              // the summary and the new event (a new window)
}

TEST(ThrottleFilter, ManyKeysStayBounded) {
    StageHarness h(WEIR_TEST_PLUGIN, "{limit: 1, key: message, max_keys: 10, summary: false}");
    Batch b;
    for (int i = 0; i < 1000; ++i) add(b, "key " + std::to_string(i));
    h.process(b);
    EXPECT_EQ(b.size(), 11u);  // ten keys, then everything else shares _other (limit 1)
}

TEST(ThrottleFilter, BadOptions) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{window: 0s}"), std::runtime_error);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{key_template: true}"), std::runtime_error);
}
