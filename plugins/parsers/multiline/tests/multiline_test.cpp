#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>
#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

std::vector<std::string> bodies(const Batch& b) {
    std::vector<std::string> out;
    for (size_t i = 0; i < b.size(); ++i) out.emplace_back(b.body(i));
    return out;
}

/// One batch of `lines` from `stream`; returns the events it let out and the
/// process result.
std::vector<std::string> feed(StageHarness& h, const std::vector<std::string>& lines, int32_t* rc = nullptr,
                              const std::string& stream = "s") {
    Batch b;
    b.stream = stream;
    for (size_t i = 0; i < lines.size(); ++i) b.add(lines[i], 1000 + static_cast<int64_t>(i));
    const int32_t r = h.process(b);
    if (rc) *rc = r;
    return bodies(b);
}

/// What a timer tick (or shutdown) releases, one stream per call.
std::vector<std::string> flush(StageHarness& h, int32_t mode, std::vector<std::string>* streams = nullptr) {
    std::vector<std::string> out;
    for (int k = 0; k < 100; ++k) {
        Batch b;
        b.flush = mode;
        h.process(b);
        if (b.size() == 0) break;
        for (auto& s : bodies(b)) out.push_back(s);
        if (streams) streams->push_back(b.stream);
    }
    return out;
}

const std::vector<std::string> kJava = {
    "2026-01-19 10:30:00,123 ERROR [main] com.example.App - request failed",
    "java.lang.IllegalStateException: connection pool exhausted",
    "\tat com.example.db.Pool.take(Pool.java:88)",
    "\tat com.example.App.handle(App.java:42)",
    "Caused by: java.net.SocketTimeoutException: connect timed out",
    "\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:546)",
    "\t... 12 more",
    "2026-01-19 10:30:01,000 INFO  [main] com.example.App - recovered",
};

std::string join(const std::vector<std::string>& v, size_t from, size_t to) {
    std::string s;
    for (size_t i = from; i < to; ++i) s += (i > from ? "\n" : "") + v[i];
    return s;
}

}  // namespace

TEST(MultilineParser, JavaTraceJoinsItsLogLineAndTheLastEventWaits) {
    StageHarness h(WEIR_TEST_PLUGIN, "{preset: java}");
    int32_t rc = 0;
    const auto out = feed(h, kJava, &rc);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], join(kJava, 0, 7));
    EXPECT_EQ(rc, WEIR_HELD);  // "recovered" may still get continuation lines
    std::vector<std::string> streams;
    EXPECT_EQ(flush(h, WEIR_FLUSH_ALL, &streams), std::vector<std::string>{kJava[7]});
    EXPECT_EQ(streams, std::vector<std::string>{"s"});
    EXPECT_TRUE(flush(h, WEIR_FLUSH_ALL).empty());
}

TEST(MultilineParser, AnEventSpanningBatchesKeepsItsFirstLinesTimeAndOrder) {
    StageHarness h(WEIR_TEST_PLUGIN, "{preset: java}");
    int32_t rc = 0;
    EXPECT_TRUE(feed(h, {kJava[0], kJava[1], kJava[2]}, &rc).empty());
    EXPECT_EQ(rc, WEIR_HELD);
    EXPECT_TRUE(feed(h, {kJava[3], kJava[4]}, &rc).empty());
    EXPECT_EQ(rc, WEIR_HELD_OLDER);  // still the event begun a batch ago
    Batch b;
    b.stream = "s";
    b.add(kJava[5], 5);
    b.add(kJava[6], 6);
    b.add(kJava[7], 7);
    b.add("2026-01-19 10:30:02,000 INFO  [main] com.example.App - third", 8);
    rc = h.process(b);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b.body(0), join(kJava, 0, 7));
    EXPECT_EQ(b.event(0).time_ns, 1000);  // the first line's
    EXPECT_EQ(b.body(1), kJava[7]);
    EXPECT_EQ(b.event(1).time_ns, 7);
    EXPECT_EQ(rc, WEIR_HELD);
}

TEST(MultilineParser, StreamsDoNotMix) {
    StageHarness h(WEIR_TEST_PLUGIN, "{preset: java}");
    EXPECT_TRUE(feed(h, {"a: first", "java.lang.Error: in a"}, nullptr, "file-a").empty());
    EXPECT_TRUE(feed(h, {"b: first"}, nullptr, "file-b").empty());
    EXPECT_TRUE(feed(h, {"\tat a.A.run(A.java:1)"}, nullptr, "file-a").empty());
    EXPECT_EQ(feed(h, {"\tat b.B.run(B.java:2)", "b: second"}, nullptr, "file-b"),
              std::vector<std::string>{"b: first\n\tat b.B.run(B.java:2)"});
    std::vector<std::string> streams;
    auto rest = flush(h, WEIR_FLUSH_ALL, &streams);
    std::sort(rest.begin(), rest.end());
    EXPECT_EQ(rest, (std::vector<std::string>{"a: first\njava.lang.Error: in a\n\tat a.A.run(A.java:1)",
                                              "b: second"}));
    std::sort(streams.begin(), streams.end());
    EXPECT_EQ(streams, (std::vector<std::string>{"file-a", "file-b"}));
}

TEST(MultilineParser, TheTimerReleasesOnlyStreamsQuietLongEnough) {
    StageHarness quick(WEIR_TEST_PLUGIN, "{preset: java, flush_timeout: 0s}");
    feed(quick, {"only line"});
    EXPECT_EQ(flush(quick, WEIR_FLUSH_DUE), std::vector<std::string>{"only line"});
    StageHarness patient(WEIR_TEST_PLUGIN, "{preset: java, flush_timeout: 1h}");
    feed(patient, {"only line"});
    EXPECT_TRUE(flush(patient, WEIR_FLUSH_DUE).empty());
    EXPECT_EQ(flush(patient, WEIR_FLUSH_ALL), std::vector<std::string>{"only line"});
}

TEST(MultilineParser, PresetsForPythonGoNodeAndRuby) {
    struct Case {
        const char* options;
        std::vector<std::string> lines;
        size_t joined;  // lines of the first event
    };
    const Case cases[] = {
        {"{preset: python}",
         {"ERROR:root:job failed",
          "Traceback (most recent call last):", "  File \"/app/job.py\", line 3, in <module>", "    run()",
          "  File \"/app/job.py\", line 2, in run", "    1 / 0", "ZeroDivisionError: division by zero",
          "INFO:root:next"},
         7},
        {"{preset: go}",
         {"panic: runtime error: index out of range [5] with length 3", "", "goroutine 1 [running]:",
          "main.main()", "\t/tmp/x.go:8 +0x1d", "exit status 2", "2026/01/19 10:30:00 restarted"},
         6},
        {"{preset: node}",
         {"Error: boom", "    at Object.<anonymous> (/app/x.js:1:7)",
          "    at Module._compile (node:internal/modules/cjs/loader:1256:14)", "listening on 3000"},
         3},
        {"{preset: ruby}",
         {"app.rb:3:in `foo': boom (RuntimeError)", "\tfrom app.rb:7:in `<main>'",
          "I, [2026-01-19T10:30:00] INFO -- : ok"},
         2},
    };
    for (const auto& c : cases) {
        StageHarness h(WEIR_TEST_PLUGIN, c.options);
        const auto out = feed(h, c.lines);
        ASSERT_EQ(out.size(), 1u) << c.options;
        EXPECT_EQ(out[0], join(c.lines, 0, c.joined)) << c.options;
        EXPECT_EQ(flush(h, WEIR_FLUSH_ALL), std::vector<std::string>{c.lines.back()}) << c.options;
    }
}

TEST(MultilineParser, CustomStartPatternAndLimits) {
    StageHarness h(WEIR_TEST_PLUGIN, R"({start: '^\d{4}-\d{2}-\d{2} ', max_lines: 3})");
    const auto out = feed(h, {"2026-01-19 a", "x", "y", "z", "2026-01-19 b", "c"});
    EXPECT_EQ(out, (std::vector<std::string>{"2026-01-19 a\nx\ny", "z"}));
    EXPECT_EQ(h.metrics().errors.get("multiline_limit"), 1u);
    EXPECT_EQ(flush(h, WEIR_FLUSH_ALL), std::vector<std::string>{"2026-01-19 b\nc"});
    // Lines before any start line make an event of their own.
    StageHarness h2(WEIR_TEST_PLUGIN, R"({start: '^\d{4}-'})");
    EXPECT_EQ(feed(h2, {"orphan", "more", "2026-01-19 c"}), std::vector<std::string>{"orphan\nmore"});
}

TEST(MultilineParser, CustomContinuePatternAloneAndAddedToAPreset) {
    StageHarness alone(WEIR_TEST_PLUGIN, R"({continue: '^\+ '})");
    EXPECT_EQ(feed(alone, {"SELECT 1", "+ FROM t", "+ WHERE x", "SELECT 2"}),
              std::vector<std::string>{"SELECT 1\n+ FROM t\n+ WHERE x"});
    // With the java preset: its frames and the custom lines both join.
    StageHarness both(WEIR_TEST_PLUGIN, R"({preset: java, continue: '^Context: '})");
    EXPECT_EQ(feed(both, {"request failed", "\tat a.B.c(B.java:1)", "Context: user=42", "next"}),
              std::vector<std::string>{"request failed\n\tat a.B.c(B.java:1)\nContext: user=42"});
}

TEST(MultilineParser, MaxBytesCutsAnEventAndCountsIt) {
    // "head" (4) + "\n  aaaa" (7) = 11 bytes fit; one more line would make 18.
    StageHarness h(WEIR_TEST_PLUGIN, "{max_bytes: 12}");
    EXPECT_EQ(feed(h, {"head", "  aaaa", "  bbbb", "next"}),
              (std::vector<std::string>{"head\n  aaaa", "  bbbb"}));
    EXPECT_EQ(h.metrics().errors.get("multiline_limit"), 1u);
}

TEST(MultilineParser, WithoutOptionsIndentedLinesJoin) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    EXPECT_EQ(feed(h, {"first", "  indented", "\ttabbed", "second"}),
              std::vector<std::string>{"first\n  indented\n\ttabbed"});
}

TEST(MultilineParser, ConfigErrors) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{preset: cobol}"), std::exception);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{start: '(unclosed'}"), std::exception);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{preset: java, max_lines: 0}"), std::exception);
}

namespace {

/// All events of `lines` fed as one batch and then flushed.
std::vector<std::string> events(const std::string& options, const std::vector<std::string>& lines) {
    StageHarness h(WEIR_TEST_PLUGIN, options);
    auto out = feed(h, lines);
    for (auto& s : flush(h, WEIR_FLUSH_ALL)) out.push_back(s);
    return out;
}

}  // namespace

TEST(MultilineParser, ATraceAfterAnotherTracesLinesBeginsAnEvent) {
    const std::vector<std::string> java = {
        "java.lang.IllegalStateException: first",
        "\tat com.example.A.a(A.java:1)",
        "java.lang.IllegalArgumentException: second",
        "\tat com.example.B.b(B.java:2)",
        "\t... 3 more",
    };
    EXPECT_EQ(events("{preset: java}", java), (std::vector<std::string>{join(java, 0, 2), join(java, 2, 5)}));
    const std::vector<std::string> python = {
        "Traceback (most recent call last):", "  File \"a.py\", line 1, in <module>", "KeyError: 'a'",
        "Traceback (most recent call last):", "  File \"b.py\", line 2, in <module>", "ValueError: b",
    };
    EXPECT_EQ(events("{preset: python}", python),
              (std::vector<std::string>{join(python, 0, 3), join(python, 3, 6)}));
    // Chained tracebacks stay one event.
    const std::vector<std::string> chained = {
        "Traceback (most recent call last):",
        "  File \"a.py\", line 2, in <module>",
        "KeyError: 'x'",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        "  File \"a.py\", line 4, in <module>",
        "Exception: lookup failed",
        "next line",
    };
    EXPECT_EQ(events("{preset: python}", chained),
              (std::vector<std::string>{join(chained, 0, 9), "next line"}));
}

TEST(MultilineParser, PythonsBareExceptionAndJavasCausedByInsideSuppressedStay) {
    const std::vector<std::string> python = {
        "ERROR:root:failed", "Traceback (most recent call last):", "  File \"x.py\", line 1, in <module>",
        "Exception: boom", "INFO:root:ok"};
    EXPECT_EQ(events("{preset: python}", python),
              (std::vector<std::string>{join(python, 0, 4), "INFO:root:ok"}));
    const std::vector<std::string> java = {
        "java.lang.RuntimeException: outer",
        "\tat com.example.A.a(A.java:1)",
        "\tSuppressed: java.lang.IllegalStateException: on close",
        "\t\tat com.example.R.close(R.java:9)",
        "\t\tCaused by: java.io.IOException: disk",
        "\t\t\tat com.example.D.w(D.java:3)",
        "\t\t\t... 4 more",
        "Caused by: java.lang.Error: root",
        "\t... 2 more",
        "2026-01-19 10:30:01,000 INFO  [main] com.example.App - recovered",
    };
    EXPECT_EQ(events("{preset: java}", java), (std::vector<std::string>{join(java, 0, 9), java.back()}));
}

TEST(MultilineParser, RailsGemFramesJoin) {
    const std::vector<std::string> lines = {
        "ActionController::RoutingError (No route matches [GET] \"/x\"):",
        "  actionpack (5.1.4) lib/action_dispatch/middleware/debug_exceptions.rb:63:in `call'",
        "  railties (5.1.4) lib/rails/rack/logger.rb:36:in `call_app'",
        "  app/controllers/x_controller.rb:3:in `index'",
        "Started GET \"/\" for 127.0.0.1",
    };
    EXPECT_EQ(events("{preset: ruby}", lines), (std::vector<std::string>{join(lines, 0, 4), lines.back()}));
}

TEST(MultilineParser, PresetsForDotnetPhpAndDart) {
    const std::vector<std::string> dotnet = {
        "fail: Microsoft.AspNetCore.Server.Kestrel[13]",
        "System.InvalidOperationException: Sequence contains no elements",
        "   at System.Linq.ThrowHelper.ThrowNoElementsException()",
        " ---> System.Exception: inner",
        "   --- End of inner exception stack trace ---",
        "   at Program.Main(String[] args) in /app/Program.cs:line 10",
        "--- End of stack trace from previous location ---",
        "info: Microsoft.Hosting.Lifetime[0]",
    };
    EXPECT_EQ(events("{preset: dotnet}", dotnet),
              (std::vector<std::string>{join(dotnet, 0, 7), dotnet.back()}));
    const std::vector<std::string> php = {
        "PHP Fatal error:  Uncaught Exception: boom in /var/www/x.php:3",
        "Stack trace:",
        "#0 /var/www/x.php(7): foo()",
        "#1 {main}",
        "  thrown in /var/www/x.php on line 3",
        "PHP Warning:  next",
    };
    EXPECT_EQ(events("{preset: php}", php), (std::vector<std::string>{join(php, 0, 5), php.back()}));
    const std::vector<std::string> dart = {
        "Unhandled exception:",
        "FormatException: Invalid radix-10 number (at character 1)",
        "#0      int._throwFormatException (dart:core-patch/integers_patch.dart:131:5)",
        "<asynchronous suspension>",
        "#1      main (file:///tmp/x.dart:2:7)",
        "done",
    };
    EXPECT_EQ(events("{preset: dart}", dart), (std::vector<std::string>{join(dart, 0, 5), dart.back()}));
}

TEST(MultilineParser, AutoRecognisesTheRuntimeOfEachTrace) {
    const std::vector<std::string> lines = {
        "2026-01-19 10:30:00,123 ERROR [main] com.example.App - request failed",
        "java.lang.IllegalStateException: pool exhausted",
        "\tat com.example.db.Pool.take(Pool.java:88)",
        "ERROR:root:job failed",
        "Traceback (most recent call last):",
        "  File \"/app/job.py\", line 3, in <module>",
        "ZeroDivisionError: division by zero",
        "panic: boom",
        "",
        "goroutine 1 [running]:",
        "main.main()",
        "\t/tmp/x.go:8 +0x1d",
        "plain line",
        "",
        "another plain line",
    };
    EXPECT_EQ(events("{preset: auto}", lines),
              (std::vector<std::string>{join(lines, 0, 3), join(lines, 3, 7), join(lines, 7, 12),
                                        "plain line", "", "another plain line"}));
}

TEST(MultilineParser, ATraceAfterAPlainInfoLineIsAnEventOfItsOwn) {
    // The interpreter's traceback of an uncaught exception right after an unrelated INFO line.
    const std::vector<std::string> python = {
        "2023-10-11 22:14:36 INFO ok",
        "Traceback (most recent call last):",
        "  File \"/app/job.py\", line 3, in <module>",
        "    run()",
        "ValueError: bad input",
        "2023-10-11 22:14:37 INFO next",
    };
    for (const char* o : {"{preset: python}", "{preset: auto}"})
        EXPECT_EQ(events(o, python), (std::vector<std::string>{python[0], join(python, 1, 5), python[5]}))
            << o;
    // The JVM's report of an uncaught exception is never a log line's, whatever its level.
    const std::vector<std::string> java = {
        "2023-10-11 22:14:36 INFO  [main] com.example.App - ok",
        "Exception in thread \"main\" java.lang.IllegalStateException: boom",
        "\tat com.example.Main.main(Main.java:5)",
        "Caused by: java.io.IOException: disk full",
        "\t... 1 more",
        "2023-10-11 22:14:37 ERROR [main] com.example.App - failed",
        "Exception in thread \"worker-1\" java.lang.OutOfMemoryError: Java heap space",
        "\tat com.example.Worker.run(Worker.java:9)",
        "Exception in thread \"worker-2\" java.lang.OutOfMemoryError: Java heap space",
        "\tat com.example.Worker.run(Worker.java:9)",
    };
    for (const char* o : {"{preset: java}", "{preset: auto}"})
        EXPECT_EQ(events(o, java), (std::vector<std::string>{java[0], join(java, 1, 5), java[5],
                                                             join(java, 6, 8), join(java, 8, 10)}))
            << o;
    // A logged exception still joins the WARN or ERROR line that logged it; after an INFO line it does not.
    const std::vector<std::string> logged = {
        "2023-10-11 22:14:36 WARN  [main] com.example.App - retrying",
        "java.net.SocketTimeoutException: connect timed out",
        "\tat com.example.Net.connect(Net.java:20)",
        "2023-10-11 22:14:37 INFO  [main] com.example.App - connected",
        "java.lang.IllegalStateException: unrelated",
        "\tat com.example.Other.x(Other.java:1)",
    };
    for (const char* o : {"{preset: java}", "{preset: auto}"})
        EXPECT_EQ(events(o, logged),
                  (std::vector<std::string>{join(logged, 0, 3), logged[3], join(logged, 4, 6)}))
            << o;
    // Python's threading module announces its traceback on a line of its own: one event.
    const std::vector<std::string> thread = {
        "Exception in thread Thread-1:",
        "Traceback (most recent call last):",
        "  File \"/usr/lib/python3.11/threading.py\", line 1038, in _bootstrap_inner",
        "RuntimeError: boom",
    };
    EXPECT_EQ(events("{preset: python}", thread), std::vector<std::string>{join(thread, 0, 4)});
}

TEST(MultilineParser, JavaUtilLoggingRecordsAreOnePairOfLines) {
    // SimpleFormatter's default: the date and source on one line, "LEVEL: message" on the next.
    const std::vector<std::string> jul = {
        "Oct 11, 2023 10:14:36 PM org.example.Foo bar",
        "INFO: started",
        "Oct 11, 2023 10:14:37 PM org.example.Foo baz",
        "SEVERE: request failed",
        "java.lang.IllegalStateException: boom",
        "\tat org.example.Foo.baz(Foo.java:12)",
        "Oct 11, 2023 10:14:38 PM org.example.Foo bar",
        "INFO: next",
        "Exception in thread \"main\" java.lang.Error: unrelated",
        "\tat org.example.Main.main(Main.java:3)",
        "Oct 1, 2023 9:05:00 AM org.example.Foo bar",
        "WARNING: low disk",
        "INFO: a level line that follows no header stays apart",
    };
    for (const char* o : {"{preset: java}", "{preset: auto}"})
        EXPECT_EQ(events(o, jul), (std::vector<std::string>{join(jul, 0, 2), join(jul, 2, 6), join(jul, 6, 8),
                                                            join(jul, 8, 10), join(jul, 10, 12), jul[12]}))
            << o;
}

TEST(MultilineParser, DotnetConsoleRecordsJoinTheirIndentedLines) {
    const std::vector<std::string> dotnet = {
        "info: Microsoft.Hosting.Lifetime[14]",
        "      Now listening on: http://localhost:5000",
        "info: Microsoft.Hosting.Lifetime[0]",
        "      Application started. Press Ctrl+C to shut down.",
        "fail: Microsoft.AspNetCore.Server.Kestrel[13]",
        "      Connection id \"0HMV\", Request id \"0HMV:00000001\": An unhandled exception was thrown.",
        "      System.InvalidOperationException: boom",
        "         at Program.<>c.<<Main>$>b__0_0() in /app/Program.cs:line 5",
        "warn: Microsoft.AspNetCore.HttpsPolicy.HttpsRedirectionMiddleware[3]",
        "      Failed to determine the https port for redirect.",
    };
    for (const char* o : {"{preset: dotnet}", "{preset: auto}"})
        EXPECT_EQ(events(o, dotnet), (std::vector<std::string>{join(dotnet, 0, 2), join(dotnet, 2, 4),
                                                               join(dotnet, 4, 8), join(dotnet, 8, 10)}))
            << o;
}
