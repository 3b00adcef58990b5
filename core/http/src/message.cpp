#include <strings.h>

#include <cstdio>
#include <weir/http/message.hpp>
#include <weir/http/static_files.hpp>

namespace weir::http {

std::string Request::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), name.size()) == 0) return v;
    return {};
}

std::string Request::query_param(std::string_view name) const {
    std::string_view q = query;
    while (!q.empty()) {
        const size_t amp = q.find('&');
        const std::string_view part = q.substr(0, amp);
        const size_t eq = part.find('=');
        if (part.substr(0, eq) == name) {
            std::string out;
            std::string raw(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
            for (char& c : raw)
                if (c == '+') c = ' ';
            return percent_decode(raw, out) ? out : std::string{};
        }
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
    return {};
}

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    return out;
}

Response Response::json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Response Response::error(int status, std::string_view message) {
    return json(status,
                "{\"error\":\"" + json_escape(message) + "\",\"status\":" + std::to_string(status) + "}");
}

Response Response::text(int status, std::string body, std::string content_type) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
}

}  // namespace weir::http
