// Per-stage throughput on one core: the json parser through the real plugin
// .so and host API, JSON rendering of parsed events, and the batch codec.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include <weir/condition/condition.hpp>
#include <weir/event/batch.hpp>
#include <weir/event/codec.hpp>
#include <weir/runtime/testing.hpp>

namespace {

std::vector<std::string> make_lines(size_t n) {
    std::mt19937 rnd(42);
    const char* levels[] = {"info", "debug", "warn", "error"};
    const char* services[] = {"api-gateway", "checkout", "auth", "search"};
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) {
        char buf[256];
        std::snprintf(
            buf, sizeof buf,
            "{\"timestamp\":\"2025-11-24T13:20:%02zu.%03zuZ\",\"level\":\"%s\",\"service\":\"%s\","
            "\"message\":\"request completed id=%08x\",\"user_id\":\"u-%06u\",\"client_ip\":\"10.%u.%u.%u\","
            "\"latency_ms\":%u.%03u}",
            i % 60, i % 1000, levels[rnd() % 4], services[rnd() % 4], static_cast<unsigned>(rnd()),
            static_cast<unsigned>(rnd() % 1000000), static_cast<unsigned>(rnd() % 256),
            static_cast<unsigned>(rnd() % 256), static_cast<unsigned>(rnd() % 256),
            static_cast<unsigned>(rnd() % 2000), static_cast<unsigned>(rnd() % 1000));
        out.emplace_back(buf);
    }
    return out;
}

const std::vector<std::string>& lines() {
    static const auto l = make_lines(2048);
    return l;
}

size_t total_bytes() {
    size_t n = 0;
    for (const auto& l : lines()) n += l.size();
    return n;
}

void fill(weir::event::Batch& b) {
    for (const auto& l : lines()) b.add(l, 0);
}

void BM_JsonParserStage(benchmark::State& state) {
    weir::runtime::testing::StageHarness h(WEIR_PLUGIN_DIR "/json.so", "");
    weir::event::Batch b;
    for (auto _ : state) {
        state.PauseTiming();
        b.clear();
        fill(b);
        state.ResumeTiming();
        h.process(b);
        benchmark::DoNotOptimize(b.size());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines().size()));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(total_bytes()));
}
BENCHMARK(BM_JsonParserStage);

std::vector<std::string> make_apache_lines(size_t n) {
    std::mt19937 rnd(7);
    const char* paths[] = {"/", "/index.html", "/api/v1/items?id=42", "/static/app.js",
                           "/search?q=weir&page=2"};
    const char* agents[] = {
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "curl/8.4.0"};
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "%u.%u.%u.%u - - [24/Nov/2025:%02zu:%02zu:%02zu +0000] \"GET %s HTTP/1.1\" 200 %u "
                      "\"https://www.example.com/\" \"%s\"",
                      static_cast<unsigned>(rnd() % 223 + 1), static_cast<unsigned>(rnd() % 256),
                      static_cast<unsigned>(rnd() % 256), static_cast<unsigned>(rnd() % 254 + 1),
                      i / 3600 % 24, i / 60 % 60, i % 60, paths[rnd() % 5],
                      static_cast<unsigned>(rnd() % 60000), agents[rnd() % 3]);
        out.emplace_back(buf);
    }
    return out;
}

void BM_ApacheParserStage(benchmark::State& state) {
    static const auto apache = make_apache_lines(2048);
    size_t bytes = 0;
    for (const auto& l : apache) bytes += l.size();
    weir::runtime::testing::StageHarness h(WEIR_PLUGIN_DIR "/apache.so", "");
    weir::event::Batch b;
    for (auto _ : state) {
        state.PauseTiming();
        b.clear();
        for (const auto& l : apache) b.add(l, 0);
        state.ResumeTiming();
        h.process(b);
        benchmark::DoNotOptimize(b.size());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(apache.size()));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ApacheParserStage);

void run_lines(benchmark::State& state, const char* plugin, const std::vector<std::string>& lines_in,
               const std::string& options = "") {
    size_t bytes = 0;
    for (const auto& l : lines_in) bytes += l.size();
    weir::runtime::testing::StageHarness h(std::string(WEIR_PLUGIN_DIR "/") + plugin, options);
    weir::event::Batch b;
    for (auto _ : state) {
        state.PauseTiming();
        b.clear();
        for (const auto& l : lines_in) b.add(l, 1'763'990'400'000'000'000LL);
        state.ResumeTiming();
        h.process(b);
        benchmark::DoNotOptimize(b.size());
    }
    size_t errors = 0;  // a benchmark of lines the parser refuses measures nothing
    for (size_t i = 0; i < b.size(); ++i) errors += (b.event(i).flags & WEIR_EVENT_PARSE_ERROR) ? 1 : 0;
    state.counters["parse_errors"] = static_cast<double>(errors);
    if (std::string_view(plugin) == "auto.so") {  // lines no parser took
        size_t raw = 0;
        for (size_t i = 0; i < b.size(); ++i)
            raw += std::string_view(b.to_json(i)).find(R"("_parser":"raw")") != std::string_view::npos;
        state.counters["raw"] = static_cast<double>(raw);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines_in.size()));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

std::vector<std::string> make_logfmt_lines(size_t n) {
    std::mt19937 rnd(3);
    std::vector<std::string> lf;
    const char* levels[] = {"info", "debug", "warn", "error"};
    for (size_t i = 0; i < n; ++i) {
        char buf[256];
        std::snprintf(
            buf, sizeof buf,
            "time=2025-11-24T13:20:%02zu.%03zuZ level=%s msg=\"request completed\" service=checkout "
            "user_id=u-%06u client_ip=10.%u.%u.%u latency_ms=%u.%03u status=200",
            i % 60, i % 1000, levels[rnd() % 4], static_cast<unsigned>(rnd() % 1000000),
            static_cast<unsigned>(rnd() % 256), static_cast<unsigned>(rnd() % 256),
            static_cast<unsigned>(rnd() % 256), static_cast<unsigned>(rnd() % 2000),
            static_cast<unsigned>(rnd() % 1000));
        lf.emplace_back(buf);
    }
    return lf;
}

void BM_LogfmtParserStage(benchmark::State& state) { run_lines(state, "logfmt.so", make_logfmt_lines(2048)); }
BENCHMARK(BM_LogfmtParserStage);

std::vector<std::string> make_syslog5424_lines(size_t n) {
    std::mt19937 rnd(5);
    std::vector<std::string> ls;
    for (size_t i = 0; i < n; ++i) {
        char buf[256];
        std::snprintf(
            buf, sizeof buf,
            "<%u>1 2025-11-24T13:20:%02zu.%03zuZ web-%02u.example.com nginx %u - "
            "[meta@32473 region=\"eu-west\" req=\"%08x\"] upstream response time %u.%03u s for GET /api",
            static_cast<unsigned>(rnd() % 192), i % 60, i % 1000, static_cast<unsigned>(rnd() % 40),
            static_cast<unsigned>(rnd() % 30000), static_cast<unsigned>(rnd()),
            static_cast<unsigned>(rnd() % 5), static_cast<unsigned>(rnd() % 1000));
        ls.emplace_back(buf);
    }
    return ls;
}

void BM_Syslog5424Stage(benchmark::State& state) {
    run_lines(state, "syslog.so", make_syslog5424_lines(2048));
}
BENCHMARK(BM_Syslog5424Stage);

std::vector<std::string> make_syslog3164_lines(size_t n) {
    std::mt19937 rnd(6);
    std::vector<std::string> ls;
    const char* apps[] = {"sshd", "cron", "kernel", "systemd", "postfix/smtpd"};
    for (size_t i = 0; i < n; ++i) {
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      "<%u>Nov %2zu %02zu:%02zu:%02zu host-%02u %s[%u]: Accepted publickey for deploy from "
                      "10.%u.%u.%u port %u ssh2",
                      static_cast<unsigned>(rnd() % 192), i % 28 + 1, i % 24, i % 60, i % 60,
                      static_cast<unsigned>(rnd() % 40), apps[rnd() % 5],
                      static_cast<unsigned>(rnd() % 30000), static_cast<unsigned>(rnd() % 256),
                      static_cast<unsigned>(rnd() % 256), static_cast<unsigned>(rnd() % 256),
                      static_cast<unsigned>(rnd() % 60000));
        ls.emplace_back(buf);
    }
    return ls;
}

void BM_Syslog3164Stage(benchmark::State& state) {
    run_lines(state, "syslog.so", make_syslog3164_lines(2048));
}
BENCHMARK(BM_Syslog3164Stage);

// The Apache combined format as an RE2 pattern with named captures, typed
// status and bytes and the time parsed with a layout: what a user writes for
// a regex parser.
void BM_RegexCombinedStage(benchmark::State& state) {
    static const auto apache = make_apache_lines(2048);
    run_lines(
        state, "regex.so", apache,
        R"x({patterns: ['^(?P<client_ip>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>[^ "]*)(?: (?P<protocol>[^"]*))?" (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referrer>[^"]*)" "(?P<user_agent>[^"]*)"'], )x"
        R"x(types: [status:int, bytes:int], time_key: time, time_format: '%d/%b/%Y:%H:%M:%S %z'})x");
}
BENCHMARK(BM_RegexCombinedStage);

std::vector<std::string> make_applog_lines(size_t n) {
    std::mt19937 rnd(8);
    const char* levels[] = {"INFO ", "DEBUG", "WARN ", "ERROR"};
    const char* loggers[] = {"com.example.checkout.OrderService", "org.hibernate.SQL",
                             "c.e.web.ApiController"};
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) {
        char buf[256];
        std::snprintf(
            buf, sizeof buf,
            "2025-11-24 13:20:%02zu,%03zu %s [http-nio-8080-exec-%u] %s - order %08x processed in %u ms",
            i % 60, i % 1000, levels[rnd() % 4], static_cast<unsigned>(rnd() % 200), loggers[rnd() % 3],
            static_cast<unsigned>(rnd()), static_cast<unsigned>(rnd() % 2000));
        out.emplace_back(buf);
    }
    return out;
}

void BM_ApplogStage(benchmark::State& state) { run_lines(state, "applog.so", make_applog_lines(2048)); }
BENCHMARK(BM_ApplogStage);

// The same lines read as Berlin wall time: the cost of a named zone's lookups.
void BM_ApplogBerlinStage(benchmark::State& state) {
    run_lines(state, "applog.so", make_applog_lines(2048), "{timezone: Europe/Berlin}");
}
BENCHMARK(BM_ApplogBerlinStage);

// A file where every format auto knows takes turns, plus raw text (a stack
// trace): the detector's cost on top of each parser's.
void BM_AutoMixedStage(benchmark::State& state) {
    const std::vector<std::string> kinds[] = {lines(),
                                              make_apache_lines(2048),
                                              make_syslog5424_lines(2048),
                                              make_syslog3164_lines(2048),
                                              make_logfmt_lines(2048),
                                              make_applog_lines(2048)};
    std::vector<std::string> mixed;
    for (size_t i = 0; i < 2048; ++i) {
        if (i % 7 == 6) {
            mixed.push_back(
                "\tat com.example.checkout.OrderService.place(OrderService.java:" + std::to_string(i) + ")");
            continue;
        }
        mixed.push_back(kinds[i % 7 % 6][i]);
    }
    run_lines(state, "auto.so", mixed);
}
BENCHMARK(BM_AutoMixedStage);

// Java application log where one event in ten carries a 10-line stack trace:
// lines/s and MB/s of input lines, the held last event released each round.
void BM_MultilineJavaStage(benchmark::State& state) {
    std::vector<std::string> ls;
    const auto log = make_applog_lines(2048);
    for (size_t i = 0; ls.size() < 4096; ++i) {
        ls.push_back(log[i % log.size()]);
        if (i % 10 != 9) continue;
        ls.push_back("java.lang.IllegalStateException: connection pool exhausted after 30000 ms");
        for (int f = 0; f < 8; ++f)
            ls.push_back("\tat com.example.checkout.OrderService.place" + std::to_string(f) +
                         "(OrderService.java:" + std::to_string(100 + f) + ")");
        ls.push_back("\t... 42 more");
    }
    size_t bytes = 0;
    for (const auto& l : ls) bytes += l.size();
    weir::runtime::testing::StageHarness h(WEIR_PLUGIN_DIR "/multiline.so", "{preset: java}");
    weir::event::Batch b;
    size_t events = 0;
    for (auto _ : state) {
        state.PauseTiming();
        b.clear();
        b.stream = "bench";
        for (const auto& l : ls) b.add(l, 1);
        state.ResumeTiming();
        h.process(b);
        events += b.size();
    }
    state.counters["events_per_round"] =
        static_cast<double>(events) / static_cast<double>(state.iterations());
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ls.size()));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_MultilineJavaStage);

// Filters on parsed events (~190-byte JSON lines parsed by json.so, then
// the filter alone is timed): a three-clause condition.
void run_filter(benchmark::State& state, const char* plugin, const char* options) {
    weir::runtime::testing::StageHarness parser(WEIR_PLUGIN_DIR "/json.so", "");
    weir::runtime::testing::StageHarness filter(std::string(WEIR_PLUGIN_DIR) + "/" + plugin, options);
    weir::event::Batch b;
    size_t events = 0;
    for (auto _ : state) {
        state.PauseTiming();
        b.clear();
        fill(b);
        parser.process(b);
        events += b.size();
        state.ResumeTiming();
        filter.process(b);
        benchmark::DoNotOptimize(b.size());
    }
    state.SetItemsProcessed(static_cast<int64_t>(events));
}
void BM_DropFilterStage(benchmark::State& state) {
    run_filter(state, "drop.so", "{condition: 'level:debug AND service:search AND latency_ms<1000'}");
}
BENCHMARK(BM_DropFilterStage);
void BM_KeepFilterStage(benchmark::State& state) {
    run_filter(state, "keep.so", "{condition: 'level:(warn OR error) OR latency_ms>=1500 OR \"id=0\"'}");
}
BENCHMARK(BM_KeepFilterStage);
// The same selection in the query language's SQL-like forms (IN, LIKE, >=).
void BM_KeepQueryLanguageStage(benchmark::State& state) {
    run_filter(
        state, "keep.so",
        "{condition: 'level IN (\"warn\", \"error\") OR message LIKE \"%id=0%\" OR latency_ms >= 1500'}");
}
BENCHMARK(BM_KeepQueryLanguageStage);

// Condition::matches alone, per form of the query language, on the same
// parsed events (no host call, no compaction).
void run_condition(benchmark::State& state, const char* text) {
    weir::runtime::testing::StageHarness parser(WEIR_PLUGIN_DIR "/json.so", "");
    weir::event::Batch b;
    fill(b);
    parser.process(b);
    const auto c = weir::condition::Condition::compile(text);
    size_t hits = 0;
    for (auto _ : state)
        for (size_t i = 0; i < b.size(); ++i) hits += c.matches(b, i);
    benchmark::DoNotOptimize(hits);
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(b.size()));
}
BENCHMARK_CAPTURE(run_condition, drop_bench, "level:debug AND service:search AND latency_ms<1000");
BENCHMARK_CAPTURE(run_condition, keep_bench, "level:(warn OR error) OR latency_ms>=1500 OR \"id=0\"");
BENCHMARK_CAPTURE(run_condition, word, "completed");
BENCHMARK_CAPTURE(run_condition, prefix, "comp*");
BENCHMARK_CAPTURE(run_condition, infix, "*plete*");
BENCHMARK_CAPTURE(run_condition, in_list, "level IN (\"warn\", \"error\", \"fatal\")");
BENCHMARK_CAPTURE(run_condition, like_infix, "message LIKE \"%id=0%\"");
BENCHMARK_CAPTURE(run_condition, like_general, "user_id LIKE \"u-_0%1%\"");
BENCHMARK_CAPTURE(run_condition, time_absolute, "timestamp >= \"2025-11-24 13:20\" AND _time <= 2025-11-24");
BENCHMARK_CAPTURE(run_condition, time_relative, "timestamp > now-1h");
BENCHMARK_CAPTURE(run_condition, not_exists, "level != debug AND trace_id NOT EXISTS");
void BM_SampleFilterStage(benchmark::State& state) { run_filter(state, "sample.so", "{rate: 10}"); }
BENCHMARK(BM_SampleFilterStage);
void BM_SampleByKeyStage(benchmark::State& state) {
    run_filter(state, "sample.so", "{rate: 10, key: user_id}");
}
BENCHMARK(BM_SampleByKeyStage);
void BM_ThrottleFilterStage(benchmark::State& state) {
    run_filter(state, "throttle.so", "{limit: 1000, window: 1s, key: service}");
}
BENCHMARK(BM_ThrottleFilterStage);
void BM_ThrottleTemplateStage(benchmark::State& state) {
    run_filter(state, "throttle.so", "{limit: 1000, window: 1s, key: message, key_template: true}");
}
BENCHMARK(BM_ThrottleTemplateStage);
void BM_RedactStage(benchmark::State& state) {
    run_filter(
        state, "redact.so",
        "{detectors: [credit_card, email, key_value, bearer, aws_key, ipv4, ipv6], fields: [user_id]}");
}
BENCHMARK(BM_RedactStage);
// The same detectors on whole ~190-byte lines (the body is the raw line).
void BM_RedactRawLineStage(benchmark::State& state) {
    weir::runtime::testing::StageHarness filter(
        std::string(WEIR_PLUGIN_DIR) + "/redact.so",
        "{detectors: [credit_card, email, key_value, bearer, aws_key, ipv4, ipv6]}");
    weir::event::Batch b;
    for (auto _ : state) {
        state.PauseTiming();
        b.clear();
        fill(b);
        state.ResumeTiming();
        filter.process(b);
        benchmark::DoNotOptimize(b.size());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines().size()));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(total_bytes()));
}
BENCHMARK(BM_RedactRawLineStage);
// GeoIP on the events' client_ip (10.x addresses are private: rewritten to
// public test addresses first). Warm: 4 distinct addresses; cold: no cache.
void run_geoip(benchmark::State& state, const char* cache) {
    const std::string data = WEIR_SOURCE_DIR "/plugins/filters/geoip/tests/data/";
    weir::runtime::testing::StageHarness parser(WEIR_PLUGIN_DIR "/json.so", "");
    weir::runtime::testing::StageHarness filter(std::string(WEIR_PLUGIN_DIR) + "/geoip.so",
                                                "{city_database: \"" + data +
                                                    "GeoIP2-City-Test.mmdb\", asn_database: \"" + data +
                                                    "GeoLite2-ASN-Test.mmdb\", cache_size: " + cache + "}");
    static const char* ips[] = {"81.2.69.142", "89.160.20.112", "216.160.83.56", "2001:480:10::1"};
    weir::event::Batch b;
    size_t events = 0;
    for (auto _ : state) {
        state.PauseTiming();
        b.clear();
        fill(b);
        parser.process(b);
        for (size_t i = 0; i < b.size(); ++i) {
            weir_value v{};
            v.type = WEIR_VAL_STRING;
            v.as.s = weir_str{ips[i % 4], std::strlen(ips[i % 4])};
            b.put(b.event(i).root, "client_ip", v, 0);
        }
        events += b.size();
        state.ResumeTiming();
        filter.process(b);
        benchmark::DoNotOptimize(b.size());
    }
    state.SetItemsProcessed(static_cast<int64_t>(events));
}
void BM_GeoipWarmStage(benchmark::State& state) { run_geoip(state, "4096"); }
BENCHMARK(BM_GeoipWarmStage);
void BM_GeoipUncachedStage(benchmark::State& state) { run_geoip(state, "0"); }
BENCHMARK(BM_GeoipUncachedStage);

void BM_BatchFill(benchmark::State& state) {
    weir::event::Batch b;
    for (auto _ : state) {
        b.clear();
        fill(b);
        benchmark::DoNotOptimize(b.size());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines().size()));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(total_bytes()));
}
BENCHMARK(BM_BatchFill);

void BM_RenderJson(benchmark::State& state) {
    weir::runtime::testing::StageHarness h(WEIR_PLUGIN_DIR "/json.so", "");
    weir::event::Batch b;
    fill(b);
    h.process(b);
    for (auto _ : state) {
        size_t n = 0;
        for (size_t i = 0; i < b.size(); ++i) n += b.to_json(i).size();
        benchmark::DoNotOptimize(n);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(b.size()));
}
BENCHMARK(BM_RenderJson);

void BM_RenderApacheJson(benchmark::State& state) {
    static const auto apache = make_apache_lines(2048);
    weir::runtime::testing::StageHarness h(WEIR_PLUGIN_DIR "/apache.so", "");
    weir::event::Batch b;
    for (const auto& l : apache) b.add(l, 0);
    h.process(b);
    for (auto _ : state) {
        size_t n = 0;
        for (size_t i = 0; i < b.size(); ++i) n += b.to_json(i).size();
        benchmark::DoNotOptimize(n);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(b.size()));
}
BENCHMARK(BM_RenderApacheJson);

// The file output on one core: a parsed batch of 2,048 events rendered and
// written with one write(2) into a file under /tmp (rotated at 256 MiB, one
// old file kept, so the disk use stays bounded).
void run_file_output(benchmark::State& state, weir::event::Batch& b, const std::string& options) {
    const std::string dir = "/tmp/weir-stage-bench-file-" + std::to_string(::getpid());
    {
        weir::runtime::testing::StageHarness h(
            WEIR_PLUGIN_DIR "/file_output.so",
            "{path: \"" + dir + "/out.log\", rotate_size: 256MiB, max_files: 1" + options + "}");
        for (auto _ : state) {
            if (h.write(b) != WEIR_OK) state.SkipWithError("write failed");
        }
        state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(b.size()));
    }
    std::system(("rm -rf " + dir).c_str());
}

void BM_FileOutputJson(benchmark::State& state) {
    weir::runtime::testing::StageHarness parser(WEIR_PLUGIN_DIR "/json.so", "");
    weir::event::Batch b;
    fill(b);
    parser.process(b);
    run_file_output(state, b, "");
}
BENCHMARK(BM_FileOutputJson);

void BM_FileOutputApacheJson(benchmark::State& state) {
    static const auto apache = make_apache_lines(2048);
    weir::runtime::testing::StageHarness parser(WEIR_PLUGIN_DIR "/apache.so", "");
    weir::event::Batch b;
    for (const auto& l : apache) b.add(l, 0);
    parser.process(b);
    run_file_output(state, b, "");
}
BENCHMARK(BM_FileOutputApacheJson);

void BM_FileOutputApacheText(benchmark::State& state) {
    static const auto apache = make_apache_lines(2048);
    weir::runtime::testing::StageHarness parser(WEIR_PLUGIN_DIR "/apache.so", "");
    weir::event::Batch b;
    for (const auto& l : apache) b.add(l, 0);
    parser.process(b);
    run_file_output(
        state, b, ", format: text, template: \"{@timestamp} {client_ip} {method} {path} {status} {bytes}\"");
}
BENCHMARK(BM_FileOutputApacheText);

void BM_EncodeDecode(benchmark::State& state) {
    weir::runtime::testing::StageHarness h(WEIR_PLUGIN_DIR "/json.so", "");
    weir::event::Batch b;
    fill(b);
    h.process(b);
    std::string bytes;
    weir::event::Batch d;
    for (auto _ : state) {
        bytes.clear();
        weir::event::encode_batch(b, bytes);
        d.clear();
        weir::event::decode_batch(bytes, d);
        benchmark::DoNotOptimize(d.size());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(b.size()));
    state.counters["encoded_bytes_per_event"] =
        static_cast<double>(bytes.size()) / static_cast<double>(b.size());
}
BENCHMARK(BM_EncodeDecode);

}  // namespace

BENCHMARK_MAIN();
