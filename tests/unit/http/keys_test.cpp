#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <weir/keys/keys.hpp>

using namespace weir::keys;

namespace {

std::string write_temp(const std::string& text) {
    char name[] = "/tmp/weir-tokens-XXXXXX";
    const int fd = ::mkstemp(name);
    ::close(fd);
    std::ofstream(name) << text;
    return name;
}

const LoadOptions kApi{false, {"read", "admin"}};

}  // namespace

TEST(Tokens, ScopesAndOptionalTenant) {
    const std::string path =
        write_temp("keys:\n  - {sha256: " + sha256_hex("reader") + ", scopes: [read]}\n" +
                   "  - {tenant: ops, sha256: " + sha256_hex("admin") + ", scopes: [read, admin]}\n");
    KeyStore store(path, kApi);
    ApiKey k;
    ASSERT_EQ(store.check("Bearer reader", 0, k), AuthResult::Ok);
    EXPECT_TRUE(k.has_scope("read"));
    EXPECT_FALSE(k.has_scope("admin"));
    EXPECT_EQ(k.tenant, "");
    ASSERT_EQ(store.check("bearer admin", 0, k), AuthResult::Ok);
    EXPECT_TRUE(k.has_scope("admin"));
    EXPECT_EQ(k.tenant, "ops");
    EXPECT_EQ(store.check("Bearer nope", 0, k), AuthResult::Unknown);
    EXPECT_EQ(store.check("", 0, k), AuthResult::Missing);
    EXPECT_EQ(store.check("Basic abc", 0, k), AuthResult::Missing);
    std::remove(path.c_str());
}

TEST(Tokens, UnknownScopeIsPositioned) {
    const std::string path =
        write_temp("keys:\n  - sha256: " + sha256_hex("x") + "\n    scopes: [read, wrte]\n");
    try {
        KeyStore store(path, kApi);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(path + ":3:20: unknown scope 'wrte' (expected read, admin)"),
                  std::string::npos)
            << e.what();
    }
    std::remove(path.c_str());
}

TEST(Tokens, TheHttpInputStillNeedsATenant) {
    const std::string path = write_temp("keys:\n  - {sha256: " + sha256_hex("x") + "}\n");
    EXPECT_THROW(KeySet::load(path), std::runtime_error);
    EXPECT_NO_THROW(KeySet::load(path, kApi));
    std::remove(path.c_str());
}

TEST(Tokens, BadReloadKeepsTheOldSet) {
    const std::string path = write_temp("keys:\n  - {sha256: " + sha256_hex("one") + ", scopes: [read]}\n");
    KeyStore store(path, kApi);
    std::ofstream(path) << "keys: [ {sha256: nothex} ]\n";
    EXPECT_THROW(store.reload(), std::runtime_error);
    ApiKey k;
    EXPECT_EQ(store.check("Bearer one", 0, k), AuthResult::Ok);
    std::remove(path.c_str());
}

TEST(Tokens, FindHashComparesEveryEntry) {
    std::string text = "keys:\n";
    for (int i = 0; i < 50; ++i) text += "  - {sha256: " + sha256_hex("k" + std::to_string(i)) + "}\n";
    const std::string path = write_temp(text);
    auto set = KeySet::load(path, kApi);
    EXPECT_NE(set->find_hash(sha256_hex("k0")), nullptr);
    EXPECT_NE(set->find_hash(sha256_hex("k49")), nullptr);
    EXPECT_EQ(set->find_hash(sha256_hex("k50")), nullptr);
    EXPECT_EQ(set->find_hash("short"), nullptr);
    std::remove(path.c_str());
}
