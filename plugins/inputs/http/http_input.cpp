// http: the ingestion gateway. Applications and agents POST JSON objects,
// JSON arrays, NDJSON or text lines (optionally gzip-compressed), with an API
// key; every refusal has its own status code so clients know whether to
// retry. All Beast code of the plugin is in this file.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <weir/sdk.hpp>

#include "../../net/socket_input.hpp"
#include "../../net/tls_context.hpp"
#include "ingest.hpp"
#include "keys.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using weir::http_input::ApiKey;
using weir::http_input::AuthResult;
using weir::http_input::Format;

struct Settings {
    std::string path;
    size_t max_body = 0;
    size_t max_decompressed = 0;
    std::chrono::nanoseconds read_timeout{};
    bool acknowledgements = true;
    std::chrono::nanoseconds ack_timeout{};
    bool reject_whole_batch = false;
    std::string tenant_key;
    std::string source_key;
    double rate = 0;   // events/s per key (0: unlimited)
    double burst = 0;  // events
    size_t max_connections = 0;
    size_t max_errors_listed = 100;
};

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    out.push_back('"');
    return out;
}

std::string error_body(std::string_view message) { return "{\"error\":" + json_escape(message) + "}"; }

class HttpInput;

/// What the input needs of a session of either kind (plain or TLS).
class SessionBase {
public:
    virtual ~SessionBase() = default;
    /// Every output has the request's events (or they were abandoned).
    virtual void acknowledged(bool delivered) = 0;
};

class HttpInput final : public weir::Input {
public:
    HttpInput(weir::Context& ctx, const weir::Options& opts);
    void run() override;
    void stop() override {
        stopping_.store(true);
        io_.stop();
    }
    void on_ack(uint64_t cookie, bool delivered) override {
        // From an output thread: hand it to the server's thread.
        asio::post(io_, [this, cookie, delivered] {
            auto it = pending_.find(cookie);
            if (it == pending_.end()) return;  // the client gave up waiting
            auto session = it->second.lock();
            pending_.erase(it);
            if (session) session->acknowledged(delivered);
        });
    }
    void reload() override {
        if (!keys_) return;
        keys_->reload();  // throws on error: the old keys stay
        ctx_.info("reloaded " + std::to_string(keys_->size()) + " API keys from " + keys_path_);
    }

    // ---- for sessions (server thread only) -----------------------------------------
    weir::Context& ctx() { return ctx_; }
    const Settings& settings() const { return s_; }
    asio::io_context& io() { return io_; }
    weir::http_input::Ingester& ingester() { return ingester_; }
    bool auth_required() const { return keys_ != nullptr; }
    AuthResult authenticate(std::string_view header, ApiKey& key) const {
        return keys_->check(header, weir::net::wall_ns(), key);
    }
    /// Charges `n` events to the tenant's bucket; false (with retry_after) if over.
    bool charge(const ApiKey* key, size_t n, int64_t& retry_after_s, double& burst);
    void refund(const ApiKey* key, size_t n);
    uint64_t wait_for_ack(const std::shared_ptr<SessionBase>& s) {
        const uint64_t cookie = ++next_cookie_;
        pending_[cookie] = s;
        return cookie;
    }
    void forget(uint64_t cookie) { pending_.erase(cookie); }
    std::atomic<size_t> connections{0};

private:
    void accept();
    template <class Session, class... Args>
    void start_session(Args&&... args);

    Settings s_;
    weir::net::Endpoint listen_;
    weir::net::TlsOptions tls_;
    std::string keys_path_;
    std::unique_ptr<weir::http_input::KeyStore> keys_;
    weir::http_input::Ingester ingester_;

    std::shared_ptr<asio::ssl::context> ssl_;
    asio::io_context io_{1};  // after everything sessions use: they die with it
    std::optional<tcp::acceptor> acceptor_;
    std::optional<asio::steady_timer> retry_;
    std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> pending_;
    std::map<std::string, weir::http_input::TokenBucket> buckets_;  // by tenant ("" without keys)
    uint64_t next_cookie_ = 0;
    std::atomic<bool> stopping_{false};
};

// ---- one connection ------------------------------------------------------------------

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
public:
    template <class... Args>
    Session(HttpInput& in, std::string peer, Args&&... args)
        : in_(in), stream_(std::forward<Args>(args)...), peer_(std::move(peer)), ack_timer_(in.io()) {
        in_.connections.fetch_add(1);
    }
    ~Session() override { in_.connections.fetch_sub(1); }

    void start() {
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            read_header();
        } else {
            beast::get_lowest_layer(stream_).expires_after(in_.settings().read_timeout);
            stream_.async_handshake(asio::ssl::stream_base::server,
                                    [self = this->shared_from_this()](error_code ec) {
                                        if (ec) {
                                            self->in_.ctx().count_error("tls_handshake_failed");
                                            return self->close();
                                        }
                                        self->read_header();
                                    });
        }
    }

    void acknowledged(bool delivered) override {
        ack_timer_.cancel();
        cookie_ = 0;
        if (delivered) {
            reply(reply_status_, std::move(reply_body_));
        } else {
            in_.ctx().count_error("not_delivered");
            reply(503, error_body("the pipeline stopped before the events were delivered; retry"), 1);
        }
    }

private:
    const Settings& s() const { return in_.settings(); }

    void read_header() {
        parser_.emplace();
        parser_->body_limit(s().max_body);
        parser_->header_limit(16 * 1024);
        // One deadline for the whole request, header and body: a client that
        // trickles bytes (slow loris) is cut off like an idle one.
        beast::get_lowest_layer(stream_).expires_after(s().read_timeout);
        http::async_read_header(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](error_code ec, size_t) { self->on_header(ec); });
    }

    void on_header(error_code ec) {
        if (ec) return read_failed(ec);
        auto& req = parser_->get();
        keep_alive_ = req.keep_alive();
        const std::string_view target(req.target().data(), req.target().size());
        const std::string_view path = target.substr(0, target.find('?'));
        if (path == "/health" && req.method() == http::verb::get) {
            keep_alive_ = false;  // the body (if any) is not read
            return reply(200, "{\"status\":\"ok\"}");
        }
        if (path != s().path) return refuse(404, "not_found", "no such path; POST events to " + s().path);
        if (req.method() != http::verb::post) return refuse(405, "method_not_allowed", "use POST");
        const auto len = parser_->content_length();
        if (len && *len > s().max_body)
            return refuse(413, "body_too_large",
                          "body is larger than " + std::to_string(s().max_body) + " bytes");
        // Beast reads at most what the buffer has room for, and the body is
        // moved out as it comes: without room made now a large body arrives
        // in 512-byte reads. (Small requests keep small buffers.)
        const size_t expected = len ? static_cast<size_t>(*len) : (req.chunked() ? 64 * 1024 : 0);
        if (expected > 4096 && buffer_.capacity() < std::min<size_t>(expected, 64 * 1024))
            buffer_.reserve(std::min<size_t>(expected, 64 * 1024));
        if (in_.auth_required()) {
            const auto auth = req[http::field::authorization];
            switch (in_.authenticate(std::string_view(auth.data(), auth.size()), key_)) {
                case AuthResult::Ok:
                    has_key_ = true;
                    break;
                case AuthResult::Missing:
                    return refuse(401, "unauthorized",
                                  "an API key is required (Authorization: Bearer <key>)");
                case AuthResult::Unknown:
                    return refuse(401, "unauthorized", "unknown API key");
                case AuthResult::Expired:
                    return refuse(401, "unauthorized", "the API key has expired");
                case AuthResult::Revoked:
                    return refuse(403, "forbidden", "the API key has been revoked");
            }
        }
        const auto ct = req[http::field::content_type];
        format_ = weir::http_input::format_of(std::string_view(ct.data(), ct.size()));
        if (format_ == Format::Unsupported)
            return refuse(415, "unsupported_media_type",
                          "Content-Type must be application/json, application/x-ndjson or text/plain");
        const auto expect = req[http::field::expect];
        if (beast::iequals(expect, "100-continue")) {
            auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
            http::async_write(stream_, *cont, [self = this->shared_from_this(), cont](error_code e, size_t) {
                if (e) return self->close();
                self->read_body();
            });
            return;
        }
        read_body();
    }

    void read_body() {
        http::async_read(stream_, buffer_, *parser_,
                         [self = this->shared_from_this()](error_code ec, size_t) { self->on_body(ec); });
    }

    void on_body(error_code ec) {
        if (ec == http::error::body_limit) {
            keep_alive_ = false;
            return refuse(413, "body_too_large",
                          "body is larger than " + std::to_string(s().max_body) + " bytes");
        }
        if (ec) return read_failed(ec);
        beast::get_lowest_layer(stream_).expires_never();
        handle();
    }

    void handle() {
        auto& req = parser_->get();
        const auto enc = req[http::field::content_encoding];
        std::string error;
        std::string_view body = req.body();
        if (!enc.empty() && !beast::iequals(enc, "identity")) {
            const int st = weir::http_input::decode_body(std::string_view(enc.data(), enc.size()), req.body(),
                                                         s().max_decompressed, decoded_, error);
            if (st == 413) return refuse(413, "decompressed_too_large", error);
            if (st == 415) return refuse(415, "unsupported_media_type", error);
            if (st != 0) return refuse(400, "bad_request", error);
            body = decoded_;
        }
        weir::Context& ctx = in_.ctx();
        weir::OwnedBatch batch = ctx.new_batch();
        batch.set_stream("http");
        const int64_t now = weir::net::wall_ns();
        auto result = in_.ingester().ingest(batch, body, format_, now);
        if (decoded_.capacity() > (8u << 20)) std::string().swap(decoded_);
        if (!result.malformed.empty()) return refuse(400, "bad_request", result.malformed);
        const size_t rejected = result.errors.size();
        if (rejected > 0) ctx.count_dropped("invalid_event", rejected);
        if (rejected > 0 && (s().reject_whole_batch || result.accepted == 0)) {
            if (result.accepted > 0) ctx.count_dropped("invalid_batch", result.accepted);
            return reply(400, counts_body(0, result.entries, result.errors));
        }
        if (result.accepted == 0) return refuse(400, "bad_request", "the body holds no events");
        stamp(batch);
        int64_t retry_after = 0;
        double burst = 0;
        const ApiKey* key = has_key_ ? &key_ : nullptr;
        if (!in_.charge(key, result.accepted, retry_after, burst)) {
            if (static_cast<double>(result.accepted) > burst)
                return refuse(413, "batch_over_burst",
                              "the request has more events (" + std::to_string(result.accepted) +
                                  ") than the key may ever send at once (burst " +
                                  std::to_string(static_cast<long long>(burst)) + "); send smaller batches");
            ctx.count_error("rate_limited");
            return reply(429,
                         error_body("rate limit exceeded; retry after " + std::to_string(retry_after) + "s"),
                         retry_after);
        }
        const uint64_t cookie = s().acknowledgements ? in_.wait_for_ack(this->shared_from_this()) : 0;
        if (!ctx.try_emit(batch, cookie)) {
            if (cookie) in_.forget(cookie);
            in_.refund(key, result.accepted);
            ctx.count_error("queue_full");
            return reply(503, error_body("the pipeline is full; retry later"), 1);
        }
        reply_status_ = rejected > 0 ? 400 : 202;
        reply_body_ = counts_body(result.accepted, rejected, result.errors);
        if (!cookie) return reply(reply_status_, std::move(reply_body_));
        // Answer once every output has the events (at-least-once end to end).
        cookie_ = cookie;
        ack_timer_.expires_after(s().ack_timeout);
        ack_timer_.async_wait([self = this->shared_from_this()](error_code e) {
            if (e || self->cookie_ == 0) return;
            self->in_.forget(self->cookie_);
            self->cookie_ = 0;
            self->in_.ctx().count_error("ack_timeout");
            self->reply(
                503, error_body("the events were not delivered in time; retry (they may arrive twice)"), 1);
        });
    }

    /// The tenant and the client's address on every event. The JSON mapping
    /// left out any field of those names the client sent, so these are
    /// appended without a lookup, borrowing one copy in the batch.
    void stamp(weir::OwnedBatch& batch) {
        const bool tenant = has_key_ && !s().tenant_key.empty();
        const bool source = !s().source_key.empty();
        if (!tenant && !source) return;
        auto in_batch = [&](std::string_view text) {
            char* p = batch.alloc(text.size() + 1);
            std::memcpy(p, text.data(), text.size());
            return std::string_view(p, text.size());
        };
        const std::string_view tk = tenant ? in_batch(s().tenant_key) : std::string_view{};
        const std::string_view tv = tenant ? in_batch(key_.tenant) : std::string_view{};
        const std::string_view sk = source ? in_batch(s().source_key) : std::string_view{};
        const std::string_view sv = source ? in_batch(peer_) : std::string_view{};
        constexpr uint32_t flags = WEIR_PUT_APPEND | WEIR_ADD_BORROW;
        for (weir::Event ev : batch) {
            auto f = ev.fields();
            if (tenant) f.set(tk, tv, flags);
            if (source) f.set(sk, sv, flags);
        }
    }

    std::string counts_body(size_t accepted, size_t rejected,
                            const std::vector<weir::http_input::EntryError>& errors) {
        std::string out =
            "{\"accepted\":" + std::to_string(accepted) + ",\"rejected\":" + std::to_string(rejected);
        if (!errors.empty()) {
            out += ",\"errors\":[";
            const size_t n = std::min(errors.size(), s().max_errors_listed);
            for (size_t i = 0; i < n; ++i) {
                if (i) out += ',';
                out += "{\"index\":" + std::to_string(errors[i].index) +
                       ",\"error\":" + json_escape(errors[i].error) + "}";
            }
            out += "]";
            if (errors.size() > n) out += ",\"errors_truncated\":true";
        }
        out += "}";
        return out;
    }

    void read_failed(error_code ec) {
        if (ec == beast::error::timeout) {
            in_.ctx().count_error("read_timeout");
            return close();
        }
        if (ec == http::error::end_of_stream || ec == asio::error::eof ||
            ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated)
            return close();
        if (ec == http::error::body_limit) {  // a Content-Length over the limit, seen with the header
            keep_alive_ = false;
            return refuse(413, "body_too_large",
                          "body is larger than " + std::to_string(s().max_body) + " bytes");
        }
        if (ec == http::error::header_limit) {
            keep_alive_ = false;
            return refuse(431, "bad_request", "request header too large");
        }
        // Not HTTP: say so once and hang up.
        keep_alive_ = false;
        refuse(400, "bad_request", "malformed HTTP request: " + ec.message());
    }

    /// An error reply that counts its reason. Replies sent before the body
    /// was read close the connection (the unread body cannot be skipped).
    void refuse(int status, const char* reason, const std::string& message) {
        in_.ctx().count_error(reason);
        if (!parser_ || !parser_->is_done()) keep_alive_ = false;
        reply(status, error_body(message));
    }

    void reply(int status, std::string body, int64_t retry_after = 0) {
        res_.emplace(static_cast<http::status>(status), 11);
        res_->set(http::field::content_type, "application/json");
        res_->set(http::field::server, "weir");
        if (retry_after > 0) res_->set(http::field::retry_after, std::to_string(retry_after));
        if (status == 401) res_->set(http::field::www_authenticate, "Bearer");
        if (status == 405) res_->set(http::field::allow, "POST");
        res_->keep_alive(keep_alive_);
        res_->body() = std::move(body);
        res_->prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(s().read_timeout);
        http::async_write(stream_, *res_, [self = this->shared_from_this()](error_code ec, size_t) {
            if (ec || !self->keep_alive_) return self->close();
            self->res_.reset();
            self->has_key_ = false;
            self->read_header();
        });
    }

    void close() {
        error_code ignored;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(stream_).close();
    }

    HttpInput& in_;
    Stream stream_;
    std::string peer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::string_body>> res_;
    std::string decoded_;
    ApiKey key_;
    bool has_key_ = false;
    bool keep_alive_ = true;
    Format format_ = Format::Auto;
    asio::steady_timer ack_timer_;
    uint64_t cookie_ = 0;
    int reply_status_ = 202;
    std::string reply_body_;
};

// ---- the input -------------------------------------------------------------------------

weir::http_input::IngestSettings ingest_settings(const weir::Options& opts) {
    weir::http_input::IngestSettings s;
    s.message_key = std::string(opts.str("message_key"));
    s.time_key = std::string(opts.str("time_key"));
    s.level_key = std::string(opts.str("level_key"));
    s.max_message = static_cast<size_t>(opts.size("max_message_size"));
    s.max_future_ns = opts.duration_ns("max_future");
    for (const char* k : {"tenant_key", "source_address_key"})
        if (!opts.str(k).empty()) s.reserved.emplace_back(opts.str(k));
    if (s.message_key.empty()) throw weir::ConfigError("message_key must not be empty");
    return s;
}

HttpInput::HttpInput(weir::Context& ctx, const weir::Options& opts)
    : weir::Input(ctx), ingester_(ctx.host(), ingest_settings(opts)) {
    listen_ = weir::net::parse_endpoint(opts.str("listen"), "listen");
    s_.path = std::string(opts.str("path"));
    if (s_.path.empty() || s_.path.front() != '/') throw weir::ConfigError("path must start with '/'");
    s_.max_body = static_cast<size_t>(opts.size("max_body_size"));
    s_.max_decompressed = static_cast<size_t>(opts.size("max_decompressed_size"));
    s_.read_timeout = std::chrono::nanoseconds(opts.duration_ns("read_timeout"));
    s_.acknowledgements = opts.boolean("acknowledgements");
    s_.ack_timeout = std::chrono::nanoseconds(opts.duration_ns("ack_timeout"));
    s_.reject_whole_batch = opts.str("on_invalid") == "reject_batch";  // or drop_invalid (the table)
    s_.tenant_key = std::string(opts.str("tenant_key"));
    s_.source_key = std::string(opts.str("source_address_key"));
    s_.rate = opts.real("rate_limit");
    s_.burst = opts.real("rate_burst");
    if (s_.burst == 0) s_.burst = s_.rate;
    s_.max_connections = static_cast<size_t>(opts.integer("max_connections"));
    tls_ = weir::net::read_tls_options(opts);
    if (tls_.enabled) ssl_ = weir::net::make_server_tls(tls_);
    keys_path_ = std::string(opts.str("api_keys_file"));
    if (!keys_path_.empty()) {
        try {
            keys_ = std::make_unique<weir::http_input::KeyStore>(keys_path_);
        } catch (const std::exception& e) {
            throw weir::ConfigError(e.what());
        }
    }
}

bool HttpInput::charge(const ApiKey* key, size_t n, int64_t& retry_after_s, double& burst) {
    const double rate = key && key->rate ? *key->rate : s_.rate;
    if (rate <= 0) return true;
    burst = key && key->burst ? *key->burst : (key && key->rate ? *key->rate : s_.burst);
    const std::string tenant = key ? key->tenant : std::string();
    const int64_t now = weir::net::wall_ns();
    auto it = buckets_.find(tenant);
    if (it == buckets_.end())
        it = buckets_.emplace(tenant, weir::http_input::TokenBucket(rate, burst, now)).first;
    else
        it->second.configure(rate, burst);  // the keys file may have changed
    if (static_cast<double>(n) > burst) return false;
    return it->second.take(static_cast<double>(n), now, retry_after_s);
}

void HttpInput::refund(const ApiKey* key, size_t n) {
    auto it = buckets_.find(key ? key->tenant : std::string());
    if (it != buckets_.end()) it->second.give(static_cast<double>(n));
}

template <class S, class... Args>
void HttpInput::start_session(Args&&... args) {
    auto session = std::make_shared<S>(std::forward<Args>(args)...);
    session->start();
}

void HttpInput::accept() {
    acceptor_->async_accept([this](error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
            ctx_.count_error("accept_failed");
            ctx_.warn("accept failed: " + ec.message());
            retry_->expires_after(std::chrono::milliseconds(100));
            retry_->async_wait([this](error_code e) {
                if (!e) accept();
            });
            return;
        }
        if (connections.load() >= s_.max_connections) {
            ctx_.count_error("connection_limit");
            error_code ignored;
            socket.close(ignored);
        } else {
            error_code pec;
            const auto remote = socket.remote_endpoint(pec);
            std::string peer = pec ? std::string() : remote.address().to_string();
            if (ssl_) {
                start_session<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(peer),
                                                                             std::move(socket), *ssl_);
            } else {
                start_session<Session<beast::tcp_stream>>(*this, std::move(peer), std::move(socket));
            }
        }
        accept();
    });
}

void HttpInput::run() {
    const char* scheme = ssl_ ? "https" : "http";
    for (;;) {
        error_code ec;
        const tcp::endpoint ep(asio::ip::make_address(listen_.host), listen_.port);
        acceptor_.emplace(io_);
        acceptor_->open(ep.protocol(), ec);
        if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) acceptor_->bind(ep, ec);
        if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
        if (!ec) break;
        acceptor_.reset();
        ctx_.error(std::string("cannot listen on ") + scheme + "://" + listen_.to_string() + ": " +
                   ec.message() + "; retrying every second");
        for (int i = 0; i < 10 && !stopping_.load(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (stopping_.load()) return;
    }
    const auto local = acceptor_->local_endpoint();
    ctx_.info(std::string("listening on ") + scheme + "://" +
              weir::net::Endpoint{local.address().to_string(), local.port()}.to_string() + s_.path);
    retry_.emplace(io_);
    accept();
    if (!stopping_.load()) io_.run();
    error_code ignored;
    acceptor_->close(ignored);
}

const weir::Option http_options[] = {
    weir::option::required_string("listen", "Address and port to listen on, like 0.0.0.0:8080."),
    weir::option::string("path", "/v1/logs", "The path events are POSTed to."),
    weir::option::string("api_keys_file", "", "YAML file of API keys (their SHA-256 hashes and tenants).")
        .empty_means("no key needed"),
    weir::option::string("tenant_key", "tenant", "Field that receives the key's tenant name.")
        .empty_means("not recorded"),
    weir::net::options::source_address_key,
    weir::option::real("rate_limit", "0", "Events per second per key (or in all, without keys).")
        .at_least("0")
        .empty_means("unlimited (0)"),
    weir::option::real("rate_burst", "0", "Events a key may send at once above its rate.")
        .at_least("0")
        .empty_means("one second's worth (0)"),
    weir::option::size("max_body_size", "8MiB", "Larger request bodies are refused with 413.").at_least("1B"),
    weir::option::size("max_decompressed_size", "32MiB",
                       "A compressed body that expands past this is refused with 413 (decompression bomb).")
        .at_least("1B"),
    weir::option::size("max_message_size", "64KiB", "Events whose message is longer are rejected.")
        .at_least("1B"),
    weir::option::duration("max_future", "10m", "Events timestamped further in the future are rejected."),
    weir::option::string(
        "on_invalid", "drop_invalid",
        "Invalid entries: drop_invalid keeps the valid ones, reject_batch refuses the request.")
        .one_of("drop_invalid|reject_batch"),
    weir::option::string("message_key", "message",
                         "Field holding the event's message (required, non-empty)."),
    weir::option::string("time_key", "timestamp", "Field holding the event's time (optional)."),
    weir::option::string("level_key", "level",
                         "Field holding the event's level (optional; must be a known level)."),
    weir::option::boolean("acknowledgements", "true",
                          "Answer 202 only once every output has the events (at-least-once end to end)."),
    weir::option::duration("ack_timeout", "30s", "Longest wait for the outputs before answering 503.")
        .at_least("1ms"),
    weir::net::options::max_connections,
    weir::option::duration("read_timeout", "30s",
                           "Time allowed to send a whole request (and to stay idle between requests).")
        .at_least("1ms"),
    weir::net::options::tls,
    weir::net::options::tls_cert_file,
    weir::net::options::tls_key_file,
    weir::net::options::tls_ca_file,
    weir::net::options::tls_verify_client,
};

}  // namespace

WEIR_PLUGIN(
    HttpInput, WEIR_KIND_INPUT, "http", "0.1.0",
    "Ingestion gateway: POSTed JSON, NDJSON or text lines, with API keys, rate limits and validation.",
    http_options)
