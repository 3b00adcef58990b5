#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

TEST(NullOutput, CountsAndAcknowledges) {
    StageHarness h(WEIR_TEST_PLUGIN, "{log_every: 1ms}");
    Batch b;
    for (int i = 0; i < 100; ++i) b.add("x", 0);
    EXPECT_EQ(h.write(b), WEIR_OK);
    EXPECT_EQ(h.write(b), WEIR_OK);
    EXPECT_EQ(h.metrics().events_in.load(), 200u);
    EXPECT_EQ(h.metrics().events_out.load(), 200u);
}

TEST(NullOutput, BadDuration) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{log_every: often}"), std::exception);
}
