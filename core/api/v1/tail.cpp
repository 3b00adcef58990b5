// GET /api/v1/tail: the live tail of what the store commits, as WebSocket
// messages, Server-Sent Events (Accept: text/event-stream) or NDJSON. One hub
// (core/tail) follows the store for every subscriber. The live channels of
// `websocket` outputs are served the same way, from hubs of their own, at
// /api/v1/live/{channel} and on listeners of their own. See docs/tail.md.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <weir/api/context.hpp>
#include <weir/api/topics.hpp>
#include <weir/config/model.hpp>
#include <weir/http/access.hpp>
#include <weir/http/server.hpp>
#include <weir/keys/keys.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/runtime/log.hpp>
#include <weir/store/store.hpp>
#include <weir/tail/channels.hpp>
#include <weir/tail/hub.hpp>

#include "logs_common.hpp"

namespace weir::api::v1 {
namespace {

using Message = std::pair<std::string, std::string>;  // cursor, JSON

/// Backfill asks for at most this many events.
constexpr uint64_t kMaxBackfill = 10000;
/// A reconnect replays at most this many events from the store before it
/// goes live (the rest is reported as dropped, with the cursor to resume).
constexpr uint64_t kMaxReplay = 1'000'000;
/// SSE and NDJSON streams each hold an API worker while they wait for
/// events: at most this many at once (WebSocket subscribers hold none).
constexpr int kMaxStreams = 2;

std::string error_message(const std::string& error) {
    return "{\"type\":\"error\",\"error\":\"" + http::json_escape(error) + "\"}";
}

class WsSink : public tail::Sink {
public:
    explicit WsSink(std::shared_ptr<http::WebSocket> ws) : ws_(std::move(ws)) {}
    bool open() const override { return ws_->open(); }
    size_t queued() const override { return ws_->queued(); }
    bool send(std::string m) override { return ws_->send(std::move(m)); }
    void close() override { ws_->close(); }

private:
    std::shared_ptr<http::WebSocket> ws_;
};

/// What a subscription asked for, read from the request.
struct Ask {
    Question q;
    uint64_t backfill = 0;
    std::optional<store::CommitPos> cursor;
};

/// nullopt, or the error to report (400 or an error message). Without
/// `history` (a live channel: no store behind it) there is nothing to
/// backfill or replay; a Last-Event-ID is then ignored (live from now).
std::optional<std::string> read_ask(const http::Request& req, Ask& a, const std::string& last_event_id,
                                    bool history) {
    if (auto err = read_question(req, a.q)) return err->body;
    std::optional<http::Response> error;
    const auto n = read_count(req, "backfill", 0, 0, kMaxBackfill, error);
    if (!n) return error->body;
    a.backfill = *n;
    std::string c = req.query_param("cursor");
    if (!history) {
        if (a.backfill > 0 || !c.empty())
            return bad_request("this live channel keeps no history: backfill and cursor need the store",
                               std::nullopt, a.backfill > 0 ? "backfill" : "cursor")
                .body;
        return std::nullopt;
    }
    if (c.empty()) c = last_event_id;
    if (!c.empty()) {
        a.cursor = store::CommitPos::from_cursor(c);
        if (!a.cursor)
            return bad_request("cursor is not one this tail sent (a message's \"cursor\")", std::nullopt,
                               "cursor")
                .body;
    }
    return std::nullopt;
}

/// Backfill, or the replay after a cursor, then live: the messages that come
/// from the store before the subscriber's own buffer takes over.
class CatchUp {
public:
    /// `store` null: a live channel (nothing to catch up on).
    CatchUp(std::shared_ptr<tail::Subscriber> sub, store::Store* store, Ask ask)
        : sub_(std::move(sub)), store_(store), ask_(std::move(ask)) {
        if (ask_.cursor) {
            sub_->delivered(*ask_.cursor);
            after_ = *ask_.cursor;
        } else if (ask_.backfill > 0) {
            load_backfill();
        }
    }

    bool done() const { return done_; }

    /// Appends up to `max` messages; done() once live.
    void next(std::vector<Message>& out, size_t max) {
        if (done_) return;
        if (ask_.cursor) {
            store::ReplayRequest rr;
            rr.after = after_;
            rr.condition = sub_->condition() ? &*sub_->condition() : nullptr;
            rr.tenant = sub_->tenant();
            rr.limit = max;
            const store::ReplayResult r = store_->replay(rr);
            for (size_t i = 0; i < r.events.size(); ++i) {
                out.emplace_back(r.positions[i].to_cursor(),
                                 tail::log_line(r.positions[i], r.refs[i], r.events[i]));
                sub_->delivered(r.positions[i]);
            }
            replayed_ += r.events.size();
            after_ = r.reached;
            // Going live lets the hub send at once: never in a call whose
            // messages the caller has still to send (they would come after
            // live ones). The next call, with nothing more to replay, does.
            if (!out.empty()) return;
            if (!r.more) {
                // The buffer may have lost events past what the store gave:
                // read on; give up (reported as dropped) only when it never
                // catches up.
                const bool force = ++rounds_ > 1000 || replayed_ >= kMaxReplay;
                done_ = sub_->go_live(after_, nullptr, force);
            } else if (replayed_ >= kMaxReplay) {
                done_ = sub_->go_live(after_, nullptr, true);
            }
            return;
        }
        while (next_backfill_ < backfill_.size() && out.size() < max)
            out.push_back(std::move(backfill_[next_backfill_++]));
        if (next_backfill_ < backfill_.size() || !out.empty()) return;  // as above: send these first
        done_ = sub_->go_live(store::CommitPos{}, &skip_, true);
    }

private:
    void load_backfill() {
        store::SearchRequest sr;
        sr.condition = ask_.q.condition ? &*ask_.q.condition : nullptr;
        sr.hint = ask_.q.hint;
        sr.tenant = ask_.q.tenant;
        sr.limit = ask_.backfill;
        sr.newest_first = true;
        const store::SearchResult r = store_->search(sr);
        std::map<std::pair<int64_t, uint64_t>, uint64_t> seq_of;  // (day, block) -> commit
        for (size_t k = r.events.size(); k-- > 0;) {              // oldest first
            const store::RowRef& ref = r.refs[k];
            auto key = std::pair{ref.day, ref.block};
            auto it = seq_of.find(key);
            if (it == seq_of.end()) it = seq_of.emplace(key, store_->commit_of(ref).value_or(0)).first;
            const store::CommitPos pos{it->second, ref.day, ref.block, ref.row};
            skip_.insert(pos);
            backfill_.emplace_back(pos.to_cursor(), tail::log_line(pos, ref, r.events[k]));
        }
    }

    std::shared_ptr<tail::Subscriber> sub_;
    store::Store* store_;
    Ask ask_;
    store::CommitPos after_;
    std::vector<Message> backfill_;
    size_t next_backfill_ = 0;
    std::set<store::CommitPos> skip_;
    uint64_t replayed_ = 0;
    int rounds_ = 0;
    bool done_ = false;
};

/// The hub a request subscribes to, or null with the answer to give instead.
using FindHub = std::function<std::shared_ptr<tail::Hub>(const http::Request&, http::Response& refusal)>;

/// One tail route's state: the hub(s) it serves and its open sockets.
struct TailState {
    std::mutex mu;
    std::map<const http::WebSocket*, std::weak_ptr<tail::Subscriber>> sockets;
    /// SSE and NDJSON streams open on this state's server (shared by the
    /// routes of one server: they hold its workers).
    std::shared_ptr<std::atomic<int>> streams;
    FindHub find;
};

/// The daemon's one hub following the store, made on first use.
struct StoreHub {
    Context& ctx;
    std::mutex mu;
    std::shared_ptr<tail::Hub> hub;

    explicit StoreHub(Context& c) : ctx(c) {}

    std::shared_ptr<tail::Hub> get() {
        std::lock_guard lock(mu);
        if (!hub) {
            auto s = ctx.engine.store();
            if (!s) return nullptr;
            const config::ApiConfig& a = ctx.engine.service().api;
            tail::HubOptions o;
            o.buffer_events = static_cast<size_t>(a.tail_buffer);
            o.max_subscribers = static_cast<size_t>(a.tail_max_subscribers);
            o.max_per_token = static_cast<size_t>(a.tail_max_per_token);
            o.max_events_per_second = a.tail_rate;
            o.heartbeat = std::chrono::milliseconds(a.tail_heartbeat_ns / 1'000'000);
            hub = std::make_shared<tail::Hub>(std::move(s), o);
        }
        return hub;
    }
    std::shared_ptr<tail::Hub> current() {
        std::lock_guard lock(mu);
        return hub;
    }
};

/// A channel's hub while a `websocket` output feeds it.
std::shared_ptr<tail::Hub> channel_hub(const std::string& name, http::Response& refusal) {
    bool known = false;
    auto hub = tail::find_channel(name, &known);
    if (!hub)
        refusal = http::Response::error(
            404, known ? "no websocket output feeds live channel '" + name + "' now"
                       : "no live channel '" + name + "' (a websocket output's channel option)");
    return hub;
}

void ws_open(TailState& st, const std::shared_ptr<http::WebSocket>& ws, const http::Request& req) {
    auto fail = [&](const std::string& body_or_message, bool is_body) {
        ws->send(is_body ? "{\"type\":\"error\"," + body_or_message.substr(1)
                         : error_message(body_or_message));
        ws->close();
    };
    http::Response refusal_answer;
    auto hub = st.find(req, refusal_answer);
    if (!hub) return fail(refusal_answer.body, true);
    Ask ask;
    if (auto err = read_ask(req, ask, {}, hub->store() != nullptr)) return fail(*err, true);
    std::string refusal;
    auto sub = hub->subscribe(std::move(ask.q.condition), ask.q.tenant, req.token_id,
                              std::make_shared<WsSink>(ws), refusal);
    if (!sub) return fail(refusal, false);
    ask.q.condition = sub->condition();
    {
        std::lock_guard lock(st.mu);
        for (auto it = st.sockets.begin(); it != st.sockets.end();)
            it = it->second.expired() ? st.sockets.erase(it) : std::next(it);
        st.sockets[ws.get()] = sub;
    }
    CatchUp cu(sub, hub->store(), std::move(ask));
    const size_t room = hub->options().transport_queue;
    std::vector<Message> batch;
    while (!cu.done()) {
        batch.clear();
        cu.next(batch, 256);
        for (auto& [cursor, line] : batch) {
            // Never more queued than the transport allows (the server closes
            // a connection whose queue overflows): wait for the peer to read.
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (ws->open() && ws->queued() >= room && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            if (!ws->open() || !ws->send(std::move(line))) {
                sub->close();
                return;
            }
        }
    }
}

void ws_message(TailState& st, const std::shared_ptr<http::WebSocket>& ws, const std::string& m) {
    std::shared_ptr<tail::Subscriber> sub;
    {
        std::lock_guard lock(st.mu);
        auto it = st.sockets.find(ws.get());
        if (it != st.sockets.end()) sub = it->second.lock();
    }
    if (!sub) return;
    // {"type":"pause"} or {"type":"resume"}
    auto has = [&](std::string_view v) {
        const size_t t = m.find("\"type\"");
        return t != std::string::npos && m.find("\"" + std::string(v) + "\"", t + 6) != std::string::npos;
    };
    if (has("pause")) {
        sub->pause();
    } else if (has("resume")) {
        sub->resume();
    } else {
        ws->send(error_message("unknown message: send {\"type\":\"pause\"} or {\"type\":\"resume\"}"));
    }
}

/// SSE or NDJSON: the catch-up, then what the subscriber's buffer gives,
/// one chunk per call.
void stream(const std::shared_ptr<TailState>& state, const http::Request& req, http::Respond respond) {
    TailState& st = *state;
    const bool sse = req.header("Accept").find("text/event-stream") != std::string::npos;
    http::Response refusal_answer;
    auto hub = st.find(req, refusal_answer);
    if (!hub) return respond(std::move(refusal_answer));
    Ask ask;
    if (auto err =
            read_ask(req, ask, sse ? req.header("Last-Event-ID") : std::string(), hub->store() != nullptr))
        return respond(http::Response::json(400, *err));
    if (st.streams->fetch_add(1) >= kMaxStreams) {
        st.streams->fetch_sub(1);
        auto r = http::Response::error(
            503, "too many SSE/NDJSON tail streams (" + std::to_string(kMaxStreams) + "); use the WebSocket");
        r.headers.emplace_back("Retry-After", "5");
        return respond(std::move(r));
    }
    std::string refusal;
    auto sub = hub->subscribe(std::move(ask.q.condition), ask.q.tenant, req.token_id, nullptr, refusal);
    if (!sub) {
        st.streams->fetch_sub(1);
        return respond(http::Response::error(429, refusal));
    }
    ask.q.condition = sub->condition();
    struct Live {
        std::shared_ptr<tail::Subscriber> sub;
        CatchUp cu;
        std::shared_ptr<tail::Hub> hub;  // alive as long as the stream
        std::shared_ptr<std::atomic<int>> streams;
        bool sse;
        std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
        Live(std::shared_ptr<tail::Subscriber> s, std::shared_ptr<tail::Hub> h, Ask a,
             std::shared_ptr<std::atomic<int>> n, bool e)
            : sub(s),
              cu(std::move(s), h->store(), std::move(a)),
              hub(std::move(h)),
              streams(std::move(n)),
              sse(e) {}
        ~Live() {
            sub->close();
            streams->fetch_sub(1);
        }
    };
    auto live = std::make_shared<Live>(sub, hub, std::move(ask), st.streams, sse);
    http::Response r;
    r.content_type = sse ? "text/event-stream" : "application/x-ndjson";
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("X-Accel-Buffering", "no");
    r.stream = [live](std::string& chunk) {
        std::vector<Message> msgs;
        if (!live->cu.done()) {
            live->cu.next(msgs, 256);
        } else if (!live->sub->pull(msgs, 256, std::chrono::milliseconds(250))) {
            return false;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!msgs.empty()) {
            live->last_write = now;
        } else if (live->sse && now - live->last_write >= std::chrono::seconds(1)) {
            // An SSE comment: keeps proxies from timing out, and finds a
            // client that went away within a second.
            live->last_write = now;
            chunk += ":\n\n";
        }
        for (const auto& [cursor, json] : msgs) {
            if (live->sse) {
                chunk += "id: " + cursor + "\ndata: " + json + "\n\n";
            } else {
                chunk += json;
                chunk += '\n';
            }
        }
        return true;
    };
    respond(std::move(r));
}

/// Adds the tail's WebSocket route (and its plain GET stream) at `pattern`.
void add_route(http::Router& r, const std::string& pattern, std::string help, std::shared_ptr<TailState> st) {
    http::WebSocketRoute ws;
    ws.on_open = [st](const std::shared_ptr<http::WebSocket>& w, const http::Request& req) {
        ws_open(*st, w, req);
    };
    ws.on_message = [st](const std::shared_ptr<http::WebSocket>& w, const std::string& m) {
        ws_message(*st, w, m);
    };
    auto& route = r.websocket(pattern, std::move(help), http::Scope::Read, std::move(ws));
    route.handler = [st](const http::Request& req, http::Respond respond) {
        stream(st, req, std::move(respond));
    };
}

/// A live channel's own listener: the channel at / and at its API path,
/// with the API's tokens and the same exposure rule as the API server.
std::shared_ptr<void> start_listener(Context& ctx, const tail::ChannelSettings& s,
                                     std::shared_ptr<tail::Hub> hub) {
    const config::ApiConfig& a = ctx.engine.service().api;
    http::ServerOptions o;
    o.listen = s.listen;
    o.workers = 2;
    o.max_body_bytes = 64 << 10;
    o.cors_origins = a.cors_origins;
    o.tls_cert_file = s.tls_cert_file;
    o.tls_key_file = s.tls_key_file;
    o.tokens = ctx.tokens ? ctx.tokens->store : nullptr;
    o.reuse_port = true;  // a reload with new TLS files binds beside the old copy
    const http::Exposure exposure =
        http::api_exposure(o.listen, o.tokens != nullptr, a.allow_unauthenticated);
    if (!exposure.refusal.empty())
        throw std::runtime_error("live channel '" + s.name + "': " + exposure.refusal);
    auto st = std::make_shared<TailState>();
    st->streams = std::make_shared<std::atomic<int>>(0);
    std::weak_ptr<tail::Hub> weak = hub;
    st->find = [weak](const http::Request&, http::Response& refusal) {
        auto h = weak.lock();
        if (!h) refusal = http::Response::error(503, "the live channel is closing");
        return h;
    };
    auto router = std::make_shared<http::Router>();
    const std::string help =
        "Live channel '" + s.name + "' (a websocket output): q filters; pause/resume messages.";
    add_route(*router, "/", help, st);
    add_route(*router, "/api/v1/live/" + s.name, help, st);
    auto server = std::make_shared<http::Server>(o, router);
    server->start();  // throws "cannot listen on ..."
    if (!exposure.warning.empty())
        runtime::Log::warn("api", "live channel '" + s.name + "': " + exposure.warning);
    runtime::Log::info("api", "live channel '" + s.name + "' listening on " +
                                  (server->tls() ? "wss://" : "ws://") + server->address());
    return std::shared_ptr<void>(server.get(), [server](void*) { server->stop(); });
}

}  // namespace

void register_tail(http::Router& r, Context& ctx) {
    auto hub = std::make_shared<StoreHub>(ctx);
    // Follow the store from the start: a listener added while a commit is
    // being written would not be called for that commit, and the first
    // subscriber could then miss it.
    hub->get();
    auto streams = std::make_shared<std::atomic<int>>(0);
    auto st = std::make_shared<TailState>();
    st->streams = streams;
    st->find = [hub](const http::Request&, http::Response& refusal) {
        auto h = hub->get();
        if (!h) refusal = no_store();
        return h;
    };
    add_route(r, "/api/v1/tail",
              "Live tail of committed events matching q (WebSocket; SSE with Accept: "
              "text/event-stream; NDJSON otherwise); backfill=N, cursor=, pause/resume messages.",
              st);
    auto channels = std::make_shared<TailState>();
    channels->streams = streams;
    channels->find = [](const http::Request& req, http::Response& refusal) {
        auto it = req.params.find("channel");
        return channel_hub(it == req.params.end() ? std::string() : it->second, refusal);
    };
    add_route(
        r, "/api/v1/live/{channel}",
        "Live events of a websocket output's channel, matching q (WebSocket, SSE or NDJSON as the tail); "
        "best effort, no history.",
        channels);
    tail::set_listener_factory([&ctx](const tail::ChannelSettings& s, std::shared_ptr<tail::Hub> h) {
        return start_listener(ctx, s, std::move(h));
    });
    // The tail's counters go out with the server's own on /metrics.
    auto server_metrics = ctx.server_metrics;
    ctx.server_metrics = [hub, server_metrics] {
        std::string out = server_metrics ? server_metrics() : std::string();
        std::vector<std::pair<std::string, const tail::Hub*>> hubs;
        const auto main = hub->current();
        if (main) hubs.emplace_back("", main.get());
        const auto chans = tail::channels();
        for (const auto& [name, h] : chans)
            hubs.emplace_back("channel=\"" + name + "\"", h.get());  // names are [A-Za-z0-9_.-]
        if (!hubs.empty()) {
            out += tail::metrics_text(hubs);
        } else {
            out +=
                "# HELP weir_tail_subscribers Live tail subscribers connected.\n"
                "# TYPE weir_tail_subscribers gauge\nweir_tail_subscribers 0\n";
        }
        return out;
    };
}

}  // namespace weir::api::v1
