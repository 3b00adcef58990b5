#include <gtest/gtest.h>

#include <line_splitter.hpp>
#include <string>
#include <vector>

#include "syslog_framer.hpp"

using weir::net::SyslogFramer;

namespace {

struct Msg {
    std::string text;
    bool truncated;
    bool operator==(const Msg&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Msg& m) {
    return os << "{" << m.text << "," << m.truncated << "}";
}

/// Feeds `data` in pieces of `step` bytes (0: at once), then finishes.
std::vector<Msg> frame(const std::string& data, size_t max, size_t step = 0, bool finish = true) {
    SyslogFramer f(max);
    std::vector<Msg> out;
    auto cb = [&](std::string_view t, bool cut) { out.push_back({std::string(t), cut}); };
    if (step == 0) step = data.size() ? data.size() : 1;
    for (size_t i = 0; i < data.size(); i += step) f.feed(std::string_view(data).substr(i, step), cb);
    if (finish) f.finish(cb);
    return out;
}

const std::string k5424 = "<34>1 2026-11-29T10:00:00Z host app 1 ID47 - hello";

}  // namespace

TEST(SyslogFramer, OctetCounted) {
    const std::string data = std::to_string(k5424.size()) + " " + k5424 + "5 <1>ab";
    EXPECT_EQ(frame(data, 1024), (std::vector<Msg>{{k5424, false}, {"<1>ab", false}}));
}

TEST(SyslogFramer, NewlineFramed) {
    EXPECT_EQ(frame("<13>one\n<13>two\r\n\n<13>three", 1024),
              (std::vector<Msg>{{"<13>one", false}, {"<13>two", false}, {"<13>three", false}}));
}

TEST(SyslogFramer, MixedFramingOnOneConnection) {
    const std::string data = "<13>line\n" + std::to_string(k5424.size()) + " " + k5424 + "\n<13>again\n";
    EXPECT_EQ(frame(data, 1024),
              (std::vector<Msg>{{"<13>line", false}, {k5424, false}, {"<13>again", false}}));
}

TEST(SyslogFramer, EverySplitPointGivesTheSameMessages) {
    // An octet-counted frame containing a newline, then a newline-framed one.
    const std::string body = "<13>multi\nline";
    const std::string data = std::to_string(body.size()) + " " + body + "<14>next\n" + "9 <15>ninex";
    const auto whole = frame(data, 1024);
    ASSERT_EQ(whole, (std::vector<Msg>{{body, false}, {"<14>next", false}, {"<15>ninex", false}}));
    for (size_t step = 1; step < data.size(); ++step)
        EXPECT_EQ(frame(data, 1024, step), whole) << "step " << step;
}

TEST(SyslogFramer, OversizedFrameIsCutAndTheNextOneIsIntact) {
    const std::string big(100, 'x');
    const std::string data = "100 " + big + "4 <1>z";
    for (size_t step : {size_t{0}, size_t{1}, size_t{7}}) {
        EXPECT_EQ(frame(data, 10, step), (std::vector<Msg>{{std::string(10, 'x'), true}, {"<1>z", false}}))
            << "step " << step;
    }
}

TEST(SyslogFramer, OversizedLineIsCutAndItsRestSkipped) {
    const std::string data = "<1>" + std::string(50, 'y') + "\n<2>ok\n";
    for (size_t step : {size_t{0}, size_t{1}, size_t{5}}) {
        const auto got = frame(data, 20, step);
        ASSERT_EQ(got.size(), 2u) << "step " << step;
        EXPECT_TRUE(got[0].truncated);
        EXPECT_EQ(got[0].text.size(), 20u);
        EXPECT_EQ(got[1], (Msg{"<2>ok", false}));
    }
}

TEST(SyslogFramer, DigitsWithoutASpaceStartALine) {
    EXPECT_EQ(frame("2026-11-29 plain text\n12345\n", 1024),
              (std::vector<Msg>{{"2026-11-29 plain text", false}, {"12345", false}}));
}

TEST(SyslogFramer, FinishHandsOnAnUnfinishedMessage) {
    EXPECT_EQ(frame("<13>no newline", 1024), (std::vector<Msg>{{"<13>no newline", false}}));
    EXPECT_EQ(frame("20 <13>short", 1024), (std::vector<Msg>{{"<13>short", true}}));
    EXPECT_TRUE(frame("<13>held", 1024, 0, false).empty());
}

TEST(LineSplitter, NulDelimiter) {
    weir::inputs::LineSplitter s(100, '\0');
    std::vector<std::string> out;
    const std::string data("a\r\0b\0c", 6);
    s.feed(data, [&](std::string_view t, bool, size_t) { out.emplace_back(t); });
    s.finish([&](std::string_view t, bool, size_t) { out.emplace_back(t); });
    EXPECT_EQ(out, (std::vector<std::string>{"a\r", "b", "c"}));
}

TEST(LineSplitter, ACrlfLineAtTheLimitIsWholeWhereverTheReadsCut) {
    // "abc\r\n" with a limit of 3: the line is "abc", not cut, however it arrives.
    for (size_t step = 1; step <= 5; ++step) {
        weir::inputs::LineSplitter s(3);
        std::vector<std::pair<std::string, bool>> out;
        const std::string data = "abc\r\nabcd\n";
        for (size_t i = 0; i < data.size(); i += step)
            s.feed(std::string_view(data).substr(i, step),
                   [&](std::string_view t, bool cut, size_t) { out.emplace_back(std::string(t), cut); });
        EXPECT_EQ(out, (std::vector<std::pair<std::string, bool>>{{"abc", false}, {"abc", true}}))
            << "step " << step;
    }
}
