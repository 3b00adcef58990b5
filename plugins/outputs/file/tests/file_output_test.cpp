// The real file_output.so through the SDK harness: formats, templated paths,
// rotation, gzip, reopen, bounded descriptors and failures that are retried.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <weir/event/batch.hpp>
#include <weir/runtime/testing.hpp>

#include "compressor.hpp"

using weir::event::Batch;
using weir::runtime::testing::StageHarness;
namespace fs = std::filesystem;

namespace {

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/weir-file-output-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path_); }
    const std::string& str() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string gunzip(const std::string& path) {
    gzFile gz = ::gzopen(path.c_str(), "rb");
    if (!gz) return "<cannot open>";
    std::string out;
    char buf[4096];
    int n;
    while ((n = ::gzread(gz, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::gzclose(gz);
    return out;
}

void put_string(Batch& b, size_t i, const char* key, const char* value) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{value, std::strlen(value)};
    b.put(b.event(i).root, key, v, 0);
}

size_t add(Batch& b, const std::string& body, const char* service = nullptr) {
    const size_t i = b.add(body, 0);
    if (service) put_string(b, i, "service", service);
    return i;
}

std::string opts(const TempDir& d, const std::string& path, const std::string& more = "") {
    return "{path: \"" + d.str() + "/" + path + "\"" + (more.empty() ? "" : ", " + more) + "}";
}

/// Descriptors of this process open on files under `dir`.
size_t open_fds_under(const std::string& dir) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        const auto target = fs::read_symlink(e.path(), ec);
        if (!ec && target.string().rfind(dir, 0) == 0) ++n;
    }
    return n;
}

uint64_t errors(StageHarness& h, const std::string& reason) { return h.metrics().errors.get(reason); }

}  // namespace

TEST(FileOutput, JsonLinesAsTheHostRendersThem) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "app.log"));
    Batch b;
    b.add("hello \"world\"", 0);
    b.add("second", 1'000'000'000);
    ASSERT_EQ(h.write(b), WEIR_OK);
    EXPECT_EQ(slurp(d / "app.log"),
              "{\"@timestamp\":\"1970-01-01T00:00:00.000000000Z\",\"message\":\"hello \\\"world\\\"\"}\n"
              "{\"@timestamp\":\"1970-01-01T00:00:01.000000000Z\",\"message\":\"second\"}\n");
    Batch empty;
    EXPECT_EQ(h.write(empty), WEIR_OK);
    ASSERT_EQ(h.write(b), WEIR_OK);  // appends
    const std::string all = slurp(d / "app.log");
    EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 4);
}

TEST(FileOutput, LiteralBracesAndPercentInAPlainPath) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "{{x}}-100%%.log", "format: text, template: \"{message}\""));
    Batch b;
    b.add("x", 0);
    ASSERT_EQ(h.write(b), WEIR_OK);
    EXPECT_EQ(slurp(d / "{x}-100%.log"), "x\n");
}

TEST(FileOutput, TextTemplate) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN,
                   opts(d, "app.log", "format: text, template: \"{@timestamp} [{service}] {message} {n}\""));
    Batch b;
    const size_t i = add(b, "started", "api");
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = 42;
    b.put(b.event(i).root, "n", v, 0);
    add(b, "line\nbreak");
    ASSERT_EQ(h.write(b), WEIR_OK);
    EXPECT_EQ(slurp(d / "app.log"),
              "1970-01-01T00:00:00.000000000Z [api] started 42\n"
              "1970-01-01T00:00:00.000000000Z [-] line\\nbreak -\n");
}

TEST(FileOutput, OptionsAreChecked) {
    TempDir d;
    auto refused = [&](const std::string& o, const std::string& what) {
        try {
            StageHarness h(WEIR_TEST_PLUGIN, o);
            ADD_FAILURE() << "accepted " << o;
        } catch (const std::exception& e) {
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    refused(opts(d, "x.log", "format: yaml"),
            "option 'format' of output 'file' expects json or text, found 'yaml'");
    refused(opts(d, "x.log", "format: text"), "format text needs a template");
    refused(opts(d, "x.log", "template: \"{a}\""), "template is only used with format: text");
    refused(opts(d, "x.log", "format: text, template: \"{a\""), "template: unclosed '{'");
    refused("{path: relative.log}", "path: path must be absolute");
    refused(opts(d, "%Q.log"), "unknown time field '%Q'");
    refused(opts(d, "x.log", "max_open_files: 0"),
            "option 'max_open_files' of output 'file' must be at least 1");
    refused(opts(d, "x.log", "max_files: -1"), "option 'max_files' of output 'file' must be at least 0");
}

TEST(FileOutput, TemplatedPathSplitsByFieldAndCreatesDirectories) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "%Y/%m/{service}.log", "format: text, template: \"{message}\""));
    Batch b;
    add(b, "a1", "api");
    add(b, "w1", "web");
    add(b, "a2", "api");
    add(b, "x1");
    add(b, "evil", "../..");
    ASSERT_EQ(h.write(b), WEIR_OK);
    EXPECT_EQ(slurp(d / "1970/01/api.log"), "a1\na2\n");
    EXPECT_EQ(slurp(d / "1970/01/web.log"), "w1\n");
    EXPECT_EQ(slurp(d / "1970/01/_.log"), "x1\n");
    EXPECT_EQ(slurp(d / "1970/01/.._...log"), "evil\n");  // one component, inside the directory
}

TEST(FileOutput, OpenFilesAreBounded) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN,
                   opts(d, "{service}.log", "format: text, template: \"{message}\", max_open_files: 2"));
    const char* services[] = {"a", "b", "c", "d", "e"};
    for (int round = 0; round < 3; ++round) {
        Batch b;
        for (const char* s : services) add(b, std::string(s) + std::to_string(round), s);
        ASSERT_EQ(h.write(b), WEIR_OK);
        EXPECT_LE(open_fds_under(d.str()), 2u);
    }
    for (const char* s : services)
        EXPECT_EQ(slurp(d / (std::string(s) + ".log")), std::string(s) + "0\n" + s + "1\n" + s + "2\n");
}

TEST(FileOutput, RotationBySizeKeepsMaxFiles) {
    TempDir d;
    // Lines of 10 bytes, files of at most 35: three lines each.
    StageHarness h(
        WEIR_TEST_PLUGIN,
        opts(d, "app.log", "format: text, template: \"{message}\", rotate_size: 35, max_files: 2"));
    for (int k = 0; k < 4; ++k) {
        Batch b;
        for (int i = 0; i < 5; ++i) {
            char line[16];
            std::snprintf(line, sizeof line, "line-%04d", k * 5 + i);
            b.add(line, 0);
        }
        ASSERT_EQ(h.write(b), WEIR_OK);  // 5 lines: the batch is split across files
    }
    // 20 lines: ..., 12-14 in .2, 15-17 in .1, 18-19 in the file; older ones removed.
    EXPECT_EQ(slurp(d / "app.log"), "line-0018\nline-0019\n");
    EXPECT_EQ(slurp(d / "app.log.1"), "line-0015\nline-0016\nline-0017\n");
    EXPECT_EQ(slurp(d / "app.log.2"), "line-0012\nline-0013\nline-0014\n");
    EXPECT_FALSE(fs::exists(d / "app.log.3"));
}

TEST(FileOutput, RotatedFilesAreGzipped) {
    TempDir d;
    {
        StageHarness h(WEIR_TEST_PLUGIN,
                       opts(d, "app.log",
                            "format: text, template: \"{message}\", rotate_size: 20, max_files: 3, "
                            "compress: true"));
        for (const char* line : {"first-line", "second-line", "third-line", "fourth-line"}) {
            Batch b;
            b.add(line, 0);
            ASSERT_EQ(h.write(b), WEIR_OK);
        }
    }  // the compressor finishes its queue before the instance goes
    EXPECT_EQ(slurp(d / "app.log"), "fourth-line\n");
    EXPECT_EQ(gunzip(d / "app.log.1.gz"), "third-line\n");
    EXPECT_EQ(gunzip(d / "app.log.2.gz"), "second-line\n");
    EXPECT_EQ(gunzip(d / "app.log.3.gz"), "first-line\n");
    EXPECT_FALSE(fs::exists(d / "app.log.1"));
    EXPECT_FALSE(fs::exists(d / "app.log.1.gz.tmp"));
}

TEST(FileOutput, GzipHelperRoundTrips) {
    TempDir d;
    std::string big;
    for (int i = 0; i < 100000; ++i) big += "line " + std::to_string(i) + "\n";
    std::ofstream(d / "f") << big;
    EXPECT_EQ(weir::file_output::Compressor::gzip_file(d / "f"), "");
    EXPECT_EQ(gunzip(d / "f.gz"), big);
    EXPECT_FALSE(fs::exists(d / "f"));
    EXPECT_NE(weir::file_output::Compressor::gzip_file(d / "missing"), "");
}

TEST(FileOutput, RotationByTimeStartsANewFileEachPeriod) {
    TempDir d;
    StageHarness h(
        WEIR_TEST_PLUGIN,
        opts(d, "app.log", "format: text, template: \"{message}\", rotate_interval: 1s, max_files: 5"));
    Batch b;
    b.add("before", 0);
    ASSERT_EQ(h.write(b), WEIR_OK);
    // Wait (on the clock, not a fixed sleep) until the next one-second period begins.
    const auto start = std::chrono::system_clock::now().time_since_epoch();
    const auto period = std::chrono::duration_cast<std::chrono::seconds>(start).count();
    while (
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count() == period) {
        std::this_thread::yield();
    }
    Batch c;
    c.add("after", 0);
    ASSERT_EQ(h.write(c), WEIR_OK);
    EXPECT_EQ(slurp(d / "app.log.1"), "before\n");
    EXPECT_EQ(slurp(d / "app.log"), "after\n");
}

TEST(FileOutput, ReloadReopensAfterAnExternalRename) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "app.log", "format: text, template: \"{message}\""));
    Batch b;
    b.add("one", 0);
    ASSERT_EQ(h.write(b), WEIR_OK);
    fs::rename(d / "app.log", d / "app.log.old");  // logrotate's rename
    Batch c;
    c.add("two", 0);
    ASSERT_EQ(h.write(c), WEIR_OK);  // still the open descriptor: the renamed file
    EXPECT_EQ(h.reload(), "");       // then its postrotate HUP
    Batch e;
    e.add("three", 0);
    ASSERT_EQ(h.write(e), WEIR_OK);
    EXPECT_EQ(slurp(d / "app.log.old"), "one\ntwo\n");
    EXPECT_EQ(slurp(d / "app.log"), "three\n");
}

TEST(FileOutput, CopytruncateIsFollowed) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN,
                   opts(d, "app.log", "format: text, template: \"{message}\", rotate_size: 12"));
    Batch b;
    b.add("one", 0);
    ASSERT_EQ(h.write(b), WEIR_OK);
    fs::resize_file(d / "app.log", 0);  // copytruncate
    Batch c;
    c.add("two", 0);
    c.add("three", 0);
    ASSERT_EQ(h.write(c), WEIR_OK);
    EXPECT_EQ(slurp(d / "app.log"),
              "two\nthree\n");  // no hole, and the size limit counts from the truncation
    EXPECT_FALSE(fs::exists(d / "app.log.1"));
}

TEST(FileOutput, AFailedBatchIsRolledBackCountedAndRetried) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "{service}/x.log", "format: text, template: \"{message}\""));
    std::ofstream(d / "blocked") << "a file where a directory should be";
    Batch b;
    add(b, "ok-1", "fine");
    add(b, "blocked-1", "blocked");
    add(b, "ok-2", "fine");
    EXPECT_EQ(h.write(b), WEIR_RETRY);  // written again after a backoff
    EXPECT_EQ(errors(h, "io_error"), 1u);
    EXPECT_EQ(slurp(d / "fine/x.log"), "");  // rolled back: a retry does not duplicate
    fs::remove(d / "blocked");
    EXPECT_EQ(h.write(b), WEIR_OK);  // the host's retry
    EXPECT_EQ(slurp(d / "fine/x.log"), "ok-1\nok-2\n");
    EXPECT_EQ(slurp(d / "blocked/x.log"), "blocked-1\n");
}

TEST(FileOutput, DiskFullIsCountedAsSuch) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
    StageHarness h(WEIR_TEST_PLUGIN, "{path: /dev/full}");
    Batch b;
    b.add("x", 0);
    EXPECT_EQ(h.write(b), WEIR_RETRY);  // written again after a backoff
    EXPECT_EQ(errors(h, "disk_full"), 1u);
}

TEST(FileOutput, PermissionDeniedIsCountedAsSuch) {
    if (::geteuid() == 0) GTEST_SKIP() << "root ignores file modes";
    TempDir d;
    fs::create_directory(d / "ro");
    ::chmod((d / "ro").c_str(), 0555);
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "ro/x.log"));
    Batch b;
    b.add("x", 0);
    EXPECT_EQ(h.write(b), WEIR_RETRY);  // written again after a backoff
    EXPECT_EQ(errors(h, "permission_denied"), 1u);
    ::chmod((d / "ro").c_str(), 0755);
    EXPECT_EQ(h.write(b), WEIR_OK);
}

TEST(FileOutput, FsyncEachBatchAndOnFlush) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "app.log", "fsync: true"));
    Batch b;
    b.add("durable", 0);
    ASSERT_EQ(h.write(b), WEIR_OK);
    EXPECT_NE(slurp(d / "app.log").find("durable"), std::string::npos);
    StageHarness g(WEIR_TEST_PLUGIN, opts(d, "other.log", "fsync_interval: 1ms"));
    ASSERT_EQ(g.write(b), WEIR_OK);
    EXPECT_NE(slurp(d / "other.log").find("durable"), std::string::npos);
}

// A batch whose text passes the write chunk (256 KiB) is written in pieces
// before it ends: the file holds every line once, in order, and size rotation
// still cuts only between lines.
TEST(FileOutput, ALargeBatchIsWrittenInChunksWholeAndInOrder) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "app.log", "format: text, template: \"{message}\""));
    StageHarness r(WEIR_TEST_PLUGIN,
                   opts(d, "rot.log", "format: text, template: \"{message}\", rotate_size: 100000"));
    const std::string pad(290, 'p');
    std::string want;
    Batch b;
    for (int i = 0; i < 3000; ++i) {  // ~900 KB: three chunks and a rest
        const std::string line = std::to_string(i) + " " + pad;
        b.add(line, 0);
        want += line + "\n";
    }
    ASSERT_EQ(h.write(b), WEIR_OK);
    EXPECT_EQ(slurp(d / "app.log"), want);
    ASSERT_EQ(r.write(b), WEIR_OK);
    std::string rotated;
    for (int k = 9; k >= 1; --k)
        if (fs::exists(d / ("rot.log." + std::to_string(k)))) {
            const std::string part = slurp(d / ("rot.log." + std::to_string(k)));
            EXPECT_LE(part.size(), 100000u);
            EXPECT_EQ(part.back(), '\n');
            rotated += part;
        }
    EXPECT_TRUE(fs::exists(d / "rot.log.1"));
    EXPECT_EQ(rotated + slurp(d / "rot.log"), want);
}

// What a batch wrote early is rolled back with the rest when a later part of
// the same batch fails, and an early write that fails fails the batch once.
TEST(FileOutput, AFailureAfterAnEarlyWriteRollsBackTheWholeBatch) {
    TempDir d;
    StageHarness h(WEIR_TEST_PLUGIN, opts(d, "{service}/x.log", "format: text, template: \"{message}\""));
    std::ofstream(d / "blocked") << "a file where a directory should be";
    const std::string pad(500, 'p');
    Batch b;
    for (int i = 0; i < 1000; ++i)
        add(b, "fine-" + std::to_string(i) + pad, "fine");  // ~500 KB: written early
    add(b, "blocked-1", "blocked");
    EXPECT_EQ(h.write(b), WEIR_RETRY);
    EXPECT_EQ(errors(h, "io_error"), 1u);
    EXPECT_EQ(slurp(d / "fine/x.log"), "");  // the early chunk is truncated away

    Batch c;  // the early write itself fails: later lines are only rendered
    for (int i = 0; i < 1000; ++i) add(c, "blocked-" + std::to_string(i) + pad, "blocked");
    add(c, "fine-last", "fine");
    EXPECT_EQ(h.write(c), WEIR_RETRY);
    EXPECT_EQ(errors(h, "io_error"), 2u);
    EXPECT_EQ(slurp(d / "fine/x.log"), "");

    fs::remove(d / "blocked");
    EXPECT_EQ(h.write(b), WEIR_OK);  // the host's retry
    const std::string fine = slurp(d / "fine/x.log");
    EXPECT_EQ(std::count(fine.begin(), fine.end(), '\n'), 1000);
    EXPECT_EQ(fine.rfind("fine-0", 0), 0u);
    EXPECT_EQ(slurp(d / "blocked/x.log"), "blocked-1\n");
}

TEST(FileOutput, DiskFullInAnEarlyWriteIsCountedOnce) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
    StageHarness h(WEIR_TEST_PLUGIN, "{path: /dev/full, format: text, template: \"{message}\"}");
    Batch b;
    const std::string pad(1000, 'p');
    for (int i = 0; i < 1000; ++i) b.add(pad, 0);  // ~1 MB: several early writes attempted
    EXPECT_EQ(h.write(b), WEIR_RETRY);
    EXPECT_EQ(errors(h, "disk_full"), 1u);
    Batch one;  // one line past the chunk: written early, nothing left for the end of the batch
    one.add(std::string(300'000, 'q'), 0);
    EXPECT_EQ(h.write(one), WEIR_RETRY);
    EXPECT_EQ(errors(h, "disk_full"), 2u);
}
