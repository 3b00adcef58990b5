#include "checkpoints.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace weir::inputs {

void CheckpointTracker::track(const FileKey& key, const std::string& path, uint64_t offset, Fingerprint fp) {
    std::lock_guard lock(mu_);
    File& f = files_[key];
    f.path = path;
    f.committed = offset;
    f.fp = fp;
}

void CheckpointTracker::set_fingerprint(const FileKey& key, Fingerprint fp) {
    std::lock_guard lock(mu_);
    auto it = files_.find(key);
    if (it != files_.end()) it->second.fp = fp;
}

void CheckpointTracker::set_path(const FileKey& key, const std::string& path) {
    std::lock_guard lock(mu_);
    auto it = files_.find(key);
    if (it != files_.end()) it->second.path = path;
}

void CheckpointTracker::reset(const FileKey& key, uint64_t offset) {
    std::lock_guard lock(mu_);
    File& f = files_[key];
    for (const auto& p : f.pending) owner_.erase(p.cookie);
    f.pending.clear();
    f.committed = offset;
}

void CheckpointTracker::forget(const FileKey& key) {
    std::lock_guard lock(mu_);
    auto it = files_.find(key);
    if (it == files_.end()) return;
    for (const auto& p : it->second.pending) owner_.erase(p.cookie);
    files_.erase(it);
}

void CheckpointTracker::emitted(const FileKey& key, uint64_t cookie, uint64_t end) {
    std::lock_guard lock(mu_);
    files_[key].pending.push_back(Pending{cookie, end});
    owner_[cookie] = key;
}

bool CheckpointTracker::acked(uint64_t cookie, bool delivered) {
    std::lock_guard lock(mu_);
    auto o = owner_.find(cookie);
    if (o == owner_.end()) return false;
    File& f = files_[o->second];
    owner_.erase(o);
    for (auto& p : f.pending) {
        if (p.cookie == cookie) {
            p.acked = true;
            p.failed = !delivered;
            break;
        }
    }
    bool moved = false;
    // Only a contiguous run of delivered batches moves the checkpoint; a failed
    // one blocks it for good (its lines are read again after a restart).
    while (!f.pending.empty() && f.pending.front().acked && !f.pending.front().failed) {
        f.committed = f.pending.front().end;
        f.pending.pop_front();
        moved = true;
    }
    return moved;
}

uint64_t CheckpointTracker::committed(const FileKey& key) const {
    std::lock_guard lock(mu_);
    auto it = files_.find(key);
    return it == files_.end() ? 0 : it->second.committed;
}

size_t CheckpointTracker::pending() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [k, f] : files_) n += f.pending.size();
    return n;
}

size_t CheckpointTracker::files() const {
    std::lock_guard lock(mu_);
    return files_.size();
}

std::string CheckpointTracker::serialize() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& [k, f] : files_) {
        out += std::to_string(k.dev) + " " + std::to_string(k.ino) + " " + std::to_string(f.committed) +
               " fp=" + std::to_string(f.fp.len) + ":" + std::to_string(f.fp.hash) + " " + f.path + "\n";
    }
    return out;
}

std::map<FileKey, Saved> CheckpointTracker::parse(const std::string& text) {
    std::map<FileKey, Saved> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        FileKey k;
        Saved s;
        if (!(l >> k.dev >> k.ino >> s.offset)) continue;
        std::string token;
        if (l >> token && token.rfind("fp=", 0) == 0) {
            unsigned long long len = 0, hash = 0;
            if (std::sscanf(token.c_str() + 3, "%llu:%llu", &len, &hash) == 2) {
                s.fp = Fingerprint{static_cast<uint32_t>(len), static_cast<uint64_t>(hash)};
                s.has_fp = true;
            }
            token.clear();
        }
        // The rest of the line is the path (it may contain spaces); the older
        // form has no fp= and the path follows the offset.
        std::string rest;
        std::getline(l, rest);
        if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
        s.path = token.empty() ? rest : (rest.empty() ? token : token + " " + rest);
        out[k] = s;
    }
    return out;
}

CheckpointFile::~CheckpointFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::string CheckpointFile::read() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool CheckpointFile::write(const std::string& text) {
    if (fd_ < 0) {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) return false;
        const off_t size = ::lseek(fd_, 0, SEEK_END);
        written_ = size > 0 ? static_cast<size_t>(size) : 0;
    }
    // One pwrite of the whole text, padded with newlines to the length written
    // before: a process crash falls between syscalls, so the file holds either
    // the old text or the new one, never a mix.
    std::string padded = text;
    if (padded.size() < written_) padded.append(written_ - padded.size(), '\n');
    if (::pwrite(fd_, padded.data(), padded.size(), 0) != static_cast<ssize_t>(padded.size())) return false;
    written_ = padded.size();
    return true;
}

}  // namespace weir::inputs
