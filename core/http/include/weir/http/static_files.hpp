// Static files from one folder (the dashboard): safe paths, MIME types,
// validators and the single-page-app fallback. No Beast here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weir::http {

struct StaticFile {
    std::string path;  // on disk
    std::string content_type;
    std::string etag;  // "\"<size hex>-<mtime ns hex>\""
    uint64_t size = 0;
    bool fallback = false;  // index.html served for an unknown app route
};

/// MIME type from the file name's extension (application/octet-stream when unknown).
std::string mime_type(std::string_view filename);

/// Maps a URL path to a file under `root`. Refuses (nullopt) paths that
/// leave the folder (.., encoded or not, NUL, backslashes) and dot files. A
/// directory serves its index.html; a path with no extension that names
/// nothing serves root/index.html (the app's own router takes it from there);
/// a missing file with an extension is nullopt (404). An extension holds a
/// letter: "/log/1768831200000000000.20472.17.311" is an app route.
std::optional<StaticFile> resolve_static(const std::string& root, std::string_view url_path);

/// The page served at `url_path` when `root` holds no index.html (the
/// dashboard is not built): a short HTML page saying how to build it. Nullopt
/// for paths that name a file (with an extension, as above) or when index.html exists.
std::optional<std::string> dashboard_missing_page(const std::string& root, std::string_view url_path);

/// Does an If-None-Match header value match `etag`?
bool etag_matches(std::string_view if_none_match, std::string_view etag);

/// Percent-decodes; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace weir::http
