#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace weir::event {

/// A bump allocator for the bytes of one batch. Memory is released all at
/// once by reset(), which keeps the chunks for the next batch so a recycled
/// batch allocates nothing in steady state.
class Arena {
public:
    explicit Arena(size_t chunk_size = 64 * 1024);
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;

    /// `n` bytes, unaligned (strings). Never returns nullptr.
    char* allocate(size_t n) {
        if (static_cast<size_t>(end_ - ptr_) >= n) {
            char* p = ptr_;
            ptr_ += n;
            return p;
        }
        return allocate_slow(n);
    }
    /// `n` bytes aligned to 8.
    char* allocate_aligned(size_t n);
    /// Copies `s`; the result's data() is never null (empty views point at "").
    std::string_view copy(std::string_view s) {
        if (s.empty()) return std::string_view("", 0);
        char* p = allocate(s.size());
        __builtin_memcpy(p, s.data(), s.size());
        return {p, s.size()};
    }
    /// Forget every allocation; keeps up to `keep_bytes` of chunks for reuse.
    void reset(size_t keep_bytes = 4u << 20);
    /// Bytes held in chunks (capacity, not use).
    size_t capacity() const { return capacity_; }

private:
    char* allocate_slow(size_t n);
    struct Chunk {
        std::unique_ptr<char[]> data;
        size_t size;
    };
    std::vector<Chunk> chunks_;
    size_t current_ = 0;  // index of the chunk being filled
    char* ptr_ = nullptr;
    char* end_ = nullptr;
    size_t chunk_size_;
    size_t capacity_ = 0;
};

}  // namespace weir::event
