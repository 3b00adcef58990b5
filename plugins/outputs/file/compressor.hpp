// Gzips rotated files on a thread of its own, off the write path. At most one
// file per output path is queued or in work at a time: rotation of a path
// waits for that path's previous file first (wait_idle), which bounds both
// the queue and the time a rotation can stall.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <weir/sdk.hpp>

namespace weir::file_output {

class Compressor {
public:
    explicit Compressor(const Context& ctx);
    /// Finishes the queued files, then stops.
    ~Compressor();
    Compressor(const Compressor&) = delete;
    Compressor& operator=(const Compressor&) = delete;

    /// Queue `file` (a rotated file of `base`) to become `file`.gz; the
    /// original is removed once the compressed copy is complete.
    void submit(const std::string& base, const std::string& file);
    /// Waits until nothing of `base` is queued or in work.
    void wait_idle(const std::string& base);

    /// Compresses `file` into `file`.gz (through a temporary name); returns
    /// "" or why it failed (the original is then left as it is).
    static std::string gzip_file(const std::string& file);

private:
    struct Job {
        std::string base, file;
    };
    void run();

    Context ctx_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    std::multiset<std::string> busy_;  // bases queued or in work
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace weir::file_output
