#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <weir/runtime/bounded_queue.hpp>

using weir::runtime::BoundedQueue;

TEST(BoundedQueue, FifoAndLimitsInEventsAndBytes) {
    BoundedQueue<int> q(10, 100);
    int a = 1, b = 2, c = 3;
    EXPECT_TRUE(q.try_push(a, 6, 10));
    EXPECT_FALSE(q.try_push(b, 6, 10));  // 12 events > 10
    EXPECT_TRUE(q.try_push(b, 4, 10));
    EXPECT_FALSE(q.try_push(c, 0, 90));  // 110 bytes > 100
    EXPECT_EQ(q.events(), 10u);
    EXPECT_EQ(*q.pop(), 1);
    EXPECT_EQ(*q.pop(), 2);
}

TEST(BoundedQueue, EmptyQueueAdmitsOversizedItem) {
    BoundedQueue<int> q(1, 1);
    int big = 7;
    EXPECT_TRUE(q.try_push(big, 1000, 1'000'000));
    EXPECT_EQ(*q.pop(), 7);
}

TEST(BoundedQueue, PushBlocksUntilPopMakesRoom) {
    BoundedQueue<int> q(1, 1000);
    int first = 1;
    ASSERT_TRUE(q.push(first, 1, 1));
    std::atomic<bool> pushed{false};
    std::thread producer([&] {
        int second = 2;
        EXPECT_TRUE(q.push(second, 1, 1));
        pushed = true;
    });
    EXPECT_EQ(*q.pop(), 1);  // makes room; the producer can proceed
    EXPECT_EQ(*q.pop(), 2);  // pop waits for the producer's item
    producer.join();
    EXPECT_TRUE(pushed);
}

TEST(BoundedQueue, CloseDrainsThenEnds) {
    BoundedQueue<int> q(10, 10);
    int a = 1;
    q.push(a, 1, 1);
    q.close();
    int b = 2;
    EXPECT_FALSE(q.push(b, 1, 1));
    EXPECT_EQ(*q.pop(), 1);
    EXPECT_FALSE(q.pop().has_value());
}

TEST(BoundedQueue, AbortWakesBlockedProducerAndKeepsItems) {
    BoundedQueue<int> q(1, 10);
    int a = 1;
    q.push(a, 1, 1);
    std::atomic<int> result{-1};
    std::thread producer([&] {
        int b = 2;
        result = q.push(b, 1, 1) ? 1 : 0;
    });
    q.abort();
    producer.join();
    EXPECT_EQ(result, 0);
    EXPECT_FALSE(q.pop().has_value());
    auto rest = q.take_all();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest.front(), 1);
}
