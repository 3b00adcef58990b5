// One-shot gzip compression (zlib), for the http output and the tools and
// tests that build gzip bodies.
#pragma once

#include <zlib.h>

#include <string>
#include <string_view>

namespace weir::net {

/// `in` as one gzip member; `level` 1 (fast) to 9 (small).
inline std::string gzip(std::string_view in, int level = 1) {
    z_stream z{};
    deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    // The buffer was sized for the worst case (about the input's size): give
    // the rest back, or a queue of compressed bodies holds uncompressed sizes.
    out.shrink_to_fit();
    return out;
}

}  // namespace weir::net
