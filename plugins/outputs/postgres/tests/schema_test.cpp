#include "schema.hpp"

#include <gtest/gtest.h>

using namespace weir::postgres_output;

TEST(PostgresSchema, TableNamesAndPartitions) {
    const TableName t = parse_table_name("logs");
    EXPECT_EQ(t.quoted(), "\"logs\"");
    const TableName s = parse_table_name("app.Logs");
    EXPECT_EQ(s.quoted(), "\"app\".\"Logs\"");
    EXPECT_EQ(s.partition_quoted(20472), "\"app\".\"Logs_p20260119\"");
    EXPECT_THROW(parse_table_name(""), std::invalid_argument);
    EXPECT_THROW(parse_table_name("a.b.c"), std::invalid_argument);
    EXPECT_THROW(parse_table_name(std::string(60, 'x')), std::invalid_argument);
    EXPECT_EQ(create_partition_sql(t, 20472),
              "CREATE TABLE IF NOT EXISTS \"logs_p20260119\" PARTITION OF \"logs\" FOR VALUES FROM "
              "('2026-01-19 00:00:00.000000+00') TO ('2026-01-20 00:00:00.000000+00')");
    EXPECT_EQ(partition_day(t, "logs_p20260119"), 20472);
    EXPECT_FALSE(partition_day(t, "logs_p20261340"));
    EXPECT_FALSE(partition_day(t, "other_p20260119"));
    EXPECT_FALSE(partition_day(t, "logs_default"));
}

TEST(PostgresSchema, QuotingDoublesQuotes) {
    EXPECT_EQ(quote_ident("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(quote_literal("it's"), "'it''s'");
}

TEST(PostgresSchema, CreatedTableHasItsIndexes) {
    CreateOptions o;
    o.fulltext = true;
    const auto sql = create_table_sql(parse_table_name("logs"), o);
    std::string all;
    for (const auto& s : sql) all += s + ";\n";
    EXPECT_NE(all.find("PARTITION BY RANGE (\"timestamp\")"), std::string::npos);
    EXPECT_NE(all.find("attributes  jsonb"), std::string::npos);
    EXPECT_NE(all.find("USING gin (attributes)"), std::string::npos);
    EXPECT_NE(all.find("(level, \"timestamp\")"), std::string::npos);
    EXPECT_NE(all.find("(source, \"timestamp\")"), std::string::npos);
    EXPECT_NE(all.find("to_tsvector('simple'"), std::string::npos);
    EXPECT_NE(all.find(std::string(kOwnerComment)), std::string::npos);
    o.partitioned = false;
    o.fulltext = false;
    const auto plain = create_table_sql(parse_table_name("logs"), o);
    EXPECT_EQ(plain[0].find("PARTITION"), std::string::npos);
    EXPECT_EQ(plain.size(), sql.size() - 1);
}

TEST(PostgresSchema, ColumnTypesAreChecked) {
    std::vector<TableColumn> table = {
        {"ts", "timestamp with time zone", 'D', true, false},
        {"msg", "text", 'S', false, false},
        {"status", "integer", 'N', false, false},
        {"extra", "jsonb", 'U', false, false},
        {"tags", "text[]", 'A', false, false},
        {"id", "bigint", 'N', true, true},
        {"must", "text", 'S', true, false},
    };
    std::vector<Column> ok = {parse_column("ts=@timestamp"), parse_column("msg=@message"),
                              parse_column("status=http.status"), parse_column("extra=@rest"),
                              parse_column("must=host")};
    EXPECT_TRUE(check_columns(ok, table, "t").empty());
    std::vector<Column> json_field = {parse_column("ts=@timestamp"), parse_column("extra=payload"),
                                      parse_column("must=host")};
    EXPECT_TRUE(check_columns(json_field, table, "t").empty());
    EXPECT_TRUE(json_field[1].json);  // a field into jsonb is written as JSON

    std::vector<Column> bad = {parse_column("msg=@timestamp"), parse_column("status=@message"),
                               parse_column("tags=labels"), parse_column("nope=x")};
    const auto p = check_columns(bad, table, "t");
    ASSERT_EQ(p.size(), 6u);
    EXPECT_NE(p[0].find("column 'msg' is text: @timestamp needs timestamptz"), std::string::npos) << p[0];
    EXPECT_NE(p[1].find("column 'status' is integer: text needs"), std::string::npos) << p[1];
    EXPECT_NE(p[2].find("column 'tags' is text[]"), std::string::npos) << p[2];
    EXPECT_NE(p[3].find("has no column 'nope'"), std::string::npos) << p[3];
    EXPECT_NE(p[4].find("column 'ts' of t is NOT NULL without a default"), std::string::npos) << p[4];
    EXPECT_NE(p[5].find("column 'must' of t is NOT NULL without a default"), std::string::npos) << p[5];
}

TEST(PostgresSchema, ErrorsAreClassified) {
    EXPECT_EQ(classify("23514", "new row for relation \"logs\" violates check constraint"), ErrorKind::Row);
    EXPECT_EQ(classify("23514", "no partition of relation \"logs\" found for row"), ErrorKind::NoPartition);
    EXPECT_EQ(classify("22P02", "invalid input syntax for type integer"), ErrorKind::Row);
    EXPECT_EQ(classify("22021", "invalid byte sequence for encoding \"UTF8\": 0x00"), ErrorKind::Row);
    EXPECT_EQ(classify("54000", "index row size exceeds maximum"), ErrorKind::Row);
    EXPECT_EQ(classify("42P01", "relation \"logs\" does not exist"), ErrorKind::NoTable);
    EXPECT_EQ(classify("57P01", "terminating connection due to administrator command"), ErrorKind::Retry);
    EXPECT_EQ(classify("", "server closed the connection unexpectedly"), ErrorKind::Retry);
    EXPECT_EQ(classify("42501", "permission denied for table logs"), ErrorKind::Retry);
    EXPECT_STREQ(refusal_reason("23514"), "constraint_violation");
    EXPECT_STREQ(refusal_reason("22021"), "encoding_error");
    EXPECT_STREQ(refusal_reason("22003"), "value_out_of_range");
    EXPECT_STREQ(refusal_reason("22P02"), "invalid_value");
    EXPECT_STREQ(refusal_reason("23514", "no partition of relation \"logs\" found for row"), "no_partition");
}
