// http: sends events to an HTTP endpoint (a Weir aggregator's http input, or
// any service taking NDJSON or JSON arrays) in gzip-compressed batches.
// Batches are acknowledged to the pipeline only after a 2xx; while the
// endpoint is down they are retried with backoff and, past a memory bound,
// spooled to disk and replayed oldest first. All Beast code of the plugin is
// in this file.
#include <fcntl.h>
#include <openssl/err.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <cstring>
#include <random>
#include <thread>
#include <weir/sdk.hpp>

#include "../../net/gzip.hpp"
#include "request_queue.hpp"
#include "url.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using weir::http_output::Request;
using weir::http_output::RequestQueue;
using weir::http_output::SpoolFull;
using weir::http_output::Url;

enum class Outcome { Delivered, Rejected, Retry };

class HttpOutput final : public weir::Output {
public:
    HttpOutput(weir::Context& ctx, const weir::Options& opts) : weir::Output(ctx) {
        try {
            url_ = weir::http_output::parse_url(opts.str("url"));
        } catch (const std::invalid_argument& e) {
            throw weir::ConfigError(e.what());
        }
        array_ = opts.str("format") == "json_array";  // the table allows ndjson and json_array
        gzip_ = opts.str("compression") == "gzip";
        api_key_ = std::string(opts.str("api_key"));
        for (const auto& h : opts.list("headers")) {
            const size_t colon = h.find(':');
            if (colon == std::string::npos || colon == 0)  // the entry may hold a secret: not repeated
                throw weir::ConfigError("headers entries must look like 'Name: value'; entry " +
                                        std::to_string(headers_.size() + 1) + " has no name before a ':'");
            std::string value = h.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            headers_.emplace_back(h.substr(0, colon), value);
        }
        if (url_.has_userinfo && !api_key_.empty())
            throw weir::ConfigError("url has a user and password and api_key is set: use one of them");
        if (url_.has_userinfo) authorization_ = url_.basic_authorization();
        if (!api_key_.empty()) authorization_ = "Bearer " + api_key_;
        warn_if_credentials_in_clear();
        // Bounds come from the option table; only the relation between two options is checked here.
        max_events_ = static_cast<size_t>(opts.integer("batch_max_events"));
        max_bytes_ = static_cast<size_t>(opts.size("batch_max_bytes"));
        batch_timeout_ = std::chrono::nanoseconds(opts.duration_ns("batch_timeout"));
        retry_initial_ = std::chrono::nanoseconds(opts.duration_ns("retry_initial"));
        retry_max_ = std::chrono::nanoseconds(opts.duration_ns("retry_max"));
        request_timeout_ = std::chrono::nanoseconds(opts.duration_ns("request_timeout"));
        if (retry_max_ < retry_initial_) throw weir::ConfigError("retry_max must be at least retry_initial");
        RequestQueue::Limits limits;
        limits.memory_bytes = static_cast<size_t>(opts.size("memory_buffer_size"));
        limits.spool_bytes = static_cast<size_t>(opts.size("spool_max_size"));
        const std::string_view full = opts.str("spool_full");
        limits.on_full = full == "drop_newest"   ? SpoolFull::DropNewest
                         : full == "drop_oldest" ? SpoolFull::DropOldest
                                                 : SpoolFull::Block;
        if (url_.tls) {
            ssl_.emplace(ssl::context::tls_client);
            ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
            error_code ec;
            const std::string ca(opts.str("tls_ca_file"));
            if (ca.empty()) {
                ssl_->set_default_verify_paths(ec);
            } else {
                ssl_->load_verify_file(ca, ec);
                if (ec) throw weir::ConfigError("cannot load tls_ca_file '" + ca + "': " + ec.message());
            }
            const std::string cert(opts.str("tls_cert_file")), key(opts.str("tls_key_file"));
            if (!cert.empty() || !key.empty()) {
                if (cert.empty() || key.empty())
                    throw weir::ConfigError("a client certificate needs both tls_cert_file and tls_key_file");
                ssl_->use_certificate_chain_file(cert, ec);
                if (ec) throw weir::ConfigError("cannot load tls_cert_file '" + cert + "': " + ec.message());
                ssl_->use_private_key_file(key, ssl::context::pem, ec);
                if (ec) throw weir::ConfigError("cannot load tls_key_file '" + key + "': " + ec.message());
            }
            verify_ = opts.boolean("tls_verify");
            ssl_->set_verify_mode(verify_ ? ssl::verify_peer : ssl::verify_none);
        }
        spool_dir_ = std::string(ctx_.state_dir()) + "/spool";
        queue_ = std::make_unique<RequestQueue>(
            spool_dir_, limits, [this](Request& r, const char* reason) { dropped(r, reason); },
            [this](const std::vector<uint64_t>& tokens, size_t events) { spooled(tokens, events); });
        sender_ = std::thread([this] { send_loop(); });
    }

    ~HttpOutput() override {
        // The host has given up on whatever is still owed (it is re-read after
        // a restart); acknowledging it now would be acknowledging into a
        // pipeline being taken down.
        acks_open_.store(false);
        enqueue(take(), false);
        stopping_.store(true);
        { std::lock_guard lock(wait_mu_); }
        wait_cv_.notify_all();
        io_.stop();  // a request under way is cut short (and stays queued)
        queue_->close();
        if (sender_.joinable()) sender_.join();
        // What was not delivered waits on disk for the next start (bounded by the spool).
        if (ready_.load()) {
            const size_t lost = queue_->spool_all();
            auto e = queue_->take_spool_errors();
            if (e.failures > 0) ctx_.count_error("spool_write_failed", e.failures);
            if (lost > 0)
                ctx_.error(
                    std::to_string(lost) + " undelivered requests could not be spooled" +
                    (e.last_error.empty() ? std::string(" (the spool is full)") : ": " + e.last_error) +
                    "; their lines are read again after a restart");
        }
        if (lock_fd_ >= 0) ::close(lock_fd_);
    }

    weir::WriteResult write(weir::Batch& batch, uint64_t token) override {
        if (batch.empty()) return weir::WriteResult::Ok;
        wait_ready();
        // spool_full: block — nothing more is taken while memory and spool are
        // full, so the request being filled cannot grow the backlog either.
        queue_->wait_for_room();
        std::optional<Request> full;
        {
            std::lock_guard lock(cur_mu_);
            if (cur_.events == 0) {
                cur_started_ = std::chrono::steady_clock::now();
                if (array_) cur_.body.push_back('[');
            }
            for (weir::Event ev : batch) {
                if (array_ && cur_.events > 0) cur_.body.push_back(',');
                cur_.body.append(ev.to_json());
                if (!array_) cur_.body.push_back('\n');
                ++cur_.events;
            }
            cur_.tokens.push_back(token);
            if (cur_.events >= max_events_ || cur_.body.size() >= max_bytes_) full = take_locked();
        }
        enqueue(std::move(full), true);  // may wait for room (spool_full: block): backpressure
        return weir::WriteResult::Pending;
    }

    weir::WriteResult flush() override {
        enqueue(take(), true);
        return weir::WriteResult::Ok;
    }

private:
    /// Closes the request being filled (cur_mu_ held).
    std::optional<Request> take_locked() {
        if (cur_.events == 0) return std::nullopt;
        Request r = std::move(cur_);
        cur_ = Request{};
        if (array_) r.body.push_back(']');
        return r;
    }
    std::optional<Request> take() {
        std::lock_guard lock(cur_mu_);
        return take_locked();
    }
    std::optional<Request> take_if_due() {
        std::lock_guard lock(cur_mu_);
        if (cur_.events == 0 || std::chrono::steady_clock::now() - cur_started_ < batch_timeout_)
            return std::nullopt;
        return take_locked();
    }

    /// Compresses and queues a request. The sender thread never blocks here
    /// (it is the one that makes room).
    void enqueue(std::optional<Request> r, bool may_block) {
        if (!r) return;
        if (gzip_) r->body = weir::net::gzip(r->body);  // fast level: agents save CPU, not bytes
        queue_->push(std::move(*r), may_block);
        report_spool_errors();
    }

    void dropped(Request& r, const char* reason) {
        // Given up on purpose (spool full or failing, unreadable spool file):
        // counted, and acknowledged so the inputs go on.
        ctx_.count_dropped(reason, r.events);
        if (acks_open_.load())
            for (uint64_t t : r.tokens) ctx_.ack(t, true);
    }

    /// Safely on disk: a crash replays them from the spool, so their batches
    /// count as delivered for the inputs' checkpoints.
    void spooled(const std::vector<uint64_t>& tokens, size_t events) {
        ctx_.count_outcome("spooled", events);
        if (acks_open_.load())
            for (uint64_t t : tokens) ctx_.ack(t, true);
    }

    /// Failed spool writes: each counted, logged at once the first time,
    /// then at most every 10 s with how many failed since.
    void report_spool_errors() {
        auto e = queue_->take_spool_errors();
        if (e.failures == 0 && !e.recovered) return;
        if (e.failures > 0) ctx_.count_error("spool_write_failed", e.failures);
        std::lock_guard lock(spool_log_mu_);
        const auto now = std::chrono::steady_clock::now();
        spool_failures_unlogged_ += e.failures;
        if (!e.last_error.empty()) spool_last_error_ = e.last_error;
        if (e.recovered) {
            ctx_.info("the spool " + spool_dir_ + " takes writes again (" +
                      std::to_string(spool_failures_unlogged_) + " failed writes not yet reported)");
            spool_failures_unlogged_ = 0;
            spool_failing_logged_ = false;
            return;
        }
        if (spool_failing_logged_ && now - spool_logged_at_ < std::chrono::seconds(10)) return;
        ctx_.error(
            std::string(spool_failing_logged_ ? "spool writes still failing: "
                                              : "cannot write to the spool: ") +
            spool_last_error_ + " (" + std::to_string(spool_failures_unlogged_) +
            " failed writes); requests wait in memory up to memory_buffer_size, then spool_full applies");
        spool_failures_unlogged_ = 0;
        spool_failing_logged_ = true;
        spool_logged_at_ = now;
    }

    /// Credentials over plain http:// to another machine can be read on the
    /// way; loopback traffic never leaves the host.
    void warn_if_credentials_in_clear() {
        if (url_.tls || weir::http_output::is_loopback_host(url_.host)) return;
        std::string what;
        if (!api_key_.empty()) what = "api_key";
        if (url_.has_userinfo) what = "the url's user and password";
        for (const auto& [k, v] : headers_)
            if (strcasecmp(k.c_str(), "authorization") == 0)
                what = what.empty() ? "an Authorization header" : what;
        if (what.empty()) return;
        ctx_.warn(what + " is sent unencrypted over http:// to " + url_.host +
                  "; anyone on the network path can read it: use https://");
    }

    void wait_ready() {
        std::unique_lock lock(wait_mu_);
        wait_cv_.wait(lock, [&] { return ready_.load() || stopping_.load(); });
    }

    /// Waits `d` unless stopping; returns false if stopping.
    /// Failed spool writes of a push blocked on the output thread are
    /// reported from here, at least once a second, even during a long pause.
    bool pause(std::chrono::nanoseconds d) {
        const auto until = std::chrono::steady_clock::now() + d;
        for (;;) {
            report_spool_errors();
            const auto now = std::chrono::steady_clock::now();
            if (now >= until) return true;
            std::unique_lock lock(wait_mu_);
            const auto slice = std::min<std::chrono::nanoseconds>(until - now, std::chrono::seconds(1));
            if (wait_cv_.wait_for(lock, slice, [&] { return stopping_.load(); })) return false;
        }
    }

    /// One writer per spool: the instance of a previous configuration lets go
    /// of it (after spooling what it had) before this one replays it.
    bool take_spool() {
        lock_fd_ = ::open((spool_dir_ + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd_ < 0) {
            ctx_.error("cannot open " + spool_dir_ + "/.lock: " + std::strerror(errno));
            return true;  // work without a lock rather than not at all
        }
        bool warned = false;
        while (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
            if (!warned) ctx_.debug("waiting for the spool " + spool_dir_ + " to be released");
            warned = true;
            if (!pause(std::chrono::milliseconds(50))) return false;
        }
        std::string error;
        const size_t n = queue_->recover(error);
        if (!error.empty()) ctx_.warn(error);
        if (n > 0) ctx_.info("replaying " + std::to_string(n) + " spooled requests from " + spool_dir_);
        return true;
    }

    void send_loop() {
        if (!take_spool()) return;
        {
            std::lock_guard lock(wait_mu_);
            ready_.store(true);
        }
        wait_cv_.notify_all();
        int attempt = 0;
        while (!stopping_.load()) {
            report_spool_errors();
            enqueue(take_if_due(), false);
            auto req = queue_->front(std::chrono::milliseconds(std::clamp<int64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(batch_timeout_).count() / 2, 5, 100)));
            if (!req) continue;
            int64_t retry_after = 0;
            std::string detail;
            const Outcome o = send(*req, retry_after, detail);
            if (o == Outcome::Retry) {
                ++attempt;
                // While the endpoint fails, what waits goes to disk and is
                // acknowledged: a crash then replays it instead of re-reading it.
                queue_->set_prefer_spool(true);
                queue_->spill_memory();
                report_spool_errors();
                auto delay = retry_initial_ * (1LL << std::min(attempt - 1, 20));
                if (delay > retry_max_) delay = retry_max_;
                std::uniform_real_distribution<double> jitter(0.8, 1.2);
                delay = std::chrono::nanoseconds(
                    static_cast<int64_t>(static_cast<double>(delay.count()) * jitter(rng_)));
                if (retry_after > 0)
                    delay = std::max<std::chrono::nanoseconds>(delay, std::chrono::seconds(retry_after));
                if (attempt == 1 || attempt % 10 == 0)
                    ctx_.warn(
                        "sending to " + url_.display() + " failed (" + detail + "), attempt " +
                        std::to_string(attempt) + "; retrying in " +
                        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) +
                        " ms; " + std::to_string(queue_->size()) + " requests waiting");
                if (!pause(delay)) break;
                continue;
            }
            if (attempt > 0) {
                ctx_.info("delivering again after " + std::to_string(attempt) + " failed attempts");
                queue_->set_prefer_spool(false);
            }
            attempt = 0;
            const std::vector<uint64_t> tokens = queue_->pop_front(req->seq);
            if (o == Outcome::Rejected) {
                ctx_.error("the endpoint refused a batch of " + std::to_string(req->events) +
                           " events for good (" + detail + "); dropped");
                // The host drops and counts the batches it still waits for; a
                // request replayed from the spool was acknowledged when spooled.
                bool counted = !tokens.empty();
                for (uint64_t t : tokens) counted = ctx_.refuse(t, "rejected_by_endpoint") && counted;
                if (!counted) ctx_.count_dropped("rejected_by_endpoint", req->events);
                continue;
            }
            for (uint64_t t : tokens) ctx_.ack(t, true);
        }
    }

    // ---- one request ----------------------------------------------------------------

    Outcome send(const Request& r, int64_t& retry_after, std::string& detail) {
        http::request<http::string_body> req{http::verb::post, url_.target, 11};
        req.set(http::field::host, url_.authority());
        req.set(http::field::user_agent, "weir");
        req.set(http::field::content_type, array_ ? "application/json" : "application/x-ndjson");
        if (gzip_) req.set(http::field::content_encoding, "gzip");
        if (!authorization_.empty()) req.set(http::field::authorization, authorization_);
        for (const auto& [k, v] : headers_) req.set(k, v);
        req.body() = r.body;
        req.keep_alive(true);
        req.prepare_payload();
        http::response<http::string_body> res;
        error_code ec = url_.tls ? roundtrip_tls(req, res) : roundtrip_plain(req, res);
        if (ec) {
            reset();
            ctx_.count_error("send_failed");
            detail = ec.message();
            return Outcome::Retry;
        }
        if (!res.keep_alive()) reset();
        const unsigned status = res.result_int();
        if (status >= 200 && status < 300) return Outcome::Delivered;
        detail = "HTTP " + std::to_string(status);
        if (!res.body().empty()) detail += ": " + res.body().substr(0, 200);
        if (status == 429 || status == 503) {
            const auto ra = res[http::field::retry_after];
            retry_after = std::atoll(std::string(ra.data(), ra.size()).c_str());
        }
        if (status == 429) {
            ctx_.count_error("throttled");
            return Outcome::Retry;
        }
        if (status >= 500 || status == 408) {
            ctx_.count_error("server_error");
            return Outcome::Retry;
        }
        return Outcome::Rejected;  // 4xx: sending it again would not help
    }

    error_code roundtrip_plain(http::request<http::string_body>& req,
                               http::response<http::string_body>& res) {
        error_code ec = asio::error::operation_aborted;
        if (!plain_) {
            const auto endpoints = resolve(ec);
            if (ec) return ec;
            plain_.emplace(io_);
            plain_->expires_after(request_timeout_);
            plain_->async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
            run();
            if (ec) return ec;
        }
        return exchange_into(*plain_, req, res);
    }

    error_code roundtrip_tls(http::request<http::string_body>& req, http::response<http::string_body>& res) {
        error_code ec = asio::error::operation_aborted;
        if (!tls_) {
            const auto endpoints = resolve(ec);
            if (ec) return ec;
            tls_.emplace(io_, *ssl_);
            if (!SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str()))
                return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
            if (verify_) tls_->set_verify_callback(ssl::host_name_verification(url_.host));
            beast::get_lowest_layer(*tls_).expires_after(request_timeout_);
            beast::get_lowest_layer(*tls_).async_connect(endpoints,
                                                         [&](error_code e, const tcp::endpoint&) { ec = e; });
            run();
            if (ec) return ec;
            ec = asio::error::operation_aborted;
            tls_->async_handshake(ssl::stream_base::client, [&](error_code e) { ec = e; });
            run();
            if (ec) return ec;
        }
        return exchange_into(*tls_, req, res);
    }

    template <class Stream>
    error_code exchange_into(Stream& stream, http::request<http::string_body>& req,
                             http::response<http::string_body>& res) {
        error_code result = asio::error::operation_aborted;  // if the run is stopped before the handlers
        http::response_parser<http::string_body> parser;
        parser.body_limit(1u << 20);
        beast::get_lowest_layer(stream).expires_after(request_timeout_);
        http::async_write(stream, req, [&](error_code ec, size_t) {
            if (ec) {
                result = ec;
                return;
            }
            http::async_read(stream, buffer_, parser, [&](error_code e, size_t) { result = e; });
        });
        run();
        if (!result) res = parser.release();
        return result;
    }

    tcp::resolver::results_type resolve(error_code& ec) {
        tcp::resolver resolver(io_);
        return resolver.resolve(url_.host, url_.port, ec);
    }

    void run() {
        io_.restart();
        if (!stopping_.load()) io_.run();
    }

    void reset() {
        error_code ignored;
        if (plain_) plain_->socket().close(ignored);
        if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
        plain_.reset();
        tls_.reset();
        buffer_.clear();
    }

    Url url_;
    bool array_ = false;
    bool gzip_ = false;
    bool verify_ = true;
    std::string api_key_;
    std::string authorization_;  // the Authorization header, if any
    std::vector<std::pair<std::string, std::string>> headers_;
    size_t max_events_ = 1000;
    size_t max_bytes_ = 1u << 20;
    std::chrono::nanoseconds batch_timeout_{};
    std::chrono::nanoseconds retry_initial_{};
    std::chrono::nanoseconds retry_max_{};
    std::chrono::nanoseconds request_timeout_{};
    std::string spool_dir_;
    std::unique_ptr<RequestQueue> queue_;

    std::mutex cur_mu_;  // the request being filled
    Request cur_;
    std::chrono::steady_clock::time_point cur_started_;

    std::mutex wait_mu_;
    std::condition_variable wait_cv_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> ready_{false};
    std::atomic<bool> acks_open_{true};
    int lock_fd_ = -1;

    std::mutex spool_log_mu_;
    uint64_t spool_failures_unlogged_ = 0;
    std::string spool_last_error_;
    bool spool_failing_logged_ = false;
    std::chrono::steady_clock::time_point spool_logged_at_{};
    std::mt19937_64 rng_{std::random_device{}()};

    // sender thread only
    asio::io_context io_{1};
    std::optional<ssl::context> ssl_;
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
    beast::flat_buffer buffer_;
    std::thread sender_;
};

const weir::Option http_output_options[] = {
    weir::option::required_string("url",
                                  "Where to POST, like http://aggregator:8080/v1/logs (https:// for TLS; "
                                  "user:password@ for Basic auth)."),
    weir::option::string("format", "ndjson", "Body: ndjson (one JSON event per line) or json_array.")
        .one_of("ndjson|json_array"),
    weir::option::string("compression", "gzip", "gzip or none.").one_of("gzip|none"),
    weir::option::string("api_key", "", "Sent as Authorization: Bearer <key>.")
        .secret()
        .empty_means("no Authorization header"),
    weir::option::string_list("headers", "", "Extra request headers, each 'Name: value'.").secret(),
    weir::option::integer("batch_max_events", "1000",
                          "Events per request at most (whole pipeline batches are kept together).")
        .at_least("1"),
    weir::option::size("batch_max_bytes", "1MiB", "Uncompressed bytes per request at most.").at_least("1B"),
    weir::option::duration("batch_timeout", "1s", "Longest an event waits for its request to fill.")
        .at_least("1ms"),
    weir::option::duration("retry_initial", "1s", "First retry delay; doubled per failure (with jitter).")
        .at_least("1ms"),
    weir::option::duration("retry_max", "60s", "Longest retry delay.").at_least("1ms"),
    weir::option::duration("request_timeout", "30s",
                           "Time allowed for connecting, sending and reading the answer.")
        .at_least("1ms"),
    weir::option::size("memory_buffer_size", "8MiB",
                       "Memory the requests waiting to be sent may hold (compressed bodies as allocated, "
                       "plus bookkeeping); then the spool."),
    weir::option::size("spool_max_size", "256MiB", "Disk used at most for requests waiting to be sent.")
        .empty_means("no spool (0)"),
    weir::option::string("spool_full", "block",
                         "When memory and spool are full: block (push back), drop_newest or drop_oldest.")
        .one_of("block|drop_newest|drop_oldest"),
    weir::option::string("tls_ca_file", "", "PEM CAs to verify the server with (https).")
        .empty_means("the system's CAs"),
    weir::option::boolean("tls_verify", "true", "Verify the server's certificate and name (https)."),
    weir::option::string("tls_cert_file", "", "PEM client certificate, for servers that require one."),
    weir::option::string("tls_key_file", "", "PEM key of the client certificate."),
};

}  // namespace

WEIR_PLUGIN_FLAGS(HttpOutput, WEIR_KIND_OUTPUT, "http", "0.1.0",
                  "POSTs batches of events (gzip NDJSON or JSON arrays) with retries and a disk spool.",
                  http_output_options, WEIR_PLUGIN_BUFFERS)
