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

/// One blocking HTTP/1.1 request (Connection: close). Throws std::runtime_error
/// on connection failure or timeout. For tests and tools.
ClientResponse http_request(const std::string& host, uint16_t port, const std::string& method,
                            const std::string& target, const std::string& body = {},
                            const std::vector<std::pair<std::string, std::string>>& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace weir::http
