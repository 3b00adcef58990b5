#include <weir/admin/client.hpp>
#include <weir/admin/server.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

using namespace weir::admin;

namespace {

Response echo(const Request& r) {
    if (r.path == "/throw") throw std::runtime_error("boom");
    Response resp;
    resp.body = r.method + " " + r.path + " ?" + r.query + " [" + r.body + "]";
    return resp;
}

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

TEST(Admin, GetAndPostWithQueryAndBody) {
    Server s("127.0.0.1:0", echo);
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

TEST(Admin, KeepAliveServesTwoRequestsOnOneConnection) {
    Server s("127.0.0.1:0", echo);
    s.start();
    const int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    const std::string req = "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
    const std::string data = read_until(fd, "GET /two", 5000);
    EXPECT_NE(data.find("GET /one"), std::string::npos);
    EXPECT_NE(data.find("GET /two"), std::string::npos);
    ::close(fd);
}

TEST(Admin, BodyOverLimitIs413) {
    Limits l;
    l.max_body_bytes = 16;
    Server s("127.0.0.1:0", echo, l);
    s.start();
    EXPECT_EQ(http_request("127.0.0.1", s.port(), "POST", "/x", std::string(100, 'a')).status, 413);
    EXPECT_EQ(http_request("127.0.0.1", s.port(), "POST", "/x", "small").status, 200);
}

TEST(Admin, HandlerExceptionIs500) {
    Server s("127.0.0.1:0", echo);
    s.start();
    auto r = http_request("127.0.0.1", s.port(), "GET", "/throw");
    EXPECT_EQ(r.status, 500);
    EXPECT_NE(r.body.find("boom"), std::string::npos);
}

TEST(Admin, SlowClientIsCutOff) {
    Limits l;
    l.read_timeout = std::chrono::milliseconds(300);
    Server s("127.0.0.1:0", echo, l);
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

TEST(Admin, BusyPortAndBadAddressAreClearErrors) {
    Server a("127.0.0.1:0", echo);
    a.start();
    const std::string taken = "127.0.0.1:" + std::to_string(a.port());
    Server b(taken, echo);
    try {
        b.start();
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot listen on " + taken), std::string::npos) << e.what();
    }
    Server c("not-an-address", echo);
    EXPECT_THROW(c.start(), std::runtime_error);
    Server d("127.0.0.1:99999", echo);
    EXPECT_THROW(d.start(), std::runtime_error);
}

TEST(Admin, StopIsIdempotentAndClosesThePort) {
    Server s("127.0.0.1:0", echo);
    s.start();
    const uint16_t port = s.port();
    EXPECT_EQ(http_request("127.0.0.1", port, "GET", "/").status, 200);
    s.stop();
    s.stop();
    EXPECT_THROW(http_request("127.0.0.1", port, "GET", "/", {}, std::chrono::milliseconds(500)), std::runtime_error);
}
