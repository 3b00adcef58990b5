#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <weir/http/client.hpp>

namespace weir::http {
namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

void wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("http request timed out");
    pollfd p{fd, events, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        throw std::runtime_error("http request timed out");
}

}  // namespace

ClientResponse http_request(const std::string& host, uint16_t port, const std::string& method,
                            const std::string& target, const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Fd s;
    s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1)
        throw std::runtime_error("bad IPv4 address '" + host + "'");
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + ": " +
                                 std::strerror(errno));
    bool has_host = false;
    for (const auto& [k, v] : headers) has_host |= (strcasecmp(k.c_str(), "host") == 0);
    std::string req = method + " " + target + " HTTP/1.1\r\n";
    if (!has_host) req += "Host: " + host + ":" + std::to_string(port) + "\r\n";
    req += "Connection: close\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT")
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    size_t off = 0;
    while (off < req.size()) {
        wait_fd(s.fd, POLLOUT, deadline);
        const ssize_t n = ::send(s.fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        off += static_cast<size_t>(n);
    }
    std::string data;
    char buf[16384];
    for (;;) {
        wait_fd(s.fd, POLLIN, deadline);
        const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        // Stop early once Content-Length is satisfied.
        const size_t hdr_end = data.find("\r\n\r\n");
        if (hdr_end != std::string::npos) {
            const std::string lower_headers = [&] {
                std::string h = data.substr(0, hdr_end);
                for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                return h;
            }();
            const size_t cl = lower_headers.find("content-length:");
            if (cl != std::string::npos) {
                const size_t len = std::stoul(lower_headers.substr(cl + 15));
                if (data.size() >= hdr_end + 4 + len) break;
            }
        }
    }
    ClientResponse r;
    const size_t hdr_end = data.find("\r\n\r\n");
    if (data.rfind("HTTP/1.", 0) != 0 || hdr_end == std::string::npos)
        throw std::runtime_error("malformed HTTP response");
    r.status = std::stoi(data.substr(9, 3));
    size_t pos = data.find("\r\n") + 2;
    while (pos < hdr_end) {
        const size_t eol = data.find("\r\n", pos);
        const std::string line = data.substr(pos, eol - pos);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
            size_t v = colon + 1;
            while (v < line.size() && line[v] == ' ') ++v;
            r.headers.emplace_back(line.substr(0, colon), line.substr(v));
        }
        pos = eol + 2;
    }
    r.body = data.substr(hdr_end + 4);
    return r;
}

}  // namespace weir::http
