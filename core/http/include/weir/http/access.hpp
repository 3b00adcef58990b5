// Who may be served: the Host, Origin and Content-Type rules that keep a web
// page in a browser on the same machine from driving the API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir::http {

/// Is `host` (an address or name, IPv6 with or without brackets) loopback?
bool is_loopback_host(std::string_view host);
/// The host part of a Host header ("localhost:8686" → "localhost",
/// "[::1]:1" → "[::1]").
std::string host_of(std::string_view host_header);
/// On a loopback listener only loopback names are served (DNS rebinding).
bool loopback_host_allowed(std::string_view host_header);
/// "http://a.example:8080" → "a.example:8080"; "" when not http(s)://.
std::string origin_authority(std::string_view origin);
/// An Origin header is acceptable for a state-changing request when it is
/// absent, names the same authority as the Host header, or is listed.
bool origin_allowed(std::string_view origin, std::string_view host_header,
                    const std::vector<std::string>& allowed);
/// The content types a browser sends cross-origin without a preflight
/// (text/plain, application/x-www-form-urlencoded, multipart/form-data).
bool is_simple_form_type(std::string_view content_type);

/// What an API listening on `listen` ("host:port") does at start: without
/// tokens, a listener beyond loopback refuses to start (`refusal`) unless the
/// service allows it, and then warns (`warning`). Both empty: nothing to say.
struct Exposure {
    std::string refusal;
    std::string warning;
};
Exposure api_exposure(std::string_view listen, bool has_tokens, bool allow_unauthenticated);

}  // namespace weir::http
