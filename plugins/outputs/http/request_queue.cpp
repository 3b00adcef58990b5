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
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            return false;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

std::string header_for(const Request& r) { return kMagic + std::to_string(r.events) + "\n"; }

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

size_t memory_held(const Request& r) {
    return kRequestOverhead + r.body.capacity() + r.tokens.capacity() * sizeof(uint64_t) +
           r.tokens.size() * kPerTokenOverhead;
}

RequestQueue::RequestQueue(std::string dir, Limits limits, OnDrop on_drop, OnSpooled on_spooled)
    : dir_(std::move(dir)),
      limits_(limits),
      on_drop_(std::move(on_drop)),
      on_spooled_(std::move(on_spooled)) {
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

bool RequestQueue::spool_usable_locked() const {
    return !spool_failing_ || std::chrono::steady_clock::now() - spool_failed_at_ >= limits_.spool_retry;
}

bool RequestQueue::spill_locked(Request& r, Done& done) {
    const std::string path = file_for(r.seq);
    const std::string tmp = dir_ + "/.tmp-" + std::to_string(r.seq);
    const std::string header = header_for(r);
    auto fail = [&](const std::string& what) {
        errors_.last_error = what + ": " + std::strerror(errno);
        ++errors_.failures;
        spool_failing_ = true;
        spool_failed_at_ = std::chrono::steady_clock::now();
        ::unlink(tmp.c_str());
        return false;
    };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot create " + tmp);
    // Written and on disk before it is renamed into place and acknowledged.
    if (!write_all(fd, header.data(), header.size()) || !write_all(fd, r.body.data(), r.body.size()) ||
        ::fsync(fd) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        return fail("cannot write " + tmp);
    }
    if (::close(fd) != 0) return fail("cannot write " + tmp);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename " + tmp + " to " + path);
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool dir_synced = dfd >= 0 && ::fsync(dfd) == 0;
    const int saved = errno;
    if (dfd >= 0) ::close(dfd);
    if (!dir_synced) {
        ::unlink(path.c_str());
        errno = saved;
        return fail("cannot sync the spool directory " + dir_);
    }
    if (spool_failing_) {
        spool_failing_ = false;
        errors_.recovered = true;
    }
    r.path = path;
    r.size = header.size() + r.body.size();
    std::string().swap(r.body);
    done.acked.insert(done.acked.end(), r.tokens.begin(), r.tokens.end());
    done.spooled_events += r.events;
    std::vector<uint64_t>().swap(r.tokens);
    return true;
}

void RequestQueue::finish(Done& done) {
    for (auto& [r, reason] : done.dropped) on_drop_(r, reason);
    if (on_spooled_ && (!done.acked.empty() || done.spooled_events > 0))
        on_spooled_(done.acked, done.spooled_events);
}

RequestQueue::Placed RequestQueue::push(Request r, bool may_block) {
    Done done;
    Placed placed = Placed::Dropped;
    {
        std::unique_lock lock(mu_);
        for (;;) {
            if (closed_ && may_block) return Placed::Closed;
            const size_t held = memory_held(r);
            const bool spool_room = spool_ + header_for(r).size() + r.body.size() <= limits_.spool_bytes;
            const bool try_spool = spool_room && spool_usable_locked();
            r.seq = last_seq_ + 1;  // numbered when placed, so the queue stays in order
            if (prefer_spool_ && try_spool && spill_locked(r, done)) {
                placed = Placed::Spool;
                break;
            }
            if (memory_ + held <= limits_.memory_bytes || q_.empty()) {
                placed = Placed::Memory;
                break;
            }
            if (!prefer_spool_ && try_spool && spill_locked(r, done)) {
                placed = Placed::Spool;
                break;
            }
            // Memory is full and the spool is full or cannot be written.
            const char* reason = spool_room ? "spool_write_failed" : "spool_full";
            if (limits_.on_full == SpoolFull::Block) {
                if (!may_block) {
                    placed = Placed::Memory;  // the sender thread: over the bound by this one request
                    break;
                }
                cv_.wait_for(lock, limits_.spool_retry);  // room, or time to try the spool again
                continue;
            }
            auto victim = q_.end();
            if (limits_.on_full == SpoolFull::DropOldest) {
                // The oldest request where room is short: on disk when the spool is
                // over its bound, in memory when the disk refuses writes.
                victim = std::find_if(q_.begin(), q_.end(),
                                      [&](const Request& x) { return x.spooled() == !spool_room; });
            }
            if (victim == q_.end()) {
                done.dropped.emplace_back(std::move(r), reason);
                break;
            }
            if (victim->spooled()) {
                spool_ -= victim->size;
                ::unlink(victim->path.c_str());
            } else {
                memory_ -= victim->size;
            }
            done.dropped.emplace_back(std::move(*victim), reason);
            q_.erase(victim);
        }
        if (placed == Placed::Memory || placed == Placed::Spool) {
            last_seq_ = r.seq;
            if (placed == Placed::Memory) {
                r.size = memory_held(r);
                memory_ += r.size;
            } else {
                spool_ += r.size;
            }
            q_.push_back(std::move(r));
            cv_.notify_all();
        }
    }
    finish(done);
    return placed;
}

void RequestQueue::wait_for_room() {
    if (limits_.on_full != SpoolFull::Block) return;
    std::unique_lock lock(mu_);
    while (!closed_ && !q_.empty() && memory_ >= limits_.memory_bytes &&
           !(spool_ < limits_.spool_bytes && spool_usable_locked()))
        cv_.wait_for(lock, limits_.spool_retry);
}

std::optional<Request> RequestQueue::front(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return closed_ || !q_.empty(); }) || q_.empty()) return std::nullopt;
    Request copy;
    const Request& f = q_.front();
    copy.seq = f.seq;
    copy.events = f.events;
    copy.size = f.size;
    copy.path = f.path;
    if (f.spooled()) {
        size_t events = 0, size = 0;
        if (!read_file(f.path, events, &copy.body, size)) {
            // Unreadable: give it up (counted as dropped) rather than block the queue forever.
            spool_ -= f.size;
            ::unlink(f.path.c_str());
            Done done;
            done.dropped.emplace_back(std::move(q_.front()), "spool_unreadable");
            q_.pop_front();
            cv_.notify_all();
            lock.unlock();
            finish(done);
            return std::nullopt;
        }
    } else {
        copy.body = f.body;
    }
    return copy;
}

std::vector<uint64_t> RequestQueue::pop_front(uint64_t seq) {
    std::lock_guard lock(mu_);
    auto it = std::find_if(q_.begin(), q_.end(), [&](const Request& r) { return r.seq == seq; });
    if (it == q_.end()) return {};  // dropped meanwhile
    if (it->spooled()) {
        spool_ -= it->size;
        ::unlink(it->path.c_str());
    } else {
        memory_ -= it->size;
    }
    std::vector<uint64_t> owed = std::move(it->tokens);
    q_.erase(it);
    cv_.notify_all();
    return owed;
}

void RequestQueue::set_prefer_spool(bool on) {
    std::lock_guard lock(mu_);
    prefer_spool_ = on;
}

size_t RequestQueue::spill_memory() {
    Done done;
    size_t n = 0;
    {
        std::lock_guard lock(mu_);
        for (auto& r : q_) {
            if (r.spooled()) continue;
            if (!spool_usable_locked() || spool_ + header_for(r).size() + r.body.size() > limits_.spool_bytes)
                break;
            const size_t held = r.size;
            if (!spill_locked(r, done)) break;
            memory_ -= held;
            spool_ += r.size;
            ++n;
        }
        if (n > 0) cv_.notify_all();
    }
    finish(done);
    return n;
}

size_t RequestQueue::spool_all() {
    Done done;
    size_t lost = 0;
    {
        std::lock_guard lock(mu_);
        for (auto& r : q_) {
            if (r.spooled()) continue;
            const size_t held = r.size;
            if (spool_ + header_for(r).size() + r.body.size() > limits_.spool_bytes ||
                !spill_locked(r, done)) {
                ++lost;
                continue;
            }
            memory_ -= held;
            spool_ += r.size;
        }
    }
    finish(done);
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
RequestQueue::SpoolErrors RequestQueue::take_spool_errors() {
    std::lock_guard lock(mu_);
    SpoolErrors out = std::move(errors_);
    errors_ = SpoolErrors{};
    return out;
}

}  // namespace weir::http_output
