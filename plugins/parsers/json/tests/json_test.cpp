#include <gtest/gtest.h>

#include <string>
#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

std::string json_of(Batch& b, size_t i) { return std::string(b.to_json(i)); }

weir_value field(const Batch& b, size_t i, const char* key) {
    weir_value v{};
    if (!b.get(b.event(i).root, key, &v)) v.type = -1;
    return v;
}

}  // namespace

TEST(JsonParser, TypedFieldsAndNesting) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    b.add(
        R"({"s":"x\ny","i":-42,"big":18446744073709551615,"f":1.5,"t":true,"n":null,"o":{"a":[1,"two",{"k":false}]}})",
        7);
    h.process(b);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(
        json_of(b, 0),
        R"({"@timestamp":"1970-01-01T00:00:00.000000007Z","s":"x\ny","i":-42,"big":18446744073709551616,)"
        R"("f":1.5,"t":true,"n":null,"o":{"a":[1,"two",{"k":false}]}})");
    EXPECT_EQ(field(b, 0, "i").type, WEIR_VAL_INT);
    EXPECT_EQ(field(b, 0, "f").type, WEIR_VAL_FLOAT);
    EXPECT_EQ(b.body(0), "");  // no message field: the body was the fields
    EXPECT_EQ(h.metrics().errors.get("parse_error"), 0u);
}

TEST(JsonParser, MessageAndTimeKeys) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    b.add(R"({"timestamp":"2026-01-19T10:30:00.123+01:00","message":"login ok","user":"alice"})", 0);
    b.add(R"({"timestamp":1768818600,"message":5})", 0);  // epoch seconds; non-string message stays a field
    b.add(R"({"timestamp":1768818600123})", 0);           // epoch milliseconds
    b.add(R"({"timestamp":"2026-01-19 10:30:00"})", 0);   // no zone: UTC
    b.add(R"({"timestamp":"yesterday","message":"m"})", 0);  // unparseable: kept, counted
    h.process(b);
    EXPECT_EQ(json_of(b, 0),
              R"({"@timestamp":"2026-01-19T09:30:00.123000000Z","message":"login ok","user":"alice"})");
    EXPECT_EQ(json_of(b, 1), R"({"@timestamp":"2026-01-19T10:30:00.000000000Z","message":5})");
    EXPECT_EQ(json_of(b, 2), R"({"@timestamp":"2026-01-19T10:30:00.123000000Z"})");
    EXPECT_EQ(json_of(b, 3), R"({"@timestamp":"2026-01-19T10:30:00.000000000Z"})");
    EXPECT_EQ(json_of(b, 4),
              R"({"@timestamp":"1970-01-01T00:00:00.000000000Z","message":"m","timestamp":"yesterday"})");
    EXPECT_EQ(h.metrics().errors.get("bad_time"), 1u);
}

TEST(JsonParser, CustomKeysAndKeepRaw) {
    StageHarness h(WEIR_TEST_PLUGIN, "{message_key: msg, time_key: ts, keep_raw: true}");
    Batch b;
    const std::string line = R"({"ts":"2026-01-19T10:30:00Z","msg":"hello","message":"stays"})";
    b.add(line, 0);
    h.process(b);
    EXPECT_EQ(b.body(0), "hello");
    EXPECT_EQ(std::string(field(b, 0, "_raw").as.s.data, field(b, 0, "_raw").as.s.size), line);
    EXPECT_EQ(field(b, 0, "message").type, WEIR_VAL_STRING);
}

TEST(JsonParser, BadInputIsKeptMarkedAndCounted) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    const std::string inputs[] = {
        "not json at all",
        R"({"a":1)",            // truncated
        R"({"a":1} trailing)",  // trailing garbage
        R"({"a":1} {"b":2})",   // two documents
        R"([1,2,3])",           // not an object
        R"("just a string")",
        "",                                                                   // empty
        std::string("{\"a\":\"\xff\xfe\"}"),                                  // invalid UTF-8 inside a string
        std::string("\0\0\0{", 4),                                            // NUL bytes
        std::string("\x7f\x45\x4c\x46\x02\x01\x01\x00\xde\xad\xbe\xef", 12),  // binary junk
    };
    Batch b;
    for (const auto& in : inputs) b.add(in, 0);
    const std::string big = "{\"a\":\"" + std::string(1 << 20, 'x');  // 1 MiB, unterminated
    b.add(big, 0);
    h.process(b);
    const size_t n = std::size(inputs) + 1;
    ASSERT_EQ(b.size(), n);  // nothing dropped
    for (size_t i = 0; i < n; ++i) {
        EXPECT_TRUE(b.event(i).flags & WEIR_EVENT_PARSE_ERROR) << i;
        EXPECT_EQ(field(b, i, "_parse_error").type, WEIR_VAL_STRING) << i;
        EXPECT_EQ(b.body(i), i < std::size(inputs) ? std::string_view(inputs[i]) : std::string_view(big))
            << i;
    }
    EXPECT_EQ(h.metrics().errors.get("parse_error"), n);
    // The rendered line stays valid JSON whatever the bytes were.
    EXPECT_NE(json_of(b, 9).find("\\u0000"), std::string::npos);
}

TEST(JsonParser, HugeValidRecord) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    b.add("{\"message\":\"" + std::string(1 << 20, 'y') + "\"}", 0);
    h.process(b);
    EXPECT_FALSE(b.event(0).flags & WEIR_EVENT_PARSE_ERROR);
    EXPECT_EQ(b.body(0).size(), 1u << 20);
}

TEST(JsonParser, BadOptionIsAClearError) {
    try {
        StageHarness h(WEIR_TEST_PLUGIN, "{keep_raw: maybe}");
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("option 'keep_raw' of parser 'json' expects a boolean"),
                  std::string::npos)
            << e.what();
    }
}
