// Plugins built against the frozen ABI 1 header (tests/fixtures/abi-v1) load
// into today's host and run: options read through the old, smaller option
// table, and WEIR_ERROR from `write` keeps the meaning it had ("retry").
#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

TEST(AbiCompat, AFilterBuiltAgainstTheFirstLayoutLoadsAndReadsItsOptions) {
    StageHarness h(WEIR_FIXTURES "/abi-v1/legacy_filter.so", "{label: old-build, interval: 250ms}");
    EXPECT_LT(h.descriptor().struct_size, WEIR_DESCRIPTOR_RULES_SIZE);
    EXPECT_EQ(h.descriptor().option_count, 3u);
    Batch b;
    b.add("one", 0);
    b.add("two", 0);
    EXPECT_EQ(h.process(b), WEIR_OK);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b.to_json(1).find("\"label\":\"old-build\"") != std::string::npos, true) << b.to_json(1);
    EXPECT_TRUE(h.undeclared_option_reads().empty());
}

TEST(AbiCompat, TheOldTableIsStillValidatedByTheHost) {
    try {
        StageHarness h(WEIR_FIXTURES "/abi-v1/legacy_filter.so", "{lable: x}");
        FAIL() << "an unknown option was accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(
            std::string(e.what()).find("unknown option 'lable' for filter 'legacy'; did you mean 'label'?"),
            std::string::npos)
            << e.what();
    }
}

TEST(AbiCompat, AnOldOutputsErrorStillMeansRetry) {
    StageHarness h(WEIR_FIXTURES "/abi-v1/legacy_output.so", "{fail_first: 1}");
    Batch b;
    b.add("x", 0);
    EXPECT_EQ(h.write(b), WEIR_RETRY);  // ABI 1's WEIR_ERROR: written again, never given up
    EXPECT_EQ(h.write(b), WEIR_OK);
    EXPECT_EQ(h.metrics().events_out.load(), 1u);
}
