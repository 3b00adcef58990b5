// Network listeners shared by the socket inputs (syslog, tcp, udp, http).
// Built once as a static library; this header is free of Asio so the plugins
// that use it compile quickly.
//
// A server runs on the input's own thread (run() returns after stop()).
// Bytes reach the plugin through a Connection per TCP connection, or one
// callback per datagram, always on that thread. When the plugin blocks in
// emit() because the pipeline is full, the whole server stops reading: TCP
// peers are pushed back by their kernels' windows, and for UDP the socket
// buffer fills (the plugin counts what it has to drop).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <weir/sdk.hpp>

namespace weir::net {

/// "127.0.0.1:5140", "[::1]:514", "0.0.0.0:514", ":514" (all addresses).
struct Endpoint {
    std::string host;
    uint16_t port = 0;
    std::string to_string() const;
};
/// Throws weir::ConfigError naming what is wrong.
Endpoint parse_endpoint(std::string_view text, std::string_view option);

struct TlsOptions {
    bool enabled = false;
    std::string cert_file;       // PEM certificate chain of the server
    std::string key_file;        // PEM private key
    std::string ca_file;         // PEM CAs that sign client certificates
    bool verify_client = false;  // require and verify a client certificate (mTLS)
};
/// Reads tls_* options (see tls_option_defs) and checks the files load;
/// throws weir::ConfigError naming the file.
TlsOptions read_tls_options(const weir::Options& opts);

/// The remote end of a connection or datagram.
struct Peer {
    std::string address;  // "127.0.0.1", "::1"
    uint16_t port = 0;
    uint64_t id = 0;  // connection number, unique within a server; 0 for datagrams
};

/// The plugin's side of one TCP connection. Calls come in this order:
/// on_data (any number), then on_close exactly once.
class Connection {
public:
    virtual ~Connection() = default;
    /// Bytes as they arrive. Return false to close the connection
    /// (a framing error it cannot recover from).
    virtual bool on_data(std::string_view bytes) = 0;
    /// The socket has nothing more to read for now: hand on what is complete.
    virtual void on_pause() = 0;
    /// The peer closed, the connection timed out or the server stops.
    /// `clean` is true for an orderly end of stream.
    virtual void on_close(bool clean) = 0;
};

struct StreamServerConfig {
    Endpoint listen;
    size_t max_connections = 1024;
    std::chrono::nanoseconds idle_timeout{std::chrono::minutes(5)};
    size_t read_buffer = 256 * 1024;
    TlsOptions tls;
    const char* scheme = "tcp";  // for log lines: "listening on tcp://..."
};

/// A TCP (optionally TLS) listener.
class StreamServer {
public:
    using Factory = std::function<std::unique_ptr<Connection>(const Peer&)>;
    StreamServer(weir::Context& ctx, StreamServerConfig config, Factory factory);
    ~StreamServer();
    StreamServer(const StreamServer&) = delete;
    StreamServer& operator=(const StreamServer&) = delete;
    /// Binds (retrying every second while the address is in use) and serves
    /// until stop(). Open connections are closed (on_close) before it returns.
    void run();
    /// Any thread.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct DatagramServerConfig {
    Endpoint listen;
    size_t max_datagram = 65535;
    size_t receive_buffer = 8u << 20;  // SO_RCVBUF asked for
};

/// A UDP listener: on_datagram for each datagram, on_pause when the socket
/// has nothing more for now.
class DatagramServer {
public:
    using OnDatagram = std::function<void(std::string_view data, const Peer& peer)>;
    using OnPause = std::function<void()>;
    DatagramServer(weir::Context& ctx, DatagramServerConfig config, OnDatagram on_datagram, OnPause on_pause);
    ~DatagramServer();
    DatagramServer(const DatagramServer&) = delete;
    DatagramServer& operator=(const DatagramServer&) = delete;
    void run();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Option-table entries shared by the listeners (read by read_tls_options).
namespace options {
inline constexpr weir::Option tls =
    weir::option::boolean("tls", "false", "Serve TLS; needs tls_cert_file and tls_key_file.");
inline constexpr weir::Option tls_cert_file =
    weir::option::string("tls_cert_file", "", "PEM file with the server certificate (and its chain).");
inline constexpr weir::Option tls_key_file =
    weir::option::string("tls_key_file", "", "PEM file with the server's private key.");
inline constexpr weir::Option tls_ca_file =
    weir::option::string("tls_ca_file", "", "PEM file with the CAs that sign client certificates.");
inline constexpr weir::Option tls_verify_client = weir::option::boolean(
    "tls_verify_client", "false", "Require a client certificate signed by tls_ca_file (mutual TLS).");
}  // namespace options

}  // namespace weir::net
