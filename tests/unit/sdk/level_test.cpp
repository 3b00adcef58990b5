#include <gtest/gtest.h>

#include <weir/level.hpp>

using weir::level::Level;
using weir::level::normalize;

TEST(Level, Words) {
    EXPECT_EQ(normalize("warning"), Level::Warn);
    EXPECT_EQ(normalize("WARN"), Level::Warn);
    EXPECT_EQ(normalize("W"), Level::Warn);
    EXPECT_EQ(normalize("err"), Level::Error);
    EXPECT_EQ(normalize("Error"), Level::Error);
    EXPECT_EQ(normalize("crit"), Level::Fatal);
    EXPECT_EQ(normalize("emerg"), Level::Fatal);
    EXPECT_EQ(normalize("FATAL"), Level::Fatal);
    EXPECT_EQ(normalize("notice"), Level::Info);
    EXPECT_EQ(normalize("informational"), Level::Info);
    EXPECT_EQ(normalize("verbose"), Level::Debug);
    EXPECT_EQ(normalize("TRACE"), Level::Trace);
    EXPECT_EQ(normalize("[ERROR]"), Level::Error);
    EXPECT_EQ(normalize(" info: "), Level::Info);
}

TEST(Level, Numbers) {
    EXPECT_EQ(normalize("3"), Level::Error);  // syslog severity
    EXPECT_EQ(normalize("0"), Level::Fatal);
    EXPECT_EQ(normalize("7"), Level::Debug);
    EXPECT_EQ(normalize("30"), Level::Info);  // bunyan / pino
    EXPECT_EQ(normalize("50"), Level::Error);
    EXPECT_EQ(weir::level::from_syslog_severity(4), Level::Warn);
}

TEST(Level, UnknownAndNames) {
    EXPECT_EQ(normalize(""), Level::Unknown);
    EXPECT_EQ(normalize("loud"), Level::Unknown);
    EXPECT_EQ(normalize("8"), Level::Unknown);
    EXPECT_EQ(normalize(std::string(100, 'x')), Level::Unknown);
    EXPECT_EQ(weir::level::name(Level::Warn), "WARN");
    EXPECT_EQ(weir::level::name(Level::Unknown), "");
}
