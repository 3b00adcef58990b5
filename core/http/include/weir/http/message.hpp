// Requests and responses as route handlers see them. No Beast here: handlers
// and API topics include this header only.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::http {

struct Request {
    std::string method;
    std::string target;  // path + query
    std::string path;
    std::string query;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    /// Path parameters of the matched route ("/api/v1/logs/{id}" → id).
    std::map<std::string, std::string> params;
    /// The tenant of the token that authorised the request ("" without one).
    std::string tenant;
    /// The client's address, without port.
    std::string remote;
    /// Who authorised the request: a digest of the token (never the token
    /// itself), "" without one. Per-token limits count by it.
    std::string token_id;
    /// Set by the server when the client closes its connection before the
    /// answer is sent (the page moved on, curl was stopped). Long handlers
    /// pass it to the store, which then stops early; the answer is not sent
    /// and the request is counted with status 499. Null outside the server.
    std::shared_ptr<const std::atomic<bool>> cancelled;

    /// True once the client has gone (see `cancelled`).
    bool client_gone() const { return cancelled && cancelled->load(std::memory_order_relaxed); }
    /// The first header of that name (case-insensitive), or "".
    std::string header(std::string_view name) const;
    /// A query parameter, percent-decoded, or "".
    std::string query_param(std::string_view name) const;
};

/// Produces a streamed body one chunk at a time: called (on a worker) for the
/// next chunk only once the previous one is written, so memory stays bounded.
/// Returns false when there is nothing more (the chunk it filled, if any, is
/// still sent).
using ChunkSource = std::function<bool(std::string& chunk)>;

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    /// Set for a streamed (chunked) answer; `body` is then ignored.
    ChunkSource stream;

    static Response json(int status, std::string body);
    /// {"error": message, "status": status}
    static Response error(int status, std::string_view message);
    static Response text(int status, std::string body,
                         std::string content_type = "text/plain; charset=utf-8");
};

/// Answers a request; callable once, from any thread.
using Respond = std::function<void(Response)>;

/// A WebSocket connection as a route sees it. Thread-safe.
class WebSocket {
public:
    virtual ~WebSocket() = default;
    /// Queues a text message. Returns false when the connection is closed or
    /// was just closed for being too slow (its send queue was full).
    virtual bool send(std::string text) = 0;
    /// Starts a clean close (1000).
    virtual void close() = 0;
    virtual bool open() const = 0;
    /// Messages refused so far because the peer did not keep up.
    virtual size_t dropped() const = 0;
    /// Messages queued and not yet written to the peer: a sender that keeps
    /// this short never has the connection closed for being slow.
    virtual size_t queued() const { return 0; }
};

/// JSON string escaping for handlers that build bodies by hand.
std::string json_escape(std::string_view s);

}  // namespace weir::http
