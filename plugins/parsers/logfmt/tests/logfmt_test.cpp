#include <gtest/gtest.h>

#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {
std::string parse(const std::string& options, const std::string& line, uint32_t* flags = nullptr) {
    StageHarness h(WEIR_TEST_PLUGIN, options);
    Batch b;
    b.add(line, 0);
    h.process(b);
    if (flags) *flags = b.event(0).flags;
    return std::string(b.to_json(0));
}
}  // namespace

TEST(LogfmtParser, TypedPairsMessageAndTime) {
    const std::string json = parse(
        "",
        R"(time=2026-01-19T10:30:00.5Z level=info msg="user logged in" user=alice count=3 ratio=0.25 ok=true )"
        R"(id="42" cached)");
    EXPECT_EQ(json,
              R"({"@timestamp":"2026-01-19T10:30:00.500000000Z","message":"user logged in","level":"info",)"
              R"("user":"alice","count":3,"ratio":0.25,"ok":true,"id":"42","cached":true})");
}

TEST(LogfmtParser, EscapesAndEmptyValues) {
    const std::string json = parse("", R"(path="C:\\temp\\x" quote="say \"hi\"" nl="a\nb" empty= e2="")");
    EXPECT_NE(json.find(R"("path":"C:\\temp\\x")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("quote":"say \"hi\"")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("nl":"a\nb")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("empty":"")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("e2":"")"), std::string::npos) << json;
}

TEST(LogfmtParser, WithoutTypeInferenceEverythingIsAString) {
    EXPECT_NE(parse("{infer_types: false}", "count=3 ok=true").find(R"("count":"3","ok":"true")"),
              std::string::npos);
}

TEST(LogfmtParser, GoAndHerokuStyles) {
    // go-kit / logrus
    EXPECT_NE(
        parse("{time_key: ts}",
              R"(ts=1768818600 caller=main.go:42 level=warn msg="disk almost full" pct=91.5)")
            .find(
                R"("@timestamp":"2026-01-19T10:30:00.000000000Z","message":"disk almost full","caller":"main.go:42")"),
        std::string::npos);
}

TEST(LogfmtParser, NotLogfmtIsAParseErrorWithRawKept) {
    const std::string lines[] = {
        R"(msg="never closed)", "=value", R"(a="x"b=1)", "", "   ", R"(k"ey=1)", R"(a=b"c)"};
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    for (const auto& l : lines) b.add(l, 0);
    h.process(b);
    for (size_t i = 0; i < b.size(); ++i) {
        EXPECT_TRUE(b.event(i).flags & WEIR_EVENT_PARSE_ERROR) << lines[i];
        EXPECT_EQ(b.body(i), lines[i]);
        int fields = 0;
        for (weir_entry e = b.first(b.event(i).root); e; e = b.next(e)) ++fields;
        EXPECT_EQ(fields, 1) << "only _parse_error: " << lines[i];
    }
    EXPECT_EQ(h.metrics().errors.get("parse_error"), std::size(lines));
}

TEST(LogfmtParser, BareWordsAreFlags) {
    uint32_t flags = 0;
    const std::string json = parse("", "just some words", &flags);
    EXPECT_EQ(flags & WEIR_EVENT_PARSE_ERROR, 0u);
    EXPECT_NE(json.find(R"("just":true,"some":true,"words":true)"), std::string::npos) << json;
}

TEST(LogfmtParser, NonAsciiKeysAndValues) {
    uint32_t flags = 0;
    const std::string json = parse("", "名前=山田 greeting=\"こんにちは 世界\" größe=3", &flags);
    EXPECT_FALSE(flags & WEIR_EVENT_PARSE_ERROR) << json;
    EXPECT_NE(json.find(R"("名前":"山田","greeting":"こんにちは 世界","größe":3)"), std::string::npos)
        << json;
}

TEST(LogfmtParser, IntegersBeyondInt64StayExact) {
    const std::string json =
        parse("", "SerialNum=100018002000001906146520 neg=-99999999999999999999 max=9223372036854775807");
    EXPECT_NE(json.find(R"("SerialNum":"100018002000001906146520","neg":"-99999999999999999999",)"
                        R"("max":9223372036854775807)"),
              std::string::npos)
        << json;
}

TEST(LogfmtParser, UnknownEscapesAreKept) {
    const std::string json = parse("", R"(re="\d+\.\d+" path="C:\Users\x" q="a\"b")");
    EXPECT_NE(json.find(R"("re":"\\d+\\.\\d+","path":"C:\\Users\\x","q":"a\"b")"), std::string::npos) << json;
}
