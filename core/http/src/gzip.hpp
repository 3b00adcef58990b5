// gzip for response bodies (zlib), whole or chunk by chunk.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace weir::http {

/// Does an Accept-Encoding header value accept gzip (and not with q=0)?
bool accepts_gzip(std::string_view accept_encoding);
/// Is a body of this content type worth compressing?
bool compressible(std::string_view content_type);

class GzipStream {
public:
    GzipStream();
    ~GzipStream();
    GzipStream(const GzipStream&) = delete;
    GzipStream& operator=(const GzipStream&) = delete;
    /// Compresses `in` and returns what is ready; `finish` ends the stream
    /// (otherwise a sync flush makes each chunk decodable on arrival).
    std::string add(std::string_view in, bool finish);

private:
    struct State;
    std::unique_ptr<State> s_;
};

std::string gzip_all(std::string_view in);

}  // namespace weir::http
