// loadgen: a bounded load generator for the network benchmarks, fast enough
// not to be the bottleneck. Loopback only.
//
//   loadgen syslog PORT COUNT [--framing octet|newline] [--connections N] [--hold S]
//       COUNT RFC 5424 messages over TCP (octet-counted by default). With
//       --hold the connections stay open up to S seconds after the last byte
//       (until the process is ended): some servers stop reading a half-closed
//       connection before they have read all of it.
//   loadgen http PORT COUNT [--batch 1000] [--connections 2] [--rate EV/S]
//                [--gzip] [--path /v1/logs] [--key KEY]
//       COUNT JSON events as NDJSON POSTs of --batch events; prints request
//       latency percentiles. --rate paces the total to EV/S.
//   loadgen sink PORT
//       Accepts TCP connections and discards what they send (to time the
//       sender alone); with --http it answers every request 202.
//
// Every run is bounded by COUNT and by --timeout seconds (default 300).
// Output: a human line, then one key=value line for scripts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../plugins/net/gzip.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
    std::string mode;
    int port = 0;
    long long count = 0;
    std::string framing = "octet";
    int connections = 1;
    int batch = 1000;
    double rate = 0;
    bool gzip = false;
    bool http = false;
    std::string path = "/v1/logs";
    std::string key;
    int timeout = 300;
    int hold = 0;
};

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "loadgen: %s\n", msg.c_str());
    std::exit(2);
}

int connect_to(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        die("cannot connect to port " + std::to_string(port));
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool send_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

std::string syslog_message(long long i) {
    char buf[256];
    const int n = std::snprintf(
        buf, sizeof buf,
        "<%d>1 2026-11-29T10:%02lld:%02lld.%06lldZ web%02lld.example.com app%lld %lld ID%lld "
        "[meta seq=\"%lld\"] user %lld requested /api/v1/items/%lld status=200 took=%lldms",
        128 + static_cast<int>(i % 8) + 8 * static_cast<int>(i % 3), (i / 60) % 60, i % 60,
        (i * 7919) % 1000000, i % 50, i % 7, 1000 + i % 9000, i % 100, i, i % 10007, i % 100003, i % 900);
    return std::string(buf, static_cast<size_t>(n));
}

std::string json_event(long long i) {
    static const char* levels[] = {"info", "info", "info", "warn", "error", "debug"};
    char buf[320];
    const int n = std::snprintf(
        buf, sizeof buf,
        R"({"timestamp":"2026-11-29T10:%02lld:%02lld.%03lldZ","level":"%s","service":"checkout","message":"order %lld placed by user %lld","user_id":%lld,"client_ip":"10.%lld.%lld.%lld","latency_ms":%lld})",
        (i / 60) % 60, i % 60, i % 1000, levels[i % 6], i, i % 10007, i % 10007, i % 256, (i / 256) % 256,
        i % 250, i % 1500);
    return std::string(buf, static_cast<size_t>(n));
}

// ---- syslog over TCP ---------------------------------------------------------------

int run_syslog(const Args& a) {
    // A block of distinct messages, sent again and again: the sender does no
    // formatting while it sends.
    const long long distinct = std::min<long long>(a.count, 20000);
    std::string block;
    for (long long i = 0; i < distinct; ++i) {
        const std::string m = syslog_message(i);
        if (a.framing == "octet") {
            block += std::to_string(m.size());
            block += ' ';
            block += m;
        } else {
            block += m;
            block += '\n';
        }
    }
    const size_t msg_avg = block.size() / static_cast<size_t>(distinct);
    std::atomic<long long> sent{0};
    std::vector<int> held;  // --hold: sockets kept open (guarded by the thread joins)
    std::mutex held_mu;
    const auto t0 = Clock::now();
    const auto deadline = t0 + std::chrono::seconds(a.timeout);
    std::vector<std::thread> threads;
    for (int c = 0; c < a.connections; ++c) {
        threads.emplace_back([&, c] {
            const long long mine = a.count / a.connections + (c < a.count % a.connections ? 1 : 0);
            const int fd = connect_to(a.port);
            long long done = 0;
            while (done < mine && Clock::now() < deadline) {
                // Whole block, or the part of it that completes the count.
                const long long left = mine - done;
                if (left >= distinct) {
                    if (!send_all(fd, block.data(), block.size())) break;
                    done += distinct;
                } else {
                    // Find where message `left` ends in the block.
                    size_t off = 0;
                    for (long long k = 0; k < left; ++k) {
                        if (a.framing == "octet") {
                            const size_t sp = block.find(' ', off);
                            off = sp + 1 + std::strtoul(block.c_str() + off, nullptr, 10);
                        } else {
                            off = block.find('\n', off) + 1;
                        }
                    }
                    if (!send_all(fd, block.data(), off)) break;
                    done += left;
                }
            }
            sent += done;
            if (a.hold > 0) {
                std::lock_guard lock(held_mu);
                held.push_back(fd);
                return;
            }
            ::shutdown(fd, SHUT_WR);
            char tmp[256];
            while (::recv(fd, tmp, sizeof tmp, 0) > 0) {
            }
            ::close(fd);
        });
    }
    for (auto& t : threads) t.join();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto report_held = [&] {
        if (a.hold <= 0) return;
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::seconds(a.hold));
        for (int fd : held) ::close(fd);
    };
    std::printf(
        "sent %lld syslog messages (%zu bytes avg, %s framing) on %d connection(s) in %.3fs: %.0f msg/s\n",
        sent.load(), msg_avg, a.framing.c_str(), a.connections, secs, sent.load() / secs);
    std::printf("sent=%lld seconds=%.3f msg_per_s=%.0f bytes_avg=%zu\n", sent.load(), secs,
                sent.load() / secs, msg_avg);
    report_held();
    return sent.load() == a.count ? 0 : 1;
}

// ---- HTTP -------------------------------------------------------------------------

/// Reads one HTTP response; returns its status (0 on a broken connection).
int read_response(int fd, std::string& buf) {
    for (;;) {
        const size_t hdr_end = buf.find("\r\n\r\n");
        if (hdr_end != std::string::npos) {
            const int status = std::atoi(buf.c_str() + 9);
            size_t length = 0;
            const char* cl = strcasestr(buf.c_str(), "content-length:");
            if (cl && cl < buf.c_str() + hdr_end) length = std::strtoul(cl + 15, nullptr, 10);
            while (buf.size() < hdr_end + 4 + length) {
                char tmp[4096];
                const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
                if (n <= 0) return 0;
                buf.append(tmp, static_cast<size_t>(n));
            }
            buf.erase(0, hdr_end + 4 + length);
            return status;
        }
        char tmp[4096];
        const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return 0;
        buf.append(tmp, static_cast<size_t>(n));
    }
}

int run_http(const Args& a) {
    // Pre-built request bodies: a few distinct batches reused round-robin.
    const int kBodies = 16;
    std::vector<std::string> requests;
    for (int b = 0; b < kBodies; ++b) {
        std::string body;
        for (int i = 0; i < a.batch; ++i) {
            body += json_event(static_cast<long long>(b) * a.batch + i);
            body += '\n';
        }
        if (a.gzip) body = weir::net::gzip(body);
        std::string req =
            "POST " + a.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n";
        if (a.gzip) req += "Content-Encoding: gzip\r\n";
        if (!a.key.empty()) req += "Authorization: Bearer " + a.key + "\r\n";
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        req += body;
        requests.push_back(std::move(req));
    }
    const long long total_requests = (a.count + a.batch - 1) / a.batch;
    std::atomic<long long> next_request{0};
    std::atomic<long long> accepted_events{0}, refused{0}, failed{0};
    std::vector<std::vector<double>> latencies(static_cast<size_t>(a.connections));
    const auto t0 = Clock::now();
    const auto deadline = t0 + std::chrono::seconds(a.timeout);
    // Pacing: request k is due at t0 + k * batch / rate.
    const double per_request_s = a.rate > 0 ? a.batch / a.rate : 0;
    std::vector<std::thread> threads;
    for (int c = 0; c < a.connections; ++c) {
        threads.emplace_back([&, c] {
            int fd = connect_to(a.port);
            std::string buf;
            auto& lat = latencies[static_cast<size_t>(c)];
            for (;;) {
                const long long k = next_request.fetch_add(1);
                if (k >= total_requests || Clock::now() >= deadline) break;
                if (per_request_s > 0) {
                    const auto due =
                        t0 + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(per_request_s * static_cast<double>(k)));
                    std::this_thread::sleep_until(due);
                }
                const std::string& req = requests[static_cast<size_t>(k % kBodies)];
                const auto s = Clock::now();
                int status = send_all(fd, req.data(), req.size()) ? read_response(fd, buf) : 0;
                lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
                if (status == 0) {  // reconnect once and count the failure
                    ++failed;
                    ::close(fd);
                    fd = connect_to(a.port);
                    buf.clear();
                } else if (status >= 200 && status < 300) {
                    accepted_events += a.batch;
                } else {
                    ++refused;
                }
            }
            ::close(fd);
        });
    }
    for (auto& t : threads) t.join();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
        return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
    };
    std::printf(
        "posted %lld events in %lld requests of %d%s on %d connection(s) in %.3fs: %.0f events/s; "
        "latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; %lld refused, %lld failed\n",
        accepted_events.load(), static_cast<long long>(all.size()), a.batch, a.gzip ? " (gzip)" : "",
        a.connections, secs, accepted_events.load() / secs, pct(0.50), pct(0.99),
        all.empty() ? 0 : all.back(), refused.load(), failed.load());
    std::printf(
        "events=%lld seconds=%.3f events_per_s=%.0f p50_ms=%.2f p99_ms=%.2f refused=%lld failed=%lld\n",
        accepted_events.load(), secs, accepted_events.load() / secs, pct(0.50), pct(0.99), refused.load(),
        failed.load());
    return 0;
}

// ---- sink -------------------------------------------------------------------------

int run_sink(const Args& a) {
    const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(a.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(ls, 128) != 0)
        die("cannot listen");
    for (;;) {
        const int fd = ::accept(ls, nullptr, nullptr);
        if (fd < 0) continue;
        std::thread([fd, http = a.http] {
            std::vector<char> buf(1 << 20);
            std::string pending;
            static const char kReply[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
            for (;;) {
                const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
                if (n <= 0) break;
                if (!http) continue;
                // Count complete requests by their Content-Length and answer each.
                pending.append(buf.data(), static_cast<size_t>(n));
                for (;;) {
                    const size_t h = pending.find("\r\n\r\n");
                    if (h == std::string::npos) break;
                    const char* cl = strcasestr(pending.c_str(), "content-length:");
                    const size_t len = cl ? std::strtoul(cl + 15, nullptr, 10) : 0;
                    if (pending.size() < h + 4 + len) break;
                    pending.erase(0, h + 4 + len);
                    send_all(fd, kReply, sizeof kReply - 1);
                }
            }
            ::close(fd);
        }).detach();
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) die("usage: loadgen syslog|http PORT COUNT [options] | loadgen sink PORT [--http]");
    Args a;
    a.mode = argv[1];
    a.port = std::atoi(argv[2]);
    int i = 3;
    if (a.mode != "sink") {
        if (argc < 4) die("COUNT missing");
        a.count = std::atoll(argv[3]);
        i = 4;
    }
    for (; i < argc; ++i) {
        const std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(k + " needs a value");
            return argv[++i];
        };
        if (k == "--framing")
            a.framing = value();
        else if (k == "--connections")
            a.connections = std::max(1, std::atoi(value().c_str()));
        else if (k == "--batch")
            a.batch = std::max(1, std::atoi(value().c_str()));
        else if (k == "--rate")
            a.rate = std::atof(value().c_str());
        else if (k == "--gzip")
            a.gzip = true;
        else if (k == "--http")
            a.http = true;
        else if (k == "--path")
            a.path = value();
        else if (k == "--key")
            a.key = value();
        else if (k == "--hold")
            a.hold = std::atoi(value().c_str());
        else if (k == "--timeout")
            a.timeout = std::atoi(value().c_str());
        else
            die("unknown option " + k);
    }
    if (a.mode == "syslog") return run_syslog(a);
    if (a.mode == "http") return run_http(a);
    if (a.mode == "sink") return run_sink(a);
    die("unknown mode " + a.mode);
}
