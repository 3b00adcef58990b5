#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

/// Runs `fn` with fd 1 pointing at a temp file; returns what was written.
template <class F>
std::string capture_stdout(F&& fn) {
    std::fflush(stdout);
    char tmpl[] = "/tmp/weir-stdout-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    const int saved = ::dup(1);
    ::dup2(fd, 1);
    fn();
    ::dup2(saved, 1);
    ::close(saved);
    ::close(fd);
    std::ifstream in(tmpl);
    std::stringstream ss;
    ss << in.rdbuf();
    std::remove(tmpl);
    return ss.str();
}

}  // namespace

TEST(StdoutOutput, JsonLines) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    b.add("hello \"world\"", 0);
    b.add(std::string("bin\0\xff", 5), 1'000'000'000);
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = 7;
    b.put(b.event(1).root, "n", v, 0);
    int32_t rc = -1;
    const std::string out = capture_stdout([&] { rc = h.write(b); });
    EXPECT_EQ(rc, WEIR_OK);
    EXPECT_EQ(out,
              "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"message\":\"hello \\\"world\\\"\"}\n"
              "{\"@timestamp\":\"1970-01-01T00:00:01.000000000Z\",\"message\":\"bin\\u0000\xEF\xBF\xBD\","
              "\"n\":7}\n");
    EXPECT_EQ(h.metrics().events_out.load(), 2u);
}

TEST(StdoutOutput, BodyFormatAndEmptyBatch) {
    StageHarness h(WEIR_TEST_PLUGIN, "{format: body}");
    Batch b;
    b.add("raw line", 0);
    EXPECT_EQ(capture_stdout([&] { h.write(b); }), "raw line\n");
    Batch empty;
    EXPECT_EQ(capture_stdout([&] { EXPECT_EQ(h.write(empty), WEIR_OK); }), "");
}

TEST(StdoutOutput, ClosedPipeIsAnErrorToRetry) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    b.add("x", 0);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[0]);  // nobody reads
    const int saved = ::dup(1);
    ::dup2(fds[1], 1);
    ::signal(SIGPIPE, SIG_IGN);
    const int32_t rc = h.write(b);
    ::dup2(saved, 1);
    ::close(saved);
    ::close(fds[1]);
    EXPECT_EQ(rc, WEIR_RETRY);
}

TEST(StdoutOutput, UnknownFormatIsRefused) {
    try {
        StageHarness h(WEIR_TEST_PLUGIN, "{format: yaml}");
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "option 'format' of output 'stdout' expects json or body, found 'yaml'"),
                  std::string::npos)
            << e.what();
    }
}
