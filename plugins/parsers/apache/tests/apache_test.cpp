#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

#include "log_format.hpp"

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

/// Parses one line and returns the rendered event.
std::string parse(const std::string& options, const std::string& line, uint32_t* flags = nullptr) {
    StageHarness h(WEIR_TEST_PLUGIN, options);
    Batch b;
    b.add(line, 0);
    h.process(b);
    if (flags) *flags = b.event(0).flags;
    return std::string(b.to_json(0));
}

/// The fields after "@timestamp" and "message" (the raw line), for compact expectations.
std::string fields_of(const std::string& json) {
    const size_t message = json.find("\"message\":\"");
    size_t end = message + 11;
    while (end < json.size() && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
    return json.substr(end + 1);
}

}  // namespace

TEST(ApacheParser, CombinedGolden) {
    const std::string line =
        R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1&y=2 HTTP/1.0" 200 2326 )"
        R"x("http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)")x";
    uint32_t flags = 0;
    const std::string json = parse("", line, &flags);
    EXPECT_EQ(flags & WEIR_EVENT_PARSE_ERROR, 0u) << json;
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2000-10-10T20:55:36.000000000Z\"");
    EXPECT_EQ(
        fields_of(json),
        R"(,"client_ip":"127.0.0.1","user":"frank","method":"GET","path":"/apache_pb.gif","query":"x=1&y=2",)"
        R"("protocol":"HTTP/1.0","status":200,"bytes":2326,"referrer":"http://www.example.com/start.html",)"
        R"x("user_agent":"Mozilla/4.08 [en] (Win98; I ;Nav)"})x");
}

TEST(ApacheParser, CommonWithDashes) {
    const std::string json =
        parse("{format: common}", R"(::1 - - [19/Jan/2026:10:30:00 +0000] "HEAD / HTTP/1.1" 304 -)");
    EXPECT_EQ(
        fields_of(json),
        R"(,"client_ip":"::1","method":"HEAD","path":"/","protocol":"HTTP/1.1","status":304,"bytes":0})");
    const std::string absent = parse("{format: common, dash_bytes: absent}",
                                     R"(::1 - - [19/Jan/2026:10:30:00 +0000] "HEAD / HTTP/1.1" 304 -)");
    EXPECT_EQ(absent.find("bytes"), std::string::npos);
}

TEST(ApacheParser, VhostCombinedAndIpv6) {
    const std::string json = parse(
        "{format: vhost_combined}",
        R"(www.example.com:443 2001:db8::7 - - [19/Jan/2026:10:30:00 +0000] "POST /login HTTP/2.0" 302 512 "-" "curl/8.0")");
    EXPECT_EQ(
        fields_of(json),
        R"(,"vhost":"www.example.com","port":443,"client_ip":"2001:db8::7","method":"POST","path":"/login",)"
        R"("protocol":"HTTP/2.0","status":302,"bytes_sent":512,"user_agent":"curl/8.0"})");
}

TEST(ApacheParser, NginxCombined) {
    const std::string json = parse(
        "{format: nginx_combined}",
        R"(192.168.1.20 - - [19/Jan/2026:10:30:00 +0000] "GET /api/items?page=2 HTTP/1.1" 200 612 "-" "Go-http-client/1.1")");
    EXPECT_NE(json.find(R"("query":"page=2")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("user_agent":"Go-http-client/1.1")"), std::string::npos) << json;
}

TEST(ApacheParser, CustomFormatWithDurationAndHeader) {
    const std::string json = parse(
        R"({format: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" %D "%{X-Forwarded-For}i"'})",
        R"(10.0.0.1 - - [19/Jan/2026:10:30:00 +0000] "GET / HTTP/1.1" 200 10 "-" "ua" 1534 "203.0.113.9")");
    EXPECT_NE(json.find(R"("duration_ms":1.534)"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("x_forwarded_for":"203.0.113.9")"), std::string::npos) << json;
}

TEST(ApacheParser, EscapedQuotesInsideQuotedFields) {
    const std::string json = parse(
        "",
        R"(10.0.0.1 - - [19/Jan/2026:10:30:00 +0000] "GET /a\"b HTTP/1.1" 200 1 "-" "Mozilla \"quoted\" \\ \x41")");
    EXPECT_NE(json.find(R"("path":"/a\"b")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("user_agent":"Mozilla \"quoted\" \\ A")"), std::string::npos) << json;
}

TEST(ApacheParser, MalformedRequestLineIsKeptWhole) {
    const std::string json =
        parse("", R"(10.0.0.1 - - [19/Jan/2026:10:30:00 +0000] "\x16\x03\x01" 400 226 "-" "-")");
    EXPECT_EQ(fields_of(json),
              R"(,"client_ip":"10.0.0.1","request":"\u0016\u0003\u0001","status":400,"bytes":226})");
}

TEST(ApacheParser, CutShortAndGarbageAreParseErrorsWithRawKept) {
    const std::string lines[] = {
        R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 20)",  // no bytes
        R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTT)",  // inside quotes
        R"(127.0.0.1 - frank [10/Oct/2000:13:5)",                                     // inside time
        "",
        "binary \x01\x02\xff junk",
        R"(127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" abc 12 "-" "-")",  // status not a
                                                                                          // number
    };
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    for (const auto& l : lines) b.add(l, 0);
    h.process(b);
    ASSERT_EQ(b.size(), std::size(lines));
    for (size_t i = 0; i < b.size(); ++i) {
        EXPECT_TRUE(b.event(i).flags & WEIR_EVENT_PARSE_ERROR) << i;
        EXPECT_EQ(b.body(i), lines[i]) << i;
        weir_value v{};
        EXPECT_TRUE(b.get(b.event(i).root, "_parse_error", &v)) << i;
    }
    EXPECT_EQ(h.metrics().errors.get("parse_error"), std::size(lines));
}

TEST(ApacheParser, BadTimeIsKeptAsAFieldAndCounted) {
    StageHarness h(WEIR_TEST_PLUGIN, "{format: common}");
    Batch b;
    b.add(R"(1.2.3.4 - - [not a time] "GET / HTTP/1.1" 200 5)", 0);
    h.process(b);
    EXPECT_FALSE(b.event(0).flags & WEIR_EVENT_PARSE_ERROR);
    EXPECT_NE(b.to_json(0).find(R"("time":"not a time")"), std::string_view::npos);
    EXPECT_EQ(h.metrics().errors.get("bad_time"), 1u);
}

TEST(ApacheParser, CustomTimeFormat) {
    const std::string json =
        parse(R"({format: '%h [%{%Y-%m-%d %H:%M:%S}t] %>s'})", "1.2.3.4 [2026-01-19 10:30:00] 200");
    EXPECT_EQ(json.substr(0, 46), "{\"@timestamp\":\"2026-01-19T10:30:00.000000000Z\"");
}

TEST(ApacheParser, BadFormatsAreRefused) {
    for (const char* f : {"'%h %Z'", "'%h%u'", "'%{Referer'", "'%'"}) {
        EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, std::string("{format: ") + f + "}"), std::exception) << f;
    }
    try {
        StageHarness h(WEIR_TEST_PLUGIN, "{format: '%h %Z'}");
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("invalid format: unknown or incomplete directive '%Z'"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{dash_bytes: maybe}"), std::exception);
}

TEST(LogFormat, CompilesPresetsIntoSteps) {
    std::string error;
    auto f = weir::apache::LogFormat::compile("combined", error);
    ASSERT_TRUE(f) << error;
    size_t fields = 0, quoted = 0;
    for (const auto& s : f->steps()) {
        if (s.literal) continue;
        ++fields;
        quoted += s.quoted;
    }
    EXPECT_EQ(fields, 9u);
    EXPECT_EQ(quoted, 3u);  // request, referrer, user agent
}

// An empty quoted field is an empty string; "-" is no value.
TEST(ApacheParser, EmptyQuotedFieldsAreEmptyStrings) {
    const std::string json = parse(
        "{format: combined}", R"(10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "" "")");
    EXPECT_NE(json.find(R"("referrer":"","user_agent":"")"), std::string::npos) << json;
    const std::string dashes = parse(
        "{format: combined}", R"(10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "-")");
    EXPECT_EQ(dashes.find("referrer"), std::string::npos) << dashes;
}

// Apache's own "%m %U%q %H" (mod_log_config's documentation): %q carries its '?'.
TEST(ApacheParser, PathDirectlyFollowedByQuery) {
    const std::string format = R"({format: '%h %t "%m %U%q %H" %>s'})";
    const std::string with =
        parse(format, R"(10.0.0.1 [10/Oct/2000:13:55:36 -0700] "GET /a/b?x=1&y=2 HTTP/1.1" 200)");
    EXPECT_NE(
        with.find(R"("method":"GET","path":"/a/b","query":"x=1&y=2","protocol":"HTTP/1.1","status":200)"),
        std::string::npos)
        << with;
    const std::string without =
        parse(format, R"(10.0.0.1 [10/Oct/2000:13:55:36 -0700] "GET /a/b HTTP/1.1" 200)");
    EXPECT_NE(without.find(R"("method":"GET","path":"/a/b","protocol":"HTTP/1.1","status":200)"),
              std::string::npos)
        << without;
    // Other directives still need something between them.
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{format: '%h%q'}"), std::exception);
}
