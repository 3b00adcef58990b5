#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>
#include <weir/zone.hpp>

#include "applog_scan.hpp"

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

// 2026-01-19T12:00:00Z: the arrival time for lines without a date or year.
constexpr int64_t kNow = 1768824000LL * 1'000'000'000LL;

struct Golden {
    const char* line;
    const char* json;  // the event as outputs show it
};

std::string parse(const std::string& line, const std::string& options = "") {
    StageHarness h(WEIR_TEST_PLUGIN, options);
    Batch b;
    b.add(line, kNow);
    h.process(b);
    return std::string(b.to_json(0));
}

}  // namespace

TEST(ApplogParser, GoldenLinesOfEachFamily) {
    const Golden cases[] = {
        // The issue's own example: [Component] after the level is the logger.
        {"2026-01-19 10:30:00,123 ERROR [Component] message",
         R"j({"@timestamp":"2026-01-19T10:30:00.123000000Z","message":"message","level":"ERROR","logger":"Component"})j"},
        // log4j PatternLayout "%d %-5p [%t] %c - %m"
        {"2026-01-19 10:30:00,123 WARN  [http-nio-8080-exec-1] com.example.web.Api - slow request "
         "took=1532ms",
         R"j({"@timestamp":"2026-01-19T10:30:00.123000000Z","message":"slow request took=1532ms","level":"WARN",)j"
         R"j("logger":"com.example.web.Api","thread":"http-nio-8080-exec-1"})j"},
        // logback default "%d{HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg"
        {"10:30:00.123 [main] INFO  c.e.demo.Application - Started Application in 2.1 seconds",
         R"j({"@timestamp":"2026-01-19T10:30:00.123000000Z","message":"Started Application in 2.1 seconds",)j"
         R"j("level":"INFO","logger":"c.e.demo.Application","thread":"main"})j"},
        // Python "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
        {"2026-01-19 10:30:00,123 - myapp.db - WARNING - pool exhausted - retrying",
         R"j({"@timestamp":"2026-01-19T10:30:00.123000000Z","message":"pool exhausted - retrying","level":"WARN",)j"
         R"j("logger":"myapp.db"})j"},
        // Python "%(asctime)s %(levelname)s [%(name)s] %(message)s"
        {"2026-01-19 10:30:00,001 INFO [django.request] GET /health 200",
         R"j({"@timestamp":"2026-01-19T10:30:00.001000000Z","message":"GET /health 200","level":"INFO",)j"
         R"j("logger":"django.request"})j"},
        // Python logging's default format
        {"CRITICAL:root:disk on fire",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"disk on fire","level":"FATAL","logger":"root"})j"},
        // Go's log package with Lmicroseconds | Lshortfile
        {"2026/01/19 10:30:00.123456 server.go:87: listening on :8080",
         R"j({"@timestamp":"2026-01-19T10:30:00.123456000Z","message":"listening on :8080","caller":"server.go:87"})j"},
        // Go's log package, default flags
        {"2026/01/19 10:30:00 Starting server: port 8080",
         R"j({"@timestamp":"2026-01-19T10:30:00.000000000Z","message":"Starting server: port 8080"})j"},
        // zap's console encoder
        {"2026-01-19T10:30:00.123Z\tERROR\tapi/handler.go:42\trequest failed\t{\"status\": 502}",
         R"j({"@timestamp":"2026-01-19T10:30:00.123000000Z","message":"request failed\t{\"status\": 502}",)j"
         R"j("level":"ERROR","caller":"api/handler.go:42"})j"},
        // Ruby Logger / Rails
        {"I, [2026-01-19T10:30:00.123456 #4242]  INFO -- : Started GET \"/users\" for 10.0.0.1",
         R"j({"@timestamp":"2026-01-19T10:30:00.123456000Z","message":"Started GET \"/users\" for 10.0.0.1",)j"
         R"j("level":"INFO","pid":4242})j"},
        {"E, [2026-01-19T10:30:00.5 #7] ERROR -- sidekiq: job failed: timeout",
         R"j({"@timestamp":"2026-01-19T10:30:00.500000000Z","message":"job failed: timeout","level":"ERROR",)j"
         R"j("logger":"sidekiq","pid":7})j"},
        // Spring Boot 2
        {"2026-01-19 10:30:00.123  INFO 12345 --- [           main] o.s.b.w.embedded.tomcat.TomcatWebServer  "
         ": "
         "Tomcat started on port(s): 8080 (http)",
         R"j({"@timestamp":"2026-01-19T10:30:00.123000000Z","message":"Tomcat started on port(s): 8080 (http)",)j"
         R"j("level":"INFO","logger":"o.s.b.w.embedded.tomcat.TomcatWebServer","thread":"main","pid":12345})j"},
        // glog / klog
        {"E0119 10:30:00.123456   12345 reflector.go:138] failed to list *v1.Pod: timeout",
         R"j({"@timestamp":"2026-01-19T10:30:00.123456000Z","message":"failed to list *v1.Pod: timeout",)j"
         R"j("level":"ERROR","thread":"12345","caller":"reflector.go:138"})j"},
        // logrus on a terminal
        {"WARN[0003] disk usage high                               pct=91",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"disk usage high                               pct=91","level":"WARN"})j"},
        // bracketed ISO timestamp with zone
        {"[2026-01-19T10:30:00.250+01:00] [worker-3] DEBUG cache miss key=users:42",
         R"j({"@timestamp":"2026-01-19T09:30:00.250000000Z","message":"cache miss key=users:42","level":"DEBUG",)j"
         R"j("thread":"worker-3"})j"},
        // Hadoop (log4j "%d{yyMMdd HHmmss}"), with a thread id before the level
        {"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating",
         R"j({"@timestamp":"2008-11-09T20:36:15.000000000Z","message":"PacketResponder 1 terminating","level":"INFO",)j"
         R"j("logger":"dfs.DataNode$PacketResponder","pid":148})j"},
        // Spark (log4j "%d{yy/MM/dd HH:mm:ss}")
        {"17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn,curi",
         R"j({"@timestamp":"2017-06-09T20:10:40.000000000Z","message":"Changing view acls to: yarn,curi",)j"
         R"j("level":"INFO","logger":"spark.SecurityManager"})j"},
        // ZooKeeper: nested brackets
        {"2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - "
         "Notification time out: 3200",
         R"j({"@timestamp":"2015-07-29T17:41:44.747000000Z","message":"Notification time out: 3200","level":"INFO",)j"
         R"j("logger":"QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774"})j"},
        // Apache's error log, 2.2 and 2.4
        {"[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
         R"j({"@timestamp":"2005-12-04T04:47:44.000000000Z","message":"mod_jk child workerEnv in error state 6",)j"
         R"j("level":"ERROR"})j"},
        {"[Mon Jan 19 10:30:00.123456 2026] [proxy:warn] [pid 42:tid 7] AH01144: No protocol handler",
         R"j({"@timestamp":"2026-01-19T10:30:00.123456000Z","message":"AH01144: No protocol handler",)j"
         R"j("level":"WARN","module":"proxy","pid":42,"tid":7})j"},
        // Android logcat
        {"01-19 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs",
         R"j({"@timestamp":"2026-01-19T16:13:38.811000000Z","message":"printFreezingDisplayLogs","level":"DEBUG",)j"
         R"j("logger":"WindowManager","thread":"2395","pid":1702})j"},
        // a message that merely starts with a capitalised word is not a logger
        {"2026-01-19 10:30:00 INFO Server started",
         R"j({"@timestamp":"2026-01-19T10:30:00.000000000Z","message":"Server started","level":"INFO"})j"},
    };
    for (const auto& c : cases) EXPECT_EQ(parse(c.line), c.json) << c.line;
}

// Error logs of web servers: module, level (syslog words included), pid,
// tid, client and nginx's "client: …, server: …" tail become fields.
TEST(ApplogParser, ApacheAndNginxErrorLogs) {
    const Golden cases[] = {
        {"[Thu Apr 27 10:39:46.719636 2017] [php7:notice] [pid 17] [client 10.255.0.3:49580] Test error log "
         "record",
         R"j({"@timestamp":"2017-04-27T10:39:46.719636000Z","message":"Test error log record","level":"INFO",)j"
         R"j("module":"php7","pid":17,"client":"10.255.0.3:49580"})j"},
        {"[Wed Oct 11 14:32:52.123456 2000] [core:crit] [pid 35708:tid 4328636416] [client "
         "72.15.99.187:4321] "
         "AH00124: Request exceeded the limit of 10 internal redirects, referer: http://example.com/a",
         R"j({"@timestamp":"2000-10-11T14:32:52.123456000Z","message":"AH00124: Request exceeded the limit of 10 )j"
         R"j(internal redirects","level":"FATAL","module":"core","pid":35708,"tid":4328636416,)j"
         R"j("client":"72.15.99.187:4321","referer":"http://example.com/a"})j"},
        {"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
         R"j({"@timestamp":"2005-12-04T04:47:44.000000000Z","message":"workerEnv.init() ok )j"
         R"j(/etc/httpd/conf/workers2.properties","level":"INFO"})j"},
        {"[Sun Dec 04 04:51:08 2005] [alert] [client 192.0.2.7] /var/www/.htaccess: Invalid command",
         R"j({"@timestamp":"2005-12-04T04:51:08.000000000Z","message":"/var/www/.htaccess: Invalid command",)j"
         R"j("level":"FATAL","client":"192.0.2.7"})j"},
        {"2023/10/11 22:14:40 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)",
         R"j({"@timestamp":"2023-10-11T22:14:40.000000000Z","message":"bind() to 0.0.0.0:80 failed )j"
         R"j((98: Address already in use)","level":"FATAL","pid":1,"tid":1})j"},
        {"2023/10/11 22:14:41 [error] 31#31: *1 open() \"/usr/share/nginx/html/x\" failed (2: No such file "
         "or "
         "directory), client: 172.17.0.1, server: localhost, request: \"GET /x HTTP/1.1\", host: "
         "\"localhost:8080\", "
         "referrer: \"http://localhost:8080/\"",
         R"j({"@timestamp":"2023-10-11T22:14:41.000000000Z","message":"open() \"/usr/share/nginx/html/x\" failed )j"
         R"j((2: No such file or directory)","level":"ERROR","pid":31,"tid":31,"connection":1,"client":"172.17.0.1",)j"
         R"j("server":"localhost","request":"GET /x HTTP/1.1","host":"localhost:8080",)j"
         R"j("referrer":"http://localhost:8080/"})j"},
        {"2023/10/11 22:14:42 [warn] 7#7: *9 an upstream response is buffered to a temporary file, client: "
         "10.0.0.1, "
         "server: _, request: \"POST /up HTTP/2.0\", upstream: \"http://127.0.0.1:9000/up\", host: "
         "\"a.example\"",
         R"j({"@timestamp":"2023-10-11T22:14:42.000000000Z","message":"an upstream response is buffered to a )j"
         R"j(temporary file","level":"WARN","pid":7,"tid":7,"connection":9,"client":"10.0.0.1","server":"_",)j"
         R"j("request":"POST /up HTTP/2.0","upstream":"http://127.0.0.1:9000/up","host":"a.example"})j"},
    };
    for (const auto& c : cases) EXPECT_EQ(parse(c.line), c.json) << c.line;
}

// Two-line layouts, as the multiline parser's dotnet and java presets join them.
TEST(ApplogParser, TwoLineLayoutsOfDotnetAndJavaUtilLogging) {
    const Golden cases[] = {
        // .NET console logger: the message on the next line, indented by 6 spaces.
        {"info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: http://localhost:5000",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"Now listening on: http://localhost:5000",)j"
         R"j("level":"INFO","logger":"Microsoft.Hosting.Lifetime","event_id":14})j"},
        {"fail: Microsoft.AspNetCore.Server.Kestrel[13]\r\n      Request failed.\n      "
         "System.InvalidOperationException: boom\n         at Program.Main() in /app/Program.cs:line 5",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"Request failed.\n      )j"
         R"j(System.InvalidOperationException: boom\n         at Program.Main() in /app/Program.cs:line 5",)j"
         R"j("level":"ERROR","logger":"Microsoft.AspNetCore.Server.Kestrel","event_id":13})j"},
        {"warn: Microsoft.AspNetCore.DataProtection.Repositories.FileSystemXmlRepository[60]\n      "
         "Storing keys in a directory that may not be persisted outside of the container.",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"Storing keys in a directory that may not )j"
         R"j(be persisted outside of the container.","level":"WARN",)j"
         R"j("logger":"Microsoft.AspNetCore.DataProtection.Repositories.FileSystemXmlRepository","event_id":60})j"},
        // java.util.logging's SimpleFormatter: date, class and method, then "LEVEL: message".
        {"Oct 11, 2023 10:14:36 PM org.example.Foo bar\nINFO: Server started on port 8080",
         R"j({"@timestamp":"2023-10-11T22:14:36.000000000Z","message":"Server started on port 8080","level":"INFO",)j"
         R"j("logger":"org.example.Foo","method":"bar"})j"},
        {"Jan 02, 2024 12:05:09 AM org.apache.catalina.core.StandardService startInternal\n"
         "SEVERE: Failed to start\njava.lang.IllegalStateException: port in use\n\tat "
         "org.apache.catalina.core.StandardService.startInternal(StandardService.java:42)",
         R"j({"@timestamp":"2024-01-02T00:05:09.000000000Z","message":"Failed to start\njava.lang.)j"
         R"j(IllegalStateException: port in use\n\tat org.apache.catalina.core.StandardService.startInternal()j"
         R"j(StandardService.java:42)","level":"ERROR","logger":"org.apache.catalina.core.StandardService",)j"
         R"j("method":"startInternal"})j"},
        {"Mar 5, 2024 12:30:00 PM com.example.Cache\nFINE: evicted 3 entries",
         R"j({"@timestamp":"2024-03-05T12:30:00.000000000Z","message":"evicted 3 entries","level":"DEBUG",)j"
         R"j("logger":"com.example.Cache"})j"},
        {"Mar 5, 2024 1:30:00 PM com.example.Cache get\nWARNING: slow",
         R"j({"@timestamp":"2024-03-05T13:30:00.000000000Z","message":"slow","level":"WARN",)j"
         R"j("logger":"com.example.Cache","method":"get"})j"},
        // The header alone (no multiline parser before): time, class and method; the line stays the message.
        {"Oct 11, 2023 10:14:36 PM org.example.Foo bar",
         R"j({"@timestamp":"2023-10-11T22:14:36.000000000Z","message":"Oct 11, 2023 10:14:36 PM org.example.Foo bar",)j"
         R"j("logger":"org.example.Foo","method":"bar"})j"},
    };
    for (const auto& c : cases) EXPECT_EQ(parse(c.line), c.json) << c.line;
    // JUL's time is local: the configured zone applies (summer time in Berlin).
    EXPECT_NE(parse("Jul 1, 2026 12:00:00 PM org.example.Foo bar\nINFO: noon", "{timezone: Europe/Berlin}")
                  .find("2026-07-01T10:00:00.000000000Z"),
              std::string::npos);
    // Not JUL: a month name without the rest of the header.
    EXPECT_EQ(parse("Oct 11, 2023 was a good day").find("\"logger\""), std::string::npos);
}

// Layouts of .NET, Java servers and Python web stacks as they print by default.
TEST(ApplogParser, MoreLayouts) {
    const Golden cases[] = {
        // Serilog: the offset after a space belongs to the time.
        {"2023-10-11 22:14:36.789 +02:00 [WRN] Cache miss ratio 0.42",
         R"j({"@timestamp":"2023-10-11T20:14:36.789000000Z","message":"Cache miss ratio 0.42","level":"WARN"})j"},
        {"2023-10-11 22:14:36.789 -05:30 [INF] Starting web host",
         R"j({"@timestamp":"2023-10-12T03:44:36.789000000Z","message":"Starting web host","level":"INFO"})j"},
        // .NET console logger, both forms
        {"info: Microsoft.Hosting.Lifetime[14]",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","level":"INFO",)j"
         R"j("logger":"Microsoft.Hosting.Lifetime","event_id":14})j"},
        {"fail: Microsoft.AspNetCore.Server.Kestrel[13] Connection id \"0HM\" failed",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"Connection id \"0HM\" failed",)j"
         R"j("level":"ERROR","logger":"Microsoft.AspNetCore.Server.Kestrel","event_id":13})j"},
        // NLog's default layout
        {"2023-10-11 22:14:36.7890|INFO|MyApp.Program|Application started",
         R"j({"@timestamp":"2023-10-11T22:14:36.789000000Z","message":"Application started","level":"INFO",)j"
         R"j("logger":"MyApp.Program"})j"},
        // Tomcat (JUL OneLineFormatter)
        {"11-Oct-2023 22:14:36.789 INFO [main] org.apache.catalina.startup.Catalina.start Server startup in "
         "[1234] "
         "milliseconds",
         R"j({"@timestamp":"2023-10-11T22:14:36.789000000Z","message":"Server startup in [1234] milliseconds",)j"
         R"j("level":"INFO","logger":"org.apache.catalina.startup.Catalina.start","thread":"main"})j"},
        // gunicorn
        {"[2023-10-11 22:14:36 +0000] [1234] [INFO] Starting gunicorn 21.2.0",
         R"j({"@timestamp":"2023-10-11T22:14:36.000000000Z","message":"Starting gunicorn 21.2.0","level":"INFO",)j"
         R"j("pid":1234})j"},
        // uvicorn
        {"INFO:     127.0.0.1:54321 - \"GET / HTTP/1.1\" 200 OK",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"127.0.0.1:54321 - \"GET / HTTP/1.1\" 200 OK",)j"
         R"j("level":"INFO"})j"},
        // Celery
        {"[2023-10-11 22:14:36,789: WARNING/ForkPoolWorker-1] Task tasks.add[f3e1] retry: Retry in 5s",
         R"j({"@timestamp":"2023-10-11T22:14:36.789000000Z","message":"Task tasks.add[f3e1] retry: Retry in 5s",)j"
         R"j("level":"WARN","thread":"ForkPoolWorker-1"})j"},
        // Flask's default handler
        {"[2023-10-11 22:14:36,789] ERROR in views: Exception on /boom [GET]",
         R"j({"@timestamp":"2023-10-11T22:14:36.789000000Z","message":"Exception on /boom [GET]","level":"ERROR",)j"
         R"j("logger":"views"})j"},
        // log4j's TTCC layout "%r [%t] %-5p %c %x - %m%n"
        {"1234 [main] INFO com.example.App  - Application started",
         R"j({"@timestamp":"2026-01-19T12:00:00.000000000Z","message":"Application started","level":"INFO",)j"
         R"j("logger":"com.example.App","thread":"main","elapsed_ms":1234})j"},
        // Windows CBS: a comma after a readable time
        {"2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505",
         R"j({"@timestamp":"2016-09-28T04:30:30.000000000Z","message":"Loaded Servicing Stack v6.1.7601.23505",)j"
         R"j("level":"INFO","logger":"CBS"})j"},
    };
    for (const auto& c : cases) EXPECT_EQ(parse(c.line), c.json) << c.line;
}

// The examples of the README, as it shows them.
TEST(ApplogParser, ReadmeExamples) {
    EXPECT_EQ(parse("2026-01-19 10:30:00,123 WARN  [http-nio-8080-exec-1] com.example.web.Api - slow request",
                    "{timezone: '+01:00'}"),
              R"j({"@timestamp":"2026-01-19T09:30:00.123000000Z","message":"slow request","level":"WARN",)j"
              R"j("logger":"com.example.web.Api","thread":"http-nio-8080-exec-1"})j");
    const char* table[] = {
        "2026-01-19 10:30:00,123 ERROR [main] com.example.App - message",
        "10:30:00.123 [main] INFO  c.e.demo.Application - Started",
        "2026-01-19 10:30:00.123  INFO 12345 --- [main] o.s.b.w.Tomcat : Started",
        "2026-01-19 10:30:00,123 - myapp.db - WARNING - message",
        "CRITICAL:root:message",
        "2026/01/19 10:30:00.123456 server.go:87: message",
        "2026-01-19T10:30:00.123Z\tERROR\tapi/handler.go:42\tmessage",
        "WARN[0003] message",
        "E, [2026-01-19T10:30:00.123456 #4242] ERROR -- sidekiq: message",
        "E0119 10:30:00.123456   12345 reflector.go:138] message",
        "081109 203615 148 INFO dfs.DataNode: message",
        "17/06/09 20:10:40 INFO spark.SecurityManager: message",
        "[Thu Apr 27 10:39:46.719636 2017] [php7:notice] [pid 17:tid 42] [client 10.255.0.3:49580] message, "
        "referer: x",
        "2023/10/11 22:14:40 [error] 31#31: *1 open() failed, client: 172.17.0.1, server: localhost, "
        "request: \"GET /x "
        "HTTP/1.1\", host: \"localhost\"",
        "01-19 16:13:38.811  1702  2395 D WindowManager: message",
        "2023-10-11 22:14:36.789 +02:00 [WRN] Cache miss ratio 0.42",
        "info: Microsoft.Hosting.Lifetime[14]",
        "2023-10-11 22:14:36.7890|INFO|MyApp.Program|message",
        "11-Oct-2023 22:14:36.789 INFO [main] org.apache.catalina.startup.Catalina.start message",
        "[2023-10-11 22:14:36 +0000] [1234] [INFO] Starting gunicorn 21.2.0",
        "INFO:     127.0.0.1:54321 - \"GET / HTTP/1.1\" 200 OK",
        "[2023-10-11 22:14:36,789: WARNING/ForkPoolWorker-1] message",
        "[2023-10-11 22:14:36,789] ERROR in views: message",
        "1234 [main] INFO com.example.App - message",
        "2016-09-28 04:30:30, Info                  CBS    message",
    };
    for (const char* line : table) {
        const std::string json = parse(line);
        EXPECT_EQ(json.find("_parse_error"), std::string::npos) << line << " -> " << json;
        // The header was read: the message is less than the line.
        const size_t m = json.find("\"message\":\"") + 11;
        EXPECT_LT(json.find('"', m) - m, std::string_view(line).size()) << line << " -> " << json;
    }
}

TEST(ApplogParser, NotAnApplicationLogLineIsKeptAndMarked) {
    const std::string lines[] = {"just words",
                                 "",
                                 "2026-13-45 10:30:00 INFO bad date",
                                 "[2026-01-19 10:30:00 INFO x",
                                 "I, [garbage #1] INFO -- : x",
                                 "E0119 10:30:00.1 x"};
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    for (const auto& l : lines) b.add(l, kNow);
    h.process(b);
    for (size_t i = 0; i < b.size(); ++i) {
        EXPECT_TRUE(b.event(i).flags & WEIR_EVENT_PARSE_ERROR) << lines[i];
        EXPECT_EQ(b.body(i), lines[i]);
    }
    EXPECT_EQ(h.metrics().errors.get("parse_error"), std::size(lines));
}

TEST(ApplogParser, RequireLevelAndTimezone) {
    EXPECT_NE(parse("2026/01/19 10:30:00 no level here", "{require_level: true}")
                  .find(R"j("_parse_error":"no level")j"),
              std::string::npos);
    EXPECT_NE(
        parse("2026-01-19 10:30:00 INFO x", "{timezone: '-05:00'}").find("2026-01-19T15:30:00.000000000Z"),
        std::string::npos);
}

TEST(ApplogParser, NamedTimezoneAcrossTheChangeToSummerTime) {
    // Europe/Berlin on 2026-03-29: 02:00 CET became 03:00 CEST; 02:30 never happened and reads as 03:30.
    const std::string o = "{timezone: Europe/Berlin}";
    EXPECT_NE(parse("2026-03-29 01:59:59,000 INFO a", o).find("2026-03-29T00:59:59.000000000Z"),
              std::string::npos);
    EXPECT_NE(parse("2026-03-29 02:30:00,000 INFO b", o).find("2026-03-29T01:30:00.000000000Z"),
              std::string::npos);
    EXPECT_NE(parse("2026-03-29 03:00:01,000 INFO c", o).find("2026-03-29T01:00:01.000000000Z"),
              std::string::npos);
    EXPECT_NE(parse("2026-01-19 11:30:00 INFO d", o).find("2026-01-19T10:30:00.000000000Z"),
              std::string::npos);
    EXPECT_NE(parse("2026-01-19T11:30:00+05:00 INFO e", o).find("2026-01-19T06:30:00.000000000Z"),
              std::string::npos);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{timezone: Europe/Nowhere}"), std::exception);
}

TEST(ApplogScan, TimeOfDayAfterMidnightBelongsToYesterday) {
    weir::applog::Record r;
    // arrival 00:10 on the 19th, line says 23:59 -> the 18th
    const int64_t just_after_midnight = (1768780800LL + 600) * 1'000'000'000LL;
    ASSERT_EQ(weir::applog::scan("23:59:59.900 [main] INFO a.B - late", just_after_midnight, 0, r), nullptr);
    EXPECT_EQ(*r.time, (1768780800LL - 1) * 1'000'000'000LL + 900'000'000LL);
    // In Berlin, read at 00:10 on the day summer time begins (2026-03-28T23:10Z): the
    // line's 23:59:59.9 is the evening before, still winter time (22:59:59.9Z).
    const auto berlin = weir::time::Zone::parse("Europe/Berlin");
    ASSERT_TRUE(berlin);
    const int64_t arrival =
        (weir::time::days_from_civil(2026, 3, 28) * 86400 + 23 * 3600 + 600) * 1'000'000'000LL;
    ASSERT_EQ(weir::applog::scan("23:59:59.900 [main] INFO a.B - late", arrival, *berlin, r), nullptr);
    EXPECT_EQ(*r.time,
              (weir::time::days_from_civil(2026, 3, 28) * 86400 + 22 * 3600 + 3599) * 1'000'000'000LL +
                  900'000'000LL);
}

TEST(ApplogScan, LevelWordsAreStrict) {
    using weir::applog::detail::level_word;
    using weir::level::Level;
    EXPECT_EQ(level_word("WARNING"), Level::Warn);
    EXPECT_EQ(level_word("Error"), Level::Error);
    EXPECT_EQ(level_word("SEVERE"), Level::Error);
    EXPECT_EQ(level_word("fine"), Level::Unknown);  // a word of the message, not a level
    EXPECT_EQ(level_word("I"), Level::Unknown);
    EXPECT_EQ(level_word("eRRor"), Level::Unknown);
}

// Found by the fuzz target: a time of day with a very long fraction
// overflowed the buffer the date is put in front of.
TEST(ApplogScan, TimeOfDayWithAVeryLongFraction) {
    weir::applog::Record r;
    const std::string line = "20:30:00.123455555555555555555555555555555559  ample.Main - x";
    ASSERT_EQ(weir::applog::scan(line, kNow, 0, r), nullptr);
    // 20:30 is hours after the arrival at 12:00: yesterday's
    EXPECT_EQ(*r.time, kNow - (15 * 3600 + 30 * 60) * 1'000'000'000LL + 123455555);
}
