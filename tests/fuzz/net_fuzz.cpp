// libFuzzer target for what the socket inputs and the HTTP gateway do with
// untrusted bytes before any parser: syslog TCP framing (the same messages
// whatever the segment boundaries), Content-Encoding decoding under a size
// limit, and Content-Type detection.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ingest.hpp"
#include "syslog_framer.hpp"

namespace {

std::vector<std::pair<std::string, bool>> frame(std::string_view data, size_t max, size_t a, size_t b) {
    weir::net::SyslogFramer f(max);
    std::vector<std::pair<std::string, bool>> out;
    auto cb = [&](std::string_view t, bool cut) {
        if (t.size() > max) std::abort();  // never more than the limit
        out.emplace_back(std::string(t), cut);
    };
    a = std::min(a, data.size());
    b = std::min(std::max(a, b), data.size());
    f.feed(data.substr(0, a), cb);
    f.feed(data.substr(a, b - a), cb);
    f.feed(data.substr(b), cb);
    f.finish(cb);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3) return 0;
    const size_t max = 1 + data[0] % 64;
    const std::string_view body(reinterpret_cast<const char*>(data) + 3, size - 3);
    // Framing must not depend on where TCP cut the stream.
    const auto whole = frame(body, max, body.size(), body.size());
    const auto split = frame(body, max, data[1] % (body.size() + 1), data[1] % (body.size() + 1) + data[2]);
    if (whole != split) std::abort();
    std::string out, err;
    const int st = weir::http_input::decode_body(data[1] & 1 ? "gzip" : "deflate", body, 4096, out, err);
    if (st == 0 && out.size() > 4096) std::abort();
    if (st != 0 && st != 400 && st != 413) std::abort();
    (void)weir::http_input::format_of(body);
    return 0;
}
