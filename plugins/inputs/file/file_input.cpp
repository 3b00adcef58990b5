// file: tails files matching glob patterns, with checkpoints that advance only
// when every output has acknowledged the lines.
#include "../line_splitter.hpp"
#include "checkpoints.hpp"

#include <weir/sdk.hpp>

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

namespace {

using weir::inputs::CheckpointFile;
using weir::inputs::CheckpointTracker;
using weir::inputs::FileKey;
using weir::inputs::LineSplitter;
using Clock = std::chrono::steady_clock;

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// One open file being followed.
struct Reader {
    Reader(std::string p, FileKey k, int f, uint64_t off, size_t max_line)
        : path(std::move(p)), key(k), fd(f), offset(off), splitter(max_line) {}
    ~Reader() {
        if (fd >= 0) ::close(fd);
    }
    std::string path;
    FileKey key;
    int fd;
    uint64_t offset;  // next byte to read
    LineSplitter splitter;
    bool gone = false;  // deleted and fully read
};

class FileInput final : public weir::Input {
public:
    FileInput(weir::Context& ctx, const weir::Options& opts)
        : weir::Input(ctx),
          patterns_(opts.list("paths")),
          read_from_head_(opts.boolean("read_from_head")),
          refresh_(std::chrono::nanoseconds(opts.duration_ns("refresh_interval"))),
          poll_(std::chrono::nanoseconds(opts.duration_ns("poll_interval"))),
          max_line_(static_cast<size_t>(opts.size("max_line_size"))),
          chunk_(static_cast<size_t>(opts.size("read_buffer_size"))) {
        if (patterns_.empty()) throw weir::ConfigError("paths needs at least one glob pattern");
        for (const auto& p : patterns_)
            if (p.empty()) throw weir::ConfigError("paths contains an empty pattern");
        if (max_line_ == 0) throw weir::ConfigError("max_line_size must be at least 1 byte");
        if (chunk_ < 4096) throw weir::ConfigError("read_buffer_size must be at least 4KiB");
        if (poll_.count() <= 0) throw weir::ConfigError("poll_interval must be positive");
        buffer_.resize(chunk_);
        if (refresh_.count() <= 0) throw weir::ConfigError("refresh_interval must be positive");
    }

    void run() override {
        // Checkpoints are read here, not in the constructor: on reload a new
        // instance is built while the old one still runs and writes them.
        checkpoints_ = std::make_unique<CheckpointFile>(std::string(ctx_.state_dir()) + "/checkpoints");
        saved_ = CheckpointTracker::parse(checkpoints_->read());
        discover(true);
        auto next_refresh = Clock::now() + refresh_;
        while (!ctx_.should_stop()) {
            bool progressed = false;
            for (auto& r : readers_) {
                if (ctx_.should_stop()) break;
                progressed |= read_file(*r);
            }
            std::erase_if(readers_, [](const auto& r) { return r->gone; });
            if (Clock::now() >= next_refresh) {
                discover(false);
                next_refresh = Clock::now() + refresh_;
            }
            if (!progressed) {
                std::unique_lock lock(wait_mu_);
                wake_.wait_for(lock, poll_, [&] { return stop_requested_; });
            }
        }
        persist();
    }

    void stop() override {
        {
            std::lock_guard lock(wait_mu_);
            stop_requested_ = true;
        }
        wake_.notify_all();
    }

    void on_ack(uint64_t cookie, bool delivered) override {
        if (tracker_.acked(cookie, delivered)) persist();
    }

private:
    void persist() {
        if (!checkpoints_) return;
        std::lock_guard lock(persist_mu_);
        if (!checkpoints_->write(tracker_.serialize()))
            ctx_.error("cannot write checkpoints to " + checkpoints_->path() + ": " + std::strerror(errno));
    }

    void discover(bool initial) {
        for (const auto& pattern : patterns_) {
            glob_t g{};
            const int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
            if (rc == 0) {
                for (size_t i = 0; i < g.gl_pathc; ++i) open_file(g.gl_pathv[i], initial);
            }
            ::globfree(&g);
        }
    }

    void open_file(const std::string& path, bool initial) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
        const FileKey key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
        for (auto& r : readers_) {
            if (r->key == key) {
                r->path = path;  // renamed while open: keep following the same file
                return;
            }
        }
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            ctx_.warn("cannot open " + path + ": " + std::strerror(errno));
            return;
        }
        const auto size = static_cast<uint64_t>(st.st_size);
        uint64_t offset = 0;
        if (auto it = saved_.find(key); it != saved_.end()) {
            offset = it->second <= size ? it->second : 0;  // shorter than the checkpoint: truncated meanwhile
        } else if (initial && !read_from_head_) {
            offset = size;  // like `tail -f`: only what is appended from now on
        }
        if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
            ::close(fd);
            return;
        }
        tracker_.track(key, path, offset);
        readers_.push_back(std::make_unique<Reader>(path, key, fd, offset, max_line_));
        ctx_.debug("following " + path + " from byte " + std::to_string(offset));
    }

    /// Reads what is there now (a bounded amount, for fairness between
    /// files); returns true if anything was read.
    bool read_file(Reader& r) {
        weir::OwnedBatch batch = ctx_.new_batch();
        uint64_t end = r.offset - r.splitter.pending();  // file offset after the last complete line
        size_t total = 0;
        bool progressed = false;
        bool stopped = false;
        while (total < 8 * chunk_ && !stopped) {
            const ssize_t n = ::read(r.fd, buffer_.data(), chunk_);
            if (n < 0) {
                if (errno == EINTR) continue;
                ctx_.count_error("read_failed");
                ctx_.warn("read of " + r.path + " failed: " + std::strerror(errno));
                break;
            }
            if (n == 0) {
                check_at_eof(r, batch, end);
                break;
            }
            progressed = true;
            const uint64_t chunk_start = r.offset;
            r.offset += static_cast<uint64_t>(n);
            total += static_cast<size_t>(n);
            const int64_t t = now_ns();
            // Lines are copied into the batch, so a batch can be cut exactly at
            // its limits: at most one batch's lines are re-read after a crash.
            r.splitter.feed(std::string_view(buffer_.data(), static_cast<size_t>(n)),
                            [&](std::string_view text, bool cut, size_t at) {
                                if (stopped) return;
                                uint32_t flags = 0;
                                if (cut) {
                                    flags = WEIR_EVENT_TRUNCATED;
                                    ctx_.count_error("truncated");
                                }
                                batch.add(text, t, flags);
                                end = chunk_start + at;
                                if (ctx_.batch_full(batch)) {
                                    if (!emit(batch, r.key, end)) {
                                        stopped = true;  // the pipeline gave up (forced stop)
                                        return;
                                    }
                                    batch = ctx_.new_batch();
                                }
                            });
            if (static_cast<size_t>(n) < chunk_) break;  // caught up with the writer
        }
        if (!batch.empty() && !stopped) emit(batch, r.key, end);
        return progressed;
    }

    void check_at_eof(Reader& r, weir::OwnedBatch& batch, uint64_t& end) {
        struct stat st {};
        if (::fstat(r.fd, &st) != 0) return;
        if (static_cast<uint64_t>(st.st_size) < r.offset) {
            // Truncated in place: start again from the beginning.
            ctx_.info(r.path + " was truncated; reading it from the start");
            if (!batch.empty()) emit(batch, r.key, end);
            batch = ctx_.new_batch();
            ::lseek(r.fd, 0, SEEK_SET);
            r.offset = 0;
            end = 0;
            r.splitter.reset();
            tracker_.reset(r.key, 0);
            persist();
        } else if (st.st_nlink == 0) {
            r.gone = true;  // deleted and read to the end: release it
        }
    }

    bool emit(weir::OwnedBatch& batch, const FileKey& key, uint64_t end) {
        const uint64_t cookie = ++next_cookie_;
        // One stream per file identity: a renamed file stays the same stream.
        batch.set_stream(std::to_string(key.dev) + ":" + std::to_string(key.ino));
        tracker_.emitted(key, cookie, end);  // before emit: the ack may come first
        if (!ctx_.emit(batch, cookie)) {
            tracker_.acked(cookie, false);
            return false;
        }
        return true;
    }

    std::vector<std::string> patterns_;
    bool read_from_head_;
    std::chrono::nanoseconds refresh_;
    std::chrono::nanoseconds poll_;
    size_t max_line_;
    size_t chunk_;
    std::vector<char> buffer_;

    std::vector<std::unique_ptr<Reader>> readers_;
    std::map<FileKey, uint64_t> saved_;
    CheckpointTracker tracker_;
    std::unique_ptr<CheckpointFile> checkpoints_;
    std::mutex persist_mu_;
    std::atomic<uint64_t> next_cookie_{0};

    std::mutex wait_mu_;
    std::condition_variable wake_;
    bool stop_requested_ = false;
};

const weir_option_def file_options[] = {
    weir::option::required_string_list("paths", "Glob patterns of the files to follow."),
    weir::option::boolean("read_from_head", "false",
                          "Read files found at startup from the beginning (otherwise only new lines)."),
    weir::option::duration("refresh_interval", "1s", "How often the patterns are matched again to find new files."),
    weir::option::duration("poll_interval", "250ms", "How often idle files are checked for new data."),
    weir::option::size("max_line_size", "1MiB", "Longer lines are cut to this size and flagged as truncated."),
    weir::option::size("read_buffer_size", "256KiB", "Bytes read from a file at a time."),
};

}  // namespace

WEIR_PLUGIN(FileInput, WEIR_KIND_INPUT, "file", "0.1.0",
            "Follows files matching glob patterns, with checkpoints advanced on acknowledgement.", file_options)
