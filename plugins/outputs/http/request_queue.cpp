#include "request_queue.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace weir::http_output {

namespace {

constexpr char kMagic[] = "weir-spool 1 ";

bool write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

/// Reads a spool file: header "weir-spool 1 <events>\n" then the body.
bool read_file(const std::string& path, size_t& events, std::string* body, size_t& size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::string data;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (!body && data.find('\n') != std::string::npos) break;  // the header is enough
    }
    ::close(fd);
    const size_t nl = data.find('\n');
    if (data.compare(0, sizeof kMagic - 1, kMagic) != 0 || nl == std::string::npos) return false;
    events = std::strtoull(data.c_str() + sizeof kMagic - 1, nullptr, 10);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    size = static_cast<size_t>(st.st_size);
    if (body) body->assign(data, nl + 1, std::string::npos);
    return true;
}

}  // namespace

RequestQueue::RequestQueue(std::string dir, Limits limits, OnDrop on_drop)
    : dir_(std::move(dir)), limits_(limits), on_drop_(std::move(on_drop)) {
    ::mkdir(dir_.c_str(), 0700);
}

std::string RequestQueue::file_for(uint64_t seq) const {
    char name[40];
    std::snprintf(name, sizeof name, "/%020" PRIu64 ".req", seq);
    return dir_ + name;
}

size_t RequestQueue::recover(std::string& error) {
    DIR* d = ::opendir(dir_.c_str());
    if (!d) {
        error = "cannot open spool directory " + dir_ + ": " + std::strerror(errno);
        return 0;
    }
    std::vector<Request> found;
    while (dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() != 24 || name.compare(20, 4, ".req") != 0) {
            if (name.rfind(".tmp-", 0) == 0) ::unlink((dir_ + "/" + name).c_str());  // a write cut short
            continue;
        }
        Request r;
        r.seq = std::strtoull(name.c_str(), nullptr, 10);
        r.path = dir_ + "/" + name;
        if (!read_file(r.path, r.events, nullptr, r.size)) {
            error = "skipping unreadable spool file " + r.path;
            continue;
        }
        found.push_back(std::move(r));
    }
    ::closedir(d);
    std::sort(found.begin(), found.end(), [](const Request& a, const Request& b) { return a.seq < b.seq; });
    std::lock_guard lock(mu_);
    for (auto it = found.rbegin(); it != found.rend(); ++it) {
        spool_ += it->size;
        last_seq_ = std::max(last_seq_, it->seq);
        q_.push_front(std::move(*it));
    }
    return found.size();
}

bool RequestQueue::spill_locked(Request& r) {
    const std::string path = file_for(r.seq);
    const std::string tmp = dir_ + "/.tmp-" + std::to_string(r.seq);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        last_error_ = "cannot create " + tmp + ": " + std::strerror(errno);
        return false;
    }
    const std::string header = kMagic + std::to_string(r.events) + "\n";
    const bool ok = write_all(fd, header.data(), header.size()) && write_all(fd, r.body.data(), r.body.size());
    const int saved = errno;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        last_error_ = "cannot write " + path + ": " + std::strerror(ok ? errno : saved);
        ::unlink(tmp.c_str());
        return false;
    }
    r.path = path;
    r.size = header.size() + r.body.size();
    std::string().swap(r.body);
    return true;
}

RequestQueue::Placed RequestQueue::push(Request r, bool may_block) {
    std::vector<Request> dropped;
    Placed placed = Placed::Dropped;
    {
        std::unique_lock lock(mu_);
        r.size = r.body.size();
        bool keep = true;
        for (;;) {
            if (closed_ && may_block) return Placed::Closed;
            const bool fits_memory = memory_ + r.size <= limits_.memory_bytes;
            const bool fits_spool = spool_ + r.size <= limits_.spool_bytes;
            if (fits_memory || fits_spool || q_.empty()) break;
            if (limits_.on_full == SpoolFull::Block) {
                if (!may_block) break;
                cv_.wait(lock);
            } else if (limits_.on_full == SpoolFull::DropNewest) {
                keep = false;
                break;
            } else {
                // Drop the oldest request, spooled ones first (it may be on its way: it goes too).
                auto it = std::find_if(q_.begin(), q_.end(), [](const Request& x) { return x.spooled(); });
                if (it == q_.end()) it = q_.begin();
                if (it->spooled()) {
                    spool_ -= it->size;
                    ::unlink(it->path.c_str());
                } else {
                    memory_ -= it->size;
                }
                dropped.push_back(std::move(*it));
                q_.erase(it);
            }
        }
        if (keep) {
            r.seq = ++last_seq_;
            if (memory_ + r.size <= limits_.memory_bytes || q_.empty() ||
                spool_ + r.size > limits_.spool_bytes || !spill_locked(r)) {
                memory_ += r.size;
                placed = Placed::Memory;
            } else {
                spool_ += r.size;
                placed = Placed::Spool;
            }
            q_.push_back(std::move(r));
            cv_.notify_all();
        } else {
            dropped.push_back(std::move(r));
        }
    }
    for (auto& d : dropped) on_drop_(d);
    return placed;
}

std::optional<Request> RequestQueue::front(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return closed_ || !q_.empty(); }) || q_.empty()) return std::nullopt;
    Request copy;
    const Request& f = q_.front();
    copy.seq = f.seq;
    copy.events = f.events;
    copy.tokens = f.tokens;
    copy.size = f.size;
    copy.path = f.path;
    if (f.spooled()) {
        size_t events = 0, size = 0;
        if (!read_file(f.path, events, &copy.body, size)) {
            // Unreadable: give it up (counted as dropped) rather than block the queue forever.
            last_error_ = "spool file " + f.path + " is unreadable; skipped";
            spool_ -= f.size;
            ::unlink(f.path.c_str());
            Request lost = std::move(q_.front());
            q_.pop_front();
            lock.unlock();
            on_drop_(lost);
            return std::nullopt;
        }
    } else {
        copy.body = f.body;
    }
    return copy;
}

void RequestQueue::pop_front(uint64_t seq) {
    std::lock_guard lock(mu_);
    auto it = std::find_if(q_.begin(), q_.end(), [&](const Request& r) { return r.seq == seq; });
    if (it == q_.end()) return;  // dropped meanwhile
    if (it->spooled()) {
        spool_ -= it->size;
        ::unlink(it->path.c_str());
    } else {
        memory_ -= it->size;
    }
    q_.erase(it);
    cv_.notify_all();
}

size_t RequestQueue::spool_all() {
    std::lock_guard lock(mu_);
    size_t lost = 0;
    for (auto& r : q_) {
        if (r.spooled()) continue;
        const size_t size = r.size;
        if (spool_ + size > limits_.spool_bytes || !spill_locked(r)) {
            ++lost;
            continue;
        }
        memory_ -= size;
        spool_ += r.size;
    }
    return lost;
}

void RequestQueue::close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
}

size_t RequestQueue::memory_bytes() const {
    std::lock_guard lock(mu_);
    return memory_;
}
size_t RequestQueue::spool_bytes() const {
    std::lock_guard lock(mu_);
    return spool_;
}
size_t RequestQueue::size() const {
    std::lock_guard lock(mu_);
    return q_.size();
}
std::string RequestQueue::last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
}

}  // namespace weir::http_output
