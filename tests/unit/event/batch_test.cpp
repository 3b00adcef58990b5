#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <weir/event/batch.hpp>

using weir::event::Batch;

namespace {
weir_value str(const char* s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{s, std::char_traits<char>::length(s)};
    return v;
}
weir_value integer(int64_t i) {
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = i;
    return v;
}
}  // namespace

TEST(Batch, AddCopiesBodyAndCountsBytes) {
    Batch b;
    std::string line = "hello world";
    b.add(line, 42);
    line[0] = 'X';  // the batch owns its copy
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b.body(0), "hello world");
    EXPECT_EQ(b.event(0).time_ns, 42);
    EXPECT_EQ(b.bytes(), 11u);
}

TEST(Batch, PutGetReplaceRemoveKeepOrder) {
    Batch b;
    b.add("x", 0);
    const weir_node root = b.event(0).root;
    b.put(root, "a", integer(1), 0);
    b.put(root, "b", str("two"), 0);
    b.put(root, "c", integer(3), 0);
    b.put(root, "a", integer(10), 0);  // replaces in place
    weir_value v{};
    ASSERT_TRUE(b.get(root, "a", &v));
    EXPECT_EQ(v.as.i, 10);
    EXPECT_TRUE(b.remove(root, "b"));
    EXPECT_FALSE(b.get(root, "b", &v));
    EXPECT_FALSE(b.remove(root, "missing"));
    std::string keys;
    for (weir_entry e = b.first(root); e; e = b.next(e))
        keys += std::string(b.entry(e).key.data, b.entry(e).key.size);
    EXPECT_EQ(keys, "ac");
    b.put(root, "d", integer(4), 0);  // appending after removing the middle keeps the list sound
    keys.clear();
    for (weir_entry e = b.first(root); e; e = b.next(e))
        keys += std::string(b.entry(e).key.data, b.entry(e).key.size);
    EXPECT_EQ(keys, "acd");
}

TEST(Batch, RemoveLastThenAppend) {
    Batch b;
    b.add("x", 0);
    const weir_node root = b.event(0).root;
    b.put(root, "a", integer(1), 0);
    b.put(root, "b", integer(2), 0);
    EXPECT_TRUE(b.remove(root, "b"));
    b.put(root, "c", integer(3), 0);
    std::string keys;
    for (weir_entry e = b.first(root); e; e = b.next(e))
        keys += std::string(b.entry(e).key.data, b.entry(e).key.size);
    EXPECT_EQ(keys, "ac");
}

TEST(Batch, NestedContainers) {
    Batch b;
    b.add("x", 0);
    weir_value obj{};
    obj.type = WEIR_VAL_OBJECT;
    const weir_node req = b.put(b.event(0).root, "request", obj, 0);
    ASSERT_NE(req, 0u);
    weir_value arr{};
    arr.type = WEIR_VAL_ARRAY;
    const weir_node tags = b.put(req, "tags", arr, 0);
    b.put(tags, "", str("a"), 0);
    b.put(tags, "", str("b"), 0);
    weir_value v{};
    ASSERT_TRUE(b.get(b.event(0).root, "request", &v));
    EXPECT_EQ(v.type, WEIR_VAL_OBJECT);
    ASSERT_TRUE(b.get(v.as.node, "tags", &v));
    EXPECT_EQ(v.type, WEIR_VAL_ARRAY);
    int n = 0;
    for (weir_entry e = b.first(v.as.node); e; e = b.next(e)) ++n;
    EXPECT_EQ(n, 2);
}

TEST(Batch, CompactRemovesDroppedEvents) {
    Batch b;
    for (int i = 0; i < 5; ++i) b.add(std::to_string(i), i);
    b.event(1).flags |= WEIR_EVENT_DROPPED;
    b.event(3).flags |= WEIR_EVENT_DROPPED;
    EXPECT_EQ(b.compact(), 2u);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(b.body(0), "0");
    EXPECT_EQ(b.body(1), "2");
    EXPECT_EQ(b.body(2), "4");
    EXPECT_EQ(b.bytes(), 3u);
}

TEST(Batch, ClearKeepsCapacityForReuse) {
    Batch b;
    for (int i = 0; i < 1000; ++i) b.add(std::string(100, 'x'), i);
    const size_t mem = b.memory();
    b.clear();
    EXPECT_EQ(b.size(), 0u);
    EXPECT_EQ(b.bytes(), 0u);
    for (int i = 0; i < 1000; ++i) b.add(std::string(100, 'y'), i);
    EXPECT_EQ(b.memory(), mem);  // no growth the second time round
    EXPECT_EQ(b.body(999), std::string(100, 'y'));
}

TEST(Batch, HugeRecord) {
    Batch b;
    std::string big(1 << 20, 'z');
    b.add(big, 0);
    b.add("small", 0);
    EXPECT_EQ(b.body(0).size(), big.size());
    EXPECT_EQ(b.body(1), "small");
}

TEST(Batch, BorrowedBodyIsNotCopied) {
    Batch b;
    char* p = b.arena().allocate(5);
    std::memcpy(p, "abcde", 5);
    b.add(std::string_view(p, 5), 0, 0, true);
    EXPECT_EQ(b.body(0).data(), p);
}
