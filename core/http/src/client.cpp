#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <weir/http/client.hpp>

namespace weir::http {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxResponse = 16 << 20;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

struct TimedOut : std::runtime_error {
    TimedOut() : std::runtime_error("http request timed out") {}
};

void wait_fd(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) throw TimedOut();
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
        if (rc > 0) return;
        if (rc < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
}

std::string where(const std::string& host, uint16_t port) {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// A non-blocking socket connected to one of `host`'s addresses.
int connect_to(const std::string& host, uint16_t port, Clock::time_point deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string name = host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
    if (const int rc = ::getaddrinfo(name.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
        throw std::runtime_error("cannot resolve '" + name + "': " + ::gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
    std::string last = "no address";
    size_t left = 0;
    for (addrinfo* ai = found; ai; ai = ai->ai_next) ++left;
    for (addrinfo* ai = found; ai; ai = ai->ai_next, --left) {
        // Each address gets its share of the time left, so one that never
        // answers (a blackholed IPv6 route) leaves time for the next.
        const auto now = Clock::now();
        const Clock::duration share = std::max<Clock::duration>((deadline - now) / static_cast<int>(left),
                                                                std::chrono::milliseconds(500));
        const auto mine = left > 1 ? std::min(deadline, now + share) : deadline;
        Fd s;
        s.fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s.fd < 0) {
            last = std::strerror(errno);
            continue;
        }
        if (::connect(s.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                last = std::strerror(errno);
                continue;
            }
            try {
                wait_fd(s.fd, POLLOUT, mine);
            } catch (const TimedOut&) {
                if (Clock::now() >= deadline) throw;
                last = "timed out";
                continue;
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                last = std::strerror(err);
                continue;
            }
        }
        const int fd = s.fd;
        s.fd = -1;
        return fd;
    }
    throw std::runtime_error("connect to " + where(host, port) + ": " + last);
}

std::string tls_error(const char* what) {
    const unsigned long e = ERR_get_error();
    char buf[256] = {0};
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return std::string(what) + (e ? std::string(": ") + buf : std::string());
}

/// The bytes of one connection, plain or TLS, with the deadline on every step.
class Channel {
public:
    Channel(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}
    ~Channel() {
        if (ssl_) SSL_free(ssl_);
        if (ctx_) SSL_CTX_free(ctx_);
    }

    void start_tls(const std::string& host, const ClientTls& tls) {
        ctx_ = SSL_CTX_new(TLS_client_method());
        if (!ctx_) throw std::runtime_error(tls_error("TLS"));
        SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
        SSL_CTX_set_options(ctx_,
                            SSL_OP_IGNORE_UNEXPECTED_EOF);  // a close without close_notify ends the stream
#endif
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        const bool loaded = tls.ca_file.empty()
                                ? SSL_CTX_set_default_verify_paths(ctx_) == 1
                                : SSL_CTX_load_verify_locations(ctx_, tls.ca_file.c_str(), nullptr) == 1;
        if (!loaded)
            throw std::runtime_error(tls_error(tls.ca_file.empty()
                                                   ? "cannot load the system's CA certificates"
                                                   : ("cannot load CA file " + tls.ca_file).c_str()));
        ssl_ = SSL_new(ctx_);
        if (!ssl_) throw std::runtime_error(tls_error("TLS"));
        SSL_set_fd(ssl_, fd_);
        in6_addr a6{};
        in_addr a4{};
        const bool is_ip =
            ::inet_pton(AF_INET, host.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
        const bool named = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                                 : SSL_set_tlsext_host_name(ssl_, host.c_str()) == 1 &&
                                       X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1;
        if (!named)
            throw std::runtime_error(tls_error(("TLS: cannot check the name '" + host + "'").c_str()));
        for (;;) {
            ERR_clear_error();  // SSL_get_error reads the thread's queue
            const int rc = SSL_connect(ssl_);
            if (rc == 1) return;
            if (wait_wanted(rc)) continue;
            const long v = SSL_get_verify_result(ssl_);
            if (v != X509_V_OK) {
                ERR_clear_error();
                throw std::runtime_error(std::string("TLS: the server's certificate is not trusted: ") +
                                         X509_verify_cert_error_string(v));
            }
            throw std::runtime_error(tls_error("TLS handshake failed"));
        }
    }

    void write_all(const std::string& data) {
        size_t off = 0;
        while (off < data.size()) {
            if (ssl_) {
                ERR_clear_error();
                const int n = SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off));
                if (n > 0) {
                    off += static_cast<size_t>(n);
                    continue;
                }
                if (!wait_wanted(n)) throw std::runtime_error(tls_error("TLS write failed"));
                continue;
            }
            wait_fd(fd_, POLLOUT, deadline_);
            const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
            off += static_cast<size_t>(n);
        }
    }

    /// Appends what arrives; false at the end of the stream.
    bool read_some(std::string& out) {
        char buf[16384];
        for (;;) {
            if (ssl_) {
                ERR_clear_error();
                errno = 0;
                const int n = SSL_read(ssl_, buf, sizeof buf);
                if (n > 0) {
                    out.append(buf, static_cast<size_t>(n));
                    return true;
                }
                const int e = SSL_get_error(ssl_, n);
                if (e == SSL_ERROR_ZERO_RETURN) return false;
                if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0) return false;  // EOF
                if (!wait_wanted(n)) throw std::runtime_error(tls_error("TLS read failed"));
                continue;
            }
            wait_fd(fd_, POLLIN, deadline_);
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
            if (n == 0) return false;
            out.append(buf, static_cast<size_t>(n));
            return true;
        }
    }

private:
    /// Waits for the socket when OpenSSL asks for it; false on any other error.
    bool wait_wanted(int rc) {
        const int e = SSL_get_error(ssl_, rc);
        if (e == SSL_ERROR_WANT_READ) {
            wait_fd(fd_, POLLIN, deadline_);
        } else if (e == SSL_ERROR_WANT_WRITE) {
            wait_fd(fd_, POLLOUT, deadline_);
        } else {
            return false;
        }
        return true;
    }

    int fd_;
    Clock::time_point deadline_;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
};

}  // namespace

ClientResponse http_request(const std::string& host, uint16_t port, const std::string& method,
                            const std::string& target, const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            std::chrono::milliseconds timeout, const ClientTls& tls) {
    const auto deadline = Clock::now() + timeout;
    Fd s;
    s.fd = connect_to(host, port, deadline);
    Channel ch(s.fd, deadline);
    if (tls.enabled) ch.start_tls(host, tls);
    bool has_host = false;
    for (const auto& [k, v] : headers) has_host |= (strcasecmp(k.c_str(), "host") == 0);
    std::string req = method + " " + target + " HTTP/1.1\r\n";
    if (!has_host) req += "Host: " + where(host, port) + "\r\n";
    req += "Connection: close\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT")
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    ch.write_all(req);
    std::string data;
    while (ch.read_some(data)) {
        if (data.size() > kMaxResponse) throw std::runtime_error("http response larger than 16 MiB");
        // Stop early once Content-Length is satisfied.
        const size_t hdr_end = data.find("\r\n\r\n");
        if (hdr_end != std::string::npos) {
            const std::string lower_headers = [&] {
                std::string h = data.substr(0, hdr_end);
                for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                return h;
            }();
            const size_t cl = lower_headers.find("\r\ncontent-length:");
            if (cl != std::string::npos) {
                const unsigned long long len = std::strtoull(lower_headers.c_str() + cl + 17, nullptr, 10);
                if (data.size() - hdr_end - 4 >= len) break;
            }
        }
    }
    ClientResponse r;
    const size_t hdr_end = data.find("\r\n\r\n");
    if (data.rfind("HTTP/1.", 0) != 0 || hdr_end == std::string::npos)
        throw std::runtime_error("malformed HTTP response");
    r.status = std::atoi(data.substr(9, 3).c_str());
    if (r.status < 100 || r.status > 999) throw std::runtime_error("malformed HTTP status line");
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
