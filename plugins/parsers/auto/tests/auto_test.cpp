#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

#include "detect.hpp"

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

// 2026-01-19T12:00:00Z: the arrival time for lines without a date or year.
constexpr int64_t kNow = 1768824000LL * 1'000'000'000LL;

std::string parse(const std::string& line, const std::string& options = "") {
    StageHarness h(WEIR_TEST_PLUGIN, options);
    Batch b;
    b.add(line, kNow);
    h.process(b);
    return std::string(b.to_json(0));
}

struct Golden {
    const char* line;
    const char* json;
};

}  // namespace

TEST(AutoParser, EachFormatGoesToItsParser) {
    const Golden cases[] = {
        {R"j({"timestamp":"2026-01-19T10:30:00Z","level":"info","message":"user logged in","user":"alice"})j",
         R"j({"@timestamp":"2026-01-19T10:30:00.000000000Z","message":"user logged in","level":"info","user":"alice",)j"
         R"j("_parser":"json"})j"},
        {R"j(<165>1 2026-01-19T10:30:00.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event)j",
         R"j({"@timestamp":"2026-01-19T10:30:00.003000000Z","message":"An application event","facility":20,)j"
         R"j("facility_name":"local4","severity":5,"severity_name":"notice","level":"INFO",)j"
         R"j("hostname":"mymachine.example.com","app_name":"evntslog","msgid":"ID47",)j"
         R"j("structured_data":{"exampleSDID@32473":{"iut":"3"}},"_parser":"rfc5424"})j"},
        {"<34>Jan 19 10:30:00 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
         R"j({"@timestamp":"2026-01-19T10:30:00.000000000Z","message":"'su root' failed for lonvick on /dev/pts/8",)j"
         R"j("facility":4,"facility_name":"auth","severity":2,"severity_name":"crit","level":"FATAL",)j"
         R"j("hostname":"mymachine","app_name":"su","_parser":"rfc3164"})j"},
        {"Jan 19 10:30:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
         R"j({"@timestamp":"2026-01-19T10:30:01.000000000Z","message":"authentication failure; logname= uid=0",)j"
         R"j("hostname":"combo","app_name":"sshd(pam_unix)","procid":"19939","_parser":"rfc3164"})j"},
        {"2026-01-19T10:30:02.123456+01:00 web1 nginx[881]: worker started",
         R"j({"@timestamp":"2026-01-19T09:30:02.123456000Z","message":"worker started","hostname":"web1",)j"
         R"j("app_name":"nginx","procid":"881","_parser":"rfc3164"})j"},
        {R"j(127.0.0.1 - frank [19/Jan/2026:10:30:00 +0000] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08")j",
         R"j({"@timestamp":"2026-01-19T10:30:00.000000000Z","message":"127.0.0.1 - frank [19/Jan/2026:10:30:00 +0000] )j"
         R"j(\"GET /apache_pb.gif?x=1 HTTP/1.0\" 200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08\"",)j"
         R"j("client_ip":"127.0.0.1","user":"frank","method":"GET","path":"/apache_pb.gif","query":"x=1",)j"
         R"j("protocol":"HTTP/1.0","status":200,"bytes":2326,"referrer":"http://www.example.com/start.html",)j"
         R"j("user_agent":"Mozilla/4.08","_parser":"apache_combined"})j"},
        {R"j(2001:db8::1 - - [19/Jan/2026:10:30:00 +0000] "POST /api HTTP/1.1" 201 -)j",
         R"j({"@timestamp":"2026-01-19T10:30:00.000000000Z","message":"2001:db8::1 - - [19/Jan/2026:10:30:00 +0000] )j"
         R"j(\"POST /api HTTP/1.1\" 201 -","client_ip":"2001:db8::1","method":"POST","path":"/api",)j"
         R"j("protocol":"HTTP/1.1","status":201,"bytes":0,"_parser":"apache_common"})j"},
        {R"j(www.example.com:443 10.0.0.1 - - [19/Jan/2026:10:30:00 +0000] "GET / HTTP/2.0" 304 0 "-" "curl/8.0")j",
         nullptr},
        {R"j(time=2026-01-19T10:30:00Z level=warn msg="disk almost full" pct=91.5)j",
         R"j({"@timestamp":"2026-01-19T10:30:00.000000000Z","message":"disk almost full","level":"warn","pct":91.5,)j"
         R"j("_parser":"logfmt"})j"},
        {"2026-01-19 10:30:00,123 ERROR [main] com.example.App - connection refused",
         R"j({"@timestamp":"2026-01-19T10:30:00.123000000Z","message":"connection refused","level":"ERROR",)j"
         R"j("logger":"com.example.App","thread":"main","_parser":"applog"})j"},
        {"E0119 10:30:00.123456   12345 reflector.go:138] failed to list",
         R"j({"@timestamp":"2026-01-19T10:30:00.123456000Z","message":"failed to list","level":"ERROR",)j"
         R"j("thread":"12345","caller":"reflector.go:138","_parser":"applog"})j"},
        {"just some words from a script",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"just some words from a script","_parser":"raw"})j"},
    };
    for (const auto& c : cases) {
        const std::string got = parse(c.line);
        if (c.json) {
            EXPECT_EQ(got, c.json) << c.line;
        } else {
            EXPECT_NE(got.find(R"("_parser":"apache_vhost_combined")"), std::string::npos) << got;
            EXPECT_NE(got.find(R"("vhost":"www.example.com")"), std::string::npos) << got;
        }
    }
}

TEST(AutoParser, ARecognisedFormatThatFailsIsRawWithTheReasonAndNoPartialFields) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    const std::string lines[] = {
        R"j({"level":"info","message":"cut sho)j",
        R"j(127.0.0.1 - frank [19/Jan/2026:10:30:00 +0000] "GET / HTTP/1.0" 2x0 2326)j",
        R"j(level=info msg="never closed)j",
        "<13>1 2026-01-19T10:30:00Z",
    };
    for (const auto& l : lines) b.add(l, kNow);
    h.process(b);
    for (size_t i = 0; i < b.size(); ++i) {
        EXPECT_TRUE(b.event(i).flags & WEIR_EVENT_PARSE_ERROR) << lines[i];
        EXPECT_EQ(b.body(i), lines[i]);
        const std::string json(b.to_json(i));
        EXPECT_NE(json.find(R"("_parser":"raw")"), std::string::npos) << json;
        // Only the marker fields: nothing half-parsed.
        EXPECT_EQ(json.find("client_ip"), std::string::npos) << json;
        EXPECT_EQ(json.find(R"("level")"), std::string::npos) << json;
    }
    EXPECT_EQ(h.metrics().errors.get("parse_error"), std::size(lines));
}

TEST(AutoParser, UnrecognisedTextBinaryAndEmptyLinesStayRawWithoutError) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    const std::string lines[] = {"",
                                 "   ",
                                 std::string("\x00\x01\xff\xfe{", 5),
                                 "Traceback (most recent call last):",
                                 "    at com.example.App.main(App.java:42)",
                                 "hello world",
                                 "[not a timestamp] x"};
    for (const auto& l : lines) b.add(l, kNow);
    h.process(b);
    for (size_t i = 0; i < b.size(); ++i) {
        EXPECT_FALSE(b.event(i).flags & WEIR_EVENT_PARSE_ERROR) << i;
        EXPECT_EQ(b.body(i), lines[i]);
        EXPECT_NE(std::string(b.to_json(i)).find(R"("_parser":"raw")"), std::string::npos) << i;
    }
    EXPECT_EQ(h.metrics().errors.get("parse_error"), 0u);
}

TEST(AutoParser, FormatsAndParserFieldOptions) {
    // Only JSON enabled: a syslog line stays raw, unmarked.
    const std::string s = parse("<34>Jan 19 10:30:00 mymachine su: failed", "{formats: [json]}");
    EXPECT_NE(s.find(R"("_parser":"raw")"), std::string::npos) << s;
    EXPECT_EQ(s.find("facility"), std::string::npos) << s;
    // Another field name, and none at all.
    EXPECT_NE(parse(R"({"a":1})", "{parser_field: format}").find(R"("format":"json")"), std::string::npos);
    EXPECT_EQ(parse(R"({"a":1})", "{parser_field: ''}"),
              R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","a":1})j");
    // timezone: zone-less application and syslog timestamps.
    EXPECT_NE(
        parse("2026-01-19 10:30:00 INFO x", "{timezone: '+01:00'}").find("2026-01-19T09:30:00.000000000Z"),
        std::string::npos);
    EXPECT_NE(
        parse("<13>Jan 19 10:30:00 h app: x", "{timezone: '-02:00'}").find("2026-01-19T12:30:00.000000000Z"),
        std::string::npos);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{formats: [xml]}"), std::exception);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{timezone: Mars}"), std::exception);
    // Two-line records as multiline joins them go to applog.
    const std::string jul = parse("Oct 11, 2023 10:14:36 PM org.example.Foo bar\nWARNING: slow");
    EXPECT_NE(jul.find(R"("_parser":"applog")"), std::string::npos) << jul;
    EXPECT_NE(jul.find(R"("level":"WARN")"), std::string::npos) << jul;
    const std::string dotnet =
        parse("info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: http://[::]:80");
    EXPECT_NE(dotnet.find(R"("message":"Now listening on: http://[::]:80")"), std::string::npos) << dotnet;
    EXPECT_NE(dotnet.find(R"("event_id":14)"), std::string::npos) << dotnet;
    // A named zone reaches both: summer time in July, winter time in January.
    EXPECT_NE(parse("2026-07-01 12:00:00 INFO x", "{timezone: Europe/Berlin}")
                  .find("2026-07-01T10:00:00.000000000Z"),
              std::string::npos);
    EXPECT_NE(parse("<13>Jan 19 10:30:00 h app: x", "{timezone: America/New_York}")
                  .find("2026-01-19T15:30:00.000000000Z"),
              std::string::npos);
}

TEST(AutoDetect, ShapesFromTheFirstBytes) {
    using weir::autodetect::detect;
    using weir::autodetect::Shape;
    EXPECT_EQ(detect("  {\"a\":1}"), Shape::Json);
    EXPECT_EQ(detect("<0>x"), Shape::Syslog);
    EXPECT_EQ(detect("<1234>x"), Shape::Other);
    EXPECT_EQ(detect("Feb  3 04:05:06 host x: y"), Shape::Syslog);
    EXPECT_EQ(detect("Feb 3 04:05:06 host x: y"), Shape::Syslog);  // an unpadded day, as rsyslog reads it
    EXPECT_EQ(detect("Oct 11 2023 22:14:15 fw01 x: y"), Shape::Syslog);  // a year after the day
    EXPECT_EQ(detect("名前=山田 greeting=\"こんにちは\""), Shape::Logfmt);
    // ISO timestamp then an upper-case word: an application log's level, not a host.
    EXPECT_EQ(detect("2026-01-19T10:30:00Z INFO main: started"), Shape::Other);
    EXPECT_EQ(detect("2026-01-19T10:30:00Z web1 cron[12]: started"), Shape::Syslog);
    EXPECT_EQ(detect("2026-01-19T10:30:00 web1 cron[12]: started"), Shape::Other);  // no zone
    EXPECT_EQ(detect("h - - [19/Jan/2026:10:30:00 +0000] \"GET / HTTP/1.1\" 200 1"), Shape::Apache);
    EXPECT_EQ(detect("[19/Jan/2026:10:30:00 +0000] at the start"), Shape::Other);
    EXPECT_EQ(detect("a.b_c-d=1 x=2"), Shape::Logfmt);
    EXPECT_EQ(detect("a b=1"), Shape::Other);
    EXPECT_EQ(detect("=1"), Shape::Other);
}

// The layouts applog learned, and the syslog and logfmt forms detection now
// recognises, are picked up per line.
TEST(AutoParser, PicksUpErrorLogsAndMoreApplicationLayouts) {
    const char* applog[] = {
        "[Thu Apr 27 10:39:46.719636 2017] [php7:notice] [pid 17] [client 10.255.0.3:49580] Test error log "
        "record",
        "2023/10/11 22:14:40 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)",
        "2023-10-11 22:14:36.789 +02:00 [WRN] Cache miss ratio 0.42",
        "info: Microsoft.Hosting.Lifetime[14] Now listening on: http://localhost:5000",
        "2023-10-11 22:14:36.7890|INFO|MyApp.Program|Application started",
        "11-Oct-2023 22:14:36.789 INFO [main] org.apache.catalina.startup.Catalina.start Server startup",
        "[2023-10-11 22:14:36 +0000] [1234] [INFO] Starting gunicorn 21.2.0",
        "INFO:     127.0.0.1:54321 - \"GET / HTTP/1.1\" 200 OK",
        "[2023-10-11 22:14:36,789: INFO/MainProcess] Connected to redis://localhost:6379//",
        "[2023-10-11 22:14:36,789] ERROR in views: boom",
        "1234 [main] INFO com.example.App - Application started",
        "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505",
    };
    for (const char* line : applog) {
        const std::string json = parse(line);
        EXPECT_NE(json.find(R"("_parser":"applog")"), std::string::npos) << json;
        EXPECT_NE(json.find(R"("level":")"), std::string::npos) << json;
    }
    EXPECT_NE(parse("Jan 5 07:08:09 db-2 postgres[1501]: LOG: checkpoint").find(R"("_parser":"rfc3164")"),
              std::string::npos);
    EXPECT_NE(parse("名前=山田 greeting=\"こんにちは 世界\"")
                  .find(R"("名前":"山田","greeting":"こんにちは 世界","_parser":"logfmt")"),
              std::string::npos)
        << parse("名前=山田 greeting=\"こんにちは 世界\"");
}
