#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <weir/runtime/testing.hpp>

#include "../../../net/gzip.hpp"
#include "ingest.hpp"
#include "keys.hpp"

using namespace weir::http_input;

namespace {

std::string gzip(const std::string& in) { return weir::net::gzip(in, 9); }

std::string write_temp(const std::string& text) {
    char name[] = "/tmp/weir-keys-XXXXXX";
    const int fd = ::mkstemp(name);
    ::close(fd);
    std::ofstream(name) << text;
    return name;
}

std::string load_error(const std::string& text) {
    const std::string path = write_temp(text);
    try {
        KeySet::load(path);
    } catch (const std::exception& e) {
        std::remove(path.c_str());
        return e.what();
    }
    std::remove(path.c_str());
    return "no error";
}

}  // namespace

TEST(DecodeBody, GzipDeflateAndIdentity) {
    std::string out, err;
    EXPECT_EQ(decode_body("gzip", gzip("hello"), 100, out, err), 0);
    EXPECT_EQ(out, "hello");
    EXPECT_EQ(decode_body("", "plain", 100, out, err), 0);
    EXPECT_EQ(out, "plain");
    EXPECT_EQ(decode_body("zstd", "x", 100, out, err), 415);
}

TEST(DecodeBody, BombStopsAtTheLimitAndCorruptionIs400) {
    std::string out, err;
    const std::string bomb = gzip(std::string(50u << 20, 'a'));  // 50 MiB of 'a' in ~50 KiB
    EXPECT_LT(bomb.size(), 200u * 1024);
    EXPECT_EQ(decode_body("gzip", bomb, 1u << 20, out, err), 413);
    EXPECT_LE(out.size(), 1u << 20);
    EXPECT_EQ(decode_body("gzip", "\x1f\x8b\x08\x00not gzip at all", 100, out, err), 400);
    const std::string whole = gzip("a complete message");
    EXPECT_EQ(decode_body("gzip", whole.substr(0, whole.size() - 10), 100, out, err), 400);
    EXPECT_NE(err.find("gzip"), std::string::npos) << err;
}

TEST(FormatOf, ContentTypes) {
    EXPECT_EQ(format_of(""), Format::Auto);
    EXPECT_EQ(format_of("application/json; charset=utf-8"), Format::Json);
    EXPECT_EQ(format_of("Application/X-NDJSON"), Format::Ndjson);
    EXPECT_EQ(format_of("text/plain"), Format::Text);
    EXPECT_EQ(format_of("application/xml"), Format::Unsupported);
}

TEST(Keys, HashesOnlyAndEveryState) {
    const std::string path = write_temp(
        "keys:\n"
        "  - {tenant: a, sha256: " +
        sha256_hex("key-a") +
        "}\n"
        "  - {tenant: r, sha256: " +
        sha256_hex("key-r") +
        ", revoked: true}\n"
        "  - {tenant: e, sha256: " +
        sha256_hex("key-e") +
        ", expires: 2026-01-01T00:00:00Z}\n"
        "  - {tenant: l, sha256: " +
        sha256_hex("key-l") + ", rate: 10, burst: 20}\n");
    KeyStore store(path);
    const int64_t now = 1'800'000'000'000'000'000;  // 2027
    ApiKey k;
    EXPECT_EQ(store.check("Bearer key-a", now, k), AuthResult::Ok);
    EXPECT_EQ(k.tenant, "a");
    EXPECT_EQ(store.check("bearer  key-l ", now, k), AuthResult::Ok);
    EXPECT_EQ(*k.rate, 10.0);
    EXPECT_EQ(store.check("Bearer key-r", now, k), AuthResult::Revoked);
    EXPECT_EQ(store.check("Bearer key-e", now, k), AuthResult::Expired);
    EXPECT_EQ(store.check("Bearer key-e", now - 10LL * 365 * 86400 * 1'000'000'000, k), AuthResult::Ok);
    EXPECT_EQ(store.check("Bearer nope", now, k), AuthResult::Unknown);
    EXPECT_EQ(store.check("Basic a2V5", now, k), AuthResult::Missing);
    EXPECT_EQ(store.check("", now, k), AuthResult::Missing);
    std::remove(path.c_str());
}

TEST(Keys, BadFilesNamePositionAndProblem) {
    EXPECT_NE(load_error("keys: [{tenant: a, sha256: abc}]").find("64 hex digits"), std::string::npos);
    EXPECT_NE(load_error("keys: [{tenant: a}]").find("sha256 is missing"), std::string::npos);
    EXPECT_NE(load_error("keys: [{sha256: " + sha256_hex("x") + "}]").find("tenant is missing"),
              std::string::npos);
    EXPECT_NE(load_error("keys: [{tenant: a, sha256: " + sha256_hex("x") + ", colour: red}]")
                  .find("unknown key field 'colour'"),
              std::string::npos);
    EXPECT_NE(load_error("keys: [{tenant: a, sha256: " + sha256_hex("x") + ", rate: -1}]")
                  .find("rate must be positive"),
              std::string::npos);
    EXPECT_NE(load_error("keys:\n  - {tenant: a, sha256: " + sha256_hex("x") +
                         "}\n  - {tenant: b, sha256: " + sha256_hex("x") + "}\n")
                  .find(":3:"),
              std::string::npos);
    EXPECT_NE(load_error("keys: [unclosed").find("keys file"), std::string::npos);
}

TEST(TokenBucket, RateAndBurst) {
    const int64_t s = 1'000'000'000;
    TokenBucket b(100, 200, 0);
    int64_t retry = 0;
    EXPECT_TRUE(b.take(150, 0, retry));
    EXPECT_FALSE(b.take(100, 0, retry));
    EXPECT_EQ(retry, 1);  // 50 left, 50 more come in 0.5 s
    EXPECT_TRUE(b.take(100, s / 2, retry));
    EXPECT_FALSE(b.take(200, s / 2, retry));
    EXPECT_EQ(retry, 2);
    EXPECT_TRUE(b.take(200, 10 * s, retry));  // refilled only up to the burst
    EXPECT_FALSE(b.take(1, 10 * s, retry));
}

TEST(HttpInput, ConfigErrors) {
    auto error_of = [](const std::string& yaml) {
        try {
            weir::runtime::testing::StageHarness h(WEIR_TEST_PLUGIN, yaml);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(
        error_of("{listen: \":0\", api_keys_file: /nonexistent/keys.yaml}").find("/nonexistent/keys.yaml"),
        std::string::npos);
    EXPECT_NE(error_of("{listen: \":0\", on_invalid: maybe}").find("on_invalid"), std::string::npos);
    EXPECT_NE(error_of("{listen: \":0\", path: logs}").find("path must start"), std::string::npos);
    EXPECT_EQ(error_of("{listen: \"127.0.0.1:0\"}"), "no error");
}
