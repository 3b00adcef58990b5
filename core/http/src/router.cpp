#include <algorithm>
#include <stdexcept>
#include <weir/http/router.hpp>

namespace weir::http {

const char* scope_name(Scope s) {
    switch (s) {
        case Scope::None:
            return "none";
        case Scope::Read:
            return "read";
        case Scope::Admin:
            return "admin";
    }
    return "none";
}

namespace {

AsyncHandler wrap(Handler h) {
    return [h = std::move(h)](const Request& req, Respond respond) { respond(h(req)); };
}

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        const size_t end = std::min(path.find('/', i), path.size());
        out.push_back(path.substr(i, end - i));
        i = end;
    }
    return out;
}

}  // namespace

bool match_pattern(std::string_view pattern, std::string_view path,
                   std::map<std::string, std::string>& params) {
    if (path.empty() || path.front() != '/') return false;
    const auto ps = segments(pattern);
    const auto xs = segments(path);
    std::map<std::string, std::string> got;
    for (size_t i = 0; i < ps.size(); ++i) {
        const std::string_view p = ps[i];
        const bool param = p.size() > 2 && p.front() == '{' && p.back() == '}';
        if (param && p[p.size() - 2] == '*') {  // {rest*}: the remainder, maybe empty
            std::string rest;
            for (size_t j = i; j < xs.size(); ++j) rest += (j > i ? "/" : "") + std::string(xs[j]);
            got[std::string(p.substr(1, p.size() - 3))] = rest;
            params = std::move(got);
            return true;
        }
        if (i >= xs.size()) return false;
        if (param) {
            got[std::string(p.substr(1, p.size() - 2))] = std::string(xs[i]);
        } else if (p != xs[i]) {
            return false;
        }
    }
    if (xs.size() != ps.size()) return false;
    params = std::move(got);
    return true;
}

Route& Router::get(std::string pattern, std::string help, Scope scope, Handler h) {
    return add(
        Route{"GET", std::move(pattern), std::move(help), scope, false, false, wrap(std::move(h)), {}});
}

Route& Router::post(std::string pattern, std::string help, Scope scope, Handler h) {
    return add(
        Route{"POST", std::move(pattern), std::move(help), scope, true, false, wrap(std::move(h)), {}});
}

Route& Router::add_async(std::string method, std::string pattern, std::string help, Scope scope,
                         AsyncHandler h) {
    const bool mutates = method != "GET" && method != "HEAD";
    return add(Route{
        std::move(method), std::move(pattern), std::move(help), scope, mutates, false, std::move(h), {}});
}

Route& Router::websocket(std::string pattern, std::string help, Scope scope, WebSocketRoute ws) {
    return add(Route{"GET", std::move(pattern), std::move(help), scope, false, false, {}, std::move(ws)});
}

Route& Router::add(Route r) {
    if (r.pattern.empty() || r.pattern.front() != '/')
        throw std::logic_error("route pattern '" + r.pattern + "' must start with '/'");
    for (const auto& x : routes_)
        if (x.method == r.method && x.pattern == r.pattern)
            throw std::logic_error("route " + r.method + " " + r.pattern + " is registered twice");
    if (!r.handler && !r.websocket)
        throw std::logic_error("route " + r.method + " " + r.pattern + " has no handler");
    routes_.push_back(std::move(r));
    return routes_.back();
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match m;
    // Literal segments win over parameters: try the routes with fewer
    // parameters first (a stable order of registration otherwise).
    const Route* best = nullptr;
    size_t best_params = 0;
    for (const auto& r : routes_) {
        std::map<std::string, std::string> params;
        if (!match_pattern(r.pattern, path, params)) continue;
        const bool same = r.method == method || (method == "HEAD" && r.method == "GET" && !r.websocket);
        if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
            m.allowed.push_back(r.method);
        if (same && (!best || params.size() < best_params)) {
            best = &r;
            best_params = params.size();
            m.params = std::move(params);
        }
    }
    m.route = best;
    if (best) m.allowed.clear();
    return m;
}

std::string Router::describe_json() const {
    std::vector<const Route*> sorted;
    for (const auto& r : routes_) sorted.push_back(&r);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Route* a, const Route* b) {
        return a->pattern != b->pattern ? a->pattern < b->pattern : a->method < b->method;
    });
    std::string out = "{\"routes\":[";
    bool first = true;
    for (const Route* r : sorted) {
        if (!first) out += ",";
        first = false;
        out += "{\"method\":\"" + json_escape(r->method) + "\",\"path\":\"" + json_escape(r->pattern) +
               "\",\"scope\":\"" + scope_name(r->scope) +
               "\",\"websocket\":" + (r->websocket ? "true" : "false") + ",\"help\":\"" +
               json_escape(r->help) + "\"}";
    }
    return out + "]}";
}

}  // namespace weir::http
