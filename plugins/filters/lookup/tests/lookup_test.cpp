#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

std::string write_temp(const std::string& suffix, const std::string& text) {
    char name[] = "/tmp/weir-lookup-XXXXXX";
    const int fd = ::mkstemp(name);
    ::close(fd);
    const std::string path = std::string(name) + suffix;
    std::rename(name, path.c_str());
    std::ofstream(path) << text;
    return path;
}

void add_user(Batch& b, const char* id) {
    const size_t i = b.add("login", 0);
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{id, std::strlen(id)};
    b.put(b.event(i).root, "user_id", v, 0);
}

}  // namespace

TEST(LookupFilter, CsvWithQuotesAndReload) {
    const std::string path = write_temp(".csv",
                                        "user_id,plan,country\n"
                                        "u-1,pro,FR\n"
                                        "u-2,\"free, trial\",\"D\"\"E\"\n");
    StageHarness h(WEIR_TEST_PLUGIN, "{file: \"" + path + "\", key: user_id, prefix: user_}");
    Batch b;
    add_user(b, "u-1");
    add_user(b, "u-2");
    add_user(b, "u-3");
    h.process(b);
    EXPECT_NE(b.to_json(0).find(R"("user_plan":"pro","user_country":"FR")"), std::string::npos)
        << b.to_json(0);
    EXPECT_NE(b.to_json(1).find(R"("user_plan":"free, trial","user_country":"D\"E")"), std::string::npos)
        << b.to_json(1);
    EXPECT_EQ(b.to_json(2).find("user_plan"), std::string::npos);
    EXPECT_EQ(h.metrics().outcomes.get("lookup_miss"), 1u);
    EXPECT_EQ(h.metrics().outcomes.get("lookup_hit"), 2u);
    EXPECT_TRUE(h.metrics().errors.snapshot().empty());  // hits and misses are normal operation, not errors

    std::ofstream(path) << "user_id,plan\nu-3,enterprise\n";
    EXPECT_EQ(h.reload(), "");
    Batch after;
    add_user(after, "u-3");
    h.process(after);
    EXPECT_NE(after.to_json(0).find(R"("user_plan":"enterprise")"), std::string::npos) << after.to_json(0);

    // A broken file is refused; the table loaded before stays.
    std::ofstream(path) << "user_id,plan\nu-4,a,b\n";
    EXPECT_NE(h.reload().find("line 2 has 3 fields"), std::string::npos);
    Batch still;
    add_user(still, "u-3");
    h.process(still);
    EXPECT_NE(still.to_json(0).find("enterprise"), std::string::npos);
    std::remove(path.c_str());
}

TEST(LookupFilter, Yaml) {
    const std::string path = write_temp(".yaml", "u-1: {plan: pro, seats: 5}\nu-2: {country: NL}\n");
    StageHarness h(WEIR_TEST_PLUGIN, "{file: \"" + path + "\", key: user_id}");
    Batch b;
    add_user(b, "u-1");
    add_user(b, "u-2");
    h.process(b);
    EXPECT_NE(b.to_json(0).find(R"("plan":"pro","seats":"5")"), std::string::npos) << b.to_json(0);
    EXPECT_NE(b.to_json(1).find(R"("country":"NL")"), std::string::npos) << b.to_json(1);
    EXPECT_EQ(b.to_json(1).find("plan"), std::string::npos);
    std::remove(path.c_str());
}

TEST(LookupFilter, OverwriteDecidesAboutFieldsTheEventHas) {
    const std::string path = write_temp(".csv", "user_id,plan\nu-1,pro\n");
    for (bool overwrite : {false, true}) {
        StageHarness h(WEIR_TEST_PLUGIN, "{file: \"" + path + "\", key: user_id, overwrite: " +
                                             (overwrite ? "true" : "false") + "}");
        Batch b;
        add_user(b, "u-1");
        weir_value v{};
        v.type = WEIR_VAL_STRING;
        v.as.s = weir_str{"trial", 5};
        b.put(b.event(0).root, "plan", v, 0);
        h.process(b);
        EXPECT_NE(b.to_json(0).find(overwrite ? R"("plan":"pro")" : R"("plan":"trial")"), std::string::npos)
            << b.to_json(0);
    }
    std::remove(path.c_str());
}

TEST(LookupFilter, MissingOrBrokenFileIsAConfigError) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{file: /nonexistent.csv, key: id}"), std::runtime_error);
    const std::string path = write_temp(".yaml", "- not a map\n");
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{file: \"" + path + "\", key: id}"), std::runtime_error);
    std::remove(path.c_str());
}
