#include "url.hpp"

#include <arpa/inet.h>

#include <cstdint>

namespace weir::http_output {

namespace {

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Percent-decodes the user or password; `what` names it in the error (the
/// value itself is never repeated).
std::string percent_decode(std::string_view s, const char* what) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        const int hi = i + 2 < s.size() ? hex(s[i + 1]) : -1;
        const int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            throw std::invalid_argument(std::string("url has an invalid %-escape in its ") + what +
                                        " (write a literal % as %25)");
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

}  // namespace

std::string Url::authority() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + port;
}

std::string Url::display() const {
    std::string out = tls ? "https://" : "http://";
    if (has_userinfo) out += user + ":***@";
    return out + authority() + target;
}

std::string Url::basic_authorization() const { return "Basic " + base64(user + ":" + password); }

std::string redact_url(std::string_view u) {
    const size_t scheme = u.find("://");
    const size_t at = u.rfind('@');
    if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme)
        return std::string(u);
    return std::string(u.substr(0, scheme + 3)) + "***" + std::string(u.substr(at));
}

Url parse_url(std::string_view u) {
    Url out;
    const std::string_view whole = u;
    if (u.rfind("http://", 0) == 0) {
        u.remove_prefix(7);
    } else if (u.rfind("https://", 0) == 0) {
        out.tls = true;
        u.remove_prefix(8);
    } else {
        throw std::invalid_argument("url must start with http:// or https://, found '" + redact_url(whole) +
                                    "'");
    }
    const size_t slash = u.find('/');
    std::string_view authority = u.substr(0, slash);
    out.target = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
    // A '/' in a password that was not escaped would put the rest of the
    // password into the path (and so into logs): refuse an '@' there.
    const std::string_view path = std::string_view(out.target).substr(0, out.target.find('?'));
    if (path.find('@') != std::string_view::npos)
        throw std::invalid_argument(
            "url has an '@' in its path; if it belongs to a user or password, escape '/' in it as %2F");
    const size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view info = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const size_t colon = info.find(':');
        out.has_userinfo = true;
        out.user = percent_decode(info.substr(0, colon), "user");
        if (colon != std::string_view::npos)
            out.password = percent_decode(info.substr(colon + 1), "password");
        if (out.user.empty()) throw std::invalid_argument("url has an empty user before '@'");
    }
    if (authority.empty()) throw std::invalid_argument("url has no host");
    if (authority.front() == '[') {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos) throw std::invalid_argument("url has an unclosed [IPv6] host");
        out.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() == ':') {
            out.port = std::string(authority.substr(1));
        } else if (!authority.empty()) {
            throw std::invalid_argument("url has text after its [IPv6] host");
        }
    } else {
        const size_t colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
    }
    if (out.host.empty()) throw std::invalid_argument("url has no host");
    if (out.port.empty()) out.port = out.tls ? "443" : "80";
    if (out.port.find_first_not_of("0123456789") != std::string::npos || out.port.size() > 5)
        throw std::invalid_argument("url has an invalid port '" + out.port + "'");
    return out;
}

bool is_loopback_host(std::string_view host) {
    if (host == "localhost" || (host.size() > 10 && host.substr(host.size() - 10) == ".localhost"))
        return true;
    const std::string h(host);
    in_addr v4{};
    if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return false;
}

std::string base64(std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                           static_cast<uint8_t>(in[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i < in.size()) {
        uint32_t n = static_cast<uint8_t>(in[i]) << 16;
        if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace weir::http_output
