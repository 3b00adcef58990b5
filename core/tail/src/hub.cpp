#include <weir/event/batch.hpp>
#include <weir/event/codec.hpp>
#include <weir/event/time_format.hpp>
#include <weir/tail/hub.hpp>

namespace weir::tail {
namespace {

using Clock = std::chrono::steady_clock;

bool tenant_ok(const event::Batch& b, size_t i, const std::string& tenant) {
    if (tenant.empty()) return true;
    weir_value v;
    return b.get(b.event(i).root, "tenant", &v) && v.type == WEIR_VAL_STRING &&
           std::string_view(v.as.s.data, v.as.s.size) == tenant;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::string log_line(const store::CommitPos& pos, const store::RowRef& ref, std::string_view event_json) {
    std::string out = "{\"type\":\"log\",\"cursor\":\"" + pos.to_cursor() + "\",\"id\":\"" + ref.to_cursor() +
                      "\",\"data\":";
    out.append(event_json);
    out += '}';
    return out;
}

// ------------------------------------------------------------------ Subscriber

Subscriber::Subscriber(Hub& hub, HubOptions options, std::optional<condition::Condition> condition,
                       std::string tenant, std::string token, std::shared_ptr<Sink> sink,
                       store::CommitPos start)
    : hub_(hub),
      opts_(std::move(options)),
      condition_(std::move(condition)),
      tenant_(std::move(tenant)),
      token_(std::move(token)),
      sink_(std::move(sink)),
      delivered_(start),
      seen_(start),
      last_sent_(Clock::now()),
      tokens_(opts_.max_events_per_second),
      tokens_at_(Clock::now()) {}

Subscriber::~Subscriber() = default;

bool Subscriber::go_live(const store::CommitPos& upto, const std::set<store::CommitPos>* skip, bool force) {
    std::lock_guard lock(mu_);
    if (live_) return true;
    if (dropped_newest_ && *dropped_newest_ > upto && !force) {
        // The buffer lost events the store read did not reach: read further.
        dropped_newest_.reset();
        dropped_pending_ = 0;
        return false;
    }
    if (dropped_newest_ && *dropped_newest_ > upto) hub_.dropped_buffer.fetch_add(dropped_pending_);
    if (!dropped_newest_ || *dropped_newest_ <= upto) dropped_pending_ = 0;
    dropped_newest_.reset();
    std::deque<std::shared_ptr<const Rendered>> keep;
    for (auto& e : ring_)
        if (e->pos > upto && !(skip && skip->count(e->pos))) keep.push_back(std::move(e));
    ring_.swap(keep);
    delivered_ = std::max(delivered_, upto);
    live_ = true;
    live_notice_ = true;
    cv_.notify_all();
    return true;
}

store::CommitPos Subscriber::cursor() const {
    std::lock_guard lock(mu_);
    return cursor_locked();
}

store::CommitPos Subscriber::cursor_locked() const {
    if (live_ && ring_.empty() && dropped_pending_ == 0) return std::max(delivered_, seen_);
    return delivered_;
}

void Subscriber::delivered(const store::CommitPos& pos) {
    std::lock_guard lock(mu_);
    delivered_ = pos;
}

void Subscriber::pause() {
    std::lock_guard lock(mu_);
    paused_ = true;
}

void Subscriber::resume() {
    std::lock_guard lock(mu_);
    paused_ = false;
    cv_.notify_all();
}

bool Subscriber::paused() const {
    std::lock_guard lock(mu_);
    return paused_;
}

void Subscriber::close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    ring_.clear();
    cv_.notify_all();
}

bool Subscriber::closed() const {
    std::lock_guard lock(mu_);
    return closed_;
}

void Subscriber::offer(const std::shared_ptr<const Rendered>& ev) {
    std::lock_guard lock(mu_);
    if (closed_) return;
    // A big commit: hand what the transport takes before the buffer fills.
    if (sink_ && live_ && !paused_ && ring_.size() >= opts_.buffer_events / 2) push_locked(Clock::now());
    ring_.push_back(ev);
    if (ring_.size() > opts_.buffer_events) {
        const auto lost = ring_.front()->pos;
        ring_.pop_front();
        ++dropped_pending_;
        if (!live_) {
            dropped_newest_ = dropped_newest_ ? std::max(*dropped_newest_, lost) : lost;
        } else if (paused_) {
            hub_.dropped_paused.fetch_add(1);
        } else if (opts_.max_events_per_second > 0 && tokens_ < 1) {
            hub_.dropped_rate.fetch_add(1);
        } else {
            hub_.dropped_buffer.fetch_add(1);
        }
    }
    if (!sink_) cv_.notify_all();
}

void Subscriber::seen_commit(uint64_t seq) {
    std::lock_guard lock(mu_);
    seen_ = std::max(seen_, store::CommitPos::end_of(seq));
}

void Subscriber::lost(uint64_t events) {
    std::lock_guard lock(mu_);
    if (closed_) return;
    dropped_pending_ += events;
    if (!live_) dropped_newest_ = store::CommitPos::end_of(std::numeric_limits<uint64_t>::max());
}

bool Subscriber::rate_ok_locked(Clock::time_point now) {
    const double rate = opts_.max_events_per_second;
    if (rate <= 0) return true;
    const double dt = std::chrono::duration<double>(now - tokens_at_).count();
    tokens_ = std::min(rate, tokens_ + dt * rate);
    tokens_at_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
}

std::optional<std::pair<std::string, std::string>> Subscriber::next_locked(Clock::time_point now) {
    if (closed_ || !live_) return std::nullopt;
    if (now - last_sent_ >= opts_.heartbeat) {
        last_sent_ = now;
        const std::string c = cursor_locked().to_cursor();
        return std::pair{c, "{\"type\":\"heartbeat\",\"cursor\":\"" + c + "\",\"time\":\"" +
                                event::format_rfc3339_ns(event::now_ns()) +
                                "\",\"paused\":" + (paused_ ? "true" : "false") +
                                ",\"buffered\":" + std::to_string(ring_.size()) + "}"};
    }
    if (live_notice_) {
        live_notice_ = false;
        const std::string c = cursor_locked().to_cursor();
        return std::pair{c, "{\"type\":\"live\",\"cursor\":\"" + c + "\"}"};
    }
    if (paused_) return std::nullopt;
    if (dropped_pending_ > 0) {
        const std::string c = delivered_.to_cursor();
        std::string m = "{\"type\":\"dropped\",\"count\":" + std::to_string(dropped_pending_) +
                        ",\"resume\":" + quoted(c) + "}";
        dropped_pending_ = 0;
        return std::pair{c, std::move(m)};
    }
    if (ring_.empty() || !rate_ok_locked(now)) return std::nullopt;
    auto e = std::move(ring_.front());
    ring_.pop_front();
    delivered_ = std::max(delivered_, e->pos);
    hub_.sent.fetch_add(1);
    return std::pair{e->pos.to_cursor(), e->line};
}

void Subscriber::pump(Clock::time_point now) {
    if (!sink_) {
        std::lock_guard lock(mu_);
        if (!ring_.empty() || now - last_sent_ >= opts_.heartbeat) cv_.notify_all();
        return;
    }
    std::lock_guard lock(mu_);
    push_locked(now);
}

void Subscriber::push_locked(Clock::time_point now) {
    if (closed_) return;
    if (!sink_->open()) {
        closed_ = true;
        ring_.clear();
        return;
    }
    while (sink_->queued() < opts_.transport_queue) {
        auto m = next_locked(now);
        if (!m) break;
        if (!sink_->send(std::move(m->second))) {
            closed_ = true;
            ring_.clear();
            return;
        }
    }
}

bool Subscriber::pull(std::vector<std::pair<std::string, std::string>>& out, size_t max,
                      std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    const auto deadline = Clock::now() + wait;
    for (;;) {
        if (closed_) return false;
        const auto now = Clock::now();
        while (out.size() < max) {
            auto m = next_locked(now);
            if (!m) break;
            out.push_back(std::move(*m));
        }
        if (!out.empty() || now >= deadline) return true;
        cv_.wait_until(lock, std::min(deadline, last_sent_ + opts_.heartbeat));
    }
}

// ------------------------------------------------------------------------ Hub

Hub::Hub(std::shared_ptr<store::Store> store, HubOptions options)
    : opts_(std::move(options)), store_(std::move(store)), max_queued_(opts_.max_queued_events) {
    if (opts_.buffer_events == 0) opts_.buffer_events = 1;
    if (opts_.transport_queue == 0) opts_.transport_queue = 1;
    if (opts_.heartbeat.count() <= 0) opts_.heartbeat = std::chrono::milliseconds(5000);
    thread_ = std::thread([this] { loop(); });
    if (store_) {
        last_seq_.store(store_->last_commit_seq());
        listener_ = store_->add_commit_listener([this](const store::CommitView& v) {
            last_seq_.store(v.seq);
            if (active_.load() == 0) return;
            Commit c;
            c.seq = v.seq;
            c.events = v.rows->size();
            {
                std::lock_guard lock(q_mu_);
                if (queued_events_ + c.events > max_queued_) {
                    lost_events_ += c.events;
                    dropped_hub.fetch_add(c.events);
                    return;
                }
            }
            event::encode_batch(*v.events, c.encoded);
            c.rows = *v.rows;
            c.refs = *v.refs;
            enqueue(std::move(c));
        });
    }
}

Hub::~Hub() {
    if (store_ && listener_) store_->remove_commit_listener(listener_);
    {
        std::lock_guard lock(q_mu_);
        stopping_ = true;
    }
    q_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    for (auto& s : subscribers_) s->close();
}

std::shared_ptr<Subscriber> Hub::subscribe(std::optional<condition::Condition> condition, std::string tenant,
                                           std::string token, std::shared_ptr<Sink> sink,
                                           std::string& refusal) {
    std::lock_guard lock(mu_);
    size_t mine = 0, open = 0;
    for (const auto& s : subscribers_) {
        if (s->closed()) continue;
        ++open;
        if (!token.empty() && s->token_ == token) ++mine;
    }
    if (open >= opts_.max_subscribers) {
        refused.fetch_add(1);
        refusal = "too many tail subscribers (" + std::to_string(opts_.max_subscribers) + " in all)";
        return nullptr;
    }
    if (opts_.max_per_token && !token.empty() && mine >= opts_.max_per_token) {
        refused.fetch_add(1);
        refusal = "too many tail subscribers for this token (" + std::to_string(opts_.max_per_token) + ")";
        return nullptr;
    }
    active_.fetch_add(1);
    const auto start = store::CommitPos::end_of(last_seq_.load());
    auto sub = std::make_shared<Subscriber>(*this, opts_, std::move(condition), std::move(tenant),
                                            std::move(token), std::move(sink), start);
    subscribers_.push_back(sub);
    return sub;
}

void Hub::publish(const event::Batch& batch) {
    size_t n = 0;
    for (size_t i = 0; i < batch.size(); ++i)
        if (!(batch.event(i).flags & WEIR_EVENT_DROPPED)) ++n;
    if (n == 0) return;
    Commit c;
    {
        std::lock_guard lock(q_mu_);
        c.seq = ++published_seq_;
        last_seq_.store(c.seq);
        if (active_.load() == 0) return;
        if (queued_events_ + n > max_queued_) {
            lost_events_ += n;
            dropped_hub.fetch_add(n);
            return;
        }
    }
    c.events = n;
    event::encode_batch(batch, c.encoded);
    for (size_t i = 0; i < batch.size(); ++i) {
        if (batch.event(i).flags & WEIR_EVENT_DROPPED) continue;
        const auto row = static_cast<uint32_t>(i);
        c.rows.push_back(row);
        c.refs.push_back(store::RowRef{batch.event(i).time_ns, 0, c.seq, row});
    }
    enqueue(std::move(c));
}

void Hub::enqueue(Commit c) {
    {
        std::lock_guard lock(q_mu_);
        queued_events_ += c.events;
        queue_.push_back(std::move(c));
    }
    q_cv_.notify_one();
}

HubOptions Hub::options() const {
    std::lock_guard lock(mu_);
    return opts_;
}

void Hub::reconfigure(const HubOptions& options) {
    std::lock_guard lock(mu_);
    opts_ = options;
    opts_.max_queued_events = max_queued_;
    if (opts_.buffer_events == 0) opts_.buffer_events = 1;
    if (opts_.transport_queue == 0) opts_.transport_queue = 1;
    if (opts_.heartbeat.count() <= 0) opts_.heartbeat = std::chrono::milliseconds(5000);
}

size_t Hub::subscribers() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& s : subscribers_)
        if (!s->closed()) ++n;
    return n;
}

void Hub::loop() {
    std::vector<std::shared_ptr<Subscriber>> subs;
    for (;;) {
        std::deque<Commit> work;
        uint64_t lost = 0;
        {
            std::unique_lock lock(q_mu_);
            q_cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            work.swap(queue_);
            queued_events_ = 0;
            lost = lost_events_;
            lost_events_ = 0;
        }
        {
            std::lock_guard lock(mu_);
            // Forget closed subscribers (their connection went away).
            size_t kept = 0;
            for (auto& s : subscribers_) {
                if (s->closed()) {
                    active_.fetch_sub(1);
                    continue;
                }
                subscribers_[kept++] = std::move(s);
            }
            subscribers_.resize(kept);
            subs = subscribers_;
        }
        if (lost)
            for (auto& s : subs) s->lost(lost);
        for (const auto& c : work) process(c, subs);
        const auto now = Clock::now();
        for (auto& s : subs) s->pump(now);
        subs.clear();
    }
}

void Hub::process(const Commit& c, const std::vector<std::shared_ptr<Subscriber>>& subs) {
    event::Batch b;
    if (!event::decode_batch(c.encoded, b)) return;
    for (size_t k = 0; k < c.rows.size(); ++k) {
        const uint32_t i = c.rows[k];
        if (i >= b.size()) continue;
        const store::RowRef& ref = c.refs[k];
        std::shared_ptr<Rendered> r;
        for (const auto& s : subs) {
            if (!tenant_ok(b, i, s->tenant())) continue;
            if (s->condition() && !s->condition()->matches(b, i)) continue;
            if (!r) {
                r = std::make_shared<Rendered>();
                r->pos = store::CommitPos{c.seq, ref.day, ref.block, ref.row};
                r->ref = ref;
                r->line = log_line(r->pos, ref, b.to_json(i));
            }
            s->offer(r);
        }
    }
    for (const auto& s : subs) s->seen_commit(c.seq);
}

std::string Hub::metrics_text(const std::string& labels) const {
    return tail::metrics_text({{labels, this}});
}

std::string metrics_text(const std::vector<std::pair<std::string, const Hub*>>& hubs) {
    std::string out;
    auto family = [&](const char* name, const char* type, const char* help, auto&& samples) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
        for (const auto& [labels, hub] : hubs) samples(labels, *hub);
    };
    auto braces = [](const std::string& labels) { return labels.empty() ? labels : "{" + labels + "}"; };
    family("weir_tail_subscribers", "gauge", "Live tail subscribers connected.",
           [&](const std::string& l, const Hub& h) {
               out += "weir_tail_subscribers" + braces(l) + " " + std::to_string(h.subscribers()) + "\n";
           });
    family("weir_tail_events_sent_total", "counter", "Events sent to tail subscribers.",
           [&](const std::string& l, const Hub& h) {
               out += "weir_tail_events_sent_total" + braces(l) + " " + std::to_string(h.sent.load()) + "\n";
           });
    family("weir_tail_dropped_total", "counter",
           "Events a tail subscriber did not get (each reported to it).",
           [&](const std::string& l, const Hub& h) {
               const std::string lc = l.empty() ? l : "," + l;
               for (const auto& [reason, n] :
                    {std::pair{"slow_client", &h.dropped_buffer}, std::pair{"paused", &h.dropped_paused},
                     std::pair{"rate_limit", &h.dropped_rate}, std::pair{"hub_behind", &h.dropped_hub}})
                   out += "weir_tail_dropped_total{reason=\"" + std::string(reason) + "\"" + lc + "} " +
                          std::to_string(n->load()) + "\n";
           });
    family("weir_tail_refused_total", "counter", "Tail subscriptions refused by a limit.",
           [&](const std::string& l, const Hub& h) {
               out += "weir_tail_refused_total" + braces(l) + " " + std::to_string(h.refused.load()) + "\n";
           });
    return out;
}

}  // namespace weir::tail
