#include "request_queue.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using namespace weir::http_output;

namespace {

class RequestQueueTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/weir-spool-test-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
    }
    void TearDown() override { fs::remove_all(dir_); }

    Request req(const std::string& body, size_t events, uint64_t token) {
        Request r;
        r.body = body;
        r.events = events;
        r.tokens = {token};
        return r;
    }
    size_t files() const {
        size_t n = 0;
        for (const auto& e : fs::directory_iterator(dir_)) n += e.path().extension() == ".req";
        return n;
    }
    std::string dir_;
    std::vector<Request> dropped_;
    std::vector<std::string> reasons_;
    std::vector<uint64_t> acked_;  // acknowledged on reaching the spool
    size_t spooled_events_ = 0;
    RequestQueue::OnDrop on_drop() {
        return [this](Request& r, const char* reason) {
            dropped_.push_back(r);
            reasons_.push_back(reason);
        };
    }
    RequestQueue::OnSpooled on_spooled() {
        return [this](const std::vector<uint64_t>& t, size_t events) {
            acked_.insert(acked_.end(), t.begin(), t.end());
            spooled_events_ += events;
        };
    }
};

}  // namespace

// Memory is charged with what a request holds: its body's allocation plus
// kRequestOverhead and kPerTokenOverhead per acknowledgement it owes.
constexpr size_t kOne = kRequestOverhead + kPerTokenOverhead + sizeof(uint64_t);

TEST_F(RequestQueueTest, MemoryThenSpoolAndOldestFirst) {
    RequestQueue q(dir_, {kOne + 100, 1 << 20, SpoolFull::Block}, on_drop(), on_spooled());
    EXPECT_EQ(q.push(req(std::string(60, 'a'), 1, 1)), RequestQueue::Placed::Memory);
    EXPECT_EQ(q.push(req(std::string(60, 'b'), 2, 2)), RequestQueue::Placed::Spool);
    EXPECT_EQ(acked_, std::vector<uint64_t>{2});  // acknowledged once on disk
    EXPECT_EQ(spooled_events_, 2u);
    EXPECT_EQ(q.push(req(std::string(60, 'c'), 3, 3)), RequestQueue::Placed::Spool);
    EXPECT_EQ(files(), 2u);
    std::string order;
    std::vector<std::vector<uint64_t>> owed;
    for (int i = 0; i < 3; ++i) {
        auto r = q.front(std::chrono::milliseconds(10));
        ASSERT_TRUE(r);
        order += r->body[0];
        owed.push_back(q.pop_front(r->seq));
    }
    EXPECT_EQ(order, "abc");
    EXPECT_EQ(owed, (std::vector<std::vector<uint64_t>>{{1}, {}, {}}));  // only the one kept in memory
    EXPECT_EQ(files(), 0u);
    EXPECT_FALSE(q.front(std::chrono::milliseconds(1)));
}

TEST_F(RequestQueueTest, SpoolIsRecoveredByTheNextInstanceInOrder) {
    {
        RequestQueue q(dir_, {10, 1 << 20, SpoolFull::Block}, on_drop());
        q.push(req("first", 5, 1));    // empty queue: memory
        q.push(req("second", 6, 2));   // spooled
        q.push(req("third", 7, 3));    // spooled
        EXPECT_EQ(q.spool_all(), 0u);  // shutdown: everything to disk
        EXPECT_EQ(files(), 3u);
    }
    RequestQueue q(dir_, {10, 1 << 20, SpoolFull::Block}, on_drop());
    std::string error;
    EXPECT_EQ(q.recover(error), 3u) << error;
    q.push(req("fourth", 8, 4));  // numbered after the recovered ones
    std::vector<std::string> got;
    while (auto r = q.front(std::chrono::milliseconds(1))) {
        got.push_back(r->body);
        EXPECT_TRUE(q.pop_front(r->seq).empty());  // nothing owed: from an earlier run, or spooled
    }
    EXPECT_EQ(got, (std::vector<std::string>{"first", "second", "third", "fourth"}));
}

TEST_F(RequestQueueTest, DropNewestWhenFull) {
    RequestQueue q(dir_, {10, 50, SpoolFull::DropNewest}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));  // memory (empty queue)
    q.push(req(std::string(15, 'b'), 1, 2));  // spool (15 bytes and a 15-byte header)
    EXPECT_EQ(q.push(req(std::string(15, 'c'), 1, 3)), RequestQueue::Placed::Dropped);
    ASSERT_EQ(dropped_.size(), 1u);
    EXPECT_EQ(dropped_[0].tokens, std::vector<uint64_t>{3});
    EXPECT_EQ(reasons_, std::vector<std::string>{"spool_full"});
    EXPECT_EQ(q.size(), 2u);
}

TEST_F(RequestQueueTest, DropOldestWhenFull) {
    RequestQueue q(dir_, {10, 50, SpoolFull::DropOldest}, on_drop(), on_spooled());
    q.push(req(std::string(15, 'a'), 1, 1));
    q.push(req(std::string(15, 'b'), 1, 2));  // spooled: the oldest on disk
    q.push(req(std::string(15, 'c'), 1, 3));
    ASSERT_EQ(dropped_.size(), 1u);
    EXPECT_EQ(dropped_[0].events, 1u);
    EXPECT_TRUE(dropped_[0].tokens.empty());  // acknowledged when spooled
    EXPECT_EQ(acked_, (std::vector<uint64_t>{2, 3}));
    EXPECT_EQ(reasons_, std::vector<std::string>{"spool_full"});
    std::string order;
    while (auto r = q.front(std::chrono::milliseconds(1))) {
        order += r->body[0];
        q.pop_front(r->seq);
    }
    EXPECT_EQ(order, "ac");
}

TEST_F(RequestQueueTest, BlockWaitsForRoom) {
    RequestQueue q(dir_, {kOne + 20, 40, SpoolFull::Block}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));
    q.push(req(std::string(15, 'b'), 1, 2));
    EXPECT_EQ(files(), 1u);
    std::atomic<bool> pushed{false};
    std::thread t([&] {
        q.push(req(std::string(15, 'c'), 1, 3));
        pushed.store(true);
    });
    auto r = q.front(std::chrono::milliseconds(10));
    ASSERT_TRUE(r);
    EXPECT_FALSE(pushed.load());  // still waiting: memory and spool are full (no sleep: it cannot get room)
    q.pop_front(r->seq);          // room
    t.join();
    EXPECT_TRUE(pushed.load());
    EXPECT_TRUE(dropped_.empty());
}

TEST_F(RequestQueueTest, CloseReleasesABlockedPush) {
    RequestQueue q(dir_, {kOne + 20, 40, SpoolFull::Block}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));
    q.push(req(std::string(15, 'b'), 1, 2));
    std::thread t([&] { EXPECT_EQ(q.push(req(std::string(15, 'c'), 1, 3)), RequestQueue::Placed::Closed); });
    q.close();
    t.join();
}

TEST_F(RequestQueueTest, MemoryBoundCountsWhatIsAllocatedNotTheLength) {
    // A body of 10 bytes in a 64 KiB allocation holds 64 KiB.
    Request big = req("0123456789", 1, 1);
    big.body.reserve(64 << 10);
    EXPECT_GE(memory_held(big), (64u << 10) + kRequestOverhead + kPerTokenOverhead);
    RequestQueue q(dir_, {100 << 10, 1 << 20, SpoolFull::Block}, on_drop());
    EXPECT_EQ(q.push(std::move(big)), RequestQueue::Placed::Memory);
    Request second = req("0123456789", 1, 2);
    second.body.reserve(64 << 10);
    EXPECT_EQ(q.push(std::move(second)), RequestQueue::Placed::Spool);  // 128 KiB would not fit in 100
    EXPECT_LE(q.memory_bytes(), 100u << 10);
}

TEST_F(RequestQueueTest, FailingSpoolIsReportedAndBlocksWithinTheMemoryBound) {
    const std::string spool = dir_ + "/not-yet/spool";  // its parent is missing: every write fails
    RequestQueue::Limits limits{kOne + 20, 1 << 20, SpoolFull::Block, std::chrono::milliseconds(5)};
    RequestQueue q(spool, limits, on_drop(), on_spooled());
    EXPECT_EQ(q.push(req(std::string(15, 'a'), 1, 1)), RequestQueue::Placed::Memory);
    std::atomic<bool> pushed{false};
    std::thread t([&] {
        EXPECT_EQ(q.push(req(std::string(15, 'b'), 1, 2)), RequestQueue::Placed::Spool);
        pushed.store(true);
    });
    // The blocked push keeps trying the spool (every 5 ms); each failure is reported.
    uint64_t failures = 0;
    std::string last;
    for (int i = 0; i < 2000 && failures < 3; ++i) {
        auto e = q.take_spool_errors();
        failures += e.failures;
        if (!e.last_error.empty()) last = e.last_error;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling a counter, bounded
    }
    EXPECT_GE(failures, 3u);
    EXPECT_NE(last.find("No such file or directory"), std::string::npos) << last;
    EXPECT_FALSE(pushed.load());
    EXPECT_LE(q.memory_bytes(), kOne + 20);  // not kept in memory beyond the bound
    EXPECT_TRUE(acked_.empty());
    fs::create_directories(spool);  // the disk takes writes again
    t.join();
    EXPECT_TRUE(pushed.load());
    EXPECT_TRUE(q.take_spool_errors().recovered);
    EXPECT_EQ(acked_, std::vector<uint64_t>{2});
    EXPECT_TRUE(dropped_.empty());
}

TEST_F(RequestQueueTest, FailingSpoolWithDropPoliciesCountsTheReason) {
    const std::string spool = dir_ + "/missing/spool";
    {
        RequestQueue q(spool, {kOne + 20, 1 << 20, SpoolFull::DropNewest}, on_drop());
        q.push(req(std::string(15, 'a'), 1, 1));
        EXPECT_EQ(q.push(req(std::string(15, 'b'), 2, 2)), RequestQueue::Placed::Dropped);
        EXPECT_EQ(q.take_spool_errors().failures, 1u);
        // The next attempt waits for spool_retry: dropped without a new write.
        EXPECT_EQ(q.push(req(std::string(15, 'c'), 3, 3)), RequestQueue::Placed::Dropped);
        EXPECT_EQ(q.take_spool_errors().failures, 0u);
        EXPECT_EQ(reasons_, (std::vector<std::string>{"spool_write_failed", "spool_write_failed"}));
        EXPECT_EQ(dropped_[0].tokens, std::vector<uint64_t>{2});
        EXPECT_EQ(q.size(), 1u);
    }
    dropped_.clear();
    reasons_.clear();
    RequestQueue q(spool, {kOne + 20, 1 << 20, SpoolFull::DropOldest}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));
    EXPECT_EQ(q.push(req(std::string(15, 'b'), 2, 2)), RequestQueue::Placed::Memory);  // the oldest made room
    ASSERT_EQ(dropped_.size(), 1u);
    EXPECT_EQ(dropped_[0].tokens, std::vector<uint64_t>{1});
    EXPECT_EQ(reasons_, std::vector<std::string>{"spool_write_failed"});
    EXPECT_LE(q.memory_bytes(), kOne + 20);
}

TEST_F(RequestQueueTest, SenderThreadPushIsOverTheBoundByOneAtMost) {
    RequestQueue q(dir_ + "/missing/spool", {kOne + 20, 1 << 20, SpoolFull::Block}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));
    EXPECT_EQ(q.push(req(std::string(15, 'b'), 1, 2), false), RequestQueue::Placed::Memory);
    std::atomic<bool> room{false};
    std::thread t([&] {
        q.wait_for_room();  // what write() does before taking more
        room.store(true);
    });
    auto r = q.front(std::chrono::milliseconds(10));
    ASSERT_TRUE(r);
    EXPECT_FALSE(room.load());
    q.pop_front(r->seq);
    auto r2 = q.front(std::chrono::milliseconds(10));
    ASSERT_TRUE(r2);
    q.pop_front(r2->seq);
    t.join();
    EXPECT_TRUE(room.load());
}

TEST_F(RequestQueueTest, WhileTheEndpointFailsRequestsGoToDiskAndAreAcknowledged) {
    RequestQueue q(dir_, {1 << 20, 1 << 20, SpoolFull::Block}, on_drop(), on_spooled());
    q.push(req("a", 1, 1));
    q.push(req("b", 2, 2));
    EXPECT_EQ(files(), 0u);
    q.set_prefer_spool(true);
    EXPECT_EQ(q.spill_memory(), 2u);
    EXPECT_EQ(q.memory_bytes(), 0u);
    EXPECT_EQ(q.push(req("c", 3, 3)), RequestQueue::Placed::Spool);
    EXPECT_EQ(files(), 3u);
    EXPECT_EQ(acked_, (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(spooled_events_, 6u);
    q.set_prefer_spool(false);
    EXPECT_EQ(q.push(req("d", 4, 4)), RequestQueue::Placed::Memory);
    std::string order;
    while (auto r = q.front(std::chrono::milliseconds(1))) {
        order += r->body;
        const auto owed = q.pop_front(r->seq);
        EXPECT_EQ(owed.empty(), r->body != "d");
    }
    EXPECT_EQ(order, "abcd");
    EXPECT_EQ(files(), 0u);
}
