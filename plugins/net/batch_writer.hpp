// Builds the batches of one stream of a socket input (a connection, or all
// datagrams of a socket) and hands them to the pipeline.
#pragma once

#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <weir/clock.hpp>
#include <weir/sdk.hpp>

namespace weir::net {

using weir::clock::wall_ns;

class BatchWriter {
public:
    /// `stream` names the connection for ordered parsers (multiline);
    /// `source_key`, when not empty, is the field that receives the peer's
    /// address on every event. A full batch is handed on at once; if
    /// `blocking` is false and the pipeline is full, it is dropped and
    /// counted (queue_full) instead of waiting — for datagram inputs.
    BatchWriter(weir::Context& ctx, std::string stream, std::string source_key, bool blocking = true)
        : ctx_(ctx),
          stream_(std::move(stream)),
          source_key_(std::move(source_key)),
          blocking_(blocking),
          batch_(ctx.host(), nullptr) {}

    /// The address stamped on the events added from now on.
    void set_source(std::string_view address) {
        if (address == source_) return;
        source_.assign(address);
        source_in_batch_ = {};
    }

    void add(std::string_view text, int64_t time_ns, bool truncated) {
        if (!batch_) {  // made on first use: on the input's thread
            batch_ = ctx_.new_batch();
            batch_.set_stream(stream_);
        }
        const size_t i =
            batch_.add(text, time_ns, truncated ? static_cast<uint32_t>(WEIR_EVENT_TRUNCATED) : 0u);
        if (truncated) ctx_.count_error("truncated");
        if (!source_key_.empty()) {
            if (source_in_batch_.data() == nullptr) {
                // Key and value copied into the batch once; every event borrows
                // them (a borrowed key must outlive the batch too: this writer
                // dies with its connection while the batch may still be in flight).
                char* p = batch_.alloc(source_key_.size() + source_.size() + 1);
                std::memcpy(p, source_key_.data(), source_key_.size());
                std::memcpy(p + source_key_.size(), source_.data(), source_.size());
                key_in_batch_ = std::string_view(p, source_key_.size());
                source_in_batch_ = std::string_view(p + source_key_.size(), source_.size());
            }
            batch_[i].fields().set(key_in_batch_, source_in_batch_, WEIR_PUT_APPEND | WEIR_ADD_BORROW);
        }
        if (ctx_.batch_full(batch_)) {
            if (blocking_)
                flush();
            else if (!try_flush())
                drop("queue_full");
        }
    }

    bool empty() const { return !batch_ || batch_.empty(); }
    size_t size() const { return batch_ ? batch_.size() : 0; }

    /// Hands on what there is, blocking while the pipeline is full.
    void flush() {
        if (empty()) return;
        if (!ctx_.emit(batch_))
            ctx_.count_dropped("shutdown", batch_.size());  // the pipeline gave up (forced stop)
        renew();
    }

    /// Hands on what there is unless the pipeline is full; returns false
    /// (keeping the batch) if it is.
    bool try_flush() {
        if (empty()) return true;
        if (!ctx_.try_emit(batch_)) return false;
        renew();
        return true;
    }

    /// Drops the batch, counting its events under `reason`.
    void drop(const char* reason) {
        ctx_.count_dropped(reason, size());
        batch_ = weir::OwnedBatch(ctx_.host(), nullptr);
        source_in_batch_ = {};
    }

private:
    void renew() {
        batch_ = weir::OwnedBatch(ctx_.host(), nullptr);  // a batch the pipeline refused is freed here
        source_in_batch_ = {};
    }

    weir::Context& ctx_;
    std::string stream_;
    std::string source_key_;
    bool blocking_;
    std::string source_;
    std::string_view key_in_batch_;
    std::string_view source_in_batch_;
    weir::OwnedBatch batch_;
};

}  // namespace weir::net
