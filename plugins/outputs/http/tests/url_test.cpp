#include "url.hpp"

#include <gtest/gtest.h>

using namespace weir::http_output;

TEST(HttpOutputUrl, HostPortAndTarget) {
    const Url u = parse_url("http://aggregator:8080/v1/logs");
    EXPECT_FALSE(u.tls);
    EXPECT_EQ(u.host, "aggregator");
    EXPECT_EQ(u.port, "8080");
    EXPECT_EQ(u.target, "/v1/logs");
    EXPECT_FALSE(u.has_userinfo);
    EXPECT_EQ(u.display(), "http://aggregator:8080/v1/logs");
    const Url s = parse_url("https://[::1]/x");
    EXPECT_TRUE(s.tls);
    EXPECT_EQ(s.host, "::1");
    EXPECT_EQ(s.port, "443");
    EXPECT_EQ(s.authority(), "[::1]:443");
}

TEST(HttpOutputUrl, UserinfoIsParsedDecodedAndNeverShown) {
    const Url u = parse_url("https://ship%40edge:s3cr%2Ft%3A%25x@logs.example.com:8443/v1/logs");
    EXPECT_TRUE(u.has_userinfo);
    EXPECT_EQ(u.user, "ship@edge");
    EXPECT_EQ(u.password, "s3cr/t:%x");
    EXPECT_EQ(u.host, "logs.example.com");
    EXPECT_EQ(u.port, "8443");
    EXPECT_EQ(u.target, "/v1/logs");
    EXPECT_EQ(u.display(), "https://ship@edge:***@logs.example.com:8443/v1/logs");
    EXPECT_EQ(u.display().find("s3cr"), std::string::npos);
    EXPECT_EQ(u.basic_authorization(), "Basic " + base64("ship@edge:s3cr/t:%x"));
    // An unescaped '@' in the password: the last '@' ends the userinfo.
    const Url v = parse_url("http://user:p@ss@127.0.0.1:9/");
    EXPECT_EQ(v.password, "p@ss");
    EXPECT_EQ(v.host, "127.0.0.1");
    const Url w = parse_url("http://user@[::1]:9/");
    EXPECT_EQ(w.user, "user");
    EXPECT_EQ(w.password, "");
    EXPECT_EQ(w.host, "::1");
}

TEST(HttpOutputUrl, ErrorsNeverRepeatTheSecret) {
    const char* bad[] = {
        "ftp://user:hunter2@host/",       // scheme
        "http://user:hunter2@host:80x/",  // port
        "http://user:hunter2%zz@host/",   // escape
        "http://user:hunt/er2@host/",     // unescaped '/': would put it in the path
        "http://user:12/hunter2@host/",   // same, with a numeric first part (a "port")
        "http://:hunter2@host/",          // no user
        "http://user:hunter2@/",          // no host
    };
    for (const char* u : bad) {
        try {
            parse_url(u);
            ADD_FAILURE() << "accepted " << redact_url(u);
        } catch (const std::invalid_argument& e) {
            EXPECT_EQ(std::string(e.what()).find("hunt"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(redact_url("ftp://user:hunter2@host/"), "ftp://***@host/");
}

TEST(HttpOutputUrl, Loopback) {
    for (const char* h : {"localhost", "127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "api.localhost"})
        EXPECT_TRUE(is_loopback_host(h)) << h;
    for (const char* h : {"10.0.0.1", "192.0.2.10", "::ffff:10.0.0.1", "logs.example.com",
                          "localhost.example.com", "fe80::1"})
        EXPECT_FALSE(is_loopback_host(h)) << h;
}

TEST(HttpOutputUrl, Base64) {
    EXPECT_EQ(base64(""), "");
    EXPECT_EQ(base64("f"), "Zg==");
    EXPECT_EQ(base64("fo"), "Zm8=");
    EXPECT_EQ(base64("foo"), "Zm9v");
    EXPECT_EQ(base64("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}
