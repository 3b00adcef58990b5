#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "path_template.hpp"
#include "text_template.hpp"

using weir::file_output::PathTemplate;
using weir::file_output::TextTemplate;

namespace {

// 2026-12-01T20:15:07.123456789Z
constexpr int64_t kTime = 1796156107123456789;

/// A field lookup over a flat map of dotted names.
struct Fields {
    std::map<std::string, std::string> values;
    bool operator()(const std::vector<std::string>& path, std::string& out) const {
        std::string key;
        for (const auto& s : path) key += (key.empty() ? "" : ".") + s;
        auto it = values.find(key);
        if (it == values.end()) return false;
        out += it->second;
        return true;
    }
};

std::string path(const std::string& tmpl, const Fields& f, int64_t t = kTime) {
    std::string out;
    PathTemplate(tmpl).render(out, t, f);
    return out;
}

std::string line(const std::string& tmpl, const Fields& f, std::string_view body = "", int64_t t = kTime) {
    std::string out;
    TextTemplate(tmpl).render(out, t, body, f);
    return out;
}

}  // namespace

TEST(PathTemplate, TimeFieldsAreTheEventTimeInUtc) {
    EXPECT_EQ(path("/var/log/%Y-%m-%d/%H%M%S.log", {}), "/var/log/2026-12-01/201507.log");
    EXPECT_EQ(path("/l/%y/%j/%s/100%%", {}), "/l/26/335/1796156107/100%");
    EXPECT_EQ(path("/l/%Y-%m-%d", {}, 0), "/l/1970-01-01");
    EXPECT_EQ(path("/l/%Y-%m-%dT%H", {}, -1), "/l/1969-12-31T23");        // before the epoch rounds down
    EXPECT_EQ(path("/l/%j", {}, 951782400LL * 1'000'000'000), "/l/060");  // 2000-02-29
}

TEST(PathTemplate, GranularityIsTheSmallestUnit) {
    EXPECT_FALSE(PathTemplate("/a/b.log").has_time());
    EXPECT_FALSE(PathTemplate("/a/b.log").has_fields());
    EXPECT_EQ(PathTemplate("/a/%Y/%m/%d.log").granularity_s(), 86400);
    EXPECT_EQ(PathTemplate("/a/%Y-%H.log").granularity_s(), 3600);
    EXPECT_TRUE(PathTemplate("/a/{x}.log").has_fields());
}

TEST(PathTemplate, FieldsAndDottedPaths) {
    Fields f{{{"service", "api"}, {"k8s.namespace", "prod"}}};
    EXPECT_EQ(path("/var/log/{k8s.namespace}/{service}.log", f), "/var/log/prod/api.log");
    EXPECT_EQ(path("/var/log/{{literal}}/{service}.log", f), "/var/log/{literal}/api.log");
}

TEST(PathTemplate, MissingOrEmptyFieldIsAnUnderscore) {
    Fields f{{{"empty", ""}}};
    EXPECT_EQ(path("/l/{service}.log", f), "/l/_.log");
    EXPECT_EQ(path("/l/{empty}.log", f), "/l/_.log");
}

TEST(PathTemplate, ValuesCannotEscapeTheirDirectory) {
    Fields f{
        {{"a", "../../etc/passwd"}, {"b", ".."}, {"c", "."}, {"d", std::string("x\0y\n", 4)}, {"e", "a\\b"}}};
    EXPECT_EQ(path("/l/{a}.log", f), "/l/.._.._etc_passwd.log");
    EXPECT_EQ(path("/l/{b}/x.log", f), "/l/__/x.log");
    EXPECT_EQ(path("/l/{c}/x.log", f), "/l/_/x.log");
    EXPECT_EQ(path("/l/{d}", f), "/l/x_y_");
    EXPECT_EQ(path("/l/{e}", f), "/l/a_b");
    EXPECT_EQ(path("/l/{long}", Fields{{{"long", std::string(1000, 'x')}}}), "/l/" + std::string(255, 'x'));
}

TEST(PathTemplate, BadTemplatesAreRefused) {
    for (const char* bad : {"relative/x.log", "", "/a/%Q.log", "/a/{x.log", "/a/{}.log", "/a/../b.log",
                            "/a/x%", "/a/dir/", "/a/{x..y}"}) {
        EXPECT_THROW(PathTemplate{bad}, std::invalid_argument) << bad;
    }
}

TEST(TextTemplate, FieldsTimestampAndBody) {
    Fields f{{{"level", "info"}, {"http.status", "200"}}};
    EXPECT_EQ(line("{@timestamp} {level} {http.status} {@body}", f, "raw"),
              "2026-12-01T20:15:07.123456789Z info 200 raw\n");
}

TEST(TextTemplate, MessageFallsBackToTheBodyAndMissingIsADash) {
    EXPECT_EQ(line("{level} {message}", {}, "the body"), "- the body\n");
    EXPECT_EQ(line("{message}", Fields{{{"message", "field"}}}, "the body"), "field\n");
    EXPECT_EQ(line("{message}", {}, ""), "-\n");
}

TEST(TextTemplate, NewlinesInValuesStayOnOneLine) {
    EXPECT_EQ(line("{a}|{@body}", Fields{{{"a", "x\ny"}}}, "b\r\nc"), "x\\ny|b\\r\\nc\n");
}

TEST(TextTemplate, LiteralBracesAndBadTemplates) {
    EXPECT_EQ(line("{{x}} }} {a}", Fields{{{"a", "1"}}}), "{x} } 1\n");
    EXPECT_THROW(TextTemplate("{a"), std::invalid_argument);
    EXPECT_THROW(TextTemplate("{}"), std::invalid_argument);
    EXPECT_THROW(TextTemplate("{@time}"), std::invalid_argument);
}

TEST(TextTemplate, TimestampBeforeTheEpoch) {
    EXPECT_EQ(line("{@timestamp}", {}, "", -1), "1969-12-31T23:59:59.999999999Z\n");
}
