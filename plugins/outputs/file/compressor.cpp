#include "compressor.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace weir::file_output {

Compressor::Compressor(const Context& ctx) : ctx_(ctx), thread_([this] { run(); }) {}

Compressor::~Compressor() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void Compressor::submit(const std::string& base, const std::string& file) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(Job{base, file});
        busy_.insert(base);
    }
    cv_.notify_all();
}

void Compressor::wait_idle(const std::string& base) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return busy_.count(base) == 0; });
}

void Compressor::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued is done
        Job job = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        const std::string err = gzip_file(job.file);
        if (!err.empty()) {
            ctx_.count_error("compress_failed");
            ctx_.warn("could not gzip " + job.file + ": " + err + " (left uncompressed)");
        }
        lock.lock();
        busy_.erase(busy_.find(job.base));
        cv_.notify_all();
    }
}

std::string Compressor::gzip_file(const std::string& file) {
    const std::string tmp = file + ".gz.tmp";
    const int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return std::strerror(errno);
    const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        const int e = errno;
        ::close(in);
        return std::strerror(e);
    }
    gzFile gz = ::gzdopen(out, "wb1");
    std::string err;
    if (!gz) {
        ::close(out);
        err = "gzdopen failed";
    } else {
        std::vector<char> buf(256 * 1024);
        for (;;) {
            const ssize_t n = ::read(in, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                err = std::strerror(errno);
                break;
            }
            if (n == 0) break;
            if (::gzwrite(gz, buf.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) {
                int zerr = 0;
                err = ::gzerror(gz, &zerr);
                break;
            }
        }
        if (::gzclose(gz) != Z_OK && err.empty()) err = "writing the compressed file failed";
    }
    ::close(in);
    if (err.empty() && std::rename(tmp.c_str(), (file + ".gz").c_str()) != 0) err = std::strerror(errno);
    if (!err.empty()) {
        ::unlink(tmp.c_str());
        return err;
    }
    ::unlink(file.c_str());
    return "";
}

}  // namespace weir::file_output
