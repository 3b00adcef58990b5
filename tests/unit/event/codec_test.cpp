#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/event/codec.hpp>

using weir::event::Batch;

TEST(Codec, RoundTripKeepsEverything) {
    Batch b;
    b.add("first", -12345);
    b.add(std::string("bin\0ary\xff", 8), 1'700'000'000'000'000'000LL, WEIR_EVENT_PARSE_ERROR);
    const weir_node root = b.event(0).root;
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = -9'000'000'000LL;
    b.put(root, "i", v, 0);
    v.type = WEIR_VAL_FLOAT;
    v.as.f = 3.25;
    b.put(root, "f", v, 0);
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{"s", 1};
    b.put(root, "s", v, 0);
    weir_value obj{};
    obj.type = WEIR_VAL_OBJECT;
    const weir_node o = b.put(root, "o", obj, 0);
    v.type = WEIR_VAL_BOOL;
    v.as.b = 1;
    b.put(o, "b", v, 0);
    weir_value arr{};
    arr.type = WEIR_VAL_ARRAY;
    const weir_node a = b.put(o, "a", arr, 0);
    v.type = WEIR_VAL_NULL;
    b.put(a, "", v, 0);

    std::string bytes;
    weir::event::encode_batch(b, bytes);
    Batch d;
    std::string err;
    ASSERT_TRUE(weir::event::decode_batch(bytes, d, &err)) << err;
    ASSERT_EQ(d.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(d.body(i), b.body(i));
        EXPECT_EQ(d.event(i).time_ns, b.event(i).time_ns);
        EXPECT_EQ(d.event(i).flags, b.event(i).flags);
        EXPECT_EQ(d.to_json(i), b.to_json(i));
    }
}

TEST(Codec, RejectsEveryTruncation) {
    Batch b;
    b.add("some body", 7);
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{"value", 5};
    b.put(b.event(0).root, "key", v, 0);
    std::string bytes;
    weir::event::encode_batch(b, bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
        Batch d;
        EXPECT_FALSE(weir::event::decode_batch(std::string_view(bytes).substr(0, n), d)) << "length " << n;
    }
}

TEST(Codec, RejectsGarbageAndTrailingBytes) {
    Batch d;
    std::string err;
    EXPECT_FALSE(weir::event::decode_batch("garbage!", d, &err));
    EXPECT_NE(err.find("magic"), std::string::npos);
    Batch b;
    b.add("x", 0);
    std::string bytes;
    weir::event::encode_batch(b, bytes);
    bytes += "junk";
    Batch d2;
    EXPECT_FALSE(weir::event::decode_batch(bytes, d2, &err));
}
