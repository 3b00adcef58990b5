#include <gtest/gtest.h>

#include <limits>
#include <weir/event/batch.hpp>
#include <weir/event/json_writer.hpp>

using weir::event::append_json_string;
using weir::event::Batch;

namespace {
std::string quoted(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}
}  // namespace

TEST(JsonWriter, EscapesSpecialCharacters) {
    EXPECT_EQ(quoted("plain"), "\"plain\"");
    EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(quoted("l1\nl2\tx\r"), "\"l1\\nl2\\tx\\r\"");
    EXPECT_EQ(quoted(std::string_view("a\0b", 3)), "\"a\\u0000b\"");
    EXPECT_EQ(quoted("\x01\x1f"), "\"\\u0001\\u001f\"");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalid) {
    EXPECT_EQ(quoted("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
              "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
    EXPECT_EQ(quoted("bad\xFF"), "\"bad\xEF\xBF\xBD\"");
    EXPECT_EQ(quoted("\xC3"), "\"\xEF\xBF\xBD\"");                                  // truncated sequence
    EXPECT_EQ(quoted("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
    EXPECT_EQ(quoted("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
}

TEST(JsonWriter, EventWithTimestampMessageAndTypedFields) {
    Batch b;
    b.add("hello", 1'700'000'000'123'456'789LL);
    const weir_node root = b.event(0).root;
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = -5;
    b.put(root, "n", v, 0);
    v.type = WEIR_VAL_FLOAT;
    v.as.f = 1.5;
    b.put(root, "f", v, 0);
    v.type = WEIR_VAL_BOOL;
    v.as.b = 1;
    b.put(root, "ok", v, 0);
    v.type = WEIR_VAL_NULL;
    b.put(root, "nothing", v, 0);
    weir_value arr{};
    arr.type = WEIR_VAL_ARRAY;
    const weir_node a = b.put(root, "list", arr, 0);
    v.type = WEIR_VAL_INT;
    v.as.i = 1;
    b.put(a, "", v, 0);
    v.as.i = 2;
    b.put(a, "", v, 0);
    EXPECT_EQ(b.to_json(0),
              "{\"@timestamp\":\"2023-11-14T22:13:20.123456789Z\",\"message\":\"hello\",\"n\":-5,\"f\":1.5,"
              "\"ok\":true,\"nothing\":null,\"list\":[1,2]}");
}

TEST(JsonWriter, MessageFieldWinsOverBodyAndEmptyBodyIsLeftOut) {
    Batch b;
    b.add("raw", 0);
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{"field", 5};
    b.put(b.event(0).root, "message", v, 0);
    EXPECT_EQ(b.to_json(0), "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"message\":\"field\"}");
    b.add("", 0);
    EXPECT_EQ(b.to_json(1), "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\"}");
}

TEST(JsonWriter, NonFiniteFloatIsNull) {
    Batch b;
    b.add("", 0);
    weir_value v{};
    v.type = WEIR_VAL_FLOAT;
    v.as.f = std::numeric_limits<double>::infinity();
    b.put(b.event(0).root, "x", v, 0);
    EXPECT_NE(b.to_json(0).find("\"x\":null"), std::string_view::npos);
}

// Long strings are scanned 16 (or 8) bytes at a time: a byte that needs
// escaping or checking is found at every position of a block, and at the tail.
TEST(JsonWriter, FindsSpecialBytesAtEveryPositionOfALongString) {
    const std::pair<std::string, std::string> specials[] = {{"\"", "\\\""},
                                                            {"\\", "\\\\"},
                                                            {"\n", "\\n"},
                                                            {"\x01", "\\u0001"},
                                                            {"\x1f", "\\u001f"},
                                                            {"\x7f", "\x7f"},
                                                            {" ", " "},
                                                            {"\xC3\xA9", "\xC3\xA9"},
                                                            {"\xFF", "\xEF\xBF\xBD"},
                                                            {"\xE2\x82", "\xEF\xBF\xBD\xEF\xBF\xBD"}};
    for (const auto& [raw, escaped] : specials) {
        for (size_t pos = 0; pos <= 40; ++pos) {
            const std::string s = std::string(pos, 'a') + raw + std::string(40 - pos, 'b');
            const std::string want =
                "\"" + std::string(pos, 'a') + escaped + std::string(40 - pos, 'b') + "\"";
            EXPECT_EQ((quoted)(s), want) << "special " << escaped << " at " << pos;
        }
    }
}
