// Store operations: retention by age, size and level (also changed at
// runtime), backup while writing and restore, verify, the read-only open, and
// the store.retention_by_level option.
#include <gtest/gtest.h>
#include <lmdb.h>
#include <roaring/roaring.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <weir/condition/condition.hpp>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>
#include <weir/event/batch.hpp>
#include <weir/store/store.hpp>
#include <weir/store/term_index.hpp>

namespace {

using namespace weir;
namespace fs = std::filesystem;

constexpr int64_t kDayNs = 86'400'000'000'000;
constexpr int64_t kHourNs = 3'600'000'000'000;
constexpr int64_t kBase = 1'768'780'800'000'000'000;  // 2026-01-19T00:00:00Z

weir_value str_v(std::string_view s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{s.data(), s.size()};
    return v;
}

void add(event::Batch& b, const std::string& body, int64_t t, const char* level) {
    const size_t i = b.add(body, t);
    if (level) b.put(b.event(i).root, "level", str_v(level), 0);
}

class StoreOps : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("weir-store-ops-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        opts_.path = (dir_ / "store").string();
        opts_.block_events = 16;
        opts_.initial_map_bytes = 1 << 20;
        opts_.info = [this](const std::string& m) {
            std::lock_guard lock(log_mu_);
            log_.push_back(m);
        };
    }
    void TearDown() override { fs::remove_all(dir_); }

    /// Total of events matching `q` (all when empty).
    static uint64_t count(store::Store& s, const std::string& q = {}) {
        std::optional<condition::Condition> c;
        store::SearchRequest req;
        if (!q.empty()) {
            c = condition::Condition::compile(q);
            req.condition = &*c;
            req.hint = c->index_hint();
        }
        req.limit = 100000;  // above the total: every candidate block is read, the total is exact
        return s.search(req).total;
    }

    /// The events of word `w` with a hand-built hint on it, so the index prunes.
    static store::SearchResult search_word(store::Store& s, const std::string& w) {
        store::SearchRequest req;
        const auto c = condition::Condition::compile(w);
        req.condition = &c;
        req.hint.all.push_back({condition::IndexKey{condition::IndexKey::Kind::word, "", w}});
        req.limit = 100000;
        return s.search(req);
    }
    static uint64_t count_word(store::Store& s, const std::string& w) { return search_word(s, w).total; }

    bool logged(const std::string& part) {
        std::lock_guard lock(log_mu_);
        for (const auto& l : log_)
            if (l.find(part) != std::string::npos) return true;
        return false;
    }

    fs::path dir_;
    store::StoreOptions opts_;
    std::mutex log_mu_;
    std::vector<std::string> log_;
};

TEST_F(StoreOps, AgeDeletesWholeDaysLogsAndCounts) {
    auto s = store::Store::open(opts_);
    event::Batch b;
    for (int d = 0; d < 4; ++d)
        for (int i = 0; i < 10; ++i) add(b, "day " + std::to_string(d), kBase + d * kDayNs + i, "INFO");
    s->write(b, nullptr);
    s->flush();
    ASSERT_EQ(s->stats().partitions, 4u);
    store::RetentionPolicy p;
    p.max_age_ns = 2 * kDayNs;
    // set_retention runs at the real time: every 2026 day is older than that
    // only if the clock says so; drive the pass with a chosen "now" instead.
    auto r = s->apply_retention(kBase + 3 * kDayNs + kHourNs);  // no policy yet: nothing
    EXPECT_EQ(r.partitions_deleted, 0u);
    opts_.retention_ns = 2 * kDayNs;
    s.reset();
    s = store::Store::open(opts_);
    r = s->apply_retention(kBase + 3 * kDayNs + kHourNs);
    EXPECT_EQ(r.partitions_deleted, 1u);  // day 0 only: day 1 is within 2 days of day 3 01:00
    EXPECT_EQ(r.events_deleted, 10u);
    EXPECT_EQ(count(*s), 30u);
    EXPECT_EQ(count(*s, "\"day 0\""), 0u);
    EXPECT_FALSE(fs::exists(fs::path(opts_.path) / "2026-01-19"));
    EXPECT_TRUE(logged("deleted partition 2026-01-19"));
    const std::string m = s->metrics_text();
    EXPECT_NE(m.find("weir_store_partitions_deleted_total{reason=\"age\"} 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("weir_store_events_deleted_total{reason=\"age\"} 10\n"), std::string::npos) << m;
    EXPECT_NE(r.to_json().find("\"partitions_deleted\":1"), std::string::npos);
}

TEST_F(StoreOps, SizeDeletesTheOldestDaysButNeverToday) {
    opts_.retention_bytes = 0;
    auto s = store::Store::open(opts_);
    for (int d = 0; d < 4; ++d) {
        event::Batch b;
        for (int i = 0; i < 200; ++i)
            add(b, "payload " + std::to_string(d) + " " + std::string(200, 'x'), kBase + d * kDayNs + i,
                "INFO");
        s->write(b, nullptr);
    }
    s->flush();
    auto parts = s->partition_stats();
    ASSERT_EQ(parts.size(), 4u);
    const uint64_t newest_two = parts[2].bytes_on_disk + parts[3].bytes_on_disk;
    s.reset();
    opts_.retention_bytes = newest_two;
    s = store::Store::open(opts_);
    auto r = s->apply_retention(kBase + 3 * kDayNs + kHourNs);  // "today" is day 3
    EXPECT_EQ(r.partitions_deleted, 2u);
    parts = s->partition_stats();
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].day, "2026-01-21");
    EXPECT_EQ(count(*s), 400u);
    // A bound below today's size deletes everything older, and keeps today.
    s.reset();
    opts_.retention_bytes = 1;
    s = store::Store::open(opts_);
    r = s->apply_retention(kBase + 3 * kDayNs + kHourNs);
    EXPECT_EQ(r.partitions_deleted, 1u);
    parts = s->partition_stats();
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].day, "2026-01-22");
    EXPECT_EQ(count(*s), 200u);
    EXPECT_NE(s->metrics_text().find("weir_store_partitions_deleted_total{reason=\"size\"} 1\n"),
              std::string::npos);
    EXPECT_TRUE(logged("only today's partition"));
}

TEST_F(StoreOps, LevelRewritesBlocksKeepsTheRestAndTheIndexStaysExact) {
    opts_.retention_by_level = {{"INFO", 2 * kDayNs}, {"debug", kDayNs}};
    auto s = store::Store::open(opts_);
    event::Batch b;
    // Day 0: mixed levels in every block (16 rows a block), a word only the INFO rows carry.
    for (int i = 0; i < 100; ++i) {
        const char* lv = i % 3 == 0 ? "ERROR" : i % 3 == 1 ? (i % 2 ? "INFO" : "info") : "DEBUG";
        add(b, std::string(lv) + (i % 3 == 1 ? " onlyinfo" : " common") + " row", kBase + i, lv);
    }
    // Then DEBUG only: two blocks with nothing else, deleted whole.
    for (int i = 0; i < 32; ++i) add(b, "debugonly burst", kBase + 1000 + i, "DEBUG");
    // Day 1: INFO only, wholly past its age: the partition goes.
    for (int i = 0; i < 40; ++i) add(b, "later info", kBase + kDayNs + i, "INFO");
    // Day 5: recent, nothing past any age.
    for (int i = 0; i < 30; ++i) add(b, "recent debug", kBase + 5 * kDayNs + i, "DEBUG");
    s->write(b, nullptr);
    s->flush();
    ASSERT_EQ(count(*s), 202u);
    ASSERT_EQ(count_word(*s, "onlyinfo"), 33u);
    const uint64_t blocks_before = s->stats().blocks;

    const auto r = s->apply_retention(kBase + 5 * kDayNs + 12 * kHourNs);
    EXPECT_EQ(r.events_deleted, 33u + 65u + 40u) << r.to_json();  // INFO and DEBUG of day 0, day 1 whole
    EXPECT_EQ(r.partitions_deleted, 1u);
    EXPECT_GT(r.blocks_rewritten, 0u);
    EXPECT_EQ(count(*s), 34u + 30u);
    EXPECT_EQ(count(*s, "level:ERROR"), 34u);
    EXPECT_EQ(count(*s, "level:INFO"), 0u);
    EXPECT_EQ(count(*s, "level:DEBUG"), 30u);  // day 5's are recent
    // Counts by level, which rollups would answer: the rewritten day's rollups
    // no longer claim to cover it, so the answer is the survivors, not the minutes as written.
    {
        store::AggregateRequest a;
        a.group_by = {"level"};
        a.limit = 100;
        const auto by_level = s->aggregate(a);
        std::map<std::string, uint64_t> got;
        for (const auto& row : by_level.rows) got[row.group[0].value_or("-")] = row.count;
        EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"ERROR", 34u}, {"DEBUG", 30u}}))
            << by_level.stats.to_json();
        EXPECT_TRUE(by_level.exact);
    }
    // The postings of the deleted rows' words are gone: the index prunes every block.
    for (const char* w : {"onlyinfo", "debugonly"}) {
        const auto gone = search_word(*s, w);
        EXPECT_EQ(gone.total, 0u) << w;
        EXPECT_EQ(gone.stats.blocks_scanned, 0u) << w;
    }
    EXPECT_EQ(count_word(*s, "common"), 34u);
    EXPECT_FALSE(fs::exists(fs::path(opts_.path) / "2026-01-20"));
    EXPECT_LT(s->stats().blocks, blocks_before);
    EXPECT_EQ(s->stats().events, 64u);  // zone maps follow the rewrite
    // Postings no longer name rewritten-away or deleted blocks.
    const auto v = s->verify();
    EXPECT_TRUE(v.ok()) << v.to_json();
    const std::string m = s->metrics_text();
    EXPECT_NE(m.find("weir_store_events_deleted_total{reason=\"level\"} 138\n"), std::string::npos) << m;
    EXPECT_NE(m.find("weir_store_partitions_deleted_total{reason=\"level\"} 1\n"), std::string::npos) << m;
    EXPECT_TRUE(logged("retention (level): deleted 98 events"));
    // The next pass reads only what may hold rows past the cutoffs: a late
    // INFO event of day 0, written since, is found and deleted.
    event::Batch late;
    add(late, "late info", kBase + 2000, "INFO");
    add(late, "late error", kBase + 2001, "ERROR");
    s->write(late, nullptr);
    s->flush();
    const auto again = s->apply_retention(kBase + 5 * kDayNs + 13 * kHourNs);
    EXPECT_EQ(again.events_deleted, 1u) << again.to_json();
    EXPECT_EQ(count(*s), 65u);
    EXPECT_EQ(count(*s, "\"late error\""), 1u);
    EXPECT_TRUE(s->verify().ok());
    const auto idle = s->apply_retention(kBase + 5 * kDayNs + 14 * kHourNs);
    EXPECT_EQ(idle.events_deleted, 0u);
    EXPECT_EQ(idle.blocks_rewritten, 0u);
    // The rewrite is on disk: the same answers after reopening.
    s.reset();
    opts_.retention_by_level.clear();
    s = store::Store::open(opts_);
    EXPECT_EQ(count(*s), 65u);
    EXPECT_EQ(count(*s, "level:ERROR"), 35u);
    EXPECT_TRUE(s->verify().ok());
}

TEST_F(StoreOps, SetRetentionChangesThePolicyAndRunsAtOnce) {
    auto s = store::Store::open(opts_);
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    event::Batch b;
    for (int i = 0; i < 5; ++i) add(b, "old", now - 10 * kDayNs + i, "INFO");
    for (int i = 0; i < 5; ++i) add(b, "old error", now - 10 * kDayNs + i, "ERROR");
    for (int i = 0; i < 7; ++i) add(b, "fresh", now - kHourNs + i, "INFO");
    s->write(b, nullptr);
    s->flush();
    EXPECT_EQ(s->retention().max_age_ns, 0);
    store::RetentionPolicy p;
    p.by_level = {{"info", 3 * kDayNs}};
    auto r = s->set_retention(p);
    EXPECT_EQ(r.events_deleted, 5u);
    EXPECT_EQ(count(*s), 12u);
    EXPECT_EQ(s->retention().by_level.at("INFO"), 3 * kDayNs);  // upper-cased
    p.by_level.clear();
    p.max_age_ns = 3 * kDayNs;
    p.emergency = true;
    r = s->set_retention(p);
    EXPECT_EQ(r.partitions_deleted, 1u);
    EXPECT_EQ(count(*s), 7u);
    EXPECT_TRUE(s->retention().emergency);
    EXPECT_NE(s->retention().to_json().find("\"max_age\":\"3d\""), std::string::npos)
        << s->retention().to_json();
    p.max_age_ns = -1;
    EXPECT_THROW(s->set_retention(p), std::runtime_error);
}

TEST_F(StoreOps, QueriesRunningWhileRetentionDeletesDoNotFail) {
    auto s = store::Store::open(opts_);
    event::Batch b;
    for (int d = 0; d < 3; ++d)
        for (int i = 0; i < 300; ++i)
            add(b, "row " + std::to_string(i), kBase + d * kDayNs + i, i % 2 ? "INFO" : "ERROR");
    s->write(b, nullptr);
    s->flush();
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> searches{0}, unreadable{0};
    std::thread reader([&] {
        for (int i = 0; i < 2000 && !stop.load(); ++i) {
            store::SearchRequest req;
            req.limit = 100000;
            const auto r = s->search(req);
            unreadable.fetch_add(r.stats.blocks_unreadable);
            searches.fetch_add(1);
        }
    });
    store::RetentionPolicy p;
    p.by_level = {{"INFO", kDayNs}};
    s->set_retention(p);  // rewrites blocks of every day (they are all past a day)
    opts_.retention_ns = 0;
    p.max_age_ns = 2 * kDayNs;
    p.by_level.clear();
    // Deleting the oldest day while searches hold snapshots of it.
    s->set_retention(p);
    stop = true;
    reader.join();
    EXPECT_GT(searches.load(), 0u);
    EXPECT_EQ(unreadable.load(), 0u);
    EXPECT_TRUE(s->verify().ok());
}

TEST_F(StoreOps, BackupWhileWritingThenRestoreGivesTheSameAnswers) {
    auto s = store::Store::open(opts_);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int n = 0; n < 400 && !stop.load(); ++n) {
            event::Batch b;
            for (int i = 0; i < 50; ++i)
                add(b, "batch " + std::to_string(n) + (i % 5 ? " ok" : " timeout"), kBase + n * 1000 + i,
                    i % 5 ? "INFO" : "ERROR");
            s->write(b, nullptr);
        }
    });
    // A hot backup while the writer commits.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (s->stats().events_written < 500 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_GE(s->stats().events_written, 500u);
    const std::string hot = (dir_ / "hot").string();
    s->backup(hot);
    stop = true;
    writer.join();
    s->flush();
    // Each commit is atomic: the hot copy holds whole batches, and is sound.
    {
        store::StoreOptions ro;
        ro.path = hot;
        ro.read_only = true;
        auto h = store::Store::open(ro);
        const uint64_t n = count(*h);
        EXPECT_GT(n, 0u);
        EXPECT_EQ(n % 50, 0u);
        EXPECT_TRUE(h->verify().ok());
    }
    // A second backup once writing stopped, restored into a new folder.
    const std::string cold = (dir_ / "cold").string();
    s->backup(cold);
    EXPECT_THROW(s->backup(cold), std::runtime_error);  // not empty
    const std::string target = (dir_ / "restored").string();
    store::restore(cold, target);
    store::StoreOptions ro;
    ro.path = target;
    auto t = store::Store::open(ro);
    for (const std::string q : {"", "timeout", "level:ERROR", "batch AND ok", "\"batch 7\"", "nothing"})
        EXPECT_EQ(count(*t, q), count(*s, q)) << q;
    store::AggregateRequest ar;
    ar.group_by = {"level"};
    const auto a1 = s->aggregate(ar), a2 = t->aggregate(ar);
    ASSERT_EQ(a1.rows.size(), a2.rows.size());
    for (size_t i = 0; i < a1.rows.size(); ++i) {
        EXPECT_EQ(a1.rows[i].group, a2.rows[i].group);
        EXPECT_EQ(a1.rows[i].count, a2.rows[i].count);
    }
    EXPECT_TRUE(t->verify().ok());
}

TEST_F(StoreOps, RestoreRefusesALiveStoreABadBackupAndReplacesOnlyWithForce) {
    auto s = store::Store::open(opts_);
    event::Batch b;
    for (int i = 0; i < 20; ++i) add(b, "kept", kBase + i, "INFO");
    s->write(b, nullptr);
    s->flush();
    const std::string bk = (dir_ / "bk").string();
    s->backup(bk);
    // The open store holds its lock file.
    try {
        store::restore(bk, opts_.path, true);
        FAIL() << "restored over a live store";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("in use by a running process"), std::string::npos) << e.what();
    }
    s.reset();
    try {
        store::restore(bk, opts_.path, false);
        FAIL() << "replaced a store without force";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
    }
    // Not a backup at all.
    EXPECT_THROW(store::restore((dir_ / "nothing").string(), (dir_ / "x").string()), std::runtime_error);
    EXPECT_FALSE(fs::exists(dir_ / "x"));
    // With --force the store becomes the backup.
    s = store::Store::open(opts_);
    event::Batch more;
    add(more, "after the backup", kBase + 100, "INFO");
    s->write(more, nullptr);
    s->flush();
    EXPECT_EQ(count(*s), 21u);
    s.reset();
    store::restore(bk, opts_.path, true);
    s = store::Store::open(opts_);
    EXPECT_EQ(count(*s), 20u);
}

/// Rewrites one value of a partition's database behind the store's back.
void poke(const fs::path& day_dir, const char* db, const std::function<void(MDB_txn*, MDB_dbi)>& change) {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    ASSERT_EQ(mdb_env_open(env, day_dir.c_str(), 0, 0640), 0);
    MDB_txn* txn = nullptr;
    MDB_dbi dbi;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    ASSERT_EQ(mdb_dbi_open(txn, db, 0, &dbi), 0);
    change(txn, dbi);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

TEST_F(StoreOps, VerifyCatchesAFlippedByteAndAPostingToAMissingBlock) {
    {
        auto s = store::Store::open(opts_);
        event::Batch b;
        for (int i = 0; i < 100; ++i) add(b, "event number " + std::to_string(i % 7), kBase + i, "INFO");
        s->write(b, nullptr);
        s->flush();
        const auto v = s->verify();
        EXPECT_TRUE(v.ok()) << v.to_json();
        EXPECT_EQ(v.events, 100u);
        EXPECT_EQ(v.blocks, 7u);  // 16 rows a block
        EXPECT_GT(v.index_entries, 0u);
    }
    const fs::path day = fs::path(opts_.path) / "2026-01-19";
    poke(day, "blocks", [](MDB_txn* txn, MDB_dbi dbi) {
        MDB_cursor* cur = nullptr;
        ASSERT_EQ(mdb_cursor_open(txn, dbi, &cur), 0);
        MDB_val k, v;
        ASSERT_EQ(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
        std::string bad(static_cast<const char*>(v.mv_data), v.mv_size);
        bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x01);
        std::string key(static_cast<const char*>(k.mv_data), k.mv_size);
        mdb_cursor_close(cur);
        MDB_val nk{key.size(), key.data()}, nv{bad.size(), bad.data()};
        ASSERT_EQ(mdb_put(txn, dbi, &nk, &nv, 0), 0);
    });
    {
        auto s = store::Store::open(opts_);
        const auto v = s->verify();
        ASSERT_EQ(v.problems.size(), 1u) << v.to_json();
        EXPECT_NE(v.problems[0].find("block 1 does not decode"), std::string::npos) << v.problems[0];
    }
    // A posting to a block that does not exist.
    poke(day, "terms", [](MDB_txn* txn, MDB_dbi dbi) {
        store::Bitmap bm = store::make_bitmap();
        roaring_bitmap_add(bm.get(), 2);
        roaring_bitmap_add(bm.get(), 9999);
        const std::string key = store::word_key("ghost");
        const std::string val = store::encode_bitmap(bm.get());
        MDB_val k{key.size(), const_cast<char*>(key.data())}, v{val.size(), const_cast<char*>(val.data())};
        ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
        // And a posting list whose checksum no longer matches.
        const std::string key2 = store::word_key("event");
        MDB_val k2{key2.size(), const_cast<char*>(key2.data())}, v2;
        ASSERT_EQ(mdb_get(txn, dbi, &k2, &v2), 0);
        std::string bad(static_cast<const char*>(v2.mv_data), v2.mv_size);
        bad[0] = static_cast<char>(bad[0] ^ 0x10);
        MDB_val nv{bad.size(), bad.data()};
        ASSERT_EQ(mdb_put(txn, dbi, &k2, &nv, 0), 0);
    });
    auto s = store::Store::open(opts_);
    const auto v = s->verify();
    EXPECT_EQ(v.problems.size(), 3u) << v.to_json();
    const std::string all = v.to_json();
    EXPECT_NE(all.find("'w:ghost' names block 9999, which does not exist"), std::string::npos) << all;
    EXPECT_NE(all.find("'w:event' is damaged"), std::string::npos) << all;
}

TEST_F(StoreOps, ReadOnlySeesTheDataAndWritesNothing) {
    {
        auto s = store::Store::open(opts_);
        event::Batch b;
        for (int i = 0; i < 50; ++i) add(b, "stored", kBase + i * kHourNs, "INFO");
        s->write(b, nullptr);
        s->flush();
    }
    auto listing = [&] {
        std::vector<std::string> out;
        for (const auto& e : fs::recursive_directory_iterator(dir_)) {
            std::string line = e.path().string();
            if (e.is_regular_file() && e.path().filename() == "data.mdb") {
                std::ifstream in(e.path(), std::ios::binary);
                line +=
                    " " + std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())
                              .substr(0, 1 << 20);
            }
            out.push_back(line);
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    const auto before = listing();
    store::StoreOptions ro = opts_;
    ro.read_only = true;
    ro.retention_ns = kDayNs;  // ignored: no retention runs read-only
    {
        auto s = store::Store::open(ro);
        EXPECT_EQ(count(*s), 50u);
        EXPECT_EQ(s->stats().partitions, 3u);
        bool acked = true;
        event::Batch b;
        add(b, "refused", kBase + 5 * kDayNs, "INFO");
        s->write(b, [&](bool ok) { acked = ok; });
        EXPECT_FALSE(acked);
        s->flush();
        EXPECT_THROW(s->apply_retention(kBase + 10 * kDayNs), std::runtime_error);
        EXPECT_TRUE(s->verify().ok());
        // A writer may open the store meanwhile (another process would; here
        // the read-only one holds no lock file).
        EXPECT_EQ(count(*s, "refused"), 0u);
    }
    EXPECT_EQ(listing(), before);
    ro.path = (dir_ / "absent").string();
    EXPECT_THROW(store::Store::open(ro), std::runtime_error);
    EXPECT_FALSE(fs::exists(dir_ / "absent"));
}

std::string write_service(const fs::path& dir, const std::string& text) {
    fs::create_directories(dir);
    const auto path = dir / "weir.yaml";
    std::ofstream(path) << text;
    return path.string();
}

TEST_F(StoreOps, EncodeThreadsIsReadFromTheServiceFileAndBounded) {
    EXPECT_EQ(config::load_service(write_service(dir_, "store:\n  sync: true\n")).store.encode_threads, 1);
    EXPECT_EQ(config::load_service(write_service(dir_, "store:\n  encode_threads: 3\n")).store.encode_threads,
              3);
    try {
        config::load_service(write_service(dir_, "store:\n  encode_threads: 0\n"));
        FAIL() << "accepted";
    } catch (const config::ConfigErrors& e) {
        EXPECT_NE(std::string(e.what()).find(":2:19:"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("encode_threads"), std::string::npos) << e.what();
    }
}

TEST_F(StoreOps, RetentionByLevelIsReadFromTheServiceFileWithPositions) {
    auto s =
        config::load_service(write_service(dir_, "store:\n  retention_by_level: {ERROR: 90d, info: 7d}\n"));
    EXPECT_EQ(s.store.retention_by_level.size(), 2u);
    EXPECT_EQ(s.store.retention_by_level.at("ERROR"), 90 * kDayNs);
    EXPECT_EQ(s.store.retention_by_level.at("INFO"), 7 * kDayNs);
    s = config::load_service(write_service(dir_, "store:\n  retention_by_level:\n    WARN: 12h\n"));
    EXPECT_EQ(s.store.retention_by_level.at("WARN"), 12 * kHourNs);
    try {
        config::load_service(write_service(
            dir_,
            "store:\n  retention_by_level:\n    ERROR: forever\n    \"bad level\": 1d\n    DEBUG: [1d]\n"));
        FAIL() << "accepted";
    } catch (const config::ConfigErrors& e) {
        const std::string all = e.what();
        EXPECT_NE(
            all.find(":3:12: store.retention_by_level.ERROR expects a positive duration (90d, 12h), found "
                     "'forever'"),
            std::string::npos)
            << all;
        EXPECT_NE(all.find(":4:5: store.retention_by_level expects level names"), std::string::npos) << all;
        EXPECT_NE(all.find(":5:12: store.retention_by_level.DEBUG expects a positive duration"),
                  std::string::npos)
            << all;
    }
    try {
        config::load_service(write_service(dir_, "store:\n  retention_by_level: 7d\n"));
        FAIL() << "accepted";
    } catch (const config::ConfigErrors& e) {
        EXPECT_NE(std::string(e.what()).find(":2:23: store.retention_by_level (a map of level to age"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
