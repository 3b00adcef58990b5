#include <gtest/gtest.h>

#include <filesystem>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>
#include <weir/store/store.hpp>

namespace weir::runtime {
// The engine's hook (core/runtime/src/store_host.hpp): which store the host call writes to.
void set_host_store(store::Store* s);
}  // namespace weir::runtime

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

struct TempStore {
    std::string dir =
        (std::filesystem::temp_directory_path() / ("weir-store-output-" + std::to_string(::getpid())))
            .string();
    std::unique_ptr<weir::store::Store> s;
    TempStore() {
        std::filesystem::remove_all(dir);
        weir::store::StoreOptions o;
        o.path = dir;
        s = weir::store::Store::open(o);
        weir::runtime::set_host_store(s.get());
    }
    ~TempStore() {
        weir::runtime::set_host_store(nullptr);
        s.reset();
        std::filesystem::remove_all(dir);
    }
};

}  // namespace

TEST(StoreOutput, AcknowledgesOnlyWhatTheStoreCommitted) {
    TempStore t;
    StageHarness h(WEIR_TEST_PLUGIN, "{}");
    Batch b;
    for (int i = 0; i < 100; ++i)
        b.add("request " + std::to_string(i) + " timeout", 1'768'780'800'000'000'000 + i);
    ASSERT_EQ(h.write(b), WEIR_OK);  // answered WEIR_PENDING, acknowledged by the store's writer
    // Acknowledged means searchable.
    const auto c = weir::condition::Condition::compile("timeout");
    weir::store::SearchRequest req;
    req.condition = &c;
    req.limit = 1000;
    EXPECT_EQ(t.s->search(req).total, 100u);
    Batch empty;
    EXPECT_EQ(h.write(empty), WEIR_OK);
}

TEST(StoreOutput, WithoutAStoreWritesFailAndAreRetried) {
    StageHarness h(WEIR_TEST_PLUGIN, "{}");
    Batch b;
    b.add("x", 0);
    EXPECT_EQ(h.write(b), WEIR_RETRY);
}

TEST(StoreOutput, RefusesOptions) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{path: /tmp}"), std::exception);
}
