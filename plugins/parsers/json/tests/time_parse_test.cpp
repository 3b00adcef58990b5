#include "time_parse.hpp"

#include <gtest/gtest.h>

using weir::parsers::parse_epoch;
using weir::parsers::parse_rfc3339;

TEST(TimeParse, Rfc3339Forms) {
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339("2026-01-19T10:30:00Z"), 1'768'818'600'000'000'000LL);
    EXPECT_EQ(parse_rfc3339("2026-01-19T11:30:00+01:00"), 1'768'818'600'000'000'000LL);
    EXPECT_EQ(parse_rfc3339("2026-01-19T05:00:00-0530"), 1'768'818'600'000'000'000LL);
    EXPECT_EQ(parse_rfc3339("2026-01-19 10:30:00.5"), 1'768'818'600'500'000'000LL);
    EXPECT_EQ(parse_rfc3339("2026-01-19T10:30:00.123456789123Z"), 1'768'818'600'123'456'789LL);
    EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00Z"), 951'782'400'000'000'000LL);
    for (const char* bad : {"", "2026-01-19", "2026-13-01T00:00:00Z", "2026-01-19T10:30:00X", "2026-01-19T10:30:00.Z",
                            "2026-01-19T25:00:00Z", "2026-01-19T10:30:00+1", "yesterday"})
        EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
}

TEST(TimeParse, Epochs) {
    EXPECT_EQ(parse_epoch(1768818600.25), 1'768'818'600'250'000'000LL);
    EXPECT_EQ(parse_epoch(1768818600123.5), 1'768'818'600'123'500'000LL);
    EXPECT_EQ(weir::parsers::parse_epoch_int(1768818600), 1'768'818'600'000'000'000LL);
    EXPECT_EQ(weir::parsers::parse_epoch_int(1768818600123), 1'768'818'600'123'000'000LL);
    EXPECT_FALSE(parse_epoch(-5).has_value());
    EXPECT_FALSE(parse_epoch(0).has_value());
}
