#include <gtest/gtest.h>

#include <weir/event/time_format.hpp>

using weir::event::format_rfc3339_ns;

TEST(TimeFormat, KnownInstants) {
    EXPECT_EQ(format_rfc3339_ns(0), "1970-01-01T00:00:00.000000000Z");
    EXPECT_EQ(format_rfc3339_ns(951'782'400'000'000'001LL), "2000-02-29T00:00:00.000000001Z");
    EXPECT_EQ(format_rfc3339_ns(1'798'761'599'999'999'999LL), "2026-12-31T23:59:59.999999999Z");
    EXPECT_EQ(format_rfc3339_ns(-1), "1969-12-31T23:59:59.999999999Z");
}
