#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <weir/runtime/testing.hpp>

namespace fs = std::filesystem;
using weir::runtime::testing::StageHarness;

namespace {

class FileInputTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/weir-file-test-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        state_ = dir_ + "/state";
        fs::create_directories(state_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    void append(const std::string& name, const std::string& text) {
        std::ofstream(path(name), std::ios::app) << text;
    }
    std::string options(const std::string& extra = "") const {
        return "{paths: [\"" + dir_ + "/*.log\"], poll_interval: 10ms, refresh_interval: 20ms" + extra + "}";
    }
    std::string dir_, state_;
};

std::vector<std::string> lines(int from, int to, const std::string& prefix = "line ") {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
    return out;
}

std::string text(const std::vector<std::string>& ls) {
    std::string s;
    for (const auto& l : ls) s += l + "\n";
    return s;
}

}  // namespace

TEST_F(FileInputTest, ReadsFromHeadAndFollowsAppends) {
    append("a.log", text(lines(0, 100)));
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(100), 100u);
    append("a.log", text(lines(100, 150)));
    ASSERT_EQ(h.wait_for_events(150), 150u);
    h.stop();
    EXPECT_EQ(h.bodies(), lines(0, 150));
}

TEST_F(FileInputTest, WithoutReadFromHeadOnlyNewLines) {
    append("a.log", text(lines(0, 10)));
    StageHarness h(WEIR_TEST_PLUGIN, options(), state_);
    h.start();
    // Wait until the input follows a.log (its first scan is done): probe lines
    // appended after that scan show up, the ten lines before it never do.
    size_t seen = 0;
    for (int i = 0; i < 200 && seen == 0; ++i) {
        append("a.log", "probe\n");
        seen = h.wait_for_events(1, std::chrono::milliseconds(50));
    }
    ASSERT_GE(seen, 1u);
    const size_t before = h.wait_for_events(1000, std::chrono::milliseconds(100));
    // A file appearing after startup is read whole.
    append("b.log", "new file\n");
    append("a.log", "appended\n");
    ASSERT_EQ(h.wait_for_events(before + 2), before + 2);
    h.stop();
    auto got = h.bodies();
    for (const auto& l : lines(0, 10)) EXPECT_EQ(std::count(got.begin(), got.end(), l), 0) << l;
    EXPECT_EQ(std::count(got.begin(), got.end(), "new file"), 1);
    EXPECT_EQ(std::count(got.begin(), got.end(), "appended"), 1);
}

TEST_F(FileInputTest, PartialLineIsHeldUntilItsNewline) {
    append("a.log", "complete\npart");
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(1), 1u);
    EXPECT_EQ(h.wait_for_events(2, std::chrono::milliseconds(200)), 1u);  // still held
    append("a.log", "ial\n");
    ASSERT_EQ(h.wait_for_events(2), 2u);
    h.stop();
    EXPECT_EQ(h.bodies(), (std::vector<std::string>{"complete", "partial"}));
}

TEST_F(FileInputTest, CheckpointResumesAfterRestart) {
    append("a.log", text(lines(0, 50)));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(50), 50u);
        h.stop();
    }
    append("a.log", text(lines(50, 60)));
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(10), 10u);
    EXPECT_EQ(h.wait_for_events(11, std::chrono::milliseconds(200)), 10u);
    h.stop();
    EXPECT_EQ(h.bodies(), lines(50, 60));
}

TEST_F(FileInputTest, AReusedInodeIsANewFile) {
    // A checkpoint for this device and inode whose first bytes were different:
    // the inode belonged to a deleted file, this one is read from its start.
    append("a.log", text(lines(0, 5)));
    struct stat st {};
    ASSERT_EQ(::stat(path("a.log").c_str(), &st), 0);
    const std::string key = std::to_string(st.st_dev) + " " + std::to_string(st.st_ino);
    std::ofstream(state_ + "/checkpoints") << key << " 14 fp=10:12345 " << path("a.log") << "\n";
    StageHarness h(WEIR_TEST_PLUGIN, options(), state_);  // not read_from_head: only a new file is read whole
    h.start();
    ASSERT_EQ(h.wait_for_events(5), 5u);
    h.stop();
    EXPECT_EQ(h.bodies(), lines(0, 5));
}

TEST_F(FileInputTest, AMatchingFingerprintResumes) {
    append("a.log", text(lines(0, 5)));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(5), 5u);
        h.stop();
    }
    std::string saved;
    std::getline(std::ifstream(state_ + "/checkpoints"), saved);
    EXPECT_NE(saved.find(" fp=35:"), std::string::npos)
        << saved;  // five lines: 35 bytes, all in the fingerprint
    append("a.log", text(lines(5, 8)));
    StageHarness h(WEIR_TEST_PLUGIN, options(), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(3), 3u);
    h.stop();
    EXPECT_EQ(h.bodies(), lines(5, 8));
}

TEST_F(FileInputTest, UnacknowledgedLinesAreReadAgain) {
    append("a.log", text(lines(0, 30)));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.set_auto_ack(false);
        h.start();
        ASSERT_EQ(h.wait_for_events(30), 30u);
        h.stop();  // nothing acknowledged: the checkpoint must not have moved
    }
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(30), 30u);
    h.stop();
    EXPECT_EQ(h.bodies(), lines(0, 30));
}

TEST_F(FileInputTest, TruncatedFileIsReadFromTheStart) {
    append("a.log", text(lines(0, 20)));
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(20), 20u);
    { std::ofstream(path("a.log"), std::ios::trunc) << "after truncation\n"; }
    ASSERT_EQ(h.wait_for_events(21), 21u);
    h.stop();
    EXPECT_EQ(h.bodies().back(), "after truncation");
}

TEST_F(FileInputTest, LongLinesAreCutAndCounted) {
    append("a.log", std::string(5000, 'x') + "\nshort\n");
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true, max_line_size: 1KiB"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(2), 2u);
    h.stop();
    EXPECT_EQ(h.bodies()[0], std::string(1024, 'x'));
    EXPECT_EQ(h.bodies()[1], "short");
    EXPECT_EQ(h.metrics().errors.get("truncated"), 1u);
}

TEST_F(FileInputTest, BinaryAndNulBytesPassThrough) {
    const std::string junk("\x00\x01\xff\xfe binary\x00", 12);
    append("a.log", junk + "\n");
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(1), 1u);
    h.stop();
    EXPECT_EQ(h.bodies()[0], junk);
}

TEST_F(FileInputTest, BadOptionsAreRefused) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{}", state_), std::exception);  // paths is required
    try {
        StageHarness h(WEIR_TEST_PLUGIN, "{paths: [x], read_buffer_size: 10}", state_);
        FAIL();
    } catch (const std::exception& e) {
        // Checked by the host from the option table, at the value's position.
        EXPECT_NE(
            std::string(e.what()).find("<harness>:1:32: option 'read_buffer_size' of input 'file' must be at "
                                       "least 4KiB, found '10'"),
            std::string::npos)
            << e.what();
    }
}

TEST_F(FileInputTest, AFileRenamedWhileStoppedIsReadToItsEnd) {
    append("app.log", text(lines(0, 20)));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(20), 20u);
        h.stop();
    }
    // While stopped: the writer appends, logrotate renames, a new file begins.
    append("app.log", text(lines(20, 30)));
    fs::rename(path("app.log"), path("app.log.1"));
    append("app.log", text(lines(0, 5, "new ")));
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true, rotate_wait: 50ms"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(15), 15u);
    EXPECT_EQ(h.wait_for_events(16, std::chrono::milliseconds(200)), 15u);
    // Read to its end and quiet for rotate_wait: released, so its checkpoint goes.
    auto checkpoints = [&] {
        std::ifstream in(state_ + "/checkpoints");
        size_t n = 0;
        for (std::string l; std::getline(in, l);) n += !l.empty();
        return n;
    };
    for (int i = 0; i < 500 && checkpoints() != 1; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    h.stop();
    auto got = h.bodies();
    std::sort(got.begin(), got.end());
    auto want = lines(20, 30);
    for (const auto& l : lines(0, 5, "new ")) want.push_back(l);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
    EXPECT_EQ(checkpoints(), 1u);
    EXPECT_EQ(h.metrics().errors.get("file_gone"), 0u);
}

TEST_F(FileInputTest, ARotatedFileNotFinishedBeforeTheNextStopIsResumed) {
    append("app.log", text(lines(0, 10)));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(10), 10u);
        h.stop();
    }
    append("app.log", text(lines(10, 20)));
    fs::rename(path("app.log"), path("app.log.1"));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true, rotate_wait: 1h"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(10), 10u);
        h.stop();  // app.log.1 is still followed: it has not been quiet for rotate_wait
    }
    append("app.log.1", text(lines(20, 25)));  // the writer had not reopened yet
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(5), 5u);
    h.stop();
    EXPECT_EQ(h.bodies(), lines(20, 25));
}

TEST_F(FileInputTest, ACopyMadeByCopytruncateWhileStoppedIsReadFromTheCheckpoint) {
    append("app.log", text(lines(0, 20)));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(20), 20u);
        h.stop();
    }
    append("app.log", text(lines(20, 30)));
    fs::copy_file(path("app.log"), path("app.log.1"));
    fs::resize_file(path("app.log"), 0);
    append("app.log", text(lines(0, 5, "new ")));
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true, rotate_wait: 50ms"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(15), 15u);
    EXPECT_EQ(h.wait_for_events(16, std::chrono::milliseconds(200)), 15u);
    h.stop();
    auto got = h.bodies();
    std::sort(got.begin(), got.end());
    auto want = lines(20, 30);
    for (const auto& l : lines(0, 5, "new ")) want.push_back(l);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
    EXPECT_EQ(h.metrics().errors.get("rotated_unread"), 0u);
}

TEST_F(FileInputTest, ACheckpointedFileGoneWhileStoppedIsReported) {
    append("app.log", text(lines(0, 20)));
    append("other.log", text(lines(0, 3, "other ")));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(23), 23u);
        h.stop();
    }
    fs::remove(path("app.log"));
    // Emptied in place with no copy beside it: what followed the checkpoint is lost too.
    fs::resize_file(path("other.log"), 0);
    append("other.log", "after\n");
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(1), 1u);
    h.stop();
    EXPECT_EQ(h.bodies(), std::vector<std::string>{"after"});
    EXPECT_EQ(h.metrics().errors.get("file_gone"), 1u);
    EXPECT_EQ(h.metrics().errors.get("rotated_unread"), 1u);
}

TEST_F(FileInputTest, AFileNoLongerMatchedIsNotReportedGone) {
    append("app.log", text(lines(0, 5)));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(5), 5u);
        h.stop();
    }
    append("app.log", text(lines(5, 10)));
    append("b.txt", "b\n");
    // The patterns changed: app.log is still where it was, just not wanted.
    StageHarness h(WEIR_TEST_PLUGIN,
                   "{paths: [\"" + dir_ +
                       "/*.txt\"], poll_interval: 10ms, refresh_interval: 20ms, read_from_head: true}",
                   state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(1), 1u);
    EXPECT_EQ(h.wait_for_events(2, std::chrono::milliseconds(200)), 1u);
    h.stop();
    EXPECT_EQ(h.bodies(), std::vector<std::string>{"b"});
    EXPECT_EQ(h.metrics().errors.get("file_gone"), 0u);
}

TEST_F(FileInputTest, AFileCreatedAndRotatedWhileStoppedIsReadWhole) {
    append("app.log", text(lines(0, 5)));
    append("old.log.1", "rotated before the stop, never matched\n");
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(), state_);  // not read_from_head
        h.start();
        size_t seen = 0;
        for (int i = 0; i < 200 && seen == 0; ++i) {
            append("app.log", "probe\n");
            seen = h.wait_for_events(1, std::chrono::milliseconds(50));
        }
        ASSERT_GE(seen, 1u);
        h.stop();
    }
    // While stopped: app.log is renamed, a new app.log is written and
    // renamed too, and the newest one is written.
    fs::rename(path("app.log"), path("app.log.1"));
    append("app.log", text(lines(0, 4, "unseen ")));
    fs::rename(path("app.log.1"), path("app.log.2"));
    fs::rename(path("app.log"), path("app.log.1"));
    append("app.log", text(lines(0, 3, "newest ")));
    append("app.log.2.gz", "compressed\n");
    StageHarness h(WEIR_TEST_PLUGIN, options(", rotate_wait: 50ms"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(7), 7u);
    EXPECT_EQ(h.wait_for_events(8, std::chrono::milliseconds(200)), 7u);
    h.stop();
    auto got = h.bodies();
    std::sort(got.begin(), got.end());
    auto want = lines(0, 4, "unseen ");
    for (const auto& l : lines(0, 3, "newest ")) want.push_back(l);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
}

TEST_F(FileInputTest, CopytruncateWhileRunningReadsTheUnreadTailFromTheCopy) {
    append("app.log", text(lines(0, 20)));
    // Polled once a second: the copy and the truncation below happen between
    // two looks, so the ten lines appended just before are only in the copy.
    StageHarness h(WEIR_TEST_PLUGIN,
                   "{paths: [\"" + dir_ +
                       "/*.log\"], read_from_head: true, inotify: false, poll_interval: 1s, "
                       "refresh_interval: 1s, rotate_wait: 50ms}",
                   state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(20), 20u);
    append("app.log", text(lines(20, 30)));
    fs::copy_file(path("app.log"), path("app.log.1"));
    fs::resize_file(path("app.log"), 0);
    append("app.log", text(lines(0, 5, "new ")));
    ASSERT_EQ(h.wait_for_events(35), 35u);
    EXPECT_EQ(h.wait_for_events(36, std::chrono::milliseconds(300)), 35u);
    h.stop();
    auto got = h.bodies();
    std::sort(got.begin(), got.end());
    auto want = lines(0, 30);
    for (const auto& l : lines(0, 5, "new ")) want.push_back(l);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
}

TEST_F(FileInputTest, AFileReplacedWhileStoppedIsReportedGoneEvenWithItsInodeReused) {
    append("app.log", text(lines(0, 20)));
    {
        StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
        h.start();
        ASSERT_EQ(h.wait_for_events(20), 20u);
        h.stop();
    }
    fs::remove(path("app.log"));
    append("app.log", "replacement\n");  // ext4 often hands it the same inode
    StageHarness h(WEIR_TEST_PLUGIN, options(", read_from_head: true"), state_);
    h.start();
    ASSERT_EQ(h.wait_for_events(1), 1u);
    h.stop();
    EXPECT_EQ(h.bodies(), std::vector<std::string>{"replacement"});
    EXPECT_EQ(h.metrics().errors.get("file_gone"), 1u);
    EXPECT_EQ(h.metrics().errors.get("rotated_unread"), 0u);
}
