#include <gtest/gtest.h>
#include <unistd.h>

#include <weir/runtime/testing.hpp>

using weir::runtime::testing::StageHarness;

namespace {

/// Puts the read end of a pipe on fd 0 for the test's lifetime.
class StdinPipe {
public:
    StdinPipe() {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        saved_ = ::dup(0);
        ::dup2(fds[0], 0);
        ::close(fds[0]);
        write_ = fds[1];
    }
    ~StdinPipe() {
        close_writer();
        ::dup2(saved_, 0);
        ::close(saved_);
    }
    void write(const std::string& s) {
        ASSERT_EQ(::write(write_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
    }
    void close_writer() {
        if (write_ >= 0) ::close(write_);
        write_ = -1;
    }

private:
    int saved_ = -1;
    int write_ = -1;
};

}  // namespace

TEST(StdinInput, LinesFlowAsTheyArrive) {
    StdinPipe in;
    StageHarness h(WEIR_TEST_PLUGIN, "");
    h.start();
    in.write("first\r\nsecond\n");
    ASSERT_EQ(h.wait_for_events(2), 2u);  // no waiting for a batch to fill
    in.write("third\nlast without newline");
    in.close_writer();  // end of input: the last line still counts
    ASSERT_EQ(h.wait_for_events(4), 4u);
    h.stop();
    EXPECT_EQ(h.bodies(), (std::vector<std::string>{"first", "second", "third", "last without newline"}));
}

TEST(StdinInput, LongLinesAreCutAndNulBytesKept) {
    StdinPipe in;
    StageHarness h(WEIR_TEST_PLUGIN, "{max_line_size: 10}");
    h.start();
    in.write(std::string(25, 'a') + "\n" + std::string("n\0l\xff", 4) + "\n");
    in.close_writer();
    ASSERT_EQ(h.wait_for_events(2), 2u);
    h.stop();
    EXPECT_EQ(h.bodies()[0], std::string(10, 'a'));
    EXPECT_EQ(h.bodies()[1], std::string("n\0l\xff", 4));
    EXPECT_EQ(h.metrics().errors.get("truncated"), 1u);
}

TEST(StdinInput, StopsPromptlyWhileIdle) {
    StdinPipe in;
    StageHarness h(WEIR_TEST_PLUGIN, "");
    h.start();
    const auto t0 = std::chrono::steady_clock::now();
    h.stop();  // must not hang on a pipe that never delivers
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(StdinInput, BadOptions) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{max_line_size: 0}"), std::exception);
}
