#include "file_set.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace weir::file_output {
namespace {

int64_t clock_ns(clockid_t id) {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool exists(const std::string& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

/// Creates the directories above `file` that are missing. 0 or errno.
int make_parents(const std::string& file) {
    const size_t last = file.rfind('/');
    if (last == 0 || last == std::string::npos) return 0;
    std::string dir;
    size_t pos = 0;
    while (pos < last) {
        const size_t next = file.find('/', pos + 1);
        dir.assign(file, 0, next);
        if (!dir.empty() && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errno;
        pos = next;
    }
    return 0;
}

int write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return errno;
        if (w == 0) return EIO;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return 0;
}

std::string rotated_name(const std::string& path, int64_t i) { return path + "." + std::to_string(i); }

}  // namespace

const char* failure_reason(int err) {
    switch (err) {
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
            return "disk_full";
        case EACCES:
        case EPERM:
        case EROFS:
            return "permission_denied";
        default:
            return "io_error";
    }
}

FileSet::FileSet(const Context& ctx, FileSettings settings) : ctx_(ctx), settings_(settings) {
    if (settings_.max_open_files == 0) settings_.max_open_files = 1;
    if (settings_.compress) compressor_ = std::make_unique<Compressor>(ctx_);
    last_sync_ns_ = clock_ns(CLOCK_MONOTONIC);
}

FileSet::~FileSet() {
    for (auto& [path, s] : slots_) close_file(*s);
}

FileSet::Slot* FileSet::slot(const std::string& path) {
    auto it = slots_.find(path);
    if (it == slots_.end()) {
        auto s = std::make_unique<Slot>();
        s->path = path;
        it = slots_.emplace(path, std::move(s)).first;
    }
    return it->second.get();
}

std::string& FileSet::pending(Slot* s) {
    if (!s->touched) {
        s->touched = true;
        touched_.push_back(s);
    }
    return s->pending;
}

int64_t FileSet::period_of(int64_t time_ns) const {
    return settings_.rotate_interval_ns > 0 ? floor_div(time_ns, settings_.rotate_interval_ns) : 0;
}

void FileSet::close_file(Slot& s) {
    if (s.fd < 0) return;
    if (s.dirty && (settings_.fsync_each || settings_.fsync_interval_ns > 0)) ::fdatasync(s.fd);
    ::close(s.fd);
    s.fd = -1;
    s.dirty = false;
    open_.erase(s.lru);
}

int FileSet::open_file(Slot& s) {
    while (open_.size() >= settings_.max_open_files) close_file(*open_.back());
    int fd = ::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        if (const int e = make_parents(s.path)) return e;
        fd = ::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    }
    if (fd < 0) return errno;
    struct stat st {};
    ::fstat(fd, &st);
    s.fd = fd;
    s.size = static_cast<uint64_t>(st.st_size);
    // A file carried over from before (a restart) belongs to the period it was last written in.
    s.period =
        period_of(s.size > 0 ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec
                             : clock_ns(CLOCK_REALTIME));
    open_.push_front(&s);
    s.lru = open_.begin();
    return 0;
}

void FileSet::shift_rotated(const std::string& path) {
    int64_t top = settings_.max_files;
    if (top > 0) {
        ::unlink(rotated_name(path, top).c_str());
        ::unlink((rotated_name(path, top) + ".gz").c_str());
        --top;
    } else {
        top = 0;  // keep all: find the oldest
        while (exists(rotated_name(path, top + 1)) || exists(rotated_name(path, top + 1) + ".gz")) ++top;
    }
    for (int64_t i = top; i >= 1; --i) {
        const std::string from = rotated_name(path, i), to = rotated_name(path, i + 1);
        std::rename(from.c_str(), to.c_str());
        std::rename((from + ".gz").c_str(), (to + ".gz").c_str());
    }
}

int FileSet::rotate(Slot& s) {
    close_file(s);
    if (compressor_) compressor_->wait_idle(s.path);
    shift_rotated(s.path);
    const std::string first = rotated_name(s.path, 1);
    if (std::rename(s.path.c_str(), first.c_str()) != 0 && errno != ENOENT) return errno;
    if (compressor_) compressor_->submit(s.path, first);
    s.rotated = true;
    s.batch_start = 0;  // what this batch writes from here on is in the new file
    s.has_batch_start = true;
    return open_file(s);
}

int FileSet::write_slot(Slot& s, std::string* failed_op) {
    if (s.fd < 0) {
        if (const int e = open_file(s)) {
            *failed_op = "open";
            return e;
        }
    } else {
        open_.splice(open_.begin(), open_, s.lru);
    }
    struct stat st {};
    if (::fstat(s.fd, &st) == 0) s.size = static_cast<uint64_t>(st.st_size);  // copytruncate shrinks it
    if (!s.has_batch_start) {
        s.batch_start = s.size;
        s.has_batch_start = true;
    }
    const std::string& data = s.pending;
    size_t off = 0;
    const int64_t now = settings_.rotate_interval_ns > 0 ? clock_ns(CLOCK_REALTIME) : 0;
    while (off < data.size()) {
        if (settings_.rotate_interval_ns > 0 && s.size > 0 && period_of(now) != s.period) {
            if (const int e = rotate(s)) {
                *failed_op = "rotate";
                return e;
            }
            continue;
        }
        size_t n = data.size() - off;
        if (settings_.rotate_size > 0 && s.size + n > settings_.rotate_size) {
            // Whole lines up to the limit; a file holds at least one line.
            const uint64_t room = settings_.rotate_size > s.size ? settings_.rotate_size - s.size : 0;
            size_t take = 0;
            if (room > 0) {
                const size_t nl = data.rfind('\n', off + static_cast<size_t>(room) - 1);
                if (nl != std::string::npos && nl >= off) take = nl - off + 1;
            }
            if (take == 0 && s.size > 0) {
                if (const int e = rotate(s)) {
                    *failed_op = "rotate";
                    return e;
                }
                continue;
            }
            if (take == 0) {
                const size_t nl = data.find('\n', off);
                take = nl == std::string::npos ? n : nl - off + 1;
            }
            n = take;
        }
        if (const int e = write_all(s.fd, data.data() + off, n)) {
            *failed_op = "write";
            return e;
        }
        s.size += n;
        s.dirty = true;
        off += n;
    }
    return 0;
}

void FileSet::rollback() {
    for (Slot* s : touched_) {
        if (!s->has_batch_start) continue;
        const auto len = static_cast<off_t>(s->batch_start);
        const int rc = s->fd >= 0 ? ::ftruncate(s->fd, len) : ::truncate(s->path.c_str(), len);
        if (rc == 0) s->size = s->batch_start;
    }
}

// Before the first bytes of a batch: a reopen asked for since the last batch
// closes the files now, never between two writes of one batch (its rollback
// must truncate the files it wrote).
void FileSet::start_writing() {
    if (writing_) return;
    writing_ = true;
    const uint64_t gen = reopen_generation_.load(std::memory_order_relaxed);
    if (gen != seen_generation_) {
        seen_generation_ = gen;
        while (!open_.empty()) close_file(*open_.back());
    }
}

void FileSet::write_early(Slot& s) {
    if (!failure_) {
        start_writing();
        std::string op;
        if (const int e = write_slot(s, &op))
            failure_ = WriteFailure{failure_reason(e), op + " " + s.path + ": " + std::strerror(e)};
    }
    s.pending.clear();  // after a failure the rest is only rendered; commit() rolls back
}

std::optional<WriteFailure> FileSet::commit() {
    start_writing();
    std::optional<WriteFailure> failure = std::move(failure_);
    for (Slot* s : touched_) {
        if (failure) break;
        if (s->pending.empty()) continue;
        std::string op;
        if (const int e = write_slot(*s, &op)) {
            failure = WriteFailure{failure_reason(e), op + " " + s->path + ": " + std::strerror(e)};
            break;
        }
    }
    if (!failure && settings_.fsync_each) {
        for (Slot* s : touched_) {
            if (s->fd >= 0 && s->dirty) {
                if (::fdatasync(s->fd) != 0) {
                    const int e = errno;
                    failure = WriteFailure{failure_reason(e), "fsync " + s->path + ": " + std::strerror(e)};
                    break;
                }
                s->dirty = false;
            }
        }
    } else if (!failure && settings_.fsync_interval_ns > 0 &&
               clock_ns(CLOCK_MONOTONIC) - last_sync_ns_ >= settings_.fsync_interval_ns) {
        failure = sync();
    }
    if (failure) rollback();
    discard();
    if (slots_.size() > std::max<size_t>(256, 4 * settings_.max_open_files)) prune();
    return failure;
}

void FileSet::discard() {
    for (Slot* s : touched_) {
        if (s->pending.capacity() > (8u << 20)) {
            std::string().swap(s->pending);  // a huge batch does not pin memory
        } else {
            s->pending.clear();
        }
        s->touched = false;
        s->rotated = false;
        s->has_batch_start = false;
    }
    touched_.clear();
    writing_ = false;
    failure_.reset();
}

std::optional<WriteFailure> FileSet::sync() {
    last_sync_ns_ = clock_ns(CLOCK_MONOTONIC);
    for (Slot* s : open_) {
        if (!s->dirty) continue;
        if (::fdatasync(s->fd) != 0) {
            const int e = errno;
            return WriteFailure{failure_reason(e), "fsync " + s->path + ": " + std::strerror(e)};
        }
        s->dirty = false;
    }
    return std::nullopt;
}

void FileSet::prune() {
    for (auto it = slots_.begin(); it != slots_.end();) {
        if (it->second->fd < 0) {
            it = slots_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace weir::file_output
