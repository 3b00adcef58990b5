// All Beast and Asio code of the admin server lives in this one file.
#include <weir/admin/server.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace weir::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

struct Shared {
    Handler handler;
    Limits limits;
    std::atomic<size_t> connections{0};
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, std::shared_ptr<Shared> shared)
        : stream_(std::move(socket)), shared_(std::move(shared)) {}
    ~Session() { shared_->connections.fetch_sub(1); }

    void run() { read(); }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(shared_->limits.max_body_bytes);
        parser_->header_limit(64 * 1024);
        stream_.expires_after(shared_->limits.read_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream) return close();
        if (ec == http::error::body_limit) return reply_error(413, "request body too large", false);
        if (ec) return close();  // timeout or broken request: cut the client off
        auto& req = parser_->get();
        Request r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        const size_t q = r.target.find('?');
        r.path = r.target.substr(0, q);
        if (q != std::string::npos) r.query = r.target.substr(q + 1);
        r.body = std::move(req.body());
        for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        Response resp;
        try {
            resp = shared_->handler(r);
        } catch (const std::exception& e) {
            resp = Response{500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n", {}};
        } catch (...) {
            resp = Response{500, "text/plain; charset=utf-8", "internal error\n", {}};
        }
        send(std::move(resp), req.keep_alive());
    }

    void reply_error(int status, const std::string& msg, bool keep_alive) {
        send(Response{status, "text/plain; charset=utf-8", msg + "\n", {}}, keep_alive);
    }

    void send(Response resp, bool keep_alive) {
        auto res = std::make_shared<http::response<http::string_body>>();
        res->result(static_cast<unsigned>(resp.status));
        res->version(11);
        res->set(http::field::server, "weir");
        res->set(http::field::content_type, resp.content_type);
        for (auto& [k, v] : resp.headers) res->set(k, v);
        res->keep_alive(keep_alive);
        res->body() = std::move(resp.body);
        res->prepare_payload();
        stream_.expires_after(shared_->limits.read_timeout);
        http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
            if (ec || !keep_alive) return self->close();
            self->read();
        });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<Shared> shared_;
};

}  // namespace

struct Server::Impl {
    std::string listen;
    std::shared_ptr<Shared> shared = std::make_shared<Shared>();
    asio::io_context io{1};
    std::optional<tcp::acceptor> acceptor;
    std::thread thread;
    uint16_t port = 0;
    std::string host;
    bool stopped = false;

    void accept() {
        acceptor->async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
            if (!ec) {
                if (shared->connections.load() >= shared->limits.max_connections) {
                    beast::error_code ignore;
                    socket.close(ignore);  // over the limit: refuse at once
                } else {
                    shared->connections.fetch_add(1);
                    std::make_shared<Session>(std::move(socket), shared)->run();
                }
            }
            accept();
        });
    }
};

Server::Server(std::string listen, Handler handler, Limits limits) : impl_(std::make_unique<Impl>()) {
    impl_->listen = std::move(listen);
    impl_->shared->handler = std::move(handler);
    impl_->shared->limits = limits;
}

Server::~Server() { stop(); }

void Server::start() {
    Impl& s = *impl_;
    const std::string& l = s.listen;
    const size_t colon = l.rfind(':');
    if (colon == std::string::npos || colon == 0) throw std::runtime_error("invalid listen address '" + l + "'");
    std::string host = l.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned long port = 0;
    try {
        size_t used = 0;
        port = std::stoul(l.substr(colon + 1), &used);
        if (used != l.size() - colon - 1 || port > 65535) throw std::invalid_argument("port");
    } catch (const std::exception&) {
        throw std::runtime_error("invalid listen address '" + l + "': bad port");
    }
    beast::error_code ec;
    auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) throw std::runtime_error("invalid listen address '" + l + "': " + ec.message());
    tcp::endpoint ep(addr, static_cast<uint16_t>(port));
    s.acceptor.emplace(s.io);
    auto fail = [&](const char* what) {
        s.acceptor.reset();
        throw std::runtime_error("cannot listen on " + l + ": " + ec.message() + " (" + what + ")");
    };
    s.acceptor->open(ep.protocol(), ec);
    if (ec) fail("open");
    s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    s.acceptor->bind(ep, ec);
    if (ec) fail("bind");
    s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail("listen");
    s.port = s.acceptor->local_endpoint().port();
    s.host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
    s.accept();
    s.thread = std::thread([&s] { s.io.run(); });
}

void Server::stop() {
    Impl& s = *impl_;
    if (s.stopped || !s.acceptor) return;
    s.stopped = true;
    asio::post(s.io, [&s] {
        beast::error_code ec;
        s.acceptor->close(ec);
    });
    s.io.stop();  // ends every session: their sockets close with the io_context
    if (s.thread.joinable()) s.thread.join();
}

uint16_t Server::port() const { return impl_->port; }

std::string Server::address() const { return impl_->host + ":" + std::to_string(impl_->port); }

}  // namespace weir::admin
