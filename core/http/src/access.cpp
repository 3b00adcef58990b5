#include <algorithm>
#include <cctype>
#include <weir/http/access.hpp>

namespace weir::http {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
    std::string h = lower(host);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1") return true;
    // 127.0.0.0/8, written as a dotted quad.
    if (h.rfind("127.", 0) != 0) return false;
    int dots = 0;
    for (char c : h) {
        if (c == '.')
            ++dots;
        else if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
    }
    return dots == 3;
}

std::string host_of(std::string_view host_header) {
    std::string_view h = host_header;
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
    if (!h.empty() && h.front() == '[') {
        const size_t close = h.find(']');
        return std::string(close == std::string_view::npos ? h : h.substr(0, close + 1));
    }
    return std::string(h.substr(0, h.find(':')));
}

bool loopback_host_allowed(std::string_view host_header) {
    if (host_header.empty()) return true;  // HTTP/1.0 without Host: nothing to rebind
    return is_loopback_host(host_of(host_header));
}

std::string origin_authority(std::string_view origin) {
    const std::string o = lower(origin);
    for (const char* scheme : {"http://", "https://"}) {
        const std::string_view s(scheme);
        if (o.rfind(s, 0) == 0) {
            std::string rest = o.substr(s.size());
            while (!rest.empty() && rest.back() == '/') rest.pop_back();
            return rest;
        }
    }
    return {};
}

bool origin_allowed(std::string_view origin, std::string_view host_header,
                    const std::vector<std::string>& allowed) {
    if (origin.empty()) return true;  // not a browser, or a same-origin GET
    const std::string o = lower(origin);
    for (const auto& a : allowed)
        if (lower(a) == o || a == "*") return true;
    const std::string auth = origin_authority(origin);
    return !auth.empty() && auth == lower(host_header);
}

bool is_simple_form_type(std::string_view content_type) {
    std::string t = lower(content_type.substr(0, content_type.find(';')));
    while (!t.empty() && t.back() == ' ') t.pop_back();
    while (!t.empty() && t.front() == ' ') t.erase(t.begin());
    return t == "text/plain" || t == "application/x-www-form-urlencoded" || t == "multipart/form-data";
}

Exposure api_exposure(std::string_view listen, bool has_tokens, bool allow_unauthenticated) {
    Exposure e;
    const std::string_view host = listen.substr(0, listen.rfind(':'));
    if (has_tokens || is_loopback_host(host)) return e;
    const std::string where(listen);
    if (!allow_unauthenticated)
        e.refusal = "service.admin_listen " + where +
                    " is not a loopback address and service.api has no tokens_file: anyone who "
                    "reaches it could reload the daemon. Set service.api.tokens_file, listen on "
                    "127.0.0.1, or set service.api.allow_unauthenticated: true";
    else
        e.warning = "listening on " + where +
                    " without tokens (service.api.allow_unauthenticated): every route is open to "
                    "anyone who reaches it";
    return e;
}

}  // namespace weir::http
