#include <gtest/gtest.h>

#include "row_encoder.hpp"

using namespace weir::postgres_output;

TEST(PostgresEncoder, CopyTextEscapesTabNewlineBackslash) {
    std::string out;
    append_copy_text(out, "a\tb\nc\\d\re");
    EXPECT_EQ(out, "a\\tb\\nc\\\\d\\re");
    out.clear();
    append_copy_text(out, "plain text");
    EXPECT_EQ(out, "plain text");
}

TEST(PostgresEncoder, TimestampsAreUtcMicroseconds) {
    std::string out;
    append_timestamp(out, 1768818600123456789);  // 2026-01-19T10:30:00.123456789Z
    EXPECT_EQ(out, "2026-01-19 10:30:00.123456+00");
    out.clear();
    append_timestamp(out, -1);  // a nanosecond before 1970
    EXPECT_EQ(out, "1969-12-31 23:59:59.999999+00");
}

TEST(PostgresEncoder, DaysAndTheirLabels) {
    EXPECT_EQ(day_of(0), 0);
    EXPECT_EQ(day_of(-1), -1);
    EXPECT_EQ(day_of(86'400'000'000'000), 1);
    EXPECT_EQ(day_label(day_of(1768818600123456789)), "20260119");
}

TEST(PostgresEncoder, ColumnSpecs) {
    Column c = parse_column("ts=@timestamp");
    EXPECT_EQ(c.name, "ts");
    EXPECT_EQ(c.source, Source::Time);
    c = parse_column("status = http.status");
    EXPECT_EQ(c.name, "status");
    EXPECT_EQ(c.source, Source::Field);
    EXPECT_EQ(c.field, "http.status");
    c = parse_column("user_id");
    EXPECT_EQ(c.field, "user_id");
    EXPECT_EQ(parse_column("extra=@rest").source, Source::Rest);
    EXPECT_THROW(parse_column("x=@nothing"), std::invalid_argument);
    EXPECT_THROW(parse_column("=a"), std::invalid_argument);
    EXPECT_THROW(parse_column("a="), std::invalid_argument);
}

TEST(PostgresEncoder, RowBackToJsonForTheDeadLetterFile) {
    RowEncoder enc(default_columns());
    const std::string row =
        "2026-01-19 10:30:00.000000+00\tERROR\t\\N\tapi\th1\tline\\tone\\nnext\t{\"k\":1}\n";
    EXPECT_EQ(
        enc.row_to_json(row),
        "{\"timestamp\":\"2026-01-19 10:30:00.000000+00\",\"level\":\"ERROR\",\"source\":null,"
        "\"service\":\"api\",\"host\":\"h1\",\"message\":\"line\\tone\\nnext\",\"attributes\":{\"k\":1}}");
    EXPECT_EQ(enc.column_list(),
              "\"timestamp\", \"level\", \"source\", \"service\", \"host\", \"message\", \"attributes\"");
}
