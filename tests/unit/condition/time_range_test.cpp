#include <gtest/gtest.h>

#include <weir/condition/time_range.hpp>

using weir::condition::parse_time_point;

namespace {
constexpr int64_t kS = 1'000'000'000;
// 2026-01-19T12:34:56Z
constexpr int64_t kNow = 1768826096 * kS;
}  // namespace

TEST(TimeRange, RelativeForms) {
    EXPECT_EQ(parse_time_point("now", kNow), kNow);
    EXPECT_EQ(parse_time_point("now-1h", kNow), kNow - 3600 * kS);
    EXPECT_EQ(parse_time_point("15m", kNow), kNow - 900 * kS);
    EXPECT_EQ(parse_time_point("last 24 hours", kNow), kNow - 86400 * kS);
    EXPECT_EQ(parse_time_point("Last 2 Days", kNow), kNow - 2 * 86400 * kS);
}

TEST(TimeRange, CalendarForms) {
    const int64_t day = 1768780800 * kS;  // 2026-01-19T00:00:00Z
    EXPECT_EQ(parse_time_point("today", kNow), day);
    EXPECT_EQ(parse_time_point("today", kNow, true), day + 86400 * kS - 1);
    EXPECT_EQ(parse_time_point("yesterday", kNow), day - 86400 * kS);
    EXPECT_EQ(parse_time_point("2026-01-19", kNow), day);
    EXPECT_EQ(parse_time_point("2026-01-19", kNow, true), day + 86400 * kS - 1);
    EXPECT_EQ(parse_time_point("2026-01-19 10:00", kNow), day + 36000 * kS);
    EXPECT_EQ(parse_time_point("2026-01-19T10:00:00Z", kNow), day + 36000 * kS);
    EXPECT_EQ(parse_time_point("2026-01-19T10:00:00+02:00", kNow), day + 28800 * kS);
    EXPECT_EQ(parse_time_point("1768780800", kNow), day);
}

TEST(TimeRange, NotATime) {
    EXPECT_FALSE(parse_time_point("", kNow));
    EXPECT_FALSE(parse_time_point("soon", kNow));
    EXPECT_FALSE(parse_time_point("now-1x", kNow));
    EXPECT_FALSE(parse_time_point("2026-13-45", kNow));
}
