#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <weir/event/batch.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/json_string.hpp>

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

// Strings without special bytes take a path that checks them as whole words
// (overlapping loads for every length); the reference is the byte-by-byte
// escaper of the SDK. Every byte value at every position of every length up
// to 40 gives the same text.
TEST(JsonWriter, EveryByteAtEveryPositionOfShortStringsMatchesTheReference) {
    for (size_t len = 0; len <= 40; ++len) {
        const std::string plain(len, 'x');
        std::string want;
        weir::json::append_string(want, plain);
        EXPECT_EQ((quoted)(plain), want) << "length " << len;
        for (size_t pos = 0; pos < len; ++pos) {
            for (int c = 0; c < 256; ++c) {
                std::string s = plain;
                s[pos] = static_cast<char>(c);
                want.clear();
                weir::json::append_string(want, s);
                ASSERT_EQ((quoted)(s), want) << "byte " << c << " at " << pos << " of " << len;
            }
        }
    }
}

TEST(JsonWriter, EscapesEveryControlCharacterInShortAndLongStrings) {
    for (int c = 0; c < 0x20; ++c) {
        std::string esc;
        switch (c) {
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            case '\b':
                esc = "\\b";
                break;
            case '\f':
                esc = "\\f";
                break;
            default: {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                esc = buf;
            }
        }
        for (size_t pad : {0, 3, 7, 15, 31}) {
            const std::string s = std::string(pad, 'a') + static_cast<char>(c) + std::string(pad, 'b');
            EXPECT_EQ((quoted)(s), "\"" + std::string(pad, 'a') + esc + std::string(pad, 'b') + "\"")
                << "control " << c << " padded by " << pad;
        }
    }
    EXPECT_EQ(quoted("\x7f"), "\"\x7f\"");  // DEL is not a control character for JSON
}

namespace {
std::string event_json(int64_t t, std::string_view body) {
    Batch b;
    b.add(body, t);
    return std::string(b.to_json(0));
}
}  // namespace

// The text of a second is kept between events; only the nanoseconds are
// written anew. Every instant gives what format_rfc3339_ns gives alone,
// whatever was rendered before it (same second, the next, an earlier one,
// before 1970).
TEST(JsonWriter, TimestampsAcrossSecondBoundariesMatchTheFormatter) {
    const int64_t s = 1'700'000'000'000'000'000LL;
    const int64_t instants[] = {s,
                                s + 1,
                                s + 999'999'999,
                                s + 1'000'000'000,
                                s + 1'000'000'001,
                                s + 999'999'999,
                                s - 1,
                                s + 86'400'000'000'000LL + 123'456'789,
                                s + 86'400'000'000'000LL + 5,
                                0,
                                -1,
                                -1'000'000'000,
                                -999'999'999,
                                -1'000'000'001,
                                951'782'400'000'000'001LL,
                                951'782'400'000'000'000LL - 1,
                                INT64_MAX,
                                INT64_MIN,
                                s};
    for (const int64_t t : instants) {
        EXPECT_EQ(event_json(t, ""), "{\"@timestamp\":\"" + weir::event::format_rfc3339_ns(t) + "\"}")
            << "at " << t;
    }
    for (int64_t t = s - 3'000'000'000LL; t < s + 3'000'000'000LL; t += 123'456'789) {
        ASSERT_EQ(event_json(t, "x"),
                  "{\"@timestamp\":\"" + weir::event::format_rfc3339_ns(t) + "\",\"message\":\"x\"}")
            << "at " << t;
    }
}

TEST(JsonWriter, NumbersAsBefore) {
    Batch b;
    b.add("", 0);
    const weir_node root = b.event(0).root;
    weir_value v{};
    v.type = WEIR_VAL_FLOAT;
    v.as.f = -0.0;
    b.put(root, "negzero", v, 0);
    v.as.f = std::numeric_limits<double>::quiet_NaN();
    b.put(root, "nan", v, 0);
    v.as.f = -std::numeric_limits<double>::infinity();
    b.put(root, "neginf", v, 0);
    v.as.f = 1508.104;
    b.put(root, "ms", v, 0);
    v.as.f = 1e300;
    b.put(root, "big", v, 0);
    v.as.f = 5e-324;
    b.put(root, "tiny", v, 0);
    v.type = WEIR_VAL_INT;
    v.as.i = std::numeric_limits<int64_t>::min();
    b.put(root, "min", v, 0);
    v.as.i = std::numeric_limits<int64_t>::max();
    b.put(root, "max", v, 0);
    v.as.i = 0;
    b.put(root, "zero", v, 0);
    EXPECT_EQ(
        b.to_json(0),
        "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"negzero\":-0,\"nan\":null,\"neginf\":null,"
        "\"ms\":1508.104,\"big\":1e+300,\"tiny\":5e-324,\"min\":-9223372036854775808,"
        "\"max\":9223372036854775807,\"zero\":0}");
}
