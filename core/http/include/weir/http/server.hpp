// The daemon's one HTTP server: the admin and query API, /metrics, /health,
// WebSocket routes and static files. A network thread does the I/O; handlers
// run on a small worker pool. All Beast and Asio code is in server.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <weir/http/router.hpp>

namespace weir::keys {
class KeyStore;
}

namespace weir::http {

struct ServerOptions {
    /// "host:port" or "[v6]:port"; port 0 picks a free port.
    std::string listen = "127.0.0.1:8686";
    size_t workers = 4;
    size_t max_body_bytes = 1 << 20;
    std::chrono::milliseconds read_timeout{10'000};
    size_t max_connections = 512;
    size_t max_connections_per_client = 128;
    /// Null: no tokens (open API).
    std::shared_ptr<keys::KeyStore> tokens;
    /// Origins (scheme://host[:port]) allowed cross-origin (CORS); empty: none.
    std::vector<std::string> cors_origins;
    /// Folder served for GET paths outside /api/ and the built-in routes.
    std::string static_dir;
    std::string tls_cert_file, tls_key_file, tls_ca_file;
    /// WebSocket: messages (and bytes) a connection may have queued before it
    /// is closed with 1013; idle time after which a ping is sent.
    size_t ws_queue_messages = 256;
    size_t ws_queue_bytes = 4 << 20;
    std::chrono::milliseconds ws_idle_timeout{30'000};
    /// SO_REUSEPORT: a replacement may bind the same address while this one
    /// still listens (a reloaded listener with new TLS files).
    bool reuse_port = false;
};

class Server {
public:
    Server(ServerOptions options, std::shared_ptr<const Router> router);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts serving. Throws std::runtime_error
    /// ("cannot listen on 127.0.0.1:8686: Address already in use").
    void start();
    /// Closes the listener and every connection; joins the threads. Idempotent.
    void stop();
    uint16_t port() const;
    /// "host:port" actually bound.
    std::string address() const;
    bool loopback() const;
    bool tls() const;
    /// Per-route request counters, latency histograms and connection
    /// counters, Prometheus text.
    std::string metrics_text() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace weir::http
