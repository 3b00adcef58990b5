// All Asio code of the socket inputs lives in this file.
#include "net.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>
#include <weir/clock.hpp>

#include "tls_context.hpp"

namespace weir::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using error_code = boost::system::error_code;

namespace {

using weir::clock::steady_ns;

std::shared_ptr<ssl::context> make_ssl_context(const TlsOptions& t) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    error_code ec;
    ctx->use_certificate_chain_file(t.cert_file, ec);
    if (ec) throw weir::ConfigError("cannot load tls_cert_file '" + t.cert_file + "': " + ec.message());
    ctx->use_private_key_file(t.key_file, ssl::context::pem, ec);
    if (ec) throw weir::ConfigError("cannot load tls_key_file '" + t.key_file + "': " + ec.message());
    if (!t.ca_file.empty()) {
        ctx->load_verify_file(t.ca_file, ec);
        if (ec) throw weir::ConfigError("cannot load tls_ca_file '" + t.ca_file + "': " + ec.message());
    }
    if (t.verify_client) ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    return ctx;
}

/// Waits up to `d` or until `stopping`; shared by both servers' bind retries.
struct StopWait {
    std::mutex mu;
    std::condition_variable cv;
    bool stopping = false;
    bool wait_for(std::chrono::milliseconds d) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, d, [&] { return stopping; });
    }
    void stop() {
        {
            std::lock_guard lock(mu);
            stopping = true;
        }
        cv.notify_all();
    }
    bool stopped() {
        std::lock_guard lock(mu);
        return stopping;
    }
};

}  // namespace

std::shared_ptr<ssl::context> make_server_tls(const TlsOptions& tls) { return make_ssl_context(tls); }

std::string Endpoint::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

Endpoint parse_endpoint(std::string_view text, std::string_view option) {
    const std::string opt(option);
    Endpoint ep;
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw weir::ConfigError(opt + " must look like [::1]:514, found '" + std::string(text) + "'");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos)
            throw weir::ConfigError(opt + " must be address:port (like 127.0.0.1:5140 or :5140), found '" +
                                    std::string(text) + "'");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
        throw weir::ConfigError(opt + ": '" + std::string(port) + "' is not a port number (0-65535)");
    ep.port = static_cast<uint16_t>(value);
    ep.host = host.empty() ? "0.0.0.0" : std::string(host);
    error_code aec;
    asio::ip::make_address(ep.host, aec);
    if (aec) throw weir::ConfigError(opt + ": '" + ep.host + "' is not an IP address");
    return ep;
}

TlsOptions read_tls_options(const weir::Options& opts) {
    TlsOptions t;
    t.enabled = opts.boolean("tls");
    t.cert_file = std::string(opts.str("tls_cert_file"));
    t.key_file = std::string(opts.str("tls_key_file"));
    t.ca_file = std::string(opts.str("tls_ca_file"));
    t.verify_client = opts.boolean("tls_verify_client");
    if (!t.enabled) {
        if (t.verify_client) throw weir::ConfigError("tls_verify_client needs tls: true");
        return t;
    }
    if (t.cert_file.empty() || t.key_file.empty())
        throw weir::ConfigError("tls: true needs tls_cert_file and tls_key_file");
    if (t.verify_client && t.ca_file.empty())
        throw weir::ConfigError(
            "tls_verify_client needs tls_ca_file (the CAs that sign client certificates)");
    make_ssl_context(t);  // load every file now: a bad one is a config error
    return t;
}

// ---- TCP ---------------------------------------------------------------------------

struct StreamServer::Impl {
    Impl(weir::Context& c, StreamServerConfig cfg, Factory f)
        : ctx(c),
          config(std::move(cfg)),
          factory(std::move(f)),
          buffer(std::max<size_t>(config.read_buffer, 4096)) {
        if (config.tls.enabled) ssl_ctx = make_ssl_context(config.tls);
    }

    struct Conn {
        uint64_t id = 0;
        std::optional<tcp::socket> plain;
        std::unique_ptr<ssl::stream<tcp::socket>> tls;
        std::unique_ptr<Connection> sink;
        std::vector<char> tls_buffer;
        int64_t last = 0;  // steady ns of the last bytes (or the accept)
        bool open = true;
        tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }
    };
    using ConnPtr = std::shared_ptr<Conn>;

    // Declared first: destroyed last, after everything holding its sockets.
    asio::io_context io{1};
    weir::Context& ctx;
    StreamServerConfig config;
    Factory factory;
    std::shared_ptr<ssl::context> ssl_ctx;
    std::optional<tcp::acceptor> acceptor;
    std::optional<asio::steady_timer> sweep;
    std::optional<asio::steady_timer> accept_retry;
    std::vector<char> buffer;  // plain reads of every connection go through it
    std::unordered_map<uint64_t, ConnPtr> conns;
    uint64_t next_id = 0;
    int64_t busy_end = 0;  // steady ns when the last blocking hand-off returned
    StopWait stop_wait;

    bool bind() {
        error_code ec;
        const tcp::endpoint ep(asio::ip::make_address(config.listen.host), config.listen.port);
        acceptor.emplace(io);
        acceptor->open(ep.protocol(), ec);
        if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) acceptor->bind(ep, ec);
        if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            acceptor.reset();
            ctx.error("cannot listen on " + std::string(config.scheme) + "://" + config.listen.to_string() +
                      ": " + ec.message() + "; retrying every second");
            return false;
        }
        const auto local = acceptor->local_endpoint();
        Endpoint actual{local.address().to_string(), local.port()};
        ctx.info(std::string("listening on ") + config.scheme + "://" + actual.to_string());
        return true;
    }

    void accept() {
        acceptor->async_accept([this](error_code ec, tcp::socket s) {
            if (ec == asio::error::operation_aborted) return;
            if (ec) {
                // Out of descriptors and the like: count, back off a little, go on.
                ctx.count_error("accept_failed");
                ctx.warn("accept failed: " + ec.message());
                accept_retry->expires_after(std::chrono::milliseconds(100));
                accept_retry->async_wait([this](error_code e) {
                    if (!e) accept();
                });
                return;
            }
            if (conns.size() >= config.max_connections) {
                ctx.count_error("connection_limit");
                ctx.warn("refused a connection: max_connections (" + std::to_string(config.max_connections) +
                         ") are open");
                error_code ignored;
                s.close(ignored);
            } else {
                start(std::move(s));
            }
            accept();
        });
    }

    void start(tcp::socket s) {
        error_code ec;
        const auto remote = s.remote_endpoint(ec);
        if (ec) return;  // already gone
        auto c = std::make_shared<Conn>();
        c->id = ++next_id;
        c->last = steady_ns();
        Peer peer{remote.address().to_string(), remote.port(), c->id};
        c->sink = factory(peer);
        conns.emplace(c->id, c);
        if (ssl_ctx) {
            c->tls = std::make_unique<ssl::stream<tcp::socket>>(std::move(s), *ssl_ctx);
            c->tls_buffer.resize(16 * 1024);
            c->tls->async_handshake(ssl::stream_base::server, [this, c](error_code e) {
                if (!c->open) return;
                if (e) {
                    ctx.count_error("tls_handshake_failed");
                    ctx.debug("TLS handshake with connection " + std::to_string(c->id) +
                              " failed: " + e.message());
                    close(c, false);
                    return;
                }
                read_tls(c);
            });
        } else {
            c->plain.emplace(std::move(s));
            c->plain->non_blocking(true, ec);
            wait_plain(c);
        }
    }

    void wait_plain(const ConnPtr& c) {
        c->plain->async_wait(tcp::socket::wait_read, [this, c](error_code ec) {
            if (!c->open) return;
            if (ec) return close(c, false);
            on_readable(c);
        });
    }

    void on_readable(const ConnPtr& c) {
        size_t total = 0;
        // Read what is there, but leave the others their turn after a while.
        while (total < 4 * buffer.size()) {
            error_code ec;
            const size_t n = c->plain->read_some(asio::buffer(buffer), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) break;
            if (ec) return close(c, ec == asio::error::eof);
            c->last = steady_ns();
            total += n;
            if (!c->sink->on_data(std::string_view(buffer.data(), n))) return close(c, false);
            if (!c->open) return;
        }
        c->sink->on_pause();
        busy_end = steady_ns();
        if (c->open) wait_plain(c);
    }

    void read_tls(const ConnPtr& c) {
        c->tls->async_read_some(asio::buffer(c->tls_buffer), [this, c](error_code ec, size_t n) {
            if (!c->open) return;
            if (ec) return close(c, ec == asio::error::eof || ec == ssl::error::stream_truncated);
            c->last = steady_ns();
            if (!c->sink->on_data(std::string_view(c->tls_buffer.data(), n))) return close(c, false);
            c->sink->on_pause();
            busy_end = steady_ns();
            if (c->open) read_tls(c);
        });
    }

    void close(const ConnPtr& c, bool clean) {
        if (!c->open) return;
        c->open = false;
        c->sink->on_close(clean);
        busy_end = steady_ns();
        error_code ignored;
        c->socket().close(ignored);
        conns.erase(c->id);
    }

    std::chrono::nanoseconds sweep_period() const {
        const auto quarter = config.idle_timeout / 4;
        return std::clamp<std::chrono::nanoseconds>(quarter, std::chrono::milliseconds(10),
                                                    std::chrono::seconds(1));
    }

    void arm_sweep() {
        sweep->expires_after(sweep_period());
        sweep->async_wait([this](error_code ec) {
            if (ec) return;
            // A connection is idle when nothing came for the timeout, not
            // counting time the whole server spent blocked handing on data.
            const int64_t now = steady_ns();
            const int64_t limit = config.idle_timeout.count();
            std::vector<ConnPtr> idle;
            for (auto& [id, c] : conns)
                if (now - std::max(c->last, busy_end) > limit) idle.push_back(c);
            for (auto& c : idle) {
                ctx.count_error("read_timeout");
                ctx.debug("closing connection " + std::to_string(c->id) +
                          ": nothing read within the timeout");
                close(c, false);
            }
            arm_sweep();
        });
    }

    void run() {
        while (!bind())
            if (stop_wait.wait_for(std::chrono::seconds(1))) return;
        sweep.emplace(io);
        accept_retry.emplace(io);
        busy_end = steady_ns();
        accept();
        arm_sweep();
        if (!stop_wait.stopped()) io.run();
        // Stopping: every connection hands on what it has.
        std::vector<ConnPtr> open;
        for (auto& [id, c] : conns) open.push_back(c);
        for (auto& c : open) close(c, false);
        error_code ignored;
        acceptor->close(ignored);
    }

    void stop() {
        stop_wait.stop();
        io.stop();
    }
};

StreamServer::StreamServer(weir::Context& ctx, StreamServerConfig config, Factory factory)
    : impl_(std::make_unique<Impl>(ctx, std::move(config), std::move(factory))) {}
StreamServer::~StreamServer() = default;
void StreamServer::run() { impl_->run(); }
void StreamServer::stop() { impl_->stop(); }

// ---- UDP ---------------------------------------------------------------------------

struct DatagramServer::Impl {
    Impl(weir::Context& c, DatagramServerConfig cfg, OnDatagram d, OnPause p)
        : ctx(c),
          config(std::move(cfg)),
          on_datagram(std::move(d)),
          on_pause(std::move(p)),
          buffer(std::max<size_t>(config.max_datagram, 1) + 1) {}

    asio::io_context io{1};
    weir::Context& ctx;
    DatagramServerConfig config;
    OnDatagram on_datagram;
    OnPause on_pause;
    std::vector<char> buffer;
    std::optional<udp::socket> socket;
    std::optional<asio::steady_timer> tick;
    StopWait stop_wait;
    // The peer of the previous datagram, to format its address only once.
    udp::endpoint last_from;
    Peer last_peer;

    bool bind() {
        error_code ec;
        const udp::endpoint ep(asio::ip::make_address(config.listen.host), config.listen.port);
        socket.emplace(io);
        socket->open(ep.protocol(), ec);
        if (!ec) socket->set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) socket->bind(ep, ec);
        if (ec) {
            socket.reset();
            ctx.error("cannot listen on udp://" + config.listen.to_string() + ": " + ec.message() +
                      "; retrying every second");
            return false;
        }
        error_code ignored;
        socket->set_option(asio::socket_base::receive_buffer_size(static_cast<int>(config.receive_buffer)),
                           ignored);
        socket->non_blocking(true, ignored);
        const auto local = socket->local_endpoint();
        ctx.info("listening on udp://" + Endpoint{local.address().to_string(), local.port()}.to_string());
        return true;
    }

    void wait() {
        socket->async_wait(udp::socket::wait_read, [this](error_code ec) {
            if (ec) return;
            for (int i = 0; i < 4096; ++i) {
                udp::endpoint from;
                const size_t n = socket->receive_from(asio::buffer(buffer), from, 0, ec);
                if (ec == asio::error::would_block || ec == asio::error::try_again) break;
                if (ec) {
                    ctx.count_error("receive_failed");
                    break;
                }
                if (from != last_from || last_peer.address.empty()) {
                    last_from = from;
                    last_peer = Peer{from.address().to_string(), from.port(), 0};
                }
                on_datagram(std::string_view(buffer.data(), n), last_peer);
            }
            on_pause();
            wait();
        });
    }

    void arm_tick() {
        tick->expires_after(std::chrono::milliseconds(50));
        tick->async_wait([this](error_code ec) {
            if (ec) return;
            on_pause();
            arm_tick();
        });
    }

    void run() {
        while (!bind())
            if (stop_wait.wait_for(std::chrono::seconds(1))) return;
        tick.emplace(io);
        wait();
        arm_tick();
        if (!stop_wait.stopped()) io.run();
        on_pause();
    }

    void stop() {
        stop_wait.stop();
        io.stop();
    }
};

DatagramServer::DatagramServer(weir::Context& ctx, DatagramServerConfig config, OnDatagram d, OnPause p)
    : impl_(std::make_unique<Impl>(ctx, std::move(config), std::move(d), std::move(p))) {}
DatagramServer::~DatagramServer() = default;
void DatagramServer::run() { impl_->run(); }
void DatagramServer::stop() { impl_->stop(); }

}  // namespace weir::net
