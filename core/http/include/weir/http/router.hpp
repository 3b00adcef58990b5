// Routes: method + path pattern ("/api/v1/logs/{id}"), one help line each,
// and the scope a token needs. Each API topic adds its own routes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>
#include <weir/http/message.hpp>

namespace weir::http {

/// What a token must be allowed to do. `None` routes are open to anyone who
/// reaches the listener (health probes).
enum class Scope { None, Read, Admin };
const char* scope_name(Scope s);

/// A plain handler: runs on a worker, returns the answer.
using Handler = std::function<Response(const Request&)>;
/// A deferred handler: runs on a worker and answers through `respond`, maybe
/// later from another thread (a reload waits on the control thread without
/// holding a worker).
using AsyncHandler = std::function<void(const Request&, Respond respond)>;

/// A WebSocket route. Every callback runs on a worker.
struct WebSocketRoute {
    std::function<void(const std::shared_ptr<WebSocket>&, const Request&)> on_open;
    std::function<void(const std::shared_ptr<WebSocket>&, const std::string& message)> on_message;
    /// Called every `tick` while the connection is open (0: never).
    std::chrono::milliseconds tick{0};
    std::function<void(const std::shared_ptr<WebSocket>&)> on_tick;
};

struct Route {
    std::string method;   // GET, POST, ...
    std::string pattern;  // /api/v1/logs/{id}
    std::string help;
    Scope scope = Scope::Read;
    /// Changes server state: foreign origins and form content types are refused.
    bool mutates = false;
    /// Answered even when the server is full (the health probe).
    bool priority = false;
    /// With `websocket` set: answers the same path's plain (non-upgrade)
    /// requests (a stream), or null for a 426.
    AsyncHandler handler;
    std::optional<WebSocketRoute> websocket;
};

class Router {
public:
    Route& get(std::string pattern, std::string help, Scope scope, Handler h);
    Route& post(std::string pattern, std::string help, Scope scope, Handler h);
    Route& add_async(std::string method, std::string pattern, std::string help, Scope scope, AsyncHandler h);
    Route& websocket(std::string pattern, std::string help, Scope scope, WebSocketRoute ws);
    /// Throws std::logic_error on a duplicate method + pattern or a bad pattern.
    Route& add(Route r);

    struct Match {
        const Route* route = nullptr;  // null: no route for this method
        std::map<std::string, std::string> params;
        /// Methods of routes whose pattern matches (for 405's Allow); empty: 404.
        std::vector<std::string> allowed;
    };
    Match match(std::string_view method, std::string_view path) const;
    const std::vector<Route>& routes() const { return routes_; }
    /// {"routes":[{"method","path","scope","help"}...]}, sorted by path.
    std::string describe_json() const;

private:
    std::vector<Route> routes_;
};

/// Does `pattern` match `path`? Fills `params`. Segments in braces match any
/// one non-empty segment; a trailing "{name*}" matches the rest.
bool match_pattern(std::string_view pattern, std::string_view path,
                   std::map<std::string, std::string>& params);

}  // namespace weir::http
