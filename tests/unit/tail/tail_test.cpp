// The live tail's ground: the store replays exactly what was committed after
// a cursor (and keeps its commit seq across a restart); the hub filters,
// buffers, drops the oldest with a notice, and goes live without duplicates.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/store.hpp>
#include <weir/tail/hub.hpp>

namespace {

using namespace weir;

constexpr int64_t kBase = 1'768'780'800'000'000'000;  // 2026-01-19T00:00:00Z
constexpr int64_t kDayNs = 86'400'000'000'000;

weir_value str_v(std::string_view s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{s.data(), s.size()};
    return v;
}
weir_value int_v(int64_t i) {
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = i;
    return v;
}

/// Events n..n+count-1, level ERROR for every third; `late`: a day earlier.
void add_events(event::Batch& b, int n, int count, bool late = false) {
    for (int i = n; i < n + count; ++i) {
        const size_t k = b.add("event " + std::to_string(i), kBase + (late ? -kDayNs : 0) + i * 1'000'000);
        b.put(b.event(k).root, "n", int_v(i), 0);
        b.put(b.event(k).root, "level", str_v(i % 3 == 0 ? "ERROR" : "INFO"), 0);
        b.put(b.event(k).root, "tenant", str_v(i % 2 == 0 ? "acme" : "globex"), 0);
    }
}

void write(store::Store& s, int n, int count, bool late = false) {
    event::Batch b;
    add_events(b, n, count, late);
    s.write(b, nullptr);
    s.flush();
}

int n_of(const std::string& json) {
    const auto p = json.find("\"n\":");
    return std::atoi(json.c_str() + p + 4);
}

class TailTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("weir-tail-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        opts_.path = dir_.string();
        opts_.sync = false;
        opts_.block_events = 16;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
    store::StoreOptions opts_;
};

TEST_F(TailTest, CursorTextRoundTrips) {
    const store::CommitPos p{42, 20789, 7, 12};
    EXPECT_EQ(p.to_cursor(), "42-20789-7-12");
    EXPECT_EQ(store::CommitPos::from_cursor("42-20789-7-12"), p);
    EXPECT_EQ(store::CommitPos::end_of(9).to_cursor(), "9");
    EXPECT_EQ(store::CommitPos::from_cursor("9"), store::CommitPos::end_of(9));
    EXPECT_FALSE(store::CommitPos::from_cursor("1.2.3.4"));
    EXPECT_FALSE(store::CommitPos::from_cursor("-1"));
    EXPECT_FALSE(store::CommitPos::from_cursor("1-2-3-4x"));
}

TEST_F(TailTest, ReplayGivesEveryCommitAfterTheCursorInCommitOrderAcrossPartitionsAndRestarts) {
    {
        auto s = store::Store::open(opts_);
        write(*s, 0, 40);
        write(*s, 40, 10, true);  // late: another partition
        write(*s, 50, 30);
        EXPECT_EQ(s->last_commit_seq(), 3u);
    }
    auto s = store::Store::open(opts_);
    EXPECT_EQ(s->last_commit_seq(), 3u);  // persisted
    write(*s, 80, 5);
    EXPECT_EQ(s->last_commit_seq(), 4u);

    // Everything, page by page, in commit order.
    std::vector<int> all;
    store::ReplayRequest rr;
    rr.limit = 7;
    for (int pages = 0; pages < 100; ++pages) {
        const auto r = s->replay(rr);
        for (const auto& e : r.events) all.push_back(n_of(e));
        for (size_t i = 1; i < r.positions.size(); ++i) EXPECT_LT(r.positions[i - 1], r.positions[i]);
        rr.after = r.reached;
        if (!r.more) break;
    }
    std::vector<int> want(85);
    for (int i = 0; i < 85; ++i) want[i] = i;
    EXPECT_EQ(all, want);

    // After a place in the middle of the late commit, filtered and by tenant.
    const condition::Condition c = condition::Condition::compile("level:ERROR");
    rr = {};
    rr.after = store::CommitPos{2, store::day_of(kBase - kDayNs), 0, 0};
    auto first = s->replay(rr);
    ASSERT_GE(first.positions.size(), 5u);
    rr.after = first.positions[4];  // the 5th row of commit 2 (n = 44)
    rr.condition = &c;
    rr.tenant = "acme";
    const auto r = s->replay(rr);
    std::vector<int> got;
    for (const auto& e : r.events) got.push_back(n_of(e));
    std::vector<int> expect;
    for (int i = 45; i < 85; ++i)
        if (i % 3 == 0 && i % 2 == 0) expect.push_back(i);
    EXPECT_EQ(got, expect);
    // Each replayed row's commit is what commit_of says.
    for (size_t i = 0; i < r.refs.size(); ++i) EXPECT_EQ(s->commit_of(r.refs[i]), r.positions[i].seq);
    // Nothing after the end.
    rr.after = store::CommitPos::end_of(4);
    EXPECT_TRUE(s->replay(rr).events.empty());
}

/// A sink that holds what it was sent; `room` messages at most "queued".
class FakeSink : public tail::Sink {
public:
    bool open() const override { return open_; }
    size_t queued() const override {
        std::lock_guard lock(mu_);
        return stalled_ ? 1'000'000 : 0;
    }
    bool send(std::string m) override {
        std::lock_guard lock(mu_);
        got_.push_back(std::move(m));
        return true;
    }
    void close() override { open_ = false; }
    void stall(bool s) {
        std::lock_guard lock(mu_);
        stalled_ = s;
    }
    std::vector<std::string> got() const {
        std::lock_guard lock(mu_);
        return got_;
    }
    std::atomic<bool> open_{true};

private:
    mutable std::mutex mu_;
    std::vector<std::string> got_;
    bool stalled_ = false;
};

template <class F>
bool eventually(F f) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (f()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

size_t count_type(const std::vector<std::string>& msgs, const std::string& type) {
    size_t n = 0;
    for (const auto& m : msgs)
        if (m.find("\"type\":\"" + type + "\"") != std::string::npos) ++n;
    return n;
}

TEST_F(TailTest, HubFiltersBuffersAndReportsDrops) {
    std::shared_ptr<store::Store> s = store::Store::open(opts_);
    tail::HubOptions o;
    o.buffer_events = 10;
    tail::Hub hub(s, o);
    auto errors = std::make_shared<FakeSink>();
    auto stalled = std::make_shared<FakeSink>();
    std::string why;
    auto a = hub.subscribe(condition::Condition::compile("level:ERROR"), "acme", "t1", errors, why);
    auto b = hub.subscribe(std::nullopt, "", "t1", stalled, why);
    ASSERT_TRUE(a && b) << why;
    a->go_live({}, nullptr, true);
    b->go_live({}, nullptr, true);
    stalled->stall(true);
    write(*s, 0, 60);
    // n % 6 == 0 below 60: ten events, all delivered in order.
    ASSERT_TRUE(eventually([&] { return count_type(errors->got(), "log") == 10; }));
    EXPECT_EQ(count_type(errors->got(), "dropped"), 0u);
    EXPECT_NE(errors->got()[1].find("\"n\":0"), std::string::npos);
    // The stalled one kept the newest 10 of 60 and says so once it reads.
    ASSERT_TRUE(eventually([&] { return hub.dropped_buffer.load() == 50; }));
    stalled->stall(false);
    ASSERT_TRUE(eventually([&] { return count_type(stalled->got(), "log") == 10; }));
    const auto got = stalled->got();
    ASSERT_EQ(count_type(got, "dropped"), 1u);
    EXPECT_NE(got[1].find("\"count\":50"), std::string::npos) << got[1];
    EXPECT_NE(got[2].find("\"n\":50"), std::string::npos) << got[2];
    EXPECT_NE(hub.metrics_text().find("weir_tail_dropped_total{reason=\"slow_client\"} 50"),
              std::string::npos);
}

TEST_F(TailTest, HubGoesLiveWithoutWhatTheCatchUpGave) {
    std::shared_ptr<store::Store> s = store::Store::open(opts_);
    tail::HubOptions o;
    o.buffer_events = 5;
    tail::Hub hub(s, o);
    auto sink = std::make_shared<FakeSink>();
    std::string why;
    auto sub = hub.subscribe(std::nullopt, "", "", sink, why);
    // A live probe: once it has an event, the hub has offered that commit
    // to every subscriber.
    auto probe_sink = std::make_shared<FakeSink>();
    auto probe = hub.subscribe(std::nullopt, "", "", probe_sink, why);
    probe->go_live({}, nullptr, true);
    write(*s, 0, 3);   // commit 1, buffered during catch-up
    write(*s, 3, 10);  // commit 2 overflows the buffer of 5 (the probe's too)
    ASSERT_TRUE(eventually([&] {
        const auto g = probe_sink->got();
        return !g.empty() && g.back().find("\"n\":12") != std::string::npos;
    }));
    // A catch-up that read only commit 1 cannot go live: the buffer lost
    // part of commit 2.
    EXPECT_FALSE(sub->go_live(store::CommitPos::end_of(1)));
    // One that read everything can; nothing is sent twice.
    EXPECT_TRUE(sub->go_live(store::CommitPos::end_of(2)));
    write(*s, 13, 2);
    ASSERT_TRUE(eventually([&] { return count_type(sink->got(), "log") == 2; }));
    const auto got = sink->got();
    EXPECT_EQ(count_type(got, "dropped"), 0u);
    EXPECT_NE(got[0].find("\"type\":\"live\""), std::string::npos);
    EXPECT_NE(got[1].find("\"n\":13"), std::string::npos);
    // Closed sinks are forgotten.
    sink->open_ = false;
    ASSERT_TRUE(eventually([&] { return hub.subscribers() == 1; }));  // the probe is left
    probe_sink->open_ = false;
    ASSERT_TRUE(eventually([&] { return hub.subscribers() == 0; }));
}

TEST_F(TailTest, RateLimitedSubscriberKeepsItsBufferAndCountsWhatDidNotFit) {
    std::shared_ptr<store::Store> s = store::Store::open(opts_);
    tail::HubOptions o;
    o.buffer_events = 5;
    o.max_events_per_second = 1;
    tail::Hub hub(s, o);
    auto sink = std::make_shared<FakeSink>();
    std::string why;
    auto sub = hub.subscribe(std::nullopt, "", "", sink, why);
    sub->go_live({}, nullptr, true);
    write(*s, 0, 40);
    // Every event is accounted for: sent, still buffered, or dropped for the rate.
    ASSERT_TRUE(eventually([&] { return hub.sent.load() + hub.dropped_rate.load() >= 35; }));
    EXPECT_GE(hub.dropped_rate.load(), 30u);
    EXPECT_EQ(hub.dropped_buffer.load(), 0u);
    EXPECT_LE(hub.sent.load() + hub.dropped_rate.load(), 40u);
}

}  // namespace
