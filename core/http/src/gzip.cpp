#include "gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace weir::http {

struct GzipStream::State {
    z_stream z{};
};

GzipStream::GzipStream() : s_(std::make_unique<State>()) {
    // 16 + MAX_WBITS: a gzip wrapper; level 6 is zlib's balance of speed and size.
    if (deflateInit2(&s_->z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
}

GzipStream::~GzipStream() { deflateEnd(&s_->z); }

std::string GzipStream::add(std::string_view in, bool finish) {
    std::string out;
    z_stream& z = s_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    const int flush = finish ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        const int rc = deflate(&z, flush);
        out.append(buf, sizeof buf - z.avail_out);
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("deflate failed");
        if (z.avail_out != 0 && z.avail_in == 0 && !finish) break;
    }
    return out;
}

std::string gzip_all(std::string_view in) {
    GzipStream g;
    return g.add(in, true);
}

bool accepts_gzip(std::string_view ae) {
    std::string s(ae);
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t i = 0;
    while (i < s.size()) {
        const size_t end = std::min(s.find(',', i), s.size());
        std::string item = s.substr(i, end - i);
        i = end + 1;
        item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
        const size_t semi = item.find(';');
        const std::string coding = item.substr(0, semi);
        if (coding != "gzip" && coding != "*") continue;
        if (semi != std::string::npos) {
            const std::string params = item.substr(semi + 1);
            if (params.rfind("q=", 0) == 0) {
                try {
                    if (std::stod(params.substr(2)) <= 0) continue;
                } catch (const std::exception&) {
                    continue;
                }
            }
        }
        return true;
    }
    return false;
}

bool compressible(std::string_view ct) {
    return ct.rfind("text/", 0) == 0 || ct.rfind("application/json", 0) == 0 ||
           ct.rfind("application/x-ndjson", 0) == 0 || ct.rfind("application/javascript", 0) == 0 ||
           ct.rfind("image/svg", 0) == 0;
}

}  // namespace weir::http
