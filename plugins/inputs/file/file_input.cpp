// file: tails files matching glob patterns, with checkpoints that advance only
// when every output has acknowledged the lines. Follows renamed (rotated)
// files to their end, notices truncation and copytruncate, tells files apart
// by device, inode and a fingerprint of their first bytes, and is woken by
// inotify (polling stays as the fallback).
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>
#include <weir/clock.hpp>
#include <weir/sdk.hpp>

#include "../line_splitter.hpp"
#include "checkpoints.hpp"

namespace {

using weir::inputs::CheckpointFile;
using weir::inputs::CheckpointTracker;
using weir::inputs::FileKey;
using weir::inputs::Fingerprint;
using weir::inputs::kFingerprintBytes;
using weir::inputs::LineSplitter;
using weir::inputs::Saved;
using Clock = std::chrono::steady_clock;

using weir::clock::wall_ns;

/// FNV-1a over the first `len` bytes of the file; nullopt if it has fewer.
std::optional<uint64_t> hash_prefix(int fd, uint32_t len) {
    char buf[kFingerprintBytes];
    size_t got = 0;
    while (got < len) {
        const ssize_t n = ::pread(fd, buf + got, len - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        got += static_cast<size_t>(n);
    }
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; ++i) {
        h ^= static_cast<unsigned char>(buf[i]);
        h *= 1099511628211ull;
    }
    return h;
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
    Fingerprint fp;
    bool gone = false;     // deleted or rotated away, and read to the end: release it
    bool active = true;    // may have data: read it on the next pass
    bool seen = true;      // matched by the latest scan
    bool rotated = false;  // renamed so that no pattern matches it any more
    Clock::time_point rotated_at;
};

class FileInput final : public weir::Input {
public:
    FileInput(weir::Context& ctx, const weir::Options& opts)
        : weir::Input(ctx),
          patterns_(opts.list("paths")),
          read_from_head_(opts.boolean("read_from_head")),
          refresh_(std::chrono::nanoseconds(opts.duration_ns("refresh_interval"))),
          poll_(std::chrono::nanoseconds(opts.duration_ns("poll_interval"))),
          rotate_wait_(std::chrono::nanoseconds(opts.duration_ns("rotate_wait"))),
          max_line_(static_cast<size_t>(opts.size("max_line_size"))),
          chunk_(static_cast<size_t>(opts.size("read_buffer_size"))),
          use_inotify_(opts.boolean("inotify")) {
        if (patterns_.empty()) throw weir::ConfigError("paths needs at least one glob pattern");
        for (const auto& p : patterns_)
            if (p.empty()) throw weir::ConfigError("paths contains an empty pattern");
        buffer_.resize(chunk_);
        wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }

    ~FileInput() override {
        if (wake_fd_ >= 0) ::close(wake_fd_);
        if (inotify_fd_ >= 0) ::close(inotify_fd_);
    }

    void run() override {
        // Checkpoints are read here, not in the constructor: on reload a new
        // instance is built while the old one still runs and writes them.
        checkpoints_ = std::make_unique<CheckpointFile>(std::string(ctx_.state_dir()) + "/checkpoints");
        saved_ = CheckpointTracker::parse(checkpoints_->read());
        // When the checkpoints were last written: a file born later was
        // created while Weir was stopped, and nothing of it has been read.
        if (struct stat cst{}; ::stat(checkpoints_->path().c_str(), &cst) == 0)
            stopped_at_ns_ = static_cast<int64_t>(cst.st_mtim.tv_sec) * 1'000'000'000 + cst.st_mtim.tv_nsec;
        for (const auto& [key, s] : saved_) unresolved_.insert(key);
        if (use_inotify_) {
            inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
            if (inotify_fd_ < 0)
                ctx_.warn(
                    std::string("inotify unavailable (") + std::strerror(errno) + "); polling every " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(poll_).count()) +
                    " ms");
        }
        discover(true);
        recover_moved();
        recover_unseen();
        persist();  // from now on, a file born later was never seen
        auto next_refresh = Clock::now() + refresh_;
        auto next_full_pass = Clock::now() + poll_;
        while (!ctx_.should_stop()) {
            const bool full_pass = Clock::now() >= next_full_pass || inotify_fd_ < 0;
            if (full_pass) next_full_pass = Clock::now() + poll_;
            bool progressed = false;
            for (auto& r : readers_) {
                if (ctx_.should_stop()) break;
                if (!r->active && !full_pass) continue;
                r->active = read_file(*r);
                progressed |= r->active;
            }
            release_gone();
            follow_copies();
            if (rescan_ || Clock::now() >= next_refresh) {
                rescan_ = false;
                discover(false);
                next_refresh = Clock::now() + refresh_;
            }
            if (dirty_.exchange(false)) persist();
            if (!progressed) wait(std::min<std::chrono::nanoseconds>(poll_, refresh_));
        }
        persist();
    }

    void stop() override {
        const uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
    }

    void on_ack(uint64_t cookie, bool delivered) override {
        if (!tracker_.acked(cookie, delivered)) return;
        // Written at once, unless that was very recently with many files
        // (the whole file is rewritten: 50 µs per file tracked between
        // writes); the loop then writes it within a poll interval.
        const int64_t now = wall_ns();
        const auto min_gap = static_cast<int64_t>(tracker_.files()) * 50'000;
        if (now - last_persist_ns_.load() >= min_gap) {
            persist();
        } else {
            dirty_.store(true);
        }
    }

private:
    void persist() {
        if (!checkpoints_) return;
        std::lock_guard lock(persist_mu_);
        last_persist_ns_.store(wall_ns());
        if (!checkpoints_->write(tracker_.serialize()))
            ctx_.error("cannot write checkpoints to " + checkpoints_->path() + ": " + std::strerror(errno));
    }

    /// Sleeps until `d` passes, inotify reports a change, or stop().
    void wait(std::chrono::nanoseconds d) {
        pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
        const int n = inotify_fd_ >= 0 ? 2 : 1;
        const int ms = static_cast<int>(
            std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
        if (::poll(fds, static_cast<nfds_t>(n), ms) <= 0) return;
        if (n == 2 && (fds[1].revents & POLLIN)) drain_inotify();
    }

    void drain_inotify() {
        alignas(inotify_event) char buf[16 * 1024];
        for (;;) {
            const ssize_t len = ::read(inotify_fd_, buf, sizeof buf);
            if (len <= 0) break;
            for (ssize_t off = 0; off < len;) {
                const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
                off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
                if (ev->mask & IN_Q_OVERFLOW) {
                    rescan_ = true;
                    for (auto& r : readers_) r->active = true;
                    continue;
                }
                if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF))
                    rescan_ = true;
                auto dir = watch_dirs_.find(ev->wd);
                if (dir == watch_dirs_.end() || ev->len == 0) continue;
                const std::string path = dir->second + "/" + ev->name;
                if (auto it = by_path_.find(path); it != by_path_.end()) it->second->active = true;
            }
        }
    }

    void watch_dir(const std::string& dir) {
        if (inotify_fd_ < 0 || watched_.count(dir)) return;
        const int wd = ::inotify_add_watch(
            inotify_fd_, dir.c_str(),
            IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB);
        if (wd < 0) {
            ctx_.debug("cannot watch " + dir + " with inotify (" + std::strerror(errno) + "); it is polled");
            watched_.insert(dir);  // do not try again on every scan
            return;
        }
        watched_.insert(dir);
        watch_dirs_[wd] = dir;
    }

    static std::string dir_of(const std::string& path) {
        const size_t slash = path.rfind('/');
        if (slash == std::string::npos) return ".";
        return slash == 0 ? "/" : path.substr(0, slash);
    }

    /// The part of a pattern before its first wildcard component.
    static std::string static_dir(const std::string& pattern) {
        const size_t wild = pattern.find_first_of("*?[");
        return dir_of(wild == std::string::npos ? pattern : pattern.substr(0, wild));
    }

    void discover(bool initial) {
        for (auto& r : readers_) r->seen = false;
        for (const auto& pattern : patterns_) {
            watch_dir(static_dir(pattern));
            glob_t g{};
            if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; ++i) open_file(g.gl_pathv[i], initial);
            }
            ::globfree(&g);
        }
        const auto now = Clock::now();
        for (auto& r : readers_) {
            if (!r->seen && !r->rotated && !r->gone) {
                // Renamed away from every pattern (rotation): read it to its
                // end for rotate_wait, in case the writer has not reopened yet.
                r->rotated = true;
                r->rotated_at = now;
                r->active = true;
            }
        }
    }

    void open_file(const std::string& path, bool initial) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
        const FileKey key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
        if (auto it = by_key_.find(key); it != by_key_.end()) {
            Reader& r = *it->second;
            r.seen = true;
            r.rotated = false;
            if (r.path != path) {  // renamed while open: keep following the same file
                by_path_.erase(r.path);
                r.path = path;
                by_path_[path] = &r;
                tracker_.set_path(key, path);
            }
            return;
        }
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            ctx_.warn("cannot open " + path + ": " + std::strerror(errno));
            return;
        }
        const auto size = static_cast<uint64_t>(st.st_size);
        uint64_t offset = 0;
        if (auto it = saved_.find(key); it != saved_.end()) {
            const Saved& s = it->second;
            // Same device and inode is not enough: an inode is reused once a
            // file is deleted. The first bytes must also be those we read.
            if (!same_content(fd, size, s)) {
                ctx_.info(path + " reuses the inode of a file read before; reading it from the start");
            } else if (s.offset > size) {
                ctx_.info(path +
                          " is shorter than its checkpoint (truncated meanwhile); reading it from the start");
            } else {
                offset = s.offset;
                unresolved_.erase(key);
            }
        } else if (initial && !read_from_head_ && born_while_stopped(fd)) {
            ctx_.info(path + " was created while stopped; reading it from the start");
        } else if (initial && !read_from_head_) {
            offset = size;  // like `tail -f`: only what is appended from now on
        }
        if (follow(path, key, fd, size, offset))
            ctx_.debug("following " + path + " from byte " + std::to_string(offset));
    }

    /// Whether the first bytes of the open file are those a checkpoint saw.
    static bool same_content(int fd, uint64_t size, const Saved& s) {
        return !s.has_fp || (s.fp.len <= size && hash_prefix(fd, s.fp.len) == s.fp.hash);
    }

    /// Takes `fd` over and reads the file from `offset`; null if it cannot.
    /// A rotated file keeps the path it was matched under in its checkpoint
    /// (`tracked`), as one rotated while running does: a checkpoint whose
    /// file is still at its path is one no pattern wants any more.
    Reader* follow(const std::string& path, const FileKey& key, int fd, uint64_t size, uint64_t offset,
                   const std::string& tracked = {}) {
        if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
            ::close(fd);
            return nullptr;
        }
        const Fingerprint fp = fingerprint(fd, size);
        tracker_.track(key, tracked.empty() ? path : tracked, offset, fp);
        auto r = std::make_unique<Reader>(path, key, fd, offset, max_line_);
        r->fp = fp;
        Reader* raw = r.get();
        by_key_[key] = raw;
        by_path_[path] = raw;
        watch_dir(dir_of(path));
        readers_.push_back(std::move(r));
        return raw;
    }

    /// A regular file in the directory of a checkpointed path.
    struct Neighbour {
        std::string path;
        std::string name;
        struct stat st;
    };

    static std::vector<Neighbour> list_dir(const std::string& dir) {
        std::vector<Neighbour> out;
        DIR* d = ::opendir(dir.c_str());
        if (!d) return out;
        while (const dirent* e = ::readdir(d)) {
            Neighbour n{dir + "/" + e->d_name, e->d_name, {}};
            if (::fstatat(::dirfd(d), e->d_name, &n.st, 0) == 0 && S_ISREG(n.st.st_mode))
                out.push_back(std::move(n));
        }
        ::closedir(d);
        return out;
    }

    /// After the first scan: checkpointed files that no pattern found as they
    /// were. One renamed while Weir was stopped (logrotate's app.log →
    /// app.log.1: same device, inode and first bytes, in the same directory)
    /// is read from its checkpoint to its end, then released like a file
    /// rotated while running. One emptied in place (copytruncate, truncation)
    /// is read from the copy beside it that starts with the same bytes
    /// (app.log.1, app.log-20261201), if there is one. Any other is reported:
    /// what was appended after its checkpoint cannot be read any more.
    void recover_moved() {
        std::map<std::string, std::vector<Neighbour>> dirs;
        for (const FileKey& key : unresolved_) {
            const Saved& s = saved_.at(key);
            if (s.path.empty()) continue;  // written by a version that kept no path
            const std::string dir = dir_of(s.path);
            auto d = dirs.find(dir);
            if (d == dirs.end()) d = dirs.emplace(dir, list_dir(dir)).first;
            // The inode is followed with other content: at the same path, the
            // file was emptied in place; elsewhere, or born since, the file
            // system gave a deleted file's inode to a new one.
            const auto followed = by_key_.find(key);
            bool rewritten = followed != by_key_.end() && followed->second->path == s.path &&
                             !born_while_stopped(followed->second->fd);
            struct stat st {};
            if (followed == by_key_.end() && ::stat(s.path.c_str(), &st) == 0 &&
                static_cast<uint64_t>(st.st_dev) == key.dev && static_cast<uint64_t>(st.st_ino) == key.ino) {
                ctx_.debug(s.path + " is no longer matched by any pattern; its checkpoint is dropped");
                continue;
            }
            if (followed == by_key_.end()) {
                if (recover_from(key, s, d->second, true)) continue;
                // Emptied in place and written again, then renamed (copytruncate
                // followed by a rename): what it holds now is all unread.
                rewritten = reread_rewritten(key, s, d->second);
            }
            if (s.has_fp && recover_from(key, s, d->second, false)) continue;
            const std::string where = " (device " + std::to_string(key.dev) + ", inode " +
                                      std::to_string(key.ino) + ", checkpoint at byte " +
                                      std::to_string(s.offset) + ")";
            if (rewritten) {
                ctx_.count_error("rotated_unread");
                ctx_.warn(
                    s.path + where +
                    " was truncated or rewritten while stopped (copytruncate?) and no copy starting with "
                    "its first bytes is beside it: lines appended after the checkpoint, if any, were not "
                    "read");
            } else {
                ctx_.count_error("file_gone");
                ctx_.warn(
                    s.path + where +
                    " is gone (deleted, or moved out of its directory while stopped): lines appended after "
                    "the checkpoint, if any, were not read");
            }
        }
        unresolved_.clear();
    }

    /// The checkpointed inode, beside its old path under a rotated name but
    /// with other first bytes: rewritten since (unless it is a new file that
    /// got a deleted one's inode), so it is read whole. True if so.
    bool reread_rewritten(const FileKey& key, const Saved& s, const std::vector<Neighbour>& dir) {
        for (const Neighbour& n : dir) {
            if (!(FileKey{static_cast<uint64_t>(n.st.st_dev), static_cast<uint64_t>(n.st.st_ino)} == key))
                continue;
            if (!rotated_name(n.name, s.path)) return false;
            const int fd = ::open(n.path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) return false;
            if (born_while_stopped(fd)) {
                ::close(fd);
                return false;
            }
            Reader* r = follow(n.path, key, fd, static_cast<uint64_t>(n.st.st_size), 0, s.path);
            if (!r) return false;
            r->rotated = true;
            r->rotated_at = Clock::now();
            ctx_.info(s.path + " was emptied, written again and rotated to " + n.path +
                      " while stopped; reading it whole");
            return true;
        }
        return false;
    }

    /// Reads, from where the emptied file was left, the copy copytruncate
    /// made of it.
    void follow_copies() {
        if (copies_to_find_.empty()) return;
        for (const auto& [key, s] : copies_to_find_)
            recover_from(key, s, list_dir(dir_of(s.path)), false, false);
        copies_to_find_.clear();
        persist();
    }

    /// Whether `name` extends the file name of `path` (app.log.1 for app.log).
    static bool rotated_name(const std::string& name, const std::string& path) {
        const size_t slash = path.rfind('/');
        const std::string_view base =
            slash == std::string::npos ? std::string_view(path) : std::string_view(path).substr(slash + 1);
        return name.size() > base.size() && name.compare(0, base.size(), base) == 0;
    }

    /// Whether the file was created after the checkpoints were last written,
    /// or within the same clock tick (a file tracked then has a checkpoint);
    /// false on a first start, or where the file system keeps no birth time.
    bool born_while_stopped(int fd) const {
        if (stopped_at_ns_ < 0) return false;
        struct statx stx {};
        if (::statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) != 0 || !(stx.stx_mask & STATX_BTIME))
            return false;
        return static_cast<int64_t>(stx.stx_btime.tv_sec) * 1'000'000'000 + stx.stx_btime.tv_nsec >=
               stopped_at_ns_;
    }

    /// Rotated files that Weir never saw: created while it was stopped and
    /// rotated away before it came back (a new app.log renamed or copied to
    /// app.log.1). A file beside a followed or checkpointed one, whose name
    /// extends that one's, and born after the checkpoints were last written,
    /// holds only unread lines: it is read whole, then released.
    void recover_unseen() {
        if (stopped_at_ns_ < 0) return;
        std::map<std::string, std::set<std::string>> bases;  // directory → file names
        auto add = [&](const std::string& path) {
            const size_t slash = path.rfind('/');
            bases[dir_of(path)].insert(slash == std::string::npos ? path : path.substr(slash + 1));
        };
        for (const auto& [key, saved] : saved_)
            if (!saved.path.empty()) add(saved.path);
        for (const auto& r : readers_) add(r->path);
        // A copy of a checkpointed file is never read whole (what it shares
        // with the checkpoint was read): its first bytes give it away.
        std::map<uint32_t, std::set<uint64_t>> known;  // fingerprint length → hashes
        for (const auto& [key, saved] : saved_)
            if (saved.has_fp && saved.fp.len > 0) known[saved.fp.len].insert(saved.fp.hash);
        auto copies_known = [&](int fd) {
            for (const auto& [len, hashes] : known) {
                const auto h = hash_prefix(fd, len);
                if (h && hashes.count(*h)) return true;
            }
            return false;
        };
        for (const auto& [dir, names] : bases) {
            for (const Neighbour& n : list_dir(dir)) {
                const FileKey k{static_cast<uint64_t>(n.st.st_dev), static_cast<uint64_t>(n.st.st_ino)};
                if (by_key_.count(k) || compressed(n.name)) continue;
                const auto of = std::find_if(names.begin(), names.end(),
                                             [&](const std::string& b) { return rotated_name(n.name, b); });
                if (of == names.end()) continue;
                const int fd = ::open(n.path.c_str(), O_RDONLY | O_CLOEXEC);
                if (fd < 0) continue;
                if (!born_while_stopped(fd) || copies_known(fd)) {
                    ::close(fd);
                    continue;
                }
                Reader* r = follow(n.path, k, fd, static_cast<uint64_t>(n.st.st_size), 0, dir + "/" + *of);
                if (!r) continue;
                r->rotated = true;
                r->rotated_at = Clock::now();
                ctx_.info(n.path + " was created and rotated while stopped; reading it whole");
            }
        }
    }

    static bool compressed(const std::string& name) {
        for (const char* ext : {".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".zip"}) {
            const size_t len = std::strlen(ext);
            if (name.size() > len && name.compare(name.size() - len, len, ext) == 0) return true;
        }
        return false;
    }

    /// Follows, from the checkpoint, the neighbour that is the checkpointed
    /// file (`same_inode`) or a copy of it whose name extends the old one.
    bool recover_from(const FileKey& key, const Saved& s, const std::vector<Neighbour>& dir, bool same_inode,
                      bool while_stopped = true) {
        for (const Neighbour& n : dir) {
            const FileKey k{static_cast<uint64_t>(n.st.st_dev), static_cast<uint64_t>(n.st.st_ino)};
            if (same_inode != (k == key) || by_key_.count(k)) continue;
            if (!same_inode && !rotated_name(n.name, s.path)) continue;
            const auto size = static_cast<uint64_t>(n.st.st_size);
            if (size < s.offset) continue;
            const int fd = ::open(n.path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                ctx_.warn("cannot open " + n.path + ", which holds " + std::to_string(size - s.offset) +
                          " unread bytes of " + s.path + ": " + std::strerror(errno));
                continue;
            }
            if (!same_content(fd, size, s)) {
                ::close(fd);
                continue;
            }
            Reader* r = follow(n.path, k, fd, size, s.offset, s.path);
            if (!r) continue;
            // Not matched by any pattern: read to its end, released after rotate_wait.
            r->rotated = true;
            r->rotated_at = Clock::now();
            ctx_.info(std::string(same_inode ? "" : "a copy of ") + s.path + " was rotated to " + n.path +
                      (while_stopped ? " while stopped; reading its " : "; reading its ") +
                      std::to_string(size - s.offset) + " bytes after " +
                      (while_stopped ? "the checkpoint" : "what was read"));
            return true;
        }
        return false;
    }

    static Fingerprint fingerprint(int fd, uint64_t size) {
        const auto len = static_cast<uint32_t>(std::min<uint64_t>(size, kFingerprintBytes));
        const auto h = hash_prefix(fd, len);
        return h ? Fingerprint{len, *h} : Fingerprint{};
    }

    void release_gone() {
        bool any = false;
        for (auto& r : readers_) {
            if (!r->gone) continue;
            by_key_.erase(r->key);
            if (auto it = by_path_.find(r->path); it != by_path_.end() && it->second == r.get())
                by_path_.erase(it);
            tracker_.forget(r->key);
            ctx_.debug("released " + r->path);
            any = true;
        }
        if (!any) return;
        std::erase_if(readers_, [](const auto& r) { return r->gone; });
        persist();
    }

    /// Reads what is there now (a bounded amount, for fairness between
    /// files); returns true if anything was read.
    bool read_file(Reader& r) {
        weir::OwnedBatch batch(ctx_.host(), nullptr);
        uint64_t end = r.offset - r.splitter.pending();  // file offset after the last complete line
        // Before reading on: a file emptied and written again (copytruncate)
        // may already be longer than where we are; its first bytes tell.
        if (r.offset > 0 && r.fp.len > 0 && hash_prefix(r.fd, r.fp.len) != r.fp.hash) {
            struct stat st {};
            if (::fstat(r.fd, &st) == 0) restart_file(r, batch, end, static_cast<uint64_t>(st.st_size));
        }
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
            const int64_t t = wall_ns();
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
                                if (!batch) batch = ctx_.new_batch();
                                batch.add(text, t, flags);
                                end = chunk_start + at;
                                if (ctx_.batch_full(batch)) {
                                    if (!emit(batch, r.key, end)) {
                                        stopped = true;  // the pipeline gave up (forced stop)
                                        return;
                                    }
                                }
                            });
            if (static_cast<size_t>(n) < chunk_) {
                // Caught up with the writer for now; a file still growing
                // and smaller than a fingerprint gets its longer one.
                if (r.fp.len < kFingerprintBytes) check_at_eof(r, batch, end);
                break;
            }
        }
        if (batch && !batch.empty() && !stopped) emit(batch, r.key, end);
        return progressed;
    }

    /// The file was truncated (and maybe written again): read it from its start.
    void restart_file(Reader& r, weir::OwnedBatch& batch, uint64_t& end, uint64_t size) {
        ctx_.info(r.path + " was truncated; reading it from the start");
        if (batch && !batch.empty()) emit(batch, r.key, end);
        // copytruncate: what was appended after our last read and before the
        // truncation is in the copy beside it, if there is one; looked for
        // once this pass over the files is done.
        if (r.fp.len > 0) copies_to_find_.push_back({r.key, Saved{end, r.fp, true, r.path}});
        ::lseek(r.fd, 0, SEEK_SET);
        r.offset = 0;
        end = 0;
        r.splitter.reset();
        r.fp = fingerprint(r.fd, size);
        tracker_.reset(r.key, 0);
        tracker_.set_fingerprint(r.key, r.fp);
        r.active = true;
        persist();
    }

    /// At the end of what there is: truncation, copytruncate, deletion, rotation.
    void check_at_eof(Reader& r, weir::OwnedBatch& batch, uint64_t& end) {
        struct stat st {};
        if (::fstat(r.fd, &st) != 0) return;
        const auto size = static_cast<uint64_t>(st.st_size);
        bool rewritten = size < r.offset;  // truncated in place
        if (!rewritten && r.fp.len > 0) {
            // Copytruncate: the file was emptied and written again, maybe
            // past where we are already. Its first bytes tell.
            const auto h = hash_prefix(r.fd, r.fp.len);
            rewritten = !h || *h != r.fp.hash;
        }
        if (rewritten) {
            restart_file(r, batch, end, size);
            return;
        }
        if (r.fp.len < kFingerprintBytes && size > r.fp.len) {
            r.fp = fingerprint(r.fd, size);  // grew: a longer prefix identifies it better
            tracker_.set_fingerprint(r.key, r.fp);
        }
        if (r.offset < size) return;  // more arrived meanwhile
        if (st.st_nlink == 0) {
            r.gone = true;  // deleted and read to the end: release it
        } else if (r.rotated && Clock::now() - r.rotated_at >= rotate_wait_) {
            r.gone = true;  // rotated away and quiet for rotate_wait
        }
    }

    bool emit(weir::OwnedBatch& batch, const FileKey& key, uint64_t end) {
        const uint64_t cookie = ++next_cookie_;
        // One stream per file identity: a renamed file stays the same stream.
        batch.set_stream(std::to_string(key.dev) + ":" + std::to_string(key.ino));
        tracker_.emitted(key, cookie, end);  // before emit: the ack may come first
        if (!ctx_.emit(batch, cookie)) {
            tracker_.acked(cookie, false);
            batch = weir::OwnedBatch(ctx_.host(), nullptr);
            return false;
        }
        return true;
    }

    std::vector<std::string> patterns_;
    bool read_from_head_;
    std::chrono::nanoseconds refresh_;
    std::chrono::nanoseconds poll_;
    std::chrono::nanoseconds rotate_wait_;
    size_t max_line_;
    size_t chunk_;
    bool use_inotify_;
    std::vector<char> buffer_;

    std::vector<std::unique_ptr<Reader>> readers_;
    std::map<FileKey, Reader*> by_key_;
    std::unordered_map<std::string, Reader*> by_path_;
    std::map<FileKey, Saved> saved_;
    std::vector<std::pair<FileKey, Saved>> copies_to_find_;  // files emptied in place this pass
    std::set<FileKey> unresolved_;                           // checkpoints not resumed by the first scan
    int64_t stopped_at_ns_ = -1;  // when the checkpoints were last written (-1: none)
    CheckpointTracker tracker_;
    std::unique_ptr<CheckpointFile> checkpoints_;
    std::mutex persist_mu_;
    std::atomic<int64_t> last_persist_ns_{0};
    std::atomic<bool> dirty_{false};
    std::atomic<uint64_t> next_cookie_{0};

    int wake_fd_ = -1;
    int inotify_fd_ = -1;
    std::unordered_map<int, std::string> watch_dirs_;  // inotify watch → directory
    std::set<std::string> watched_;
    bool rescan_ = false;
};

const weir::Option file_options[] = {
    weir::option::required_string_list("paths", "Glob patterns of the files to follow."),
    weir::option::boolean("read_from_head", "false",
                          "Read files found at startup from the beginning (otherwise only new lines)."),
    weir::option::duration("refresh_interval", "1s",
                           "How often the patterns are matched again to find new files.")
        .at_least("1ms"),
    weir::option::duration("poll_interval", "250ms",
                           "How often every file is checked for new data (with inotify: the fallback).")
        .at_least("1ms"),
    weir::option::duration(
        "rotate_wait", "5s",
        "How long a file renamed away from the patterns is still read before it is released."),
    weir::option::boolean("inotify", "true",
                          "Be woken by inotify when files change (polling remains the fallback)."),
    weir::option::size("max_line_size", "1MiB", "Longer lines are cut to this size and flagged as truncated.")
        .at_least("1B"),
    weir::option::size("read_buffer_size", "256KiB", "Bytes read from a file at a time.").at_least("4KiB"),
};

}  // namespace

WEIR_PLUGIN(FileInput, WEIR_KIND_INPUT, "file", "0.1.0",
            "Follows files matching glob patterns, with checkpoints advanced on acknowledgement.",
            file_options)
