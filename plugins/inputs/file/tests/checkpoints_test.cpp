#include "checkpoints.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "../line_splitter.hpp"

using namespace weir::inputs;

TEST(CheckpointTracker, AdvancesOnlyOverContiguousAcks) {
    CheckpointTracker t;
    const FileKey k{1, 2};
    t.track(k, "/x.log", 100);
    t.emitted(k, 1, 200);
    t.emitted(k, 2, 300);
    t.emitted(k, 3, 400);
    EXPECT_FALSE(t.acked(2, true));  // out of order: batch 1 still open
    EXPECT_EQ(t.committed(k), 100u);
    EXPECT_TRUE(t.acked(1, true));  // now 1 and 2 are done
    EXPECT_EQ(t.committed(k), 300u);
    EXPECT_TRUE(t.acked(3, true));
    EXPECT_EQ(t.committed(k), 400u);
    EXPECT_EQ(t.pending(), 0u);
    EXPECT_FALSE(t.acked(99, true));  // unknown cookie
}

TEST(CheckpointTracker, FailedBatchBlocksTheCheckpoint) {
    CheckpointTracker t;
    const FileKey k{1, 2};
    t.track(k, "/x.log", 0);
    t.emitted(k, 1, 10);
    t.emitted(k, 2, 20);
    EXPECT_FALSE(t.acked(1, false));
    EXPECT_FALSE(t.acked(2, true));
    EXPECT_EQ(t.committed(k), 0u);  // lines 0..10 must be read again after a restart
}

TEST(CheckpointTracker, FilesAreIndependentAndSerializeRoundTrips) {
    CheckpointTracker t;
    t.track({1, 2}, "/a.log", 5);
    t.track({1, 3}, "/b c.log", 7, Fingerprint{256, 12345678901234567ull});
    t.emitted({1, 2}, 1, 50);
    t.emitted({1, 3}, 2, 70);
    t.acked(2, true);
    EXPECT_EQ(t.committed({1, 2}), 5u);
    EXPECT_EQ(t.committed({1, 3}), 70u);
    const auto parsed = CheckpointTracker::parse(t.serialize());
    EXPECT_EQ(parsed.at(FileKey{1, 2}).offset, 5u);
    EXPECT_EQ(parsed.at(FileKey{1, 3}).offset, 70u);
    EXPECT_TRUE(parsed.at(FileKey{1, 3}).has_fp);
    EXPECT_EQ(parsed.at(FileKey{1, 3}).fp, (Fingerprint{256, 12345678901234567ull}));
    // The path comes back too (a file moved while stopped is looked for beside it).
    EXPECT_EQ(parsed.at(FileKey{1, 2}).path, "/a.log");
    EXPECT_EQ(parsed.at(FileKey{1, 3}).path, "/b c.log");
    // The form written before fingerprints still reads.
    const auto old = CheckpointTracker::parse("1 2 99 /var/log/a b.log\n");
    EXPECT_EQ(old.at(FileKey{1, 2}).offset, 99u);
    EXPECT_FALSE(old.at(FileKey{1, 2}).has_fp);
    EXPECT_EQ(old.at(FileKey{1, 2}).path, "/var/log/a b.log");
    t.reset({1, 3}, 0);
    EXPECT_EQ(t.committed({1, 3}), 0u);
    EXPECT_TRUE(CheckpointTracker::parse("garbage\n1 2\n\n").empty());
}

TEST(CheckpointFile, ShorterTextNeverLeavesOldBytesThatParse) {
    char tmpl[] = "/tmp/weir-ckpt-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    ::close(fd);
    {
        CheckpointFile f(tmpl);
        ASSERT_TRUE(f.write("1 2 300 /a\n1 3 400 /b\n"));
        ASSERT_TRUE(f.write("1 2 350 /a\n"));
        const auto parsed = CheckpointTracker::parse(f.read());
        ASSERT_EQ(parsed.size(), 1u);
        EXPECT_EQ(parsed.at(FileKey{1, 2}).offset, 350u);
    }
    std::remove(tmpl);
}

TEST(LineSplitter, LinesCrLfPartialsAndTruncation) {
    LineSplitter s(8);
    std::vector<std::pair<std::string, bool>> got;
    auto sink = [&](std::string_view t, bool cut, size_t) { got.emplace_back(std::string(t), cut); };
    s.feed("one\r\ntw", sink);
    EXPECT_EQ(s.pending(), 2u);
    s.feed("o\nthis line is long\nok\n", sink);
    s.feed("0123456789abcdef", sink);  // overlong without newline: cut now, rest skipped
    s.feed("ghij\nlast", sink);
    s.finish(sink);
    const std::vector<std::pair<std::string, bool>> want = {{"one", false},     {"two", false},
                                                            {"this lin", true}, {"ok", false},
                                                            {"01234567", true}, {"last", false}};
    EXPECT_EQ(got, want);
}
