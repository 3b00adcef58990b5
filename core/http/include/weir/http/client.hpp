#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace weir::http {

struct ClientResponse {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// TLS for a request: the server's certificate is verified against the
/// system's CAs (or `ca_file`) and must name the host.
struct ClientTls {
    bool enabled = false;
    std::string ca_file;  // PEM; "": the system's CA store
};

/// One blocking HTTP/1.1 request (Connection: close) to `host` (a name, which
/// is resolved, or an IPv4 or IPv6 address), over TLS when `tls.enabled`.
/// `timeout` bounds the whole exchange. Throws std::runtime_error on
/// resolution, connection, TLS or timeout failures, with the reason.
ClientResponse http_request(const std::string& host, uint16_t port, const std::string& method,
                            const std::string& target, const std::string& body = {},
                            const std::vector<std::pair<std::string, std::string>>& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(5),
                            const ClientTls& tls = {});

}  // namespace weir::http
