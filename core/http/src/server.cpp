// All Beast and Asio code of the API server lives in this one file: the
// listener, HTTP sessions (plain or TLS), WebSocket sessions and the worker
// pool. One network thread does all socket I/O; handlers run on workers and
// hand their answers back to the network thread.
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <weir/http/access.hpp>
#include <weir/http/server.hpp>
#include <weir/http/static_files.hpp>
#include <weir/keys/keys.hpp>
#include <weir/metrics/registry.hpp>
#include <weir/runtime/log.hpp>

#include "gzip.hpp"

namespace weir::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using runtime::Log;
using runtime::LogLevel;

namespace {

/// Streamed and WebSocket bodies never pass this size per chunk.
constexpr size_t kGzipMinBytes = 1024;
/// The status recorded for a request whose client left before the answer
/// (nginx's 499): counted among the 4xx, never sent.
constexpr int kClientClosedRequest = 499;

int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct RouteStats {
    std::array<std::atomic<uint64_t>, 5> by_class{};  // 1xx..5xx
    std::atomic<uint64_t> abandoned{0};               // the client left before the answer (499)
    metrics::Histogram latency;
};

class SessionBase;

/// What every session shares: options, router, threads, the connection
/// table and the counters.
struct Core {
    ServerOptions opt;
    std::shared_ptr<const Router> router;
    asio::io_context io{1};
    std::unique_ptr<asio::thread_pool> workers;
    std::optional<asio::ssl::context> ssl;
    bool loopback = true;

    // Network thread only.
    std::list<std::weak_ptr<SessionBase>> sessions;
    std::map<std::string, size_t> per_client;
    size_t total = 0;

    std::atomic<size_t> open_connections{0};
    std::atomic<uint64_t> cut_client_limit{0}, cut_server_full{0}, refused{0};
    std::atomic<uint64_t> ws_closed_slow{0}, ws_dropped{0};
    runtime::LogLimiter limit_log{5};

    mutable std::mutex stats_mu;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<RouteStats>> stats;  // (method, route)

    RouteStats& stats_for(const std::string& method, const std::string& route) {
        std::lock_guard lock(stats_mu);
        auto& p = stats[{method, route}];
        if (!p) p = std::make_unique<RouteStats>();
        return *p;
    }
};

/// A connection as the connection table sees it.
class SessionBase {
public:
    SessionBase(std::shared_ptr<Core> core, std::string addr)
        : hold_(std::move(core)), core_(*hold_), addr_(std::move(addr)) {
        ++core_.total;
        ++core_.per_client[addr_];
        core_.open_connections.store(core_.total);
    }
    virtual ~SessionBase() { release(); }
    /// Waiting for a request (keep-alive or a request still arriving).
    bool idle() const { return idle_; }
    Clock::time_point idle_since() const { return idle_since_; }
    const std::string& addr() const { return addr_; }
    /// Closes the connection and frees its slot at once.
    virtual void cut() = 0;

protected:
    void set_idle(bool idle) {
        idle_ = idle;
        if (idle) idle_since_ = Clock::now();
    }
    void release() {
        if (released_) return;
        released_ = true;
        --core_.total;
        auto it = core_.per_client.find(addr_);
        if (it != core_.per_client.end() && --it->second == 0) core_.per_client.erase(it);
        core_.open_connections.store(core_.total);
    }
    std::shared_ptr<Core> hold_;  // a late answer (a reload) may arrive after stop()
    Core& core_;
    std::string addr_;
    bool idle_ = false;
    bool released_ = false;
    Clock::time_point idle_since_ = Clock::now();
};

/// Asks for text/event-stream (an EventSource).
bool accepts_event_stream(const Request& req) {
    return req.header("Accept").find("text/event-stream") != std::string::npos;
}

/// The target with any access_token parameter's value masked: tokens are
/// never logged.
std::string without_access_token(const std::string& target) {
    const size_t q = target.find('?');
    if (q == std::string::npos) return target;
    std::string out = target.substr(0, q + 1);
    std::string_view rest(target);
    rest.remove_prefix(q + 1);
    bool first = true;
    while (true) {
        const size_t amp = rest.find('&');
        std::string_view part = rest.substr(0, amp);
        if (!first) out += '&';
        first = false;
        if (part.rfind("access_token=", 0) == 0 || part == "access_token")
            out += "access_token=***";
        else
            out += part;
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return out;
}

// ---------------------------------------------------------------- WebSocket

template <class Stream>
class WsSession : public SessionBase,
                  public WebSocket,
                  public std::enable_shared_from_this<WsSession<Stream>> {
public:
    WsSession(std::shared_ptr<Core> core, std::string addr, Stream stream, const Route& route, Request req)
        : SessionBase(core, std::move(addr)),
          ws_(std::move(stream)),
          route_(route),
          req_(std::move(req)),
          tick_(core->io),
          force_close_(core->io) {}

    void run(bhttp::request<bhttp::string_body> upgrade) {
        beast::get_lowest_layer(ws_).expires_never();
        websocket::stream_base::timeout t;
        t.handshake_timeout = std::chrono::seconds(30);
        t.idle_timeout = core_.opt.ws_idle_timeout;  // a ping after half of it, closed after all of it
        t.keep_alive_pings = true;
        ws_.set_option(t);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(bhttp::field::server, "weir"); }));
        ws_.read_message_max(core_.opt.max_body_bytes);
        auto req = std::make_shared<bhttp::request<bhttp::string_body>>(std::move(upgrade));
        ws_.async_accept(
            *req, [self = this->shared_from_this(), req](beast::error_code ec) { self->on_accept(ec); });
    }

    bool send(std::string text) override {
        if (!open_.load()) return false;
        const size_t n = text.size();
        const size_t msgs = queued_msgs_.fetch_add(1) + 1;
        const size_t bytes = queued_bytes_.fetch_add(n) + n;
        if (msgs > core_.opt.ws_queue_messages || bytes > core_.opt.ws_queue_bytes) {
            queued_msgs_.fetch_sub(1);
            queued_bytes_.fetch_sub(n);
            dropped_.fetch_add(1);
            core_.ws_dropped.fetch_add(1);
            // A consumer that does not keep up is closed (1013, try again
            // later) rather than made to lose messages silently.
            if (open_.exchange(false)) {
                core_.ws_closed_slow.fetch_add(1);
                asio::post(core_.io, [self = this->shared_from_this()] {
                    self->do_close(websocket::close_code::try_again_later);
                });
            }
            return false;
        }
        asio::post(core_.io, [self = this->shared_from_this(), t = std::move(text)]() mutable {
            self->queue_.push_back(std::move(t));
            self->write_next();
        });
        return true;
    }

    void close() override {
        if (!open_.exchange(false)) return;
        asio::post(core_.io,
                   [self = this->shared_from_this()] { self->do_close(websocket::close_code::normal); });
    }

    bool open() const override { return open_.load(); }
    size_t dropped() const override { return dropped_.load(); }
    size_t queued() const override { return queued_msgs_.load(); }

    void cut() override {
        open_.store(false);
        tick_.cancel();
        force_close_.cancel();
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().close(ec);
        release();
    }

private:
    void on_accept(beast::error_code ec) {
        if (ec) return;
        open_.store(true);
        auto self = this->shared_from_this();
        if (route_.websocket->on_open)
            serial([self] { self->guard([&] { self->route_.websocket->on_open(self, self->req_); }); });
        if (route_.websocket->tick.count() > 0 && route_.websocket->on_tick) arm_tick();
        read();
    }

    template <class F>
    void guard(F&& f) {
        try {
            f();
        } catch (const std::exception& e) {
            Log::warn("api", "websocket " + req_.path + ": handler failed: " + e.what());
            close();
        }
    }

    /// Runs `fn` on a worker, after every callback queued before it: one
    /// connection's callbacks never overlap and keep their order.
    void serial(std::function<void()> fn) {
        {
            std::lock_guard lock(inbox_mu_);
            inbox_.push_back(std::move(fn));
            if (draining_) return;
            draining_ = true;
        }
        asio::post(*core_.workers, [self = this->shared_from_this()] { self->drain_inbox(); });
    }

    void drain_inbox() {
        for (;;) {
            std::function<void()> fn;
            {
                std::lock_guard lock(inbox_mu_);
                if (inbox_.empty()) {
                    draining_ = false;
                    return;
                }
                fn = std::move(inbox_.front());
                inbox_.pop_front();
            }
            fn();
        }
    }

    void arm_tick() {
        tick_.expires_after(route_.websocket->tick);
        tick_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (ec || !self->open_.load()) return;
            self->serial([self] { self->guard([&] { self->route_.websocket->on_tick(self); }); });
            self->arm_tick();
        });
    }

    void read() {
        ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->finish();
            std::string msg = beast::buffers_to_string(self->in_.data());
            self->in_.consume(self->in_.size());
            if (self->route_.websocket->on_message)
                self->serial([self, m = std::move(msg)] {
                    self->guard([&] { self->route_.websocket->on_message(self, m); });
                });
            self->read();
        });
    }

    void write_next() {
        if (writing_ || queue_.empty() || closing_) return;
        writing_ = true;
        ws_.text(true);
        ws_.async_write(asio::buffer(queue_.front()),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            self->writing_ = false;
                            const size_t n = self->queue_.front().size();
                            self->queue_.pop_front();
                            self->queued_msgs_.fetch_sub(1);
                            self->queued_bytes_.fetch_sub(n);
                            if (ec) return self->finish();
                            if (self->pending_close_) return self->do_close(*self->pending_close_);
                            self->write_next();
                        });
    }

    void do_close(websocket::close_code code) {
        if (closing_) return;
        if (writing_ && code == websocket::close_code::normal) {  // let what is queued go first
            pending_close_ = code;
            return;
        }
        closing_ = true;
        open_.store(false);
        tick_.cancel();
        // A peer that reads nothing never lets the close frame out: cut it.
        force_close_.expires_after(std::chrono::seconds(5));
        force_close_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (!ec) self->cut();
        });
        ws_.async_close(websocket::close_reason(code),
                        [self = this->shared_from_this()](beast::error_code) {});
    }

    void finish() {
        open_.store(false);
        tick_.cancel();
        force_close_.cancel();
    }

    websocket::stream<Stream> ws_;
    const Route& route_;
    Request req_;
    std::mutex inbox_mu_;
    std::deque<std::function<void()>> inbox_;
    bool draining_ = false;
    asio::steady_timer tick_;
    asio::steady_timer force_close_;
    beast::flat_buffer in_;
    std::deque<std::string> queue_;  // network thread only
    bool writing_ = false;
    bool closing_ = false;
    std::optional<websocket::close_code> pending_close_;
    std::atomic<bool> open_{false};
    std::atomic<size_t> queued_msgs_{0}, queued_bytes_{0}, dropped_{0};
};

// --------------------------------------------------------------------- HTTP

template <class Stream>
class HttpSession : public SessionBase, public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    HttpSession(std::shared_ptr<Core> core, std::string addr, Stream stream, bool priority_only)
        : SessionBase(std::move(core), std::move(addr)),
          stream_(std::move(stream)),
          priority_only_(priority_only) {}

    void run() {
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            beast::get_lowest_layer(stream_).expires_after(core_.opt.read_timeout);
            set_idle(true);
            stream_.async_handshake(asio::ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                        if (ec) return;  // not TLS, a bad certificate, or a timeout
                                        self->read();
                                    });
        } else {
            read();
        }
    }

    void cut() override {
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().close(ec);
        release();
    }

private:
    using Self = HttpSession<Stream>;

    void read() {
        set_idle(true);
        parser_.emplace();
        parser_->body_limit(core_.opt.max_body_bytes);
        parser_->header_limit(64 * 1024);
        beast::get_lowest_layer(stream_).expires_after(core_.opt.read_timeout);
        bhttp::async_read(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        set_idle(false);
        if (released_) return;  // cut while reading
        if (ec == bhttp::error::body_limit) {
            started_ = Clock::now();
            route_label_ = "unmatched";
            method_ = "-";
            return send(Response::error(413, "request body too large (at most " +
                                                 std::to_string(core_.opt.max_body_bytes) + " bytes)"),
                        false);
        }
        if (ec) return close();  // end of stream, timeout or a broken request
        started_ = Clock::now();
        auto& msg = parser_->get();
        keep_alive_ = msg.keep_alive();
        Request req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        const size_t q = req.target.find('?');
        req.path = req.target.substr(0, q);
        if (q != std::string::npos) req.query = req.target.substr(q + 1);
        for (const auto& f : msg)
            req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        req.body = std::move(msg.body());
        req.remote = addr_;
        logged_target_ = without_access_token(req.target);
        method_ = req.method;
        head_ = req.method == "HEAD";
        gzip_ok_ = accepts_gzip(req.header("Accept-Encoding"));
        origin_ = req.header("Origin");
        dispatch(std::move(req));
    }

    bool cors_allowed(const std::string& origin) const {
        if (origin.empty()) return false;
        for (const auto& o : core_.opt.cors_origins)
            if (o == "*" || beast::iequals(o, origin)) return true;
        return false;
    }

    void dispatch(Request req) {
        const Router& router = *core_.router;
        route_label_ = "unmatched";
        const std::string host = req.header("Host");
        if (core_.loopback && !loopback_host_allowed(host))
            return send(Response::error(403, "host '" + host + "' is not served on a loopback listener"));

        auto m = router.match(req.method == "OPTIONS" ? "GET" : req.method, req.path);
        if (req.method == "OPTIONS") {  // a CORS preflight
            if (!m.route && m.allowed.empty()) m = router.match("POST", req.path);
            if (!m.route && m.allowed.empty()) return send(Response::error(404, "no route for " + req.path));
            if (!cors_allowed(origin_)) return send(Response::error(403, "origin not allowed"));
            Response r;
            r.status = 204;
            r.content_type.clear();
            r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
            r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
            r.headers.emplace_back("Access-Control-Max-Age", "600");
            return send(std::move(r));
        }
        if (!m.route) {
            if (m.allowed.empty() && (req.method == "GET" || req.method == "HEAD") &&
                !core_.opt.static_dir.empty() && req.path.rfind("/api/", 0) != 0 && req.path != "/api") {
                route_label_ = "static";
                return serve_static(req);
            }
            if (m.allowed.empty()) return send(Response::error(404, "no route for " + req.path));
            std::string allow;
            for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
            auto r = Response::error(405, "use " + allow + " for " + req.path);
            r.headers.emplace_back("Allow", allow);
            return send(std::move(r));
        }
        const Route& route = *m.route;
        route_label_ = route.pattern;
        req.params = std::move(m.params);
        if (priority_only_ && !route.priority) {
            auto r = Response::error(503, "too many connections");
            r.headers.emplace_back("Retry-After", "1");
            keep_alive_ = false;
            return send(std::move(r));
        }
        if (route.mutates) {
            if (!origin_allowed(origin_, host, core_.opt.cors_origins))
                return send(Response::error(403, "cross-origin request refused for " + req.path));
            if (is_simple_form_type(req.header("Content-Type")))
                return send(Response::error(415, "content type '" + req.header("Content-Type") +
                                                     "' is refused here (use application/json or none)"));
        }
        if (route.scope != Scope::None && core_.opt.tokens) {
            keys::ApiKey key;
            std::string authorization = req.header("Authorization");
            // Browsers cannot set headers on WebSocket upgrades or EventSource
            // requests: those may carry the token as ?access_token= instead.
            if (authorization.empty() && (route.websocket || accepts_event_stream(req))) {
                const std::string t = req.query_param("access_token");
                if (!t.empty()) authorization = "Bearer " + t;
            }
            const auto ar = core_.opt.tokens->check(authorization, wall_ns(), key);
            if (ar != keys::AuthResult::Ok) {
                auto r = Response::error(401, ar == keys::AuthResult::Missing
                                                  ? "a bearer token is required"
                                                  : std::string("the token is ") + keys::to_string(ar));
                r.headers.emplace_back("WWW-Authenticate", "Bearer");
                return send(std::move(r));
            }
            if (!key.has_scope(scope_name(route.scope)))
                return send(Response::error(
                    403, std::string("the token lacks the '") + scope_name(route.scope) + "' scope"));
            req.tenant = key.tenant;
            req.token_id = std::to_string(std::hash<std::string>{}(authorization));
        }
        if (route.websocket && (websocket::is_upgrade(parser_->get()) || !route.handler)) {
            if (!websocket::is_upgrade(parser_->get()))
                return send(Response::error(426, "this route speaks WebSocket"));
            record(101);
            auto ws =
                std::make_shared<WsSession<Stream>>(hold_, addr_, std::move(stream_), route, std::move(req));
            core_.sessions.push_back(ws);
            release();  // the WebSocket session holds the slot from now on
            ws->run(parser_->release());
            return;
        }
        auto self = this->shared_from_this();
        gone_ = std::make_shared<std::atomic<bool>>(false);
        req.cancelled = gone_;
        watch_peer();
        auto once = std::make_shared<std::atomic<bool>>(false);
        Respond respond = [self, once](Response r) {
            if (once->exchange(true)) return;
            asio::post(self->core_.io, [self, r = std::move(r)]() mutable { self->send(std::move(r)); });
        };
        asio::post(*core_.workers, [&route, req = std::move(req), respond]() mutable {
            try {
                route.handler(req, respond);
            } catch (const std::exception& e) {
                respond(Response::error(500, std::string("internal error: ") + e.what()));
            } catch (...) {
                respond(Response::error(500, "internal error"));
            }
        });
    }

    void serve_static(const Request& req) {
        auto f = resolve_static(core_.opt.static_dir, req.path);
        if (!f)
            if (auto page = dashboard_missing_page(core_.opt.static_dir, req.path))
                return send(Response::text(200, std::move(*page), "text/html; charset=utf-8"));
        if (!f) return send(Response::error(404, "no file for " + req.path));
        const char* cache =
            (f->fallback || f->content_type.rfind("text/html", 0) == 0) ? "no-cache" : "public, max-age=300";
        if (etag_matches(req.header("If-None-Match"), f->etag)) {
            Response r;
            r.status = 304;
            r.content_type.clear();
            r.headers.emplace_back("ETag", f->etag);
            r.headers.emplace_back("Cache-Control", cache);
            return send(std::move(r));
        }
        beast::error_code ec;
        bhttp::file_body::value_type body;
        body.open(f->path.c_str(), beast::file_mode::scan, ec);
        if (ec) return send(Response::error(404, "no file for " + req.path));
        auto res = std::make_shared<bhttp::response<bhttp::file_body>>();
        res->result(200);
        res->version(11);
        res->set(bhttp::field::server, "weir");
        res->set(bhttp::field::content_type, f->content_type);
        res->set(bhttp::field::etag, f->etag);
        res->set(bhttp::field::cache_control, cache);
        res->set("X-Content-Type-Options", "nosniff");
        res->keep_alive(keep_alive_);
        const auto size = body.size();
        res->body() = std::move(body);
        res->prepare_payload();
        record(200);
        if (head_) {
            auto h = std::make_shared<bhttp::response<bhttp::empty_body>>();
            h->base() = res->base();
            h->content_length(size);
            return write_message(h);
        }
        write_message(res);
    }

    void add_common(bhttp::fields& f, const std::vector<std::pair<std::string, std::string>>& extra) {
        f.set(bhttp::field::server, "weir");
        for (const auto& [k, v] : extra) f.set(k, v);
        if (cors_allowed(origin_)) {
            f.set(bhttp::field::access_control_allow_origin, origin_);
            f.set(bhttp::field::vary, "Origin");
        }
    }

    /// While a handler works, waits for the socket to turn readable: a
    /// client that closed (or reset) its connection has given up on the
    /// answer, and the handler is told so through the request's `cancelled`.
    /// Bytes the client sent meanwhile (a pipelined request, a TLS
    /// close_notify) stay unread for the next request; from then on the
    /// socket is checked for the peer's close (POLLRDHUP) every 200 ms.
    /// A half-close (shutdown of the client's sending side) counts as
    /// leaving, as nginx takes it.
    void watch_peer() {
        watching_ = true;
        const uint64_t gen = watch_gen_;
        beast::get_lowest_layer(stream_).socket().async_wait(
            tcp::socket::wait_read, [self = this->shared_from_this(), gen](beast::error_code ec) {
                if (ec || !self->watching_ || gen != self->watch_gen_) return;  // the answer went out first
                switch (self->peer_state()) {
                    case Peer::Gone:
                        return self->peer_gone();
                    case Peer::Quiet:
                        return self->watch_peer();  // a spurious wake-up
                    case Peer::SentData:
                        return self->poll_peer_later();
                }
            });
    }

    enum class Peer { Quiet, SentData, Gone };
    Peer peer_state() {
        pollfd p{beast::get_lowest_layer(stream_).socket().native_handle(), POLLIN | POLLRDHUP, 0};
        if (::poll(&p, 1, 0) <= 0) return Peer::Quiet;
        if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return Peer::Gone;
        return (p.revents & POLLIN) ? Peer::SentData : Peer::Quiet;
    }

    void poll_peer_later() {
        const uint64_t gen = watch_gen_;
        peer_timer_.expires_after(std::chrono::milliseconds(200));
        peer_timer_.async_wait([self = this->shared_from_this(), gen](beast::error_code ec) {
            if (ec || !self->watching_ || gen != self->watch_gen_) return;
            if (self->peer_state() == Peer::Gone) return self->peer_gone();
            self->poll_peer_later();
        });
    }

    void peer_gone() {
        watching_ = false;
        if (gone_) gone_->store(true);
    }

    void stop_watching() {
        ++watch_gen_;  // a completion already queued for this watch does nothing
        if (!watching_) return;
        watching_ = false;
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().cancel(ec);
        peer_timer_.cancel();
    }

    void send(Response r, bool keep_alive = true) {
        stop_watching();
        if (gone_ && gone_->load()) {  // nobody is waiting for this answer
            gone_.reset();
            record(kClientClosedRequest);
            return close();
        }
        gone_.reset();
        keep_alive_ = keep_alive_ && keep_alive;
        record(r.status);
        if (r.stream) return send_stream(std::move(r));
        auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
        res->result(static_cast<unsigned>(r.status));
        res->version(11);
        if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
        add_common(res->base(), r.headers);
        res->keep_alive(keep_alive_);
        if (gzip_ok_ && r.body.size() >= kGzipMinBytes && compressible(r.content_type)) {
            r.body = gzip_all(r.body);
            res->set(bhttp::field::content_encoding, "gzip");
            res->set(bhttp::field::vary, "Accept-Encoding");
        }
        const size_t n = r.body.size();
        res->body() = std::move(r.body);
        res->prepare_payload();
        if (head_) {
            res->body().clear();
            res->content_length(n);
        }
        write_message(res);
    }

    template <class Message>
    void write_message(std::shared_ptr<Message> res) {
        beast::get_lowest_layer(stream_).expires_after(core_.opt.read_timeout);
        bhttp::async_write(stream_, *res,
                           [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                               if (ec || !self->keep_alive_) return self->close();
                               self->read();
                           });
    }

    // Streaming: the header, then one chunk per call of the source, each
    // asked for only once the previous one is on the wire.
    void send_stream(Response r) {
        auto res = std::make_shared<bhttp::response<bhttp::empty_body>>();
        res->result(static_cast<unsigned>(r.status));
        res->version(11);
        res->set(bhttp::field::content_type, r.content_type);
        add_common(res->base(), r.headers);
        res->keep_alive(keep_alive_);
        if (gzip_ok_ && compressible(r.content_type)) {
            gzip_.emplace();
            res->set(bhttp::field::content_encoding, "gzip");
            res->set(bhttp::field::vary, "Accept-Encoding");
        }
        res->chunked(true);
        source_ = std::move(r.stream);
        auto sr = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*res);
        beast::get_lowest_layer(stream_).expires_after(core_.opt.read_timeout);
        bhttp::async_write_header(stream_, *sr,
                                  [self = this->shared_from_this(), res, sr](beast::error_code ec, size_t) {
                                      if (ec) return self->close();
                                      if (self->head_) return self->end_stream();
                                      self->next_chunk();
                                  });
    }

    void next_chunk() {
        asio::post(*core_.workers, [self = this->shared_from_this()] {
            std::string chunk;
            bool more = false;
            try {
                more = self->source_(chunk);
            } catch (const std::exception& e) {
                Log::warn("api", "stream " + self->route_label_ + " failed: " + e.what());
                more = false;
                self->keep_alive_ = false;
            }
            if (self->gzip_) chunk = self->gzip_->add(chunk, !more);
            asio::post(self->core_.io, [self, chunk = std::move(chunk), more]() mutable {
                self->write_chunk(std::move(chunk), more);
            });
        });
    }

    void write_chunk(std::string chunk, bool more) {
        if (chunk.empty()) {
            if (more) return next_chunk();
            return end_stream();
        }
        auto data = std::make_shared<std::string>(std::move(chunk));
        beast::get_lowest_layer(stream_).expires_after(core_.opt.read_timeout);
        asio::async_write(stream_, bhttp::make_chunk(asio::buffer(*data)),
                          [self = this->shared_from_this(), data, more](beast::error_code ec, size_t) {
                              if (ec) return self->close();
                              if (more) return self->next_chunk();
                              self->end_stream();
                          });
    }

    void end_stream() {
        source_ = nullptr;
        gzip_.reset();
        asio::async_write(stream_, bhttp::make_chunk_last(),
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec || !self->keep_alive_) return self->close();
                              self->read();
                          });
    }

    void record(int status) {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started_).count();
        auto& st = core_.stats_for(method_, route_label_);
        const int cls = std::clamp(status / 100, 1, 5);
        st.by_class[static_cast<size_t>(cls - 1)].fetch_add(1);
        if (status == kClientClosedRequest) st.abandoned.fetch_add(1);
        st.latency.observe_ns(ns);
        if (Log::level() >= LogLevel::Debug) {
            char ms[32];
            std::snprintf(ms, sizeof ms, "%.3f", static_cast<double>(ns) / 1e6);
            Log::debug("api", method_ + " " + logged_target_ + " " + std::to_string(status) +
                                  " route=" + route_label_ + " client=" + addr_ + " ms=" + ms);
        }
    }

    void close() {
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
        beast::get_lowest_layer(stream_).close();
    }

    Stream stream_;
    bool priority_only_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    Clock::time_point started_ = Clock::now();
    std::string method_, route_label_, origin_, logged_target_;
    bool keep_alive_ = true;
    bool head_ = false;
    bool gzip_ok_ = false;
    ChunkSource source_;
    std::optional<GzipStream> gzip_;
    std::shared_ptr<std::atomic<bool>> gone_;  // the running handler's `cancelled`
    bool watching_ = false;
    uint64_t watch_gen_ = 0;
    asio::steady_timer peer_timer_{beast::get_lowest_layer(stream_).get_executor()};
};

}  // namespace

// ------------------------------------------------------------------- Server

struct Server::Impl {
    std::shared_ptr<Core> core_ptr = std::make_shared<Core>();
    Core& core = *core_ptr;
    std::optional<tcp::acceptor> acceptor;
    std::thread thread;
    uint16_t port = 0;
    std::string host;
    bool stopped = false;

    /// Frees a slot by cutting the longest-idle connection (of `addr` when
    /// given). False when every connection is busy.
    bool cut_idle(const std::string* addr) {
        std::shared_ptr<SessionBase> oldest;
        for (auto it = core.sessions.begin(); it != core.sessions.end();) {
            auto s = it->lock();
            if (!s) {
                it = core.sessions.erase(it);
                continue;
            }
            if (s->idle() && (!addr || s->addr() == *addr) &&
                (!oldest || s->idle_since() < oldest->idle_since()))
                oldest = s;
            ++it;
        }
        if (!oldest) return false;
        oldest->cut();
        return true;
    }

    void warn_limited(const std::string& msg) {
        uint64_t suppressed = 0;
        if (core.limit_log.allow(suppressed))
            Log::warn(
                "api",
                msg + (suppressed ? " (" + std::to_string(suppressed) + " similar lines suppressed)" : ""));
    }

    void accept() {
        acceptor->async_accept(core.io, [this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
            if (!ec) admit(std::move(socket));
            accept();
        });
    }

    void admit(tcp::socket socket) {
        beast::error_code ec;
        const auto ep = socket.remote_endpoint(ec);
        if (ec) return;
        const std::string addr = ep.address().to_string();
        bool priority_only = false;
        auto it = core.per_client.find(addr);
        if (it != core.per_client.end() && it->second >= core.opt.max_connections_per_client) {
            if (cut_idle(&addr)) {
                core.cut_client_limit.fetch_add(1);
                warn_limited("client " + addr + " has " +
                             std::to_string(core.opt.max_connections_per_client) +
                             " connections: its longest-idle one was closed");
            } else {
                priority_only = true;
            }
        }
        if (!priority_only && core.total >= core.opt.max_connections) {
            if (cut_idle(nullptr)) {
                core.cut_server_full.fetch_add(1);
                warn_limited("the server has " + std::to_string(core.opt.max_connections) +
                             " connections: the longest-idle one was closed");
            } else {
                priority_only = true;
            }
        }
        if (priority_only) {
            // Every slot is busy: this connection may still ask for /health,
            // and is answered 503 for anything else.
            core.refused.fetch_add(1);
            warn_limited("connection limit reached; " + addr + " is served priority routes only");
        }
        std::shared_ptr<SessionBase> s;
        if (core.ssl) {
            auto h = std::make_shared<HttpSession<beast::ssl_stream<beast::tcp_stream>>>(
                core_ptr, addr,
                beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *core.ssl),
                priority_only);
            s = h;
            core.sessions.push_back(s);
            h->run();
        } else {
            auto h = std::make_shared<HttpSession<beast::tcp_stream>>(
                core_ptr, addr, beast::tcp_stream(std::move(socket)), priority_only);
            s = h;
            core.sessions.push_back(s);
            h->run();
        }
    }
};

Server::Server(ServerOptions options, std::shared_ptr<const Router> router)
    : impl_(std::make_unique<Impl>()) {
    impl_->core.opt = std::move(options);
    impl_->core.router = std::move(router);
}

Server::~Server() { stop(); }

void Server::start() {
    Impl& s = *impl_;
    Core& c = s.core;
    const std::string& l = c.opt.listen;
    const size_t colon = l.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw std::runtime_error("invalid listen address '" + l + "'");
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
    c.loopback = addr.is_loopback();
    if (!c.opt.tls_cert_file.empty()) {
        c.ssl.emplace(asio::ssl::context::tls_server);
        c.ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1);
        auto load = [&](const char* what, const std::string& file, auto&& fn) {
            beast::error_code e;
            fn(e);
            if (e)
                throw std::runtime_error(std::string("cannot load the API's TLS ") + what + " '" + file +
                                         "': " + e.message());
        };
        load("certificate", c.opt.tls_cert_file,
             [&](beast::error_code& e) { c.ssl->use_certificate_chain_file(c.opt.tls_cert_file, e); });
        load("key", c.opt.tls_key_file, [&](beast::error_code& e) {
            c.ssl->use_private_key_file(c.opt.tls_key_file, asio::ssl::context::pem, e);
        });
        if (!c.opt.tls_ca_file.empty()) {
            load("client CA", c.opt.tls_ca_file,
                 [&](beast::error_code& e) { c.ssl->load_verify_file(c.opt.tls_ca_file, e); });
            c.ssl->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
        }
    }
    tcp::endpoint ep(addr, static_cast<uint16_t>(port));
    s.acceptor.emplace(c.io);
    auto fail = [&](const char* what) {
        s.acceptor.reset();
        throw std::runtime_error("cannot listen on " + l + ": " + ec.message() + " (" + what + ")");
    };
    s.acceptor->open(ep.protocol(), ec);
    if (ec) fail("open");
    s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (c.opt.reuse_port) {
        using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
        s.acceptor->set_option(reuse_port(true), ec);
    }
    s.acceptor->bind(ep, ec);
    if (ec) fail("bind");
    s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail("listen");
    s.port = s.acceptor->local_endpoint().port();
    s.host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
    c.workers = std::make_unique<asio::thread_pool>(std::max<size_t>(1, c.opt.workers));
    s.accept();
    s.thread = std::thread([&c] {
        pthread_setname_np(pthread_self(), "api:io");
        c.io.run();
    });
}

void Server::stop() {
    Impl& s = *impl_;
    if (s.stopped || !s.acceptor) return;
    s.stopped = true;
    asio::post(s.core.io, [&s] {
        beast::error_code ec;
        s.acceptor->close(ec);
    });
    // Workers first: a handler may still post its answer to the network thread.
    s.core.workers->stop();
    s.core.workers->join();
    s.core.io.stop();
    if (s.thread.joinable()) s.thread.join();
    // Close every connection and let their handlers finish (with errors),
    // so no session outlives the server holding the core.
    for (auto& w : s.core.sessions)
        if (auto sess = w.lock()) sess->cut();
    beast::error_code ec;
    if (s.acceptor) s.acceptor->close(ec);
    s.core.io.restart();
    s.core.io.run_for(std::chrono::seconds(2));
    s.core.workers.reset();  // drops jobs that never ran
    s.acceptor.reset();
    s.core.sessions.clear();
}

uint16_t Server::port() const { return impl_->port; }

std::string Server::address() const { return impl_->host + ":" + std::to_string(impl_->port); }

bool Server::loopback() const { return impl_->core.loopback; }

bool Server::tls() const { return impl_->core.ssl.has_value(); }

std::string Server::metrics_text() const {
    const Core& c = impl_->core;
    std::string out;
    out += "# HELP weir_api_requests_total API requests by route pattern, method and status class.\n";
    out += "# TYPE weir_api_requests_total counter\n";
    std::vector<std::pair<std::pair<std::string, std::string>, metrics::Histogram::Snapshot>> hist;
    std::string abandoned =
        "# HELP weir_api_requests_abandoned_total Requests whose client closed the connection before the "
        "answer (recorded as status 499; long queries stop early).\n"
        "# TYPE weir_api_requests_abandoned_total counter\n";
    {
        std::lock_guard lock(c.stats_mu);
        for (const auto& [key, st] : c.stats) {
            const std::string labels =
                "method=\"" + json_escape(key.first) + "\",route=\"" + json_escape(key.second) + "\"";
            for (size_t i = 0; i < st->by_class.size(); ++i) {
                const uint64_t v = st->by_class[i].load();
                if (v)
                    out += "weir_api_requests_total{" + labels + ",code=\"" + std::to_string(i + 1) +
                           "xx\"} " + std::to_string(v) + "\n";
            }
            if (const uint64_t v = st->abandoned.load())
                abandoned += "weir_api_requests_abandoned_total{" + labels + "} " + std::to_string(v) + "\n";
            hist.emplace_back(key, st->latency.snapshot());
        }
    }
    out += abandoned;
    out +=
        "# HELP weir_api_request_duration_seconds Time from a complete request to its answer being queued.\n";
    out += "# TYPE weir_api_request_duration_seconds histogram\n";
    for (const auto& [key, snap] : hist) {
        const std::string labels =
            "method=\"" + json_escape(key.first) + "\",route=\"" + json_escape(key.second) + "\"";
        uint64_t cum = 0;
        for (size_t i = 0; i < metrics::Histogram::kBounds.size(); ++i) {
            cum += snap.buckets[i];
            char le[32];
            std::snprintf(le, sizeof le, "%g", metrics::Histogram::kBounds[i]);
            out += "weir_api_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"} " +
                   std::to_string(cum) + "\n";
        }
        cum += snap.buckets.back();
        out += "weir_api_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(cum) +
               "\n";
        char sum[64];
        std::snprintf(sum, sizeof sum, "%.9f", snap.sum_seconds);
        out += "weir_api_request_duration_seconds_sum{" + labels + "} " + sum + "\n";
        out += "weir_api_request_duration_seconds_count{" + labels + "} " + std::to_string(snap.count) + "\n";
    }
    out +=
        "# HELP weir_api_connections Open connections to the API server.\n# TYPE weir_api_connections "
        "gauge\n";
    out += "weir_api_connections " + std::to_string(c.open_connections.load()) + "\n";
    out += "# HELP weir_api_connections_cut_total Idle connections closed to make room for a new one.\n";
    out += "# TYPE weir_api_connections_cut_total counter\n";
    out += "weir_api_connections_cut_total{reason=\"client_limit\"} " +
           std::to_string(c.cut_client_limit.load()) + "\n";
    out += "weir_api_connections_cut_total{reason=\"server_full\"} " +
           std::to_string(c.cut_server_full.load()) + "\n";
    out +=
        "# HELP weir_api_connections_limited_total Connections admitted for priority routes only (every slot "
        "busy).\n";
    out += "# TYPE weir_api_connections_limited_total counter\n";
    out += "weir_api_connections_limited_total " + std::to_string(c.refused.load()) + "\n";
    out +=
        "# HELP weir_api_websocket_slow_closed_total WebSocket clients closed (1013) for not reading fast "
        "enough.\n";
    out += "# TYPE weir_api_websocket_slow_closed_total counter\n";
    out += "weir_api_websocket_slow_closed_total " + std::to_string(c.ws_closed_slow.load()) + "\n";
    return out;
}

}  // namespace weir::http
