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
