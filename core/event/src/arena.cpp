#include <algorithm>
#include <cstdint>
#include <weir/event/arena.hpp>

namespace weir::event {

Arena::Arena(size_t chunk_size) : chunk_size_(chunk_size) {}

char* Arena::allocate_slow(size_t n) {
    // Try the chunks kept from earlier batches before making a new one.
    while (current_ + 1 < chunks_.size()) {
        ++current_;
        Chunk& c = chunks_[current_];
        if (c.size >= n) {
            ptr_ = c.data.get() + n;
            end_ = c.data.get() + c.size;
            return c.data.get();
        }
    }
    const size_t size = std::max(chunk_size_, n);
    chunks_.push_back(Chunk{std::unique_ptr<char[]>(new char[size]), size});
    capacity_ += size;
    current_ = chunks_.size() - 1;
    Chunk& c = chunks_.back();
    ptr_ = c.data.get() + n;
    end_ = c.data.get() + c.size;
    return c.data.get();
}

char* Arena::allocate_aligned(size_t n) {
    const auto misalign = reinterpret_cast<uintptr_t>(ptr_) & 7u;
    if (misalign != 0) allocate(8 - misalign);
    char* p = allocate(n + 7);
    const auto m = reinterpret_cast<uintptr_t>(p) & 7u;
    return m == 0 ? p : p + (8 - m);
}

void Arena::reset(size_t keep_bytes) {
    // Keep the first chunks up to keep_bytes; a one-off huge record does not
    // pin its memory forever.
    size_t kept = 0;
    size_t i = 0;
    for (; i < chunks_.size(); ++i) {
        if (kept + chunks_[i].size > keep_bytes && i > 0) break;
        kept += chunks_[i].size;
    }
    for (size_t j = i; j < chunks_.size(); ++j) capacity_ -= chunks_[j].size;
    chunks_.resize(i);
    current_ = 0;
    if (chunks_.empty()) {
        ptr_ = end_ = nullptr;
    } else {
        ptr_ = chunks_[0].data.get();
        end_ = ptr_ + chunks_[0].size;
    }
}

}  // namespace weir::event
