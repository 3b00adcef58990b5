#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

#include "regex_spec.hpp"

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

// The Apache combined format as users write it for regex parsers.
constexpr const char* kCombined =
    R"x({patterns: ['^(?P<client_ip>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>[^ "]*)(?: (?P<protocol>[^"]*))?" (?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referrer>[^"]*)" "(?P<user_agent>[^"]*)")?'], )x"
    R"(types: [status:int, bytes:int], time_key: time, time_format: '%d/%b/%Y:%H:%M:%S %z'})";

std::string parse(const std::string& options, const std::string& line, uint32_t* flags = nullptr) {
    StageHarness h(WEIR_TEST_PLUGIN, options);
    Batch b;
    b.add(line, 0);
    h.process(b);
    if (b.size() == 0) return "dropped";
    if (flags) *flags = b.event(0).flags;
    return std::string(b.to_json(0));
}

std::string config_error(const std::string& options) {
    try {
        StageHarness h(WEIR_TEST_PLUGIN, options);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(RegexParser, ApacheCombinedWithTypesAndTime) {
    const std::string line =
        R"(203.0.113.7 - alice [19/Jan/2026:10:30:00 +0100] "GET /search?q=weir HTTP/1.1" 200 5120 "https://example.com/" "curl/8.4.0")";
    const std::string json = parse(kCombined, line);
    EXPECT_NE(json.find(R"("@timestamp":"2026-01-19T09:30:00.000000000Z")"), std::string::npos) << json;
    EXPECT_NE(
        json.find(R"("client_ip":"203.0.113.7","user":"alice","method":"GET","path":"/search?q=weir",)"
                  R"("protocol":"HTTP/1.1","status":200,"bytes":5120,"referrer":"https://example.com/",)"
                  R"("user_agent":"curl/8.4.0"})"),
        std::string::npos)
        << json;
    EXPECT_EQ(json.find(R"("time")"), std::string::npos) << "time_key is consumed: " << json;
}

TEST(RegexParser, OptionalGroupsThatDidNotTakePartAreAbsentAndUnconvertibleStaysAString) {
    StageHarness h(WEIR_TEST_PLUGIN, kCombined);
    Batch b;
    b.add(R"(10.0.0.1 - - [19/Jan/2026:10:30:00 +0000] "GET /" 304 -)", 0);
    h.process(b);
    const std::string json(b.to_json(0));
    EXPECT_EQ(json.find("protocol"), std::string::npos) << json;
    EXPECT_EQ(json.find("referrer"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("status":304,"bytes":"-")"), std::string::npos) << json;
    EXPECT_EQ(h.metrics().errors.get("bad_type"), 1u);
}

TEST(RegexParser, PatternsAreTriedInOrderAndTheMatchIsRecorded) {
    const std::string opts =
        R"({patterns: ['^(?P<level>[A-Z]+): (?P<message>.*)$', '^(?<message>.*) code=(?<code>\d+)$'], )"
        R"(types: ['code:int'], pattern_field: pattern})";
    EXPECT_EQ(parse(opts, "ERROR: disk full"), R"({"@timestamp":"1970-01-01T00:00:00.000000000Z",)"
                                               R"("message":"disk full","pattern":0,"level":"ERROR"})");
    EXPECT_EQ(
        parse(opts, "request failed code=502"),
        R"({"@timestamp":"1970-01-01T00:00:00.000000000Z","message":"request failed","pattern":1,"code":502})");
}

TEST(RegexParser, UnmatchedLinesAreKeptMarkedOrDropped) {
    uint32_t flags = 0;
    const std::string keep = parse("{patterns: ['^(?P<a>\\d+)$']}", "not a number", &flags);
    EXPECT_TRUE(flags & WEIR_EVENT_PARSE_ERROR);
    EXPECT_NE(keep.find(R"("message":"not a number","_parse_error":"no pattern matched")"), std::string::npos)
        << keep;

    StageHarness h(WEIR_TEST_PLUGIN, "{patterns: ['^(?P<a>\\d+)$'], unmatched: drop}");
    Batch b;
    b.add("12", 0);
    b.add("x", 0);
    b.add("34", 0);
    h.process(b);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b.body(0), "12");
    EXPECT_EQ(b.body(1), "34");
    EXPECT_EQ(h.metrics().dropped.get("unmatched"), 1u);
}

TEST(RegexParser, TypesFloatBoolAndTimeVariants) {
    const std::string opts =
        R"({patterns: ['^(?P<ts>\S+) took=(?P<took>\S+) ok=(?P<ok>\S+)'], types: [took:float, ok:bool], time_key: ts, keep_time_key: true})";
    const std::string json = parse(opts, "2026-01-19T10:30:00.25+02:00 took=1.5e-3 ok=Yes");
    EXPECT_NE(json.find(R"("@timestamp":"2026-01-19T08:30:00.250000000Z")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("ts":"2026-01-19T10:30:00.25+02:00","took":0.0015,"ok":true)"), std::string::npos)
        << json;
    // epoch seconds without a time_format
    EXPECT_NE(parse(opts, "1768818600 took=2 ok=0").find(R"("@timestamp":"2026-01-19T10:30:00.000000000Z")"),
              std::string::npos);
    // a zone-less time in the configured timezone
    const std::string tz =
        R"({patterns: ['^(?P<ts>\S+ \S+) (?P<message>.*)'], time_key: ts, time_format: '%Y-%m-%d %H:%M:%S', timezone: '+05:30'})";
    EXPECT_NE(parse(tz, "2026-01-19 10:30:00 hello").find(R"("@timestamp":"2026-01-19T05:00:00.000000000Z")"),
              std::string::npos);
    // a named zone: the repeated hour of 2026-11-01 in New York reads as its first (EDT) occurrence
    const std::string ny =
        R"({patterns: ['^(?P<ts>\S+ \S+) (?P<message>.*)'], time_key: ts, time_format: '%Y-%m-%d %H:%M:%S', timezone: America/New_York})";
    EXPECT_NE(parse(ny, "2026-11-01 01:30:00 hello").find(R"("@timestamp":"2026-11-01T05:30:00.000000000Z")"),
              std::string::npos);
    EXPECT_NE(parse(ny, "2026-11-01 02:30:00 hello").find(R"("@timestamp":"2026-11-01T07:30:00.000000000Z")"),
              std::string::npos);
}

TEST(RegexParser, ABadTimeIsKeptAsAFieldAndCounted) {
    StageHarness h(WEIR_TEST_PLUGIN, R"({patterns: ['^(?P<ts>\S+) (?P<message>.*)'], time_key: ts})");
    Batch b;
    b.add("yesterday hello", 0);
    h.process(b);
    EXPECT_NE(std::string(b.to_json(0)).find(R"("ts":"yesterday")"), std::string::npos);
    EXPECT_EQ(h.metrics().errors.get("bad_time"), 1u);
}

TEST(RegexParser, ConfigErrorsSayWhatIsWrong) {
    EXPECT_NE(config_error("{patterns: ['(?P<a>[a-']}").find("patterns[0]: missing ]"), std::string::npos)
        << config_error("{patterns: ['(?P<a>[a-']}");
    EXPECT_NE(config_error("{patterns: ['\\d+']}").find("no named capture"), std::string::npos);
    EXPECT_NE(config_error("{patterns: ['(?P<a>x)'], types: [a:number]}").find("unknown type 'number'"),
              std::string::npos);
    EXPECT_NE(config_error("{patterns: ['(?P<a>x)'], types: [b:int]}").find("no pattern captures"),
              std::string::npos);
    EXPECT_NE(config_error("{patterns: ['(?P<a>x)'], time_key: t}").find("time_key 't'"), std::string::npos);
    EXPECT_NE(config_error("{patterns: ['(?P<a>x)'], time_format: '%Q'}").find("%Q"), std::string::npos);
    EXPECT_NE(config_error("{patterns: ['(?P<a>x)'], unmatched: ignore}").find("keep or drop"),
              std::string::npos);
    EXPECT_NE(config_error("{patterns: ['(?<=a)(?P<b>x)']}").find("patterns[0]"), std::string::npos);
    EXPECT_NE(config_error("{}").find("patterns"), std::string::npos);
}

TEST(RegexParser, BinaryAndInvalidUtf8NeverCrash) {
    StageHarness h(WEIR_TEST_PLUGIN, "{patterns: ['^(?P<a>.*)$']}");
    Batch b;
    b.add(std::string("\xff\xfe\x00\x01 abc", 9), 0);
    b.add(std::string(1 << 20, 'x'), 0);
    h.process(b);
    EXPECT_EQ(b.size(), 2u);
}

TEST(RegexSpec, PerlNamedGroupsBecomeRe2Groups) {
    using weir::regex::normalise_named_groups;
    EXPECT_EQ(normalise_named_groups("(?<host>\\S+) (?P<x>y)"), "(?P<host>\\S+) (?P<x>y)");
    EXPECT_EQ(normalise_named_groups("\\(?<a>"), "\\(?<a>");            // escaped paren
    EXPECT_EQ(normalise_named_groups("[(?<a>]"), "[(?<a>]");            // inside a class
    EXPECT_EQ(normalise_named_groups("[]](?<a>x)"), "[]](?P<a>x)");     // ] first in a class
    EXPECT_EQ(normalise_named_groups("(?<=a)(?<!b)"), "(?<=a)(?<!b)");  // lookbehind untouched
}

TEST(RegexSpec, ConvertIsStrict) {
    using weir::regex::convert;
    using weir::regex::Type;
    weir_value v{};
    EXPECT_TRUE(convert(Type::Int, "-42", v));
    EXPECT_EQ(v.as.i, -42);
    EXPECT_TRUE(convert(Type::Int, "+7", v));
    EXPECT_EQ(v.as.i, 7);
    EXPECT_FALSE(convert(Type::Int, "42x", v));
    EXPECT_FALSE(convert(Type::Int, "", v));
    EXPECT_FALSE(convert(Type::Int, "99999999999999999999", v));
    EXPECT_TRUE(convert(Type::Float, "2.5", v));
    EXPECT_EQ(v.as.f, 2.5);
    EXPECT_FALSE(convert(Type::Float, "2.5.1", v));
    EXPECT_TRUE(convert(Type::Bool, "OFF", v));
    EXPECT_EQ(v.as.b, 0);
    EXPECT_FALSE(convert(Type::Bool, "maybe", v));
}
