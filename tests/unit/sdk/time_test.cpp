#include <gtest/gtest.h>

#include <weir/time.hpp>

using namespace weir::time;

namespace {
constexpr int64_t kT = 1'768'818'600'000'000'000LL;  // 2026-01-19T10:30:00Z
int64_t at(int y, unsigned m, unsigned d) { return days_from_civil(y, m, d) * 86400 * kNsPerSec; }
}  // namespace

TEST(Time, Iso8601) {
    EXPECT_EQ(parse_iso8601("2026-01-19T10:30:00Z"), kT);
    EXPECT_EQ(parse_iso8601("2026-01-19T11:30:00+01:00"), kT);
    EXPECT_EQ(parse_iso8601("2026-01-19T05:00:00-0530"), kT);
    EXPECT_EQ(parse_iso8601("2026-01-19T12:30:00+02"), kT);
    EXPECT_EQ(parse_iso8601("2026-01-19 10:30:00,123"), kT + 123'000'000);
    EXPECT_EQ(parse_iso8601("2026-01-19T10:30:00.123456789987Z"), kT + 123'456'789);
    EXPECT_EQ(parse_iso8601("2026-01-19T12:30:00", 7200), kT);  // zone-less: the given offset
    EXPECT_EQ(parse_iso8601("2024-02-29T00:00:00Z"), at(2024, 2, 29));
    for (const char* bad : {"", "2026-01-19", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
                            "2026-13-01T00:00:00Z", "2026-01-19T24:00:00Z", "2026-01-19T10:30:00.Z",
                            "2026-01-19T10:30:00+25:00", "2026-01-19T10:30:00Zjunk", "2026/01/19T10:30:00Z"})
        EXPECT_FALSE(parse_iso8601(bad).has_value()) << bad;
}

TEST(Time, Apache) {
    EXPECT_EQ(parse_apache("10/Oct/2000:13:55:36 -0700"), 971'211'336'000'000'000LL);
    EXPECT_EQ(parse_apache("19/Jan/2026:10:30:00 +0000"), kT);
    EXPECT_EQ(parse_apache("19/jan/2026:11:30:00 +01:00"), kT);
    for (const char* bad : {"10/Oct/2000:13:55:36", "10/Foo/2000:13:55:36 -0700",
                            "32/Oct/2000:13:55:36 -0700", "10/Oct/2000 13:55:36 -0700"})
        EXPECT_FALSE(parse_apache(bad).has_value()) << bad;
}

TEST(Time, Rfc3164WithYearInference) {
    const int64_t mid_year = at(2026, 6, 15);
    size_t used = 0;
    EXPECT_EQ(parse_rfc3164("Jun 11 22:14:15 host app: x", mid_year, 0, &used),
              at(2026, 6, 11) + (22 * 3600 + 14 * 60 + 15) * kNsPerSec);
    EXPECT_EQ(used, 15u);
    EXPECT_EQ(parse_rfc3164("Jun  1 02:03:04", mid_year, 0),
              at(2026, 6, 1) + (2 * 3600 + 3 * 60 + 4) * kNsPerSec);
    EXPECT_EQ(parse_rfc3164("Jun  1 02:03:04.250", mid_year, 0, &used),
              at(2026, 6, 1) + (2 * 3600 + 3 * 60 + 4) * kNsPerSec + 250'000'000);
    // Logs do not come from the future: October read in June is last October.
    EXPECT_EQ(parse_rfc3164("Oct 11 00:00:00", mid_year, 0), at(2025, 10, 11));
    // A few days ahead is clock skew, not last year.
    EXPECT_EQ(parse_rfc3164("Jun 20 00:00:00", mid_year, 0), at(2026, 6, 20));
    EXPECT_EQ(used, 19u);
    // Around New Year: December logs read in January belong to last year, and back.
    EXPECT_EQ(parse_rfc3164("Dec 31 23:59:59", at(2026, 1, 1) + 60 * kNsPerSec, 0),
              at(2026, 1, 1) - kNsPerSec);
    EXPECT_EQ(parse_rfc3164("Jan  1 00:00:01", at(2026, 12, 31) + 86000 * kNsPerSec, 0),
              at(2027, 1, 1) + kNsPerSec);
    // The zone of the sender.
    EXPECT_EQ(parse_rfc3164("Jun 15 02:00:00", mid_year, 7200), at(2026, 6, 15));
    for (const char* bad :
         {"Oct 11 22:14", "Foo 11 22:14:15", "Oct 32 22:14:15", "Apr 31 10:00:00", "Oct 11 2:14:15x"})
        EXPECT_FALSE(parse_rfc3164(bad, mid_year, 0).has_value()) << bad;
}

TEST(Time, Epochs) {
    EXPECT_EQ(parse_epoch("1768818600"), kT);
    EXPECT_EQ(parse_epoch("1768818600.25"), kT + 250'000'000);
    EXPECT_EQ(parse_epoch("1768818600123"), kT + 123'000'000);
    EXPECT_EQ(parse_epoch("1768818600123456"), kT + 123'456'000);
    EXPECT_EQ(parse_epoch("1768818600123456789"), kT + 123'456'789);
    EXPECT_EQ(parse_epoch("1768818600500", EpochUnit::Milliseconds), kT + 500'000'000);
    EXPECT_EQ(parse_epoch("1.5", EpochUnit::Seconds), 1'500'000'000);
    for (const char* bad : {"", "-1", "12a", "1e9", "1.", "99999999999999999999"})
        EXPECT_FALSE(parse_epoch(bad).has_value()) << bad;
}

TEST(Time, CompiledFormats) {
    auto f = Format::compile("%Y-%m-%d %H:%M:%S,%f");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->parse("2026-01-19 10:30:00,123"), kT + 123'000'000);
    EXPECT_EQ(f->parse("2026-01-19 12:30:00,5", 7200), kT + 500'000'000);
    EXPECT_FALSE(f->parse("2026-01-19 10:30:00").has_value());
    EXPECT_FALSE(f->parse("2026-01-19 10:30:00,123 trailing").has_value());

    EXPECT_EQ(Format::compile("%d/%b/%Y:%T %z")->parse("19/Jan/2026:11:30:00 +0100"), kT);
    EXPECT_EQ(Format::compile("%F %T")->parse("2026-01-19 10:30:00"), kT);
    EXPECT_EQ(Format::compile("%y%m%d %H%M%S")->parse("260119 103000"), kT);
    EXPECT_EQ(Format::compile("%b %e %T")->parse("Jan  9 10:30:00", 0, at(2026, 3, 1)),
              at(2026, 1, 9) + 37800 * kNsPerSec);
    EXPECT_EQ(Format::compile("%B %d, %Y %I:%M %p")->parse("January 19, 2026 10:30 AM"), kT);
    EXPECT_EQ(Format::compile("%B %d, %Y %I:%M %p")->parse("January 19, 2026 10:30 PM"),
              kT + 12 * 3600 * kNsPerSec);
    EXPECT_EQ(Format::compile("%Y.%j")->parse("2026.019"), at(2026, 1, 19));
    EXPECT_EQ(Format::compile("%s")->parse("1768818600"), kT);
    EXPECT_EQ(Format::compile("100%% %Y")->parse("100% 2026"), at(2026, 1, 1));
    std::string err;
    EXPECT_FALSE(Format::compile("%Q", &err));
    EXPECT_EQ(err, "unknown time format directive '%Q'");
    EXPECT_FALSE(Format::compile("%Y%", &err));
}

TEST(Time, EpochNumbers) {
    EXPECT_EQ(from_epoch_integer(1768818600), kT);
    EXPECT_EQ(from_epoch_integer(1768818600123), kT + 123'000'000);
    EXPECT_EQ(from_epoch_integer(1768818600123456), kT + 123'456'000);
    EXPECT_FALSE(from_epoch_integer(-5).has_value());
    EXPECT_EQ(from_epoch_double(1768818600.25), kT + 250'000'000);
    EXPECT_EQ(from_epoch_double(1768818600123.5), kT + 123'500'000);
    EXPECT_FALSE(from_epoch_double(0).has_value());
}

// Found by the time fuzz target: times past 2262 overflowed 64-bit
// nanoseconds, and a month read by a layout indexed past the month table.
TEST(Time, TimesBeyondSixtyFourBitNanosecondsAreRefusedNotWrapped) {
    EXPECT_FALSE(weir::time::parse_iso8601("4052-01-19T10:30:00.123Z"));
    EXPECT_TRUE(weir::time::parse_iso8601("2262-04-10T00:00:00Z"));
    EXPECT_FALSE(weir::time::parse_iso8601("2262-04-12T00:00:00Z"));
    EXPECT_FALSE(weir::time::parse_epoch("17688188818600123", weir::time::EpochUnit::Milliseconds));
    EXPECT_FALSE(weir::time::parse_epoch("10133584280347380", weir::time::EpochUnit::Microseconds));
    EXPECT_FALSE(weir::time::parse_epoch("99999999999"));
    EXPECT_FALSE(weir::time::from_epoch_integer(99'999'999'999LL));      // seconds, year 5138
    EXPECT_FALSE(weir::time::from_epoch_integer(99'999'999'999'999LL));  // milliseconds
    EXPECT_FALSE(weir::time::from_epoch_double(99'999'999'999.5));
    EXPECT_EQ(*weir::time::from_epoch_integer(1768818600LL), 1768818600LL * 1'000'000'000LL);
    EXPECT_FALSE(weir::time::Format::compile("%s.%f")->parse("9223372036.999999999"));
}

TEST(Time, LayoutFieldsOutOfRangeAreRefused) {
    EXPECT_FALSE(weir::time::Format::compile("%m")->parse("60"));
    EXPECT_FALSE(weir::time::Format::compile("%d %H")->parse("45 10"));
    EXPECT_FALSE(weir::time::Format::compile("%Y %j")->parse("9999 200"));  // past 2262
    EXPECT_TRUE(weir::time::Format::compile("%Y %j")->parse("2026 200"));
}
