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
    RequestQueue::OnDrop on_drop() {
        return [this](Request& r) { dropped_.push_back(r); };
    }
};

}  // namespace

TEST_F(RequestQueueTest, MemoryThenSpoolAndOldestFirst) {
    RequestQueue q(dir_, {100, 1 << 20, SpoolFull::Block}, on_drop());
    EXPECT_EQ(q.push(req(std::string(60, 'a'), 1, 1)), RequestQueue::Placed::Memory);
    EXPECT_EQ(q.push(req(std::string(60, 'b'), 2, 2)), RequestQueue::Placed::Spool);
    EXPECT_EQ(q.push(req(std::string(30, 'c'), 3, 3)), RequestQueue::Placed::Memory);
    EXPECT_EQ(files(), 1u);
    std::string order;
    for (int i = 0; i < 3; ++i) {
        auto r = q.front(std::chrono::milliseconds(10));
        ASSERT_TRUE(r);
        order += r->body[0];
        EXPECT_EQ(r->tokens, std::vector<uint64_t>{static_cast<uint64_t>(i + 1)});
        q.pop_front(r->seq);
    }
    EXPECT_EQ(order, "abc");
    EXPECT_EQ(files(), 0u);
    EXPECT_FALSE(q.front(std::chrono::milliseconds(1)));
}

TEST_F(RequestQueueTest, SpoolIsRecoveredByTheNextInstanceInOrder) {
    {
        RequestQueue q(dir_, {10, 1 << 20, SpoolFull::Block}, on_drop());
        q.push(req("first", 5, 1));   // empty queue: memory
        q.push(req("second", 6, 2));  // spooled
        q.push(req("third", 7, 3));   // spooled
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
        EXPECT_EQ(r->tokens.empty(), got.size() <= 3);  // nothing to acknowledge from an earlier run
        q.pop_front(r->seq);
    }
    EXPECT_EQ(got, (std::vector<std::string>{"first", "second", "third", "fourth"}));
}

TEST_F(RequestQueueTest, DropNewestWhenFull) {
    RequestQueue q(dir_, {10, 20, SpoolFull::DropNewest}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));  // memory (empty queue)
    q.push(req(std::string(15, 'b'), 1, 2));  // spool
    EXPECT_EQ(q.push(req(std::string(15, 'c'), 1, 3)), RequestQueue::Placed::Dropped);
    ASSERT_EQ(dropped_.size(), 1u);
    EXPECT_EQ(dropped_[0].tokens, std::vector<uint64_t>{3});
    EXPECT_EQ(q.size(), 2u);
}

TEST_F(RequestQueueTest, DropOldestWhenFull) {
    RequestQueue q(dir_, {10, 20, SpoolFull::DropOldest}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));
    q.push(req(std::string(15, 'b'), 1, 2));  // spooled: the oldest on disk
    q.push(req(std::string(15, 'c'), 1, 3));
    ASSERT_EQ(dropped_.size(), 1u);
    EXPECT_EQ(dropped_[0].tokens, std::vector<uint64_t>{2});
    std::string order;
    while (auto r = q.front(std::chrono::milliseconds(1))) {
        order += r->body[0];
        q.pop_front(r->seq);
    }
    EXPECT_EQ(order, "ac");
}

TEST_F(RequestQueueTest, BlockWaitsForRoom) {
    RequestQueue q(dir_, {20, 40, SpoolFull::Block}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));
    q.push(req(std::string(15, 'b'), 1, 2));
    std::atomic<bool> pushed{false};
    std::thread t([&] {
        q.push(req(std::string(15, 'c'), 1, 3));
        pushed.store(true);
    });
    auto r = q.front(std::chrono::milliseconds(10));
    ASSERT_TRUE(r);
    EXPECT_FALSE(pushed.load());  // still waiting: memory and spool are full
    q.pop_front(r->seq);          // room
    t.join();
    EXPECT_TRUE(pushed.load());
    EXPECT_TRUE(dropped_.empty());
}

TEST_F(RequestQueueTest, CloseReleasesABlockedPush) {
    RequestQueue q(dir_, {20, 40, SpoolFull::Block}, on_drop());
    q.push(req(std::string(15, 'a'), 1, 1));
    q.push(req(std::string(15, 'b'), 1, 2));
    std::thread t([&] { EXPECT_EQ(q.push(req(std::string(15, 'c'), 1, 3)), RequestQueue::Placed::Closed); });
    q.close();
    t.join();
}
