// Numbers in the index: `user_id:12345` uses the blocks' number digests
// whether the value was stored as a number or as numeric text, answers
// exactly, and blocks written before digests existed are scanned instead.
#include <gtest/gtest.h>

#include <deque>
#include <weir/condition/condition.hpp>
#include <weir/store/term_index.hpp>

#include "store_fixture.hpp"

namespace {

using namespace weir;
using namespace weir::store::testing;

struct NumericTerms {  // restores the default whatever a test does
    explicit NumericTerms(bool on) { store::set_numeric_terms_for_testing(on); }
    ~NumericTerms() { store::set_numeric_terms_for_testing(true); }
};

class NumericIndex : public StoreDir {
protected:
    void SetUp() override {
        StoreDir::SetUp();
        opts_.sync = false;
        opts_.block_events = 32;
    }

    /// n events on `day`, user_id = id_of(i) in one of several forms; a
    /// brute-force list of what matches is kept alongside.
    void add_day(event::Batch& b, int day, size_t n, size_t first_seq) {
        for (size_t i = 0; i < n; ++i) {
            const size_t seq = first_seq + i;
            const size_t k =
                b.add("request done", kBase + day * kDayNs + static_cast<int64_t>(i) * 1'000'000);
            const weir_node root = b.event(k).root;
            b.put(root, "seq", int_v(static_cast<int64_t>(seq)), 0);
            const int64_t id = 1000 + static_cast<int64_t>(seq % 200);
            switch (seq % 5) {
                case 0:
                    b.put(root, "user_id", int_v(id), 0);
                    break;
                case 1:
                    b.put(root, "user_id", float_v(static_cast<double>(id)), 0);
                    break;
                case 2:
                    texts_.push_back(std::to_string(id));
                    b.put(root, "user_id", str_v(texts_.back()), 0);
                    break;
                case 3:
                    texts_.push_back(std::to_string(id) + ".0");
                    b.put(root, "user_id", str_v(texts_.back()), 0);
                    break;
                default:
                    texts_.push_back("u-" + std::to_string(id));
                    b.put(root, "user_id", str_v(texts_.back()), 0);
            }
        }
    }

    uint64_t brute(const event::Batch& all, const condition::Condition& c, int64_t from, int64_t to) {
        uint64_t n = 0;
        for (size_t i = 0; i < all.size(); ++i)
            if (all.event(i).time_ns >= from && all.event(i).time_ns <= to && c.matches(all, i)) ++n;
        return n;
    }

    store::SearchResult search(store::Store& s, const condition::Condition& c, int64_t from = INT64_MIN,
                               int64_t to = INT64_MAX) {
        store::SearchRequest r;
        r.condition = &c;
        r.hint = c.index_hint();
        r.hint.from_ns = std::max(r.hint.from_ns, from);
        r.hint.to_ns = std::min(r.hint.to_ns, to);
        r.limit = 100000;
        return s.search(r);
    }

    std::deque<std::string> texts_;  // string values stay put while batches point at them
};

TEST_F(NumericIndex, NumbersAndNumericTextShareOneKeyAndAnswerExactly) {
    auto s = store::Store::open(opts_);
    event::Batch b;
    add_day(b, 0, 2000, 0);
    s->write(b, nullptr);
    s->flush();
    const uint64_t blocks = s->stats().blocks;
    for (const char* q :
         {"user_id:1007", "user_id:\"1007\"", "user_id:1007.0", "user_id:1.007e3", "user_id IN (1003, 1150)",
          "user_id:u-1004", "user_id:(1010 OR u-1014)", "user_id:999"}) {
        const auto c = condition::Condition::compile(q);
        const auto r = search(*s, c);
        EXPECT_EQ(r.total, brute(b, c, INT64_MIN, INT64_MAX)) << q;
        EXPECT_TRUE(r.total_exact) << q;
        EXPECT_EQ(r.stats.path, "index") << q;
        EXPECT_LT(r.stats.blocks_scanned, blocks / 2) << q << " " << r.stats.to_json();
    }
    // 1007 in its four numeric forms: int, float, "1007", "1007.0" (seq 7, 207, ...: one form each).
    EXPECT_EQ(search(*s, condition::Condition::compile("user_id:1007")).total, 10u);
    EXPECT_TRUE(s->verify().ok()) << s->verify().to_json();  // the mark reads as a posting list
}

TEST_F(NumericIndex, OldPartitionsAreScannedAndStillAnswerExactly) {
    event::Batch all;
    {
        // Day 0 written as before number keys existed.
        NumericTerms off(false);
        auto s = store::Store::open(opts_);
        event::Batch b;
        add_day(b, 0, 800, 0);
        s->write(b, nullptr);
        s->flush();
        for (size_t i = 0; i < b.size(); ++i) copy_event(b, i, all);
    }
    auto s = store::Store::open(opts_);
    {
        // More of day 0 (its partition has no mark: it is still scanned) and a new day 1.
        event::Batch b;
        add_day(b, 0, 300, 800);
        add_day(b, 1, 800, 1100);
        s->write(b, nullptr);
        s->flush();
        for (size_t i = 0; i < b.size(); ++i) copy_event(b, i, all);
    }
    for (const char* q : {"user_id:1007", "user_id:\"1021\"", "user_id IN (1003, 1150)", "user_id:u-1004"}) {
        const auto c = condition::Condition::compile(q);
        EXPECT_EQ(search(*s, c).total, brute(all, c, INT64_MIN, INT64_MAX)) << q;
        const auto day0 = search(*s, c, kBase, kBase + kDayNs - 1);
        EXPECT_EQ(day0.total, brute(all, c, kBase, kBase + kDayNs - 1)) << q;
        const auto day1 = search(*s, c, kBase + kDayNs, kBase + 2 * kDayNs - 1);
        EXPECT_EQ(day1.total, brute(all, c, kBase + kDayNs, kBase + 2 * kDayNs - 1)) << q;
        EXPECT_GT(day1.stats.blocks_pruned_index, 0u) << q;
    }
    // Day 0's first 800 events (25 blocks) have no digests: every one of them is read.
    const auto num = search(*s, condition::Condition::compile("user_id:1007"), kBase, kBase + kDayNs - 1);
    EXPECT_GE(num.stats.blocks_scanned, 25u) << num.stats.to_json();
    EXPECT_GT(num.stats.blocks_pruned_index, 0u) << num.stats.to_json();  // the later ones have them
    EXPECT_GT(num.total, 0u);
    const auto text = search(*s, condition::Condition::compile("user_id:u-1004"), kBase, kBase + kDayNs - 1);
    EXPECT_GT(text.stats.blocks_pruned_index, 0u);
}

TEST_F(NumericIndex, BlocksWithoutADigestAreScannedTheOthersPruned) {
    event::Batch all;
    auto s = store::Store::open(opts_);
    auto write = [&](size_t n, size_t first) {
        event::Batch b;
        add_day(b, 0, n, first);
        s->write(b, nullptr);
        s->flush();
        for (size_t i = 0; i < b.size(); ++i) copy_event(b, i, all);
    };
    write(400, 0);
    {
        NumericTerms off(false);
        write(400, 400);
    }
    write(400, 800);
    const auto c = condition::Condition::compile("user_id:1007");
    const auto r = search(*s, c);
    EXPECT_EQ(r.total, brute(all, c, INT64_MIN, INT64_MAX));
    EXPECT_GE(r.stats.blocks_scanned, 400u / 32);  // the middle commit's blocks
    EXPECT_GT(r.stats.blocks_pruned_index, 0u);
}

TEST_F(NumericIndex, LevelRetentionKeepsNumberKeysExact) {
    opts_.retention_by_level = {{"DEBUG", kDayNs}};
    auto s = store::Store::open(opts_);
    event::Batch b;
    add_day(b, 0, 1000, 0);
    for (size_t i = 0; i < b.size(); ++i)
        b.put(b.event(i).root, "level", str_v(i % 3 == 0 ? "DEBUG" : "INFO"), 0);
    // A number only DEBUG rows hold, in blocks that keep other rows.
    for (int64_t at : {100, 300, 500, 700, 900}) {
        const size_t k = b.add("debug detail", kBase + at * 1'000'000 + 500'000);
        b.put(b.event(k).root, "level", str_v("DEBUG"), 0);
        b.put(b.event(k).root, "user_id", int_v(5555), 0);
    }
    s->write(b, nullptr);
    s->flush();
    const auto r = s->apply_retention(kBase + 3 * kDayNs);
    ASSERT_GT(r.blocks_rewritten, 0u) << r.to_json();
    // The rewritten blocks' digests are remade from their survivors.
    const auto gone = search(*s, condition::Condition::compile("user_id:5555"));
    EXPECT_EQ(gone.total, 0u);
    EXPECT_EQ(gone.stats.blocks_scanned, 0u) << gone.stats.to_json();
    // What survives: the non-DEBUG rows.
    event::Batch kept;
    for (size_t i = 0; i < 1000; ++i)
        if (i % 3 != 0) copy_event(b, i, kept);
    for (const char* q : {"user_id:1007", "user_id:1003", "user_id:\"1021\"", "user_id IN (1000, 1150)"}) {
        const auto c = condition::Condition::compile(q);
        const auto got = search(*s, c);
        EXPECT_EQ(got.total, brute(kept, c, INT64_MIN, INT64_MAX)) << q;
        EXPECT_GT(got.stats.blocks_pruned_index, 0u) << q;
    }
    EXPECT_TRUE(s->verify().ok()) << s->verify().to_json();
}

}  // namespace
