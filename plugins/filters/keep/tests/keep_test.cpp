#include <gtest/gtest.h>

#include <cstring>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

TEST(KeepFilter, KeepsOnlyWhatMatches) {
    StageHarness h(WEIR_TEST_PLUGIN, "{condition: 'status>=500 OR timeout'}");
    Batch b;
    for (int status : {200, 503, 404, 500}) {
        const size_t i = b.add(status == 404 ? "client gave up: timeout" : "request", 0);
        weir_value n{};
        n.type = WEIR_VAL_INT;
        n.as.i = status;
        b.put(b.event(i).root, "status", n, 0);
    }
    h.process(b);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(b.body(1), "client gave up: timeout");
    EXPECT_EQ(h.metrics().dropped.get("filtered"), 1u);
}

TEST(KeepFilter, ConditionIsRequired) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, ""), std::runtime_error);
}
