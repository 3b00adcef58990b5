// stdout: one line per event on standard output.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <weir/sdk.hpp>

namespace {

class StdoutOutput final : public weir::Output {
public:
    StdoutOutput(weir::Context& ctx, const weir::Options& opts) : weir::Output(ctx) {
        body_only_ = opts.str("format") == "body";  // or json (the table allows json and body)
    }

    weir::WriteResult write(weir::Batch& batch, uint64_t) override {
        buffer_.clear();
        for (weir::Event ev : batch) {
            buffer_.append(body_only_ ? ev.body() : ev.to_json());
            buffer_.push_back('\n');
        }
        // One write per batch keeps lines whole when others write to the same stdout.
        size_t off = 0;
        while (off < buffer_.size()) {
            const ssize_t n = ::write(1, buffer_.data() + off, buffer_.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                // The host retries the whole batch: lines already out may come
                // twice (at-least-once), none is lost.
                ctx_.warn(std::string("write to standard output failed: ") + std::strerror(errno));
                return weir::WriteResult::Retry;
            }
            off += static_cast<size_t>(n);
        }
        if (buffer_.capacity() > (8u << 20)) std::string().swap(buffer_);  // a huge batch does not pin memory
        return weir::WriteResult::Ok;
    }

private:
    bool body_only_ = false;
    std::string buffer_;
};

const weir::Option stdout_options[] = {
    weir::option::string("format", "json", "json: one JSON object per event; body: the event body as is.")
        .one_of("json|body"),
};

}  // namespace

WEIR_PLUGIN(StdoutOutput, WEIR_KIND_OUTPUT, "stdout", "0.1.0",
            "Writes events to standard output, one per line.", stdout_options)
