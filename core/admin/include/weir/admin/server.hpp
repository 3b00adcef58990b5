#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace weir::admin {

struct Request {
    std::string method;
    std::string target;  // path + query
    std::string path;
    std::string query;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Called on the server's thread; must not block for long.
using Handler = std::function<Response(const Request&)>;

struct Limits {
    size_t max_body_bytes = 1 << 20;
    std::chrono::milliseconds read_timeout{10'000};
    size_t max_connections = 64;
};

/// A small HTTP/1.1 server (Boost.Beast) with keep-alive, a read timeout, a
/// body limit (413) and a connection limit, running on one thread of its own.
class Server {
public:
    /// `listen`: "host:port" or "[v6]:port"; port 0 picks a free port.
    Server(std::string listen, Handler handler, Limits limits = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts serving. Throws std::runtime_error
    /// ("cannot listen on 127.0.0.1:8686: Address already in use").
    void start();
    /// Closes the listener and every connection; joins the thread. Idempotent.
    void stop();
    uint16_t port() const;
    /// "host:port" actually bound.
    std::string address() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace weir::admin
