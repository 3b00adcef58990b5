// GET /api/v1/stats/live: the live counters of core/live_stats, one message a
// second over WebSocket; GET /api/v1/stats/current answers the same as JSON
// once, or as Server-Sent Events with `Accept: text/event-stream`. The
// counters are fed by the store's commit listener (the write path) and a
// ticker that samples the engine's input counters each second.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <weir/api/topics.hpp>
#include <weir/config/model.hpp>
#include <weir/live_stats/live_stats.hpp>
#include <weir/metrics/registry.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/store/store.hpp>

#include "logs_common.hpp"

namespace weir::api::v1 {
namespace {

/// Open SSE streams at most: half the API workers, as each stream holds a
/// worker while it waits (up to kSseWait) for the next second.
int max_sse_streams(int64_t workers) { return static_cast<int>(std::max<int64_t>(1, workers / 2)); }
constexpr auto kSseWait = std::chrono::milliseconds(1500);

int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Events into every pipeline since the previous call: what the inputs passed
/// on (an input's events_out; its events_in stays 0). Instances come and go
/// with reloads, so each is followed by its own last value.
class IngestSampler {
public:
    explicit IngestSampler(metrics::Registry& reg) : reg_(reg) {}
    uint64_t operator()() {
        std::map<const metrics::InstanceMetrics*, Seen> next;
        uint64_t delta = 0;
        for (auto& m : reg_.instances()) {
            if (m->kind != "input") continue;
            const uint64_t now = m->events_out.load(std::memory_order_relaxed);
            auto it = seen_.find(m.get());
            const uint64_t before = (it != seen_.end() && it->second.keep == m) ? it->second.last : 0;
            if (now > before) delta += now - before;
            next[m.get()] = Seen{m, now};
        }
        seen_ = std::move(next);
        return delta;
    }

private:
    struct Seen {
        std::shared_ptr<metrics::InstanceMetrics> keep;  // keeps the address from being reused
        uint64_t last = 0;
    };
    metrics::Registry& reg_;
    std::map<const metrics::InstanceMetrics*, Seen> seen_;
};

struct Shared {
    std::shared_ptr<live_stats::LiveStats> stats;
    std::atomic<int> sse_open{0};
    int max_sse = 1;
    std::mutex ws_mu;
    struct WsState {
        std::string tenant;
        int64_t last = 0;
    };
    std::map<std::weak_ptr<http::WebSocket>, WsState, std::owner_less<>> ws;
};

/// `window` (0..60, default 0): how many past seconds to send first.
std::optional<size_t> read_window(const http::Request& req, std::optional<http::Response>& error) {
    const auto n = read_count(req, "window", 0, 0, live_stats::LiveStats::kKeepSeconds, error);
    if (!n) return std::nullopt;
    return static_cast<size_t>(*n);
}

/// The answer of a plain GET: the newest closed second (or the series).
http::Response once(Shared& sh, const http::Request& req, size_t window) {
    if (window > 0) return http::Response::json(200, sh.stats->series_json(window, req.tenant));
    const auto latest = sh.stats->latest();
    if (!latest && !sh.stats->wait_after(std::numeric_limits<int64_t>::min(), kSseWait))
        return http::Response::error(503, "the first second of live counters is not closed yet");
    const auto sec = sh.stats->latest();
    auto body = sh.stats->stats_json(*sec, req.tenant);
    return http::Response::json(200, body ? *body : "{}");
}

/// Server-Sent Events: `data: <json>\n\n` per closed second.
http::Response sse(const std::shared_ptr<Shared>& sh, const http::Request& req, size_t window) {
    if (sh->sse_open.fetch_add(1) >= sh->max_sse) {
        sh->sse_open.fetch_sub(1);
        auto r =
            http::Response::error(503, "too many live counter streams (" + std::to_string(sh->max_sse) +
                                           "); use the WebSocket form of /api/v1/stats/live or retry later");
        r.headers.emplace_back("Retry-After", "5");
        return r;
    }
    struct Stream {
        std::shared_ptr<Shared> sh;
        std::string tenant;
        size_t window = 0;
        bool started = false;
        int64_t last = 0;
        ~Stream() { sh->sse_open.fetch_sub(1); }
    };
    auto st = std::make_shared<Stream>();
    st->sh = sh;
    st->tenant = req.tenant;
    st->window = window;
    http::Response r;
    r.content_type = "text/event-stream";
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("X-Accel-Buffering", "no");
    r.stream = [st](std::string& chunk) {
        auto& stats = *st->sh->stats;
        if (!st->started) {
            st->started = true;
            const auto latest = stats.latest();
            st->last = latest ? *latest : std::numeric_limits<int64_t>::min();
            if (st->window > 0) {
                chunk = "data: " + stats.series_json(st->window, st->tenant) + "\n\n";
            } else if (latest) {
                if (auto one = stats.stats_json(*latest, st->tenant)) chunk = "data: " + *one + "\n\n";
            }
            if (!chunk.empty()) return true;
        }
        stats.wait_after(st->last, kSseWait);
        const auto latest = stats.latest();
        for (auto& s : stats.since(st->last, st->tenant)) chunk += "data: " + s + "\n\n";
        if (latest) st->last = *latest;
        if (chunk.empty()) chunk = ": waiting\n\n";  // also finds a client that went away
        return true;
    };
    return r;
}

http::Response current(const std::shared_ptr<Shared>& sh, const http::Request& req) {
    std::optional<http::Response> error;
    const auto window = read_window(req, error);
    if (!window) return *error;
    if (req.header("Accept").find("text/event-stream") != std::string::npos) return sse(sh, req, *window);
    return once(*sh, req, *window);
}

void ws_send_new(Shared& sh, const std::shared_ptr<http::WebSocket>& c) {
    Shared::WsState st;
    {
        std::lock_guard<std::mutex> lk(sh.ws_mu);
        auto it = sh.ws.find(c);
        if (it == sh.ws.end()) return;
        st = it->second;
    }
    const auto latest = sh.stats->latest();
    if (!latest || *latest <= st.last) return;
    for (auto& s : sh.stats->since(st.last, st.tenant)) c->send(std::move(s));
    std::lock_guard<std::mutex> lk(sh.ws_mu);
    auto it = sh.ws.find(c);
    if (it != sh.ws.end()) it->second.last = *latest;
}

}  // namespace

void register_stats_live(http::Router& r, Context& ctx) {
    live_stats::Options o;
    o.numeric_fields = ctx.engine.service().store.rollup_numeric_fields;
    auto sh = std::make_shared<Shared>();
    sh->max_sse = max_sse_streams(ctx.engine.service().api.workers);
    sh->stats = std::make_shared<live_stats::LiveStats>(o);
    if (auto store = ctx.engine.store()) {
        std::weak_ptr<live_stats::LiveStats> w = sh->stats;
        store->add_commit_listener([w](const store::CommitView& v) {
            if (auto s = w.lock()) s->record(*v.events, *v.rows, wall_ns());
        });
    }
    sh->stats->start(
        [sampler = std::make_shared<IngestSampler>(ctx.engine.metrics())] { return (*sampler)(); });

    auto handler = [sh](const http::Request& req, http::Respond respond) { respond(current(sh, req)); };

    http::WebSocketRoute ws;
    ws.on_open = [sh](const std::shared_ptr<http::WebSocket>& c, const http::Request& req) {
        std::optional<http::Response> error;
        const auto window = read_window(req, error);
        if (!window) {
            c->send(error->body);
            c->close();
            return;
        }
        const auto latest = sh->stats->latest();
        Shared::WsState st{req.tenant, latest ? *latest : std::numeric_limits<int64_t>::min()};
        {
            std::lock_guard<std::mutex> lk(sh->ws_mu);
            for (auto it = sh->ws.begin(); it != sh->ws.end();)
                it = it->first.expired() ? sh->ws.erase(it) : std::next(it);
            sh->ws[c] = st;
        }
        if (*window > 0)
            c->send(sh->stats->series_json(*window, req.tenant));
        else if (latest)
            if (auto one = sh->stats->stats_json(*latest, req.tenant)) c->send(std::move(*one));
    };
    ws.tick = std::chrono::milliseconds(250);
    ws.on_tick = [sh](const std::shared_ptr<http::WebSocket>& c) { ws_send_new(*sh, c); };

    // The WebSocket route carries the plain handler too, for servers that hand
    // it requests without an upgrade.
    http::Route live{"GET",
                     "/api/v1/stats/live",
                     "WebSocket: live counters, one message a second (?window=N sends the last N seconds "
                     "first).",
                     http::Scope::Read,
                     false,
                     false,
                     handler,
                     std::move(ws)};
    r.add(std::move(live));
    r.add_async("GET", "/api/v1/stats/current",
                "Live counters of the last closed second as JSON (?window=N: the last N seconds), or every "
                "second as Server-Sent Events with Accept: text/event-stream.",
                http::Scope::Read, handler);
}

}  // namespace weir::api::v1
