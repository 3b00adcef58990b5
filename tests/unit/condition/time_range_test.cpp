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

TEST(TimeRange, MoreRelativeForms) {
    EXPECT_EQ(parse_time_point("now - 1h", kNow), kNow - 3600 * kS);
    EXPECT_EQ(parse_time_point("now+15m", kNow), kNow + 900 * kS);
    EXPECT_EQ(parse_time_point("NOW-2d", kNow), kNow - 2 * 86400 * kS);
    EXPECT_EQ(parse_time_point("2h ago", kNow), kNow - 7200 * kS);
    EXPECT_EQ(parse_time_point("past 7 days", kNow), kNow - 7 * 86400 * kS);
    EXPECT_EQ(parse_time_point("last hour", kNow), kNow - 3600 * kS);
    EXPECT_EQ(parse_time_point("last week", kNow), kNow - 7 * 86400 * kS);
    EXPECT_EQ(parse_time_point("30s", kNow), kNow - 30 * kS);
    EXPECT_EQ(parse_time_point("1w", kNow), kNow - 7 * 86400 * kS);
    EXPECT_EQ(parse_time_point("  15 minutes  ", kNow), kNow - 900 * kS);
    EXPECT_EQ(parse_time_point("TODAY", kNow), parse_time_point("today", kNow));
    EXPECT_EQ(parse_time_point("yesterday", kNow, true), 1768780800 * kS - 1);
    EXPECT_EQ(parse_time_point("now", kNow, true), kNow);
}

TEST(TimeRange, MoreAbsoluteForms) {
    const int64_t day = 1768780800 * kS;
    EXPECT_EQ(parse_time_point("2026-01-19 10:00Z", kNow), day + 36000 * kS);
    EXPECT_EQ(parse_time_point("2026-01-19T10:00+02:00", kNow), day + 28800 * kS);
    EXPECT_EQ(parse_time_point("2026-01-19t10:00:00z", kNow), day + 36000 * kS);
    EXPECT_EQ(parse_time_point("2026-01-19 10:00", kNow, true),
              day + 36060 * kS - 1);  // the end of that minute
    EXPECT_EQ(parse_time_point("2026-01-19 10:00:05", kNow, true), day + 36006 * kS - 1);
    EXPECT_EQ(parse_time_point("2026-01-19T10:00:05.250Z", kNow, true), day + 36005 * kS + 250'000'000);
    EXPECT_EQ(parse_time_point(" 2026-01-19 ", kNow), day);
    EXPECT_EQ(parse_time_point("1768780800000", kNow), day);  // epoch milliseconds
    EXPECT_EQ(parse_time_point("2024-02-29", kNow),
              parse_time_point("2024-03-01", kNow).value() - 86400 * kS);
}

TEST(TimeRange, MoreThingsThatAreNotTimes) {
    for (const char* bad : {"now-", "now-h", "now*1h", "last", "last 5", "5", "12345", "2026-01-19T",
                            "2026-02-30", "2026-01-19 25:00", "2026-01-19 10:00 +", "2026/01/19", "ago",
                            "-1h", "now-9999999999999w", "1h30m", "tomorrow", "2026-01-19T10:00:00Zjunk"})
        EXPECT_FALSE(parse_time_point(bad, kNow)) << bad;
    EXPECT_FALSE(parse_time_point(std::string(100, '1'), kNow));
}
