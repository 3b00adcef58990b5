// stdin: one event per line of standard input.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>
#include <weir/clock.hpp>
#include <weir/sdk.hpp>

#include "../line_splitter.hpp"

namespace {

using weir::clock::wall_ns;

class StdinInput final : public weir::Input {
public:
    StdinInput(weir::Context& ctx, const weir::Options& opts)
        : weir::Input(ctx),
          splitter_(static_cast<size_t>(opts.size("max_line_size"))),
          buffer_(static_cast<size_t>(opts.size("read_buffer_size"))) {}

    void run() override {
        weir::OwnedBatch batch = ctx_.new_batch();
        auto add = [&](std::string_view text, bool cut, size_t) {
            batch.add(text, stamp_, cut ? static_cast<uint32_t>(WEIR_EVENT_TRUNCATED) : 0u);
            if (cut) ctx_.count_error("truncated");
            if (ctx_.batch_full(batch)) flush(batch);
        };
        while (!ctx_.should_stop()) {
            pollfd p{0, POLLIN, 0};
            const int r = ::poll(&p, 1, 100);
            if (r < 0 && errno != EINTR) break;
            if (r <= 0) {
                flush(batch);
                continue;
            }
            const ssize_t n = ::read(0, buffer_.data(), buffer_.size());
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                ctx_.error(std::string("read failed: ") + std::strerror(errno));
                break;
            }
            stamp_ = wall_ns();
            if (n == 0) {  // end of input: the last line may lack its newline
                splitter_.finish(add);
                break;
            }
            splitter_.feed(std::string_view(buffer_.data(), static_cast<size_t>(n)), add);
            // Less than a full buffer means the pipe is drained for now: hand on what we have.
            if (static_cast<size_t>(n) < buffer_.size()) flush(batch);
        }
        flush(batch);
    }

private:
    void flush(weir::OwnedBatch& batch) {
        if (batch.empty()) return;
        if (!ctx_.emit(batch)) return;  // the pipeline gave up (forced stop): the batch is freed
        batch = ctx_.new_batch();
    }

    weir::inputs::LineSplitter splitter_;
    std::vector<char> buffer_;
    int64_t stamp_ = 0;
};

const weir::Option stdin_options[] = {
    weir::option::size("max_line_size", "1MiB", "Longer lines are cut to this size and flagged as truncated.")
        .at_least("1B"),
    weir::option::size("read_buffer_size", "64KiB", "Bytes read from standard input at a time.")
        .at_least("1B"),
};

}  // namespace

WEIR_PLUGIN(StdinInput, WEIR_KIND_INPUT, "stdin", "0.1.0", "Reads events from standard input, one per line.",
            stdin_options)
