#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>
#include <weir/http/static_files.hpp>

namespace weir::http {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool regular_file(const std::string& path, struct stat& st) {
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// Does the last segment of a path end in a file extension? Only one that
/// holds a letter counts: "/log/1768831200000000000.20472.17.311" (a
/// permalink) is an app route, "/app.js" a file.
bool has_extension(std::string_view path) {
    const size_t slash = path.rfind('/');
    const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const size_t dot = last.rfind('.');
    if (dot == std::string_view::npos) return false;
    for (char c : last.substr(dot + 1))
        if (std::isalpha(static_cast<unsigned char>(c))) return true;
    return false;
}

StaticFile describe(std::string path, const struct stat& st, bool fallback) {
    StaticFile f;
    f.content_type = mime_type(path);
    f.path = std::move(path);
    f.size = static_cast<uint64_t>(st.st_size);
    const auto mtime_ns = static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1'000'000'000ull +
                          static_cast<unsigned long long>(st.st_mtim.tv_nsec);
    char buf[64];
    std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_size), mtime_ns);
    f.etag = buf;
    f.fallback = fallback;
    return f;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) return false;
        const int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

std::string mime_type(std::string_view name) {
    const size_t dot = name.rfind('.');
    const size_t slash = name.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return "application/octet-stream";
    std::string ext(name.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const std::pair<const char*, const char*> kTypes[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"ico", "image/x-icon"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"wasm", "application/wasm"},
        {"webmanifest", "application/manifest+json"},
    };
    for (const auto& [e, t] : kTypes)
        if (ext == e) return t;
    return "application/octet-stream";
}

std::optional<StaticFile> resolve_static(const std::string& root, std::string_view url_path) {
    if (root.empty() || url_path.empty() || url_path.front() != '/') return std::nullopt;
    std::string decoded;
    if (!percent_decode(url_path, decoded)) return std::nullopt;
    if (decoded.find('\0') != std::string::npos || decoded.find('\\') != std::string::npos)
        return std::nullopt;
    // Every segment must be a plain name: no "..", no ".", no dot files.
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < decoded.size()) {
        if (decoded[i] == '/') {
            ++i;
            continue;
        }
        const size_t end = std::min(decoded.find('/', i), decoded.size());
        std::string seg = decoded.substr(i, end - i);
        if (seg.front() == '.') return std::nullopt;
        parts.push_back(std::move(seg));
        i = end;
    }
    std::string rel;
    for (const auto& p : parts) rel += "/" + p;
    struct stat st {};
    const std::string full = root + rel;
    if (::stat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        const std::string index = full + "/index.html";
        if (regular_file(index, st)) return describe(index, st, false);
        return std::nullopt;
    }
    if (regular_file(full, st)) return describe(full, st, false);
    if (!parts.empty() && has_extension(parts.back())) return std::nullopt;
    const std::string index = root + "/index.html";
    if (regular_file(index, st)) return describe(index, st, true);
    return std::nullopt;
}

std::optional<std::string> dashboard_missing_page(const std::string& root, std::string_view url_path) {
    if (url_path.empty() || url_path.front() != '/') return std::nullopt;
    if (has_extension(url_path)) return std::nullopt;
    struct stat st {};
    if (regular_file(root + "/index.html", st)) return std::nullopt;
    std::string where;
    for (char c : root) {  // the folder, HTML-escaped
        if (c == '<')
            where += "&lt;";
        else if (c == '>')
            where += "&gt;";
        else if (c == '&')
            where += "&amp;";
        else if (c == '"')
            where += "&quot;";
        else
            where += c;
    }
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Weir: dashboard not "
           "built</title>\n<style>body{font:15px/1.5 system-ui,sans-serif;max-width:44em;margin:3em "
           "auto;padding:0 1em;color:#222}code,pre{background:#f3f3f3;padding:.1em .3em;border-radius:3px}"
           "pre{padding:.6em 1em}</style></head>\n<body><h1>The Weir dashboard is not built</h1>\n"
           "<p>This daemon serves the dashboard from <code>" +
           where +
           "</code>, which holds no <code>index.html</code>. Build it (Node.js 18 or newer and npm) from the "
           "repository, then reload this page:</p>\n<pre>scripts/build-web.sh</pre>\n<p>or by hand:</p>\n"
           "<pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build</pre>\n<p>The REST API answers meanwhile: "
           "<a href=\"/api/v1\">/api/v1</a> lists its routes. See docs/dashboard.md.</p>\n</body></html>\n";
}

bool etag_matches(std::string_view inm, std::string_view etag) {
    if (inm.empty()) return false;
    size_t i = 0;
    while (i < inm.size()) {
        while (i < inm.size() && (inm[i] == ' ' || inm[i] == ',')) ++i;
        const size_t end = std::min(inm.find(',', i), inm.size());
        std::string_view tag = inm.substr(i, end - i);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (tag == "*") return true;
        if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
        if (!tag.empty() && tag == etag) return true;
        i = end;
    }
    return false;
}

}  // namespace weir::http
