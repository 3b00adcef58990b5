#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <weir/http/client.hpp>
#include <weir/http/server.hpp>
#include <weir/keys/keys.hpp>

using namespace weir::http;
using Limits = ServerOptions;

namespace {

Response echo(const Request& r) {
    if (r.path == "/throw") throw std::runtime_error("boom");
    return Response::text(200, r.method + " " + r.path + " ?" + r.query + " [" + r.body + "]");
}

std::shared_ptr<Router> echo_router() {
    auto r = std::make_shared<Router>();
    r->get("/{rest*}", "echo", Scope::None, echo);
    r->add(Route{"POST",
                 "/{rest*}",
                 "echo",
                 Scope::None,
                 false,
                 false,
                 [](const Request& q, Respond done) { done(echo(q)); },
                 {}});
    return r;
}

ServerOptions at(std::string listen, ServerOptions o = {}) {
    o.listen = std::move(listen);
    return o;
}

struct Echo : Server {
    explicit Echo(std::string listen, ServerOptions o = {})
        : Server(at(std::move(listen), o), echo_router()) {}
};

int connect_to(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads until `needle` shows up, the peer closes, or the timeout.
std::string read_until(int fd, const std::string& needle, int timeout_ms, bool* closed = nullptr) {
    std::string data;
    char buf[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return data;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            if (closed) *closed = true;
            return data;
        }
        data.append(buf, static_cast<size_t>(n));
        if (!needle.empty() && data.find(needle) != std::string::npos) return data;
    }
}

}  // namespace

TEST(Server, GetAndPostWithQueryAndBody) {
    Echo s("127.0.0.1:0");
    s.start();
    ASSERT_NE(s.port(), 0);
    auto r = http_request("127.0.0.1", s.port(), "GET", "/status?x=1&y=2");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET /status ?x=1&y=2 []");
    r = http_request("127.0.0.1", s.port(), "POST", "/api/v1/reload", "payload");
    EXPECT_EQ(r.body, "POST /api/v1/reload ? [payload]");
    bool has_server = false;
    for (auto& [k, v] : r.headers) has_server |= (k == "Server" && v == "weir");
    EXPECT_TRUE(has_server);
}

TEST(Server, KeepAliveServesTwoRequestsOnOneConnection) {
    Echo s("127.0.0.1:0");
    s.start();
    const int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    const std::string req =
        "GET /one HTTP/1.1\r\nHost: localhost\r\n\r\nGET /two HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
    const std::string data = read_until(fd, "GET /two", 5000);
    EXPECT_NE(data.find("GET /one"), std::string::npos);
    EXPECT_NE(data.find("GET /two"), std::string::npos);
    ::close(fd);
}

TEST(Server, BodyOverLimitIs413) {
    Limits l;
    l.max_body_bytes = 16;
    Echo s("127.0.0.1:0", l);
    s.start();
    EXPECT_EQ(http_request("127.0.0.1", s.port(), "POST", "/x", std::string(100, 'a')).status, 413);
    EXPECT_EQ(http_request("127.0.0.1", s.port(), "POST", "/x", "small").status, 200);
}

TEST(Server, HandlerExceptionIs500) {
    Echo s("127.0.0.1:0");
    s.start();
    auto r = http_request("127.0.0.1", s.port(), "GET", "/throw");
    EXPECT_EQ(r.status, 500);
    EXPECT_NE(r.body.find("boom"), std::string::npos);
}

TEST(Server, SlowClientIsCutOff) {
    Limits l;
    l.read_timeout = std::chrono::milliseconds(300);
    Echo s("127.0.0.1:0", l);
    s.start();
    const int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    const std::string half = "GET /slow HTTP/1.1\r\nHost: x\r\n";  // never finished
    ::send(fd, half.data(), half.size(), 0);
    bool closed = false;
    read_until(fd, "", 10'000, &closed);
    EXPECT_TRUE(closed) << "the server kept a stalled client";
    ::close(fd);
}

TEST(Server, BusyPortAndBadAddressAreClearErrors) {
    Echo a("127.0.0.1:0");
    a.start();
    const std::string taken = "127.0.0.1:" + std::to_string(a.port());
    Echo b(taken);
    try {
        b.start();
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot listen on " + taken), std::string::npos) << e.what();
    }
    Echo c("not-an-address");
    EXPECT_THROW(c.start(), std::runtime_error);
    Echo d("127.0.0.1:99999");
    EXPECT_THROW(d.start(), std::runtime_error);
}

TEST(Server, StopIsIdempotentAndClosesThePort) {
    Echo s("127.0.0.1:0");
    s.start();
    const uint16_t port = s.port();
    EXPECT_EQ(http_request("127.0.0.1", port, "GET", "/").status, 200);
    s.stop();
    s.stop();
    EXPECT_THROW(http_request("127.0.0.1", port, "GET", "/", {}, {}, std::chrono::milliseconds(500)),
                 std::runtime_error);
}

namespace {

std::string header(const ClientResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
        if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    return {};
}

std::string gunzip(const std::string& in) {
    z_stream z{};
    inflateInit2(&z, 16 + MAX_WBITS);
    std::string out;
    char buf[16384];
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
        if (rc == Z_BUF_ERROR) break;
    }
    inflateEnd(&z);
    return out;
}

std::string dechunk(const std::string& body) {
    std::string out;
    size_t pos = 0;
    for (;;) {
        const size_t eol = body.find("\r\n", pos);
        if (eol == std::string::npos) return out;
        const size_t n = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
        if (n == 0) return out;
        out += body.substr(eol + 2, n);
        pos = eol + 2 + n + 2;
    }
}

/// A gate a handler waits on, opened by the test.
struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    void wait() {
        std::unique_lock l(mu);
        cv.wait_for(l, std::chrono::seconds(10), [&] { return open; });
    }
    void release() {
        {
            std::lock_guard l(mu);
            open = true;
        }
        cv.notify_all();
    }
};

std::string write_tokens() {
    char name[] = "/tmp/weir-api-tokens-XXXXXX";
    const int fd = ::mkstemp(name);
    ::close(fd);
    std::ofstream(name) << "keys:\n  - {sha256: " + weir::keys::sha256_hex("r") +
                               ", scopes: [read], tenant: t1}\n" +
                               "  - {sha256: " + weir::keys::sha256_hex("a") + ", scopes: [read, admin]}\n";
    return name;
}

}  // namespace

TEST(Server, JsonErrorsFor404And405WithAllow) {
    auto r = std::make_shared<Router>();
    r->post("/api/v1/reload", "reload", Scope::Admin,
            [](const Request&) { return Response::json(200, "{}"); });
    Server s(at("127.0.0.1:0"), r);
    s.start();
    auto res = http_request("127.0.0.1", s.port(), "GET", "/nope");
    EXPECT_EQ(res.status, 404);
    EXPECT_EQ(header(res, "Content-Type"), "application/json");
    EXPECT_NE(res.body.find("\"error\""), std::string::npos);
    res = http_request("127.0.0.1", s.port(), "GET", "/api/v1/reload");
    EXPECT_EQ(res.status, 405);
    EXPECT_EQ(header(res, "Allow"), "POST");
}

TEST(Server, ASlowHandlerHoldsNeitherTheServerNorTheOtherWorkers) {
    auto gate = std::make_shared<Gate>();
    auto r = std::make_shared<Router>();
    r->get("/slow", "waits", Scope::None, [gate](const Request&) {
        gate->wait();
        return Response::json(200, "{}");
    });
    // A deferred answer holds no worker at all.
    std::vector<Respond> parked;
    std::mutex parked_mu;
    r->add_async("POST", "/parked", "answers later", Scope::None, [&](const Request&, Respond done) {
        std::lock_guard l(parked_mu);
        parked.push_back(std::move(done));
    });
    r->get("/fast", "at once", Scope::None, [](const Request&) { return Response::json(200, "{}"); });
    ServerOptions o;
    o.workers = 2;
    Server s(at("127.0.0.1:0", o), r);
    s.start();
    std::thread slow([&] { http_request("127.0.0.1", s.port(), "GET", "/slow"); });
    std::vector<std::thread> parkers;
    for (int i = 0; i < 4; ++i)
        parkers.emplace_back(
            [&] { EXPECT_EQ(http_request("127.0.0.1", s.port(), "POST", "/parked").status, 202); });
    for (int i = 0; i < 20; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        EXPECT_EQ(http_request("127.0.0.1", s.port(), "GET", "/fast").status, 200);
        EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
    }
    gate->release();
    slow.join();
    for (int i = 0; i < 1000; ++i) {
        {
            std::lock_guard l(parked_mu);
            if (parked.size() == 4) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    {
        std::lock_guard l(parked_mu);
        for (auto& p : parked) p(Response::json(202, "{}"));
    }
    for (auto& t : parkers) t.join();
}

TEST(Server, StreamsInChunksAskingOnlyAfterEachWriteAndGzips) {
    auto r = std::make_shared<Router>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    r->get("/stream", "numbers", Scope::None, [calls](const Request&) {
        Response resp;
        resp.content_type = "application/x-ndjson";
        auto i = std::make_shared<int>(0);
        resp.stream = [calls, i](std::string& chunk) {
            calls->fetch_add(1);
            for (int k = 0; k < 100; ++k) chunk += "{\"n\":" + std::to_string((*i)++) + "}\n";
            return *i < 1000;
        };
        return resp;
    });
    Server s(at("127.0.0.1:0"), r);
    s.start();
    auto res = http_request("127.0.0.1", s.port(), "GET", "/stream");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(header(res, "Transfer-Encoding"), "chunked");
    const std::string plain = dechunk(res.body);
    EXPECT_EQ(calls->load(), 10);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), '\n'), 1000);
    EXPECT_EQ(plain.substr(0, 8), "{\"n\":0}\n");
    res = http_request("127.0.0.1", s.port(), "GET", "/stream", {}, {{"Accept-Encoding", "gzip, deflate"}});
    EXPECT_EQ(header(res, "Content-Encoding"), "gzip");
    EXPECT_EQ(gunzip(dechunk(res.body)), plain);
}

TEST(Server, GzipsLargeBodiesOnlyWhenAccepted) {
    auto r = std::make_shared<Router>();
    r->get("/big", "big", Scope::None,
           [](const Request&) { return Response::text(200, std::string(100000, 'x')); });
    Server s(at("127.0.0.1:0"), r);
    s.start();
    auto res = http_request("127.0.0.1", s.port(), "GET", "/big", {}, {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(header(res, "Content-Encoding"), "gzip");
    EXPECT_LT(res.body.size(), 2000u);
    EXPECT_EQ(gunzip(res.body), std::string(100000, 'x'));
    res = http_request("127.0.0.1", s.port(), "GET", "/big", {}, {{"Accept-Encoding", "gzip;q=0"}});
    EXPECT_EQ(header(res, "Content-Encoding"), "");
    EXPECT_EQ(res.body.size(), 100000u);
}

TEST(Server, TokensScopesAndTenant) {
    auto r = std::make_shared<Router>();
    r->get("/open", "open", Scope::None, [](const Request&) { return Response::json(200, "{}"); });
    r->get("/q", "query", Scope::Read,
           [](const Request& q) { return Response::json(200, "\"" + q.tenant + "\""); });
    r->post("/reload", "reload", Scope::Admin, [](const Request&) { return Response::json(200, "{}"); });
    const std::string path = write_tokens();
    ServerOptions o;
    o.tokens =
        std::make_shared<weir::keys::KeyStore>(path, weir::keys::LoadOptions{false, {"read", "admin"}});
    Server s(at("127.0.0.1:0", o), r);
    s.start();
    const auto p = s.port();
    EXPECT_EQ(http_request("127.0.0.1", p, "GET", "/open").status, 200);
    auto res = http_request("127.0.0.1", p, "GET", "/q");
    EXPECT_EQ(res.status, 401);
    EXPECT_EQ(header(res, "WWW-Authenticate"), "Bearer");
    EXPECT_NE(res.body.find("\"error\""), std::string::npos);
    EXPECT_EQ(http_request("127.0.0.1", p, "GET", "/q", {}, {{"Authorization", "Bearer wrong"}}).status, 401);
    res = http_request("127.0.0.1", p, "GET", "/q", {}, {{"Authorization", "Bearer r"}});
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "\"t1\"");
    res = http_request("127.0.0.1", p, "POST", "/reload", {}, {{"Authorization", "Bearer r"}});
    EXPECT_EQ(res.status, 403);
    EXPECT_NE(res.body.find("admin"), std::string::npos);
    EXPECT_EQ(http_request("127.0.0.1", p, "POST", "/reload", {}, {{"Authorization", "Bearer a"}}).status,
              200);
    std::remove(path.c_str());
}

TEST(Server, LoopbackServesOnlyLoopbackHostsAndRefusesForeignOrigins) {
    auto r = std::make_shared<Router>();
    r->get("/q", "query", Scope::Read, [](const Request&) { return Response::json(200, "{}"); });
    r->post("/reload", "reload", Scope::Admin, [](const Request&) { return Response::json(200, "{}"); });
    ServerOptions o;
    o.cors_origins = {"https://dash.example"};
    Server s(at("127.0.0.1:0", o), r);
    s.start();
    const auto p = s.port();
    const std::string self = "127.0.0.1:" + std::to_string(p);
    EXPECT_EQ(http_request("127.0.0.1", p, "GET", "/q", {}, {{"Host", "evil.example:8686"}}).status, 403);
    EXPECT_EQ(http_request("127.0.0.1", p, "GET", "/q", {}, {{"Host", "localhost:8686"}}).status, 200);
    EXPECT_EQ(http_request("127.0.0.1", p, "GET", "/q", {}, {{"Host", "[::1]:1"}}).status, 200);
    EXPECT_EQ(http_request("127.0.0.1", p, "POST", "/reload", "x",
                           {{"Origin", "http://evil.example"}, {"Content-Type", "application/json"}})
                  .status,
              403);
    EXPECT_EQ(http_request("127.0.0.1", p, "POST", "/reload", "x", {{"Content-Type", "text/plain"}}).status,
              415);
    EXPECT_EQ(http_request("127.0.0.1", p, "POST", "/reload", {}, {{"Origin", "http://" + self}}).status,
              200);
    auto res = http_request("127.0.0.1", p, "POST", "/reload", {}, {{"Origin", "https://dash.example"}});
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "https://dash.example");
    res = http_request("127.0.0.1", p, "OPTIONS", "/reload", {}, {{"Origin", "https://dash.example"}});
    EXPECT_EQ(res.status, 204);
    EXPECT_NE(header(res, "Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
    EXPECT_EQ(
        http_request("127.0.0.1", p, "OPTIONS", "/reload", {}, {{"Origin", "http://evil.example"}}).status,
        403);
    res = http_request("127.0.0.1", p, "GET", "/q", {}, {{"Origin", "http://evil.example"}});
    EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "");
}

TEST(Server, IdleConnectionsOfAFullClientAreCutAndCounted) {
    auto r = std::make_shared<Router>();
    r->get("/health", "health", Scope::None, [](const Request&) {
         return Response::json(200, "{}");
     }).priority = true;
    ServerOptions o;
    o.max_connections_per_client = 8;
    Server s(at("127.0.0.1:0", o), r);
    s.start();
    std::vector<int> idle;
    for (int i = 0; i < 64; ++i) idle.push_back(connect_to(s.port()));
    for (int i = 0; i < 20; ++i) EXPECT_EQ(http_request("127.0.0.1", s.port(), "GET", "/health").status, 200);
    const std::string m = s.metrics_text();
    EXPECT_NE(m.find("weir_api_connections_cut_total{reason=\"client_limit\"} "), std::string::npos);
    EXPECT_EQ(m.find("weir_api_connections_cut_total{reason=\"client_limit\"} 0\n"), std::string::npos) << m;
    EXPECT_NE(m.find("weir_api_requests_total{method=\"GET\",route=\"/health\",code=\"2xx\"} 20"),
              std::string::npos)
        << m;
    for (int fd : idle) ::close(fd);
}

/// A server whose /long handler waits (at most 10 s) for its client to
/// leave, and says whether it saw it go.
struct WaitsForDeparture {
    std::shared_ptr<Gate> started = std::make_shared<Gate>(), finished = std::make_shared<Gate>();
    std::shared_ptr<std::atomic<bool>> saw_gone = std::make_shared<std::atomic<bool>>(false);
    Server server{at("127.0.0.1:0"), router()};

    std::shared_ptr<Router> router() {
        auto r = std::make_shared<Router>();
        r->get("/long", "waits for its client to leave", Scope::None,
               [started = started, finished = finished, saw_gone = saw_gone](const Request& req) {
                   started->release();
                   for (int i = 0; i < 2000 && !req.client_gone(); ++i)
                       std::this_thread::sleep_for(std::chrono::milliseconds(5));
                   saw_gone->store(req.client_gone());
                   finished->release();
                   return Response::json(200, "{}");
               });
        return r;
    }
    /// Connects, sends GET /long and returns once its handler runs.
    int request() {
        server.start();
        const int fd = connect_to(server.port());
        EXPECT_GE(fd, 0);
        const std::string req = "GET /long HTTP/1.1\r\nHost: localhost\r\n\r\n";
        EXPECT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
        started->wait();
        return fd;
    }
};

TEST(Server, AClientThatLeavesCancelsItsRequestAndIsCountedAs499) {
    WaitsForDeparture w;
    Server& s = w.server;
    ::close(w.request());
    w.finished->wait();
    EXPECT_TRUE(w.saw_gone->load());
    // The answer's status is recorded once the handler returns, on the network thread.
    std::string m;
    for (int i = 0; i < 1000; ++i) {
        m = s.metrics_text();
        if (m.find("weir_api_requests_abandoned_total{") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_NE(m.find("weir_api_requests_abandoned_total{method=\"GET\",route=\"/long\"} 1\n"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("weir_api_requests_total{method=\"GET\",route=\"/long\",code=\"4xx\"} 1\n"),
              std::string::npos)
        << m;
}

TEST(Server, AClientThatStaysOrPipelinesIsNotCancelled) {
    auto started = std::make_shared<Gate>();
    auto gate = std::make_shared<Gate>();
    auto gone_seen = std::make_shared<std::atomic<int>>(0);
    auto r = std::make_shared<Router>();
    r->get("/{name}", "answers once the gate opens", Scope::None, [=](const Request& req) {
        if (req.path == "/first") {
            started->release();
            gate->wait();
        }
        if (req.client_gone()) gone_seen->fetch_add(1);
        return Response::text(200, req.path);
    });
    Server s(at("127.0.0.1:0"), r);
    s.start();
    const int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    // The second request arrives while the first one's handler runs: more
    // bytes from the client are not a departure.
    const std::string one = "GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n";
    const std::string two = "GET /second HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ASSERT_EQ(::send(fd, one.data(), one.size(), 0), static_cast<ssize_t>(one.size()));
    started->wait();
    ASSERT_EQ(::send(fd, two.data(), two.size(), 0), static_cast<ssize_t>(two.size()));
    // Long enough for the server to see the bytes and check the socket
    // again (every 200 ms): a wrong "gone" would be set by then.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    gate->release();
    const std::string data = read_until(fd, "/second", 5000);
    EXPECT_NE(data.find("/first"), std::string::npos) << data;
    EXPECT_NE(data.find("/second"), std::string::npos) << data;
    ::close(fd);
    EXPECT_EQ(gone_seen->load(), 0);
    EXPECT_EQ(s.metrics_text().find("weir_api_requests_abandoned_total{"), std::string::npos);
}

TEST(Server, AClientThatSentMoreAndThenLeftIsStillNoticed) {
    // As a TLS client's close_notify before its close: bytes, then the end.
    WaitsForDeparture w;
    const int fd = w.request();
    const std::string more = "an alert record";  // bytes the server leaves unread
    ASSERT_EQ(::send(fd, more.data(), more.size(), 0), static_cast<ssize_t>(more.size()));
    ::close(fd);
    w.finished->wait();
    EXPECT_TRUE(w.saw_gone->load());
}
