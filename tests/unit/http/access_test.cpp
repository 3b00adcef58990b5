#include <gtest/gtest.h>

#include <weir/http/access.hpp>

using namespace weir::http;

TEST(Access, LoopbackHostNames) {
    for (const char* h : {"localhost", "localhost:8686", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:8686",
                          "LOCALHOST", "127.1.2.3:9", ""})
        EXPECT_TRUE(loopback_host_allowed(h)) << h;
    for (const char* h : {"evil.example", "evil.example:8686", "localhost.evil.example",
                          "127.0.0.1.evil.example", "10.0.0.1:8686", "[::2]:1", "0.0.0.0:8686"})
        EXPECT_FALSE(loopback_host_allowed(h)) << h;
    EXPECT_EQ(host_of("[::1]:8686"), "[::1]");
    EXPECT_EQ(host_of("a.example:1"), "a.example");
}

TEST(Access, AnApiBeyondLoopbackNeedsTokensOrAnExplicitAllowance) {
    for (const char* l : {"127.0.0.1:8686", "[::1]:8686", "localhost:1"}) {
        const Exposure e = api_exposure(l, false, false);
        EXPECT_TRUE(e.refusal.empty() && e.warning.empty()) << l;
    }
    for (const char* l : {"0.0.0.0:8686", "[::]:8686", "10.1.2.3:8686", "api.example:443"}) {
        const Exposure refused = api_exposure(l, false, false);
        EXPECT_NE(refused.refusal.find("is not a loopback address and service.api has no tokens_file"),
                  std::string::npos)
            << l;
        EXPECT_NE(refused.refusal.find(l), std::string::npos) << l;
        EXPECT_TRUE(refused.warning.empty()) << l;
        // Allowed: it starts, and says at start that every route is open.
        const Exposure allowed = api_exposure(l, false, true);
        EXPECT_TRUE(allowed.refusal.empty()) << l;
        EXPECT_NE(allowed.warning.find("every route is open"), std::string::npos) << l;
        // With tokens there is nothing to say, allowed or not.
        EXPECT_TRUE(api_exposure(l, true, false).refusal.empty()) << l;
        EXPECT_TRUE(api_exposure(l, true, true).warning.empty()) << l;
    }
}

TEST(Access, OriginsOfStateChangingRequests) {
    const std::vector<std::string> none;
    EXPECT_TRUE(origin_allowed("", "127.0.0.1:8686", none));
    EXPECT_TRUE(origin_allowed("http://127.0.0.1:8686", "127.0.0.1:8686", none));  // same origin
    EXPECT_FALSE(origin_allowed("http://evil.example", "127.0.0.1:8686", none));
    EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8686", none));
    EXPECT_FALSE(origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8686", none));
    EXPECT_TRUE(origin_allowed("https://dash.example", "127.0.0.1:8686", {"https://dash.example"}));
    EXPECT_FALSE(origin_allowed("http://dash.example", "127.0.0.1:8686", {"https://dash.example"}));
}

TEST(Access, SimpleFormContentTypes) {
    EXPECT_TRUE(is_simple_form_type("text/plain"));
    EXPECT_TRUE(is_simple_form_type("Text/Plain; charset=utf-8"));
    EXPECT_TRUE(is_simple_form_type("application/x-www-form-urlencoded"));
    EXPECT_TRUE(is_simple_form_type("multipart/form-data; boundary=x"));
    EXPECT_FALSE(is_simple_form_type("application/json"));
    EXPECT_FALSE(is_simple_form_type(""));
}
