// The service file's store: section.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>

namespace {

std::string write_service(const std::string& text) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("weir-store-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / "weir.yaml";
    std::ofstream(path) << text;
    return path.string();
}

TEST(StoreConfig, DefaultsPutTheStoreUnderTheDataDir) {
    const auto path = write_service("service:\n  data_dir: /var/lib/x\n");
    const auto s = weir::config::load_service(path);
    EXPECT_TRUE(s.store.enabled);
    EXPECT_TRUE(s.store.sync);
    EXPECT_EQ(s.store.path, "/var/lib/x/store");
    EXPECT_EQ(s.store.retention_ns, 0);
}

TEST(StoreConfig, ReadsEveryKey) {
    const auto path = write_service(
        "service:\n  data_dir: /d\nstore:\n  path: logs\n  sync: false\n  retention: 7d\n  partition: day\n"
        "  block_events: 1024\n  index_fields: [level, user_id]\n  enabled: true\n");
    const auto s = weir::config::load_service(path);
    EXPECT_EQ(s.store.path, "/d/logs");
    EXPECT_FALSE(s.store.sync);
    EXPECT_EQ(s.store.retention_ns, 7 * 86'400'000'000'000);
    EXPECT_EQ(s.store.block_events, 1024);
    EXPECT_EQ(s.store.index_fields, (std::vector<std::string>{"level", "user_id"}));
}

TEST(StoreConfig, ErrorsArePositionedAndSuggest) {
    const auto path =
        write_service("store:\n  retension: 7d\n  sync: maybe\n  partition: hour\n  block_events: 10\n");
    try {
        weir::config::load_service(path);
        FAIL() << "accepted";
    } catch (const weir::config::ConfigErrors& e) {
        const std::string all = e.what();
        EXPECT_NE(all.find(":2:3: unknown option 'retension' in 'store'; did you mean 'retention'?"),
                  std::string::npos)
            << all;
        // The same machinery and wording as every option table.
        EXPECT_NE(all.find(":3:9: option 'sync' of 'store' expects a boolean (true/false), found 'maybe'"),
                  std::string::npos)
            << all;
        EXPECT_NE(all.find(":4:14: option 'partition' of 'store' expects day, found 'hour'"),
                  std::string::npos)
            << all;
        EXPECT_NE(all.find(":5:17: option 'block_events' of 'store' must be from 64 to 65536, found '10'"),
                  std::string::npos)
            << all;
    }
}

}  // namespace
