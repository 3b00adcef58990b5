#include <gtest/gtest.h>

#include <map>
#include <weir/config/env.hpp>
#include <weir/config/suggest.hpp>
#include <weir/config/units.hpp>

using namespace weir::config;

TEST(Units, Durations) {
    EXPECT_EQ(parse_duration_ns("10ns"), 10);
    EXPECT_EQ(parse_duration_ns("500us"), 500'000);
    EXPECT_EQ(parse_duration_ns("250ms"), 250'000'000);
    EXPECT_EQ(parse_duration_ns("30s"), 30'000'000'000);
    EXPECT_EQ(parse_duration_ns("1.5s"), 1'500'000'000);
    EXPECT_EQ(parse_duration_ns("5m"), 300'000'000'000);
    EXPECT_EQ(parse_duration_ns("1h"), 3'600'000'000'000);
    EXPECT_EQ(parse_duration_ns("2d"), 172'800'000'000'000);
    EXPECT_EQ(parse_duration_ns("7"), 7'000'000'000);  // plain number: seconds
    EXPECT_EQ(parse_duration_ns("0s"), 0);
    for (const char* bad : {"", "s", "5 parsecs", "-1s", "1.2.3s", "10y", "ms5"})
        EXPECT_FALSE(parse_duration_ns(bad).has_value()) << bad;
}

TEST(Units, Sizes) {
    EXPECT_EQ(parse_size_bytes("512"), 512);
    EXPECT_EQ(parse_size_bytes("512B"), 512);
    EXPECT_EQ(parse_size_bytes("64KB"), 64'000);
    EXPECT_EQ(parse_size_bytes("64kib"), 65'536);
    EXPECT_EQ(parse_size_bytes("64K"), 65'536);
    EXPECT_EQ(parse_size_bytes("1MiB"), 1 << 20);
    EXPECT_EQ(parse_size_bytes("1mb"), 1'000'000);
    EXPECT_EQ(parse_size_bytes("2G"), 2LL << 30);
    EXPECT_EQ(parse_size_bytes("1.5MiB"), 1'572'864);
    for (const char* bad : {"", "MiB", "12 parsecs", "-1", "1TiB"})
        EXPECT_FALSE(parse_size_bytes(bad).has_value()) << bad;
}

TEST(Env, Substitution) {
    std::map<std::string, std::string> vars = {{"HOME_DIR", "/home/x"}, {"EMPTY", ""}};
    EnvLookup env = [&](const std::string& k) -> std::optional<std::string> {
        auto it = vars.find(k);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
    std::string out, err;
    ASSERT_TRUE(substitute("${HOME_DIR}/logs", env, out, err));
    EXPECT_EQ(out, "/home/x/logs");
    ASSERT_TRUE(substitute("${MISSING:-/var/log}/*.log", env, out, err));
    EXPECT_EQ(out, "/var/log/*.log");
    ASSERT_TRUE(substitute("[${EMPTY:-default}]", env, out, err));
    EXPECT_EQ(out, "[]");  // set but empty is still set
    ASSERT_TRUE(substitute("cost: $$5 and $PATH stays", env, out, err));
    EXPECT_EQ(out, "cost: $5 and $PATH stays");
    EXPECT_FALSE(substitute("${MISSING}", env, out, err));
    EXPECT_EQ(err, "environment variable 'MISSING' is not set");
    EXPECT_FALSE(substitute("${OPEN", env, out, err));
    EXPECT_FALSE(substitute("${1BAD}", env, out, err));
}

TEST(Suggest, NearMisses) {
    const std::vector<std::string> opts = {"paths", "read_from_head", "refresh_interval"};
    EXPECT_EQ(did_you_mean("pathz", opts), "paths");
    EXPECT_EQ(did_you_mean("path", opts), "paths");
    EXPECT_EQ(did_you_mean("read_form_head", opts), "read_from_head");  // transposition
    EXPECT_EQ(did_you_mean("refresh", opts), "refresh_interval");       // prefix
    EXPECT_EQ(did_you_mean("colour", opts), "");
    EXPECT_EQ(did_you_mean("jsn", {"json", "stdout"}), "json");
}
