// Alert evaluation: each group on its interval, each rule one aggregate over
// its window; state changes logged, kept in a history and sent to webhooks by
// a delivery thread that retries with exponential backoff.
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <weir/alerts/manager.hpp>
#include <weir/condition/condition.hpp>
#include <weir/event/time_format.hpp>
#include <weir/http/client.hpp>
#include <weir/json_string.hpp>
#include <weir/store/store.hpp>

namespace weir::alerts {
namespace {

std::string quoted(std::string_view s) {
    std::string out;
    json::append_string(out, s);
    return out;
}

std::string number(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return "null";
    char buf[64];
    if (*v == std::floor(*v) && std::fabs(*v) < 1e15)
        std::snprintf(buf, sizeof buf, "%.0f", *v);
    else
        std::snprintf(buf, sizeof buf, "%.6g", *v);
    return buf;
}

std::string time_or_null(int64_t ns) { return ns ? quoted(event::format_rfc3339_ns(ns)) : "null"; }

std::string percent_encode(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::string labels_json(const std::map<std::string, std::string>& labels) {
    std::string out = "{";
    for (const auto& [k, v] : labels) out += (out.size() > 1 ? "," : "") + quoted(k) + ":" + quoted(v);
    return out + "}";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

enum class State { Inactive, Pending, Firing };
const char* state_name(State s) {
    return s == State::Inactive ? "inactive" : s == State::Pending ? "pending" : "firing";
}

struct RuleState {
    Rule rule;
    std::optional<condition::Condition> condition;
    State state = State::Inactive;
    std::optional<double> value;
    int64_t active_since_ns = 0, last_eval_ns = 0, last_sent_ns = 0;
    std::string last_error;
    uint64_t evaluations = 0;
};

struct GroupState {
    RuleGroup def;
    std::vector<RuleState> rules;
    int64_t next_due_ns = 0;
};

struct HistoryEntry {
    int64_t at_ns;
    std::string group, rule, from, to;
    std::optional<double> value;
};

struct Delivery {
    Webhook hook;
    std::string body, what;
    int attempt = 0;
    int64_t due_ns = 0;
    /// One rule's notifications to one webhook go out in the order they
    /// were made: a "resolved" never overtakes a "firing" still in backoff
    /// (the receiver would be left showing the older state).
    std::string key;
    uint64_t seq = 0;
};

}  // namespace

std::string webhook_body(const Webhook& w, const Notification& n) {
    if (w.format == "slack") {
        std::string labels;
        for (const auto& [k, v] : n.labels) labels += (labels.empty() ? "" : ", ") + k + "=" + v;
        std::string text = w.text;
        std::string state = n.state;
        std::transform(state.begin(), state.end(), state.begin(),
                       [](unsigned char c) { return std::toupper(c); });
        text = replace_all(text, "{group}", n.group);
        text = replace_all(text, "{rule}", n.rule);
        text = replace_all(text, "{state}", state);
        text = replace_all(text, "{value}", number(n.value));
        text = replace_all(text, "{condition}", n.condition);
        text = replace_all(text, "{query}", n.query);
        text = replace_all(text, "{link}", n.link);
        text = replace_all(text, "{labels}", labels);
        return "{\"text\":" + quoted(text) + "}";
    }
    std::string out =
        "{\"group\":" + quoted(n.group) + ",\"rule\":" + quoted(n.rule) + ",\"state\":" + quoted(n.state) +
        ",\"value\":" + number(n.value) + ",\"condition\":" + quoted(n.condition) +
        ",\"query\":" + quoted(n.query) + ",\"window_ms\":" + std::to_string(n.window_ns / 1'000'000) +
        ",\"at\":" + time_or_null(n.at_ns) + ",\"active_since\":" + time_or_null(n.active_since_ns) +
        ",\"labels\":" + labels_json(n.labels) + ",\"link\":" + quoted(n.link) + ",\"samples\":[";
    for (size_t i = 0; i < n.samples.size(); ++i) out += (i ? "," : "") + n.samples[i];
    return out + "]}";
}

struct Manager::Impl {
    ManagerOptions opts;
    mutable std::mutex mu;
    std::vector<GroupState> groups;
    std::deque<HistoryEntry> history;
    uint64_t evaluations = 0, failures = 0;
    uint64_t sent = 0, failed = 0, retried = 0, dropped = 0;

    std::mutex dmu;
    std::condition_variable dcv;
    std::deque<Delivery> deliveries;
    uint64_t next_seq = 0;  // of the next delivery made (under dmu)
    bool stopping = false;
    std::condition_variable ecv;
    std::thread evaluator, deliverer;

    void log(const std::string& level, const std::string& line) {
        if (opts.log)
            opts.log(level, line);
        else
            std::fprintf(stderr, "%s alerts: %s\n", level.c_str(), line.c_str());
    }

    static int64_t now() { return event::now_ns(); }

    /// The rule's value over [now - window, now]; nullopt with `error` set when it could not be asked.
    std::optional<double> value_of(RuleState& rs, int64_t now_ns, std::string& error) {
        auto s = opts.store ? opts.store() : nullptr;
        if (!s) {
            error = "the store is disabled (store.enabled: false)";
            return std::nullopt;
        }
        store::AggregateRequest ar;
        ar.condition = rs.condition ? &*rs.condition : nullptr;
        if (rs.condition) ar.hint = rs.condition->index_hint();
        ar.hint.from_ns = std::max(ar.hint.from_ns, now_ns - rs.rule.window_ns);
        ar.hint.to_ns = std::min(ar.hint.to_ns, now_ns);
        const auto& t = rs.rule.threshold;
        ar.metric = t.metric == "rate" ? "count" : t.metric;
        ar.field = t.field;
        ar.limit = 1;
        store::AggregateResult r;
        try {
            r = s->aggregate(ar);
        } catch (const std::exception& e) {
            error = e.what();
            return std::nullopt;
        }
        if (t.metric == "count" || t.metric == "rate") {
            const double count = r.rows.empty() ? 0.0 : static_cast<double>(r.rows.front().count);
            return t.metric == "rate" ? count / (static_cast<double>(rs.rule.window_ns) / 1e9) : count;
        }
        if (r.rows.empty() || !r.rows.front().value) {
            return std::nullopt;  // no numeric value in the window: the condition cannot hold
        }
        return r.rows.front().value;
    }

    Notification notification(const GroupState& g, const RuleState& rs, const char* state, int64_t now_ns) {
        Notification n;
        n.group = g.def.name;
        n.rule = rs.rule.name;
        n.state = state;
        n.value = rs.value;
        n.condition = rs.rule.threshold.text();
        n.query = rs.rule.query;
        n.window_ns = rs.rule.window_ns;
        n.at_ns = now_ns;
        n.active_since_ns = rs.active_since_ns;
        n.labels = rs.rule.labels;
        const int64_t from = now_ns - rs.rule.window_ns;
        n.link = "http://" + opts.api_authority + "/api/v1/logs/search?q=" + percent_encode(rs.rule.query) +
                 "&from=" + percent_encode(event::format_rfc3339_ns(from)) +
                 "&to=" + percent_encode(event::format_rfc3339_ns(now_ns));
        if (std::string_view(state) == "firing") {
            if (auto s = opts.store ? opts.store() : nullptr) {
                store::SearchRequest sr;
                sr.condition = rs.condition ? &*rs.condition : nullptr;
                if (rs.condition) sr.hint = rs.condition->index_hint();
                sr.hint.from_ns = std::max(sr.hint.from_ns, from);
                sr.hint.to_ns = std::min(sr.hint.to_ns, now_ns);
                sr.limit = 5;
                try {
                    n.samples = s->search(sr).events;
                } catch (const std::exception&) {
                }
            }
        }
        return n;
    }

    void notify(const GroupState& g, const RuleState& rs, const char* state, int64_t now_ns) {
        const Notification n = notification(g, rs, state, now_ns);
        const std::string line = "rule " + g.def.name + "/" + rs.rule.name + " " + state + ": " +
                                 rs.rule.threshold.text() + " (value " + number(rs.value) + ", window " +
                                 std::to_string(rs.rule.window_ns / 1'000'000'000) + "s)";
        log(std::string_view(state) == "firing" ? "warn" : "info", line);
        std::lock_guard lock(dmu);
        for (const auto& w : rs.rule.webhooks) {
            if (deliveries.size() >= opts.max_pending_deliveries) {
                deliveries.pop_front();
                ++dropped;
            }
            deliveries.push_back({w, webhook_body(w, n), g.def.name + "/" + rs.rule.name + " " + state, 0,
                                  now_ns, g.def.name + "\x1e" + rs.rule.name + "\x1e" + w.url, next_seq++});
        }
        dcv.notify_all();
    }

    void transition(GroupState& g, RuleState& rs, State to, int64_t now_ns) {
        history.push_back({now_ns, g.def.name, rs.rule.name, state_name(rs.state), state_name(to), rs.value});
        while (history.size() > opts.history) history.pop_front();
        rs.state = to;
    }

    void evaluate_rule(GroupState& g, RuleState& rs, int64_t now_ns) {
        std::string error;
        const auto v = value_of(rs, now_ns, error);
        ++evaluations;
        ++rs.evaluations;
        rs.last_eval_ns = now_ns;
        if (!error.empty()) {
            ++failures;
            if (rs.last_error != error) log("warn", "rule " + g.def.name + "/" + rs.rule.name + ": " + error);
            rs.last_error = error;
            return;  // the state stays as it was: an unanswerable question is no answer
        }
        rs.last_error.clear();
        rs.value = v;
        const bool holds = v && rs.rule.threshold.holds(*v);
        switch (rs.state) {
            case State::Inactive:
                if (!holds) break;
                rs.active_since_ns = now_ns;
                if (rs.rule.for_ns > 0) {
                    transition(g, rs, State::Pending, now_ns);
                    break;
                }
                transition(g, rs, State::Firing, now_ns);
                rs.last_sent_ns = now_ns;
                notify(g, rs, "firing", now_ns);
                break;
            case State::Pending:
                if (!holds) {
                    transition(g, rs, State::Inactive, now_ns);
                    rs.active_since_ns = 0;
                } else if (now_ns - rs.active_since_ns >= rs.rule.for_ns) {
                    transition(g, rs, State::Firing, now_ns);
                    rs.last_sent_ns = now_ns;
                    notify(g, rs, "firing", now_ns);
                }
                break;
            case State::Firing:
                if (!holds) {
                    transition(g, rs, State::Inactive, now_ns);
                    notify(g, rs, "resolved", now_ns);
                    rs.active_since_ns = 0;
                } else if (now_ns - rs.last_sent_ns >= rs.rule.repeat_ns) {
                    rs.last_sent_ns = now_ns;
                    notify(g, rs, "firing", now_ns);  // a repeat, at most once per repeat interval
                }
                break;
        }
    }

    void evaluate_due(int64_t now_ns, bool force) {
        std::lock_guard lock(mu);
        for (auto& g : groups) {
            if (!force && g.next_due_ns > now_ns) continue;
            for (auto& rs : g.rules) evaluate_rule(g, rs, now_ns);
            g.next_due_ns = now_ns + g.def.interval_ns;
        }
    }

    int64_t next_due() const {
        std::lock_guard lock(mu);
        int64_t next = now() + 1'000'000'000;
        for (const auto& g : groups) next = std::min(next, g.next_due_ns);
        return next;
    }

    /// Under dmu: the oldest pending seq of each key. Only those may be sent.
    std::map<std::string, uint64_t> heads() const {
        std::map<std::string, uint64_t> first;
        for (const auto& d : deliveries) {
            auto [it, inserted] = first.emplace(d.key, d.seq);
            if (!inserted) it->second = std::min(it->second, d.seq);
        }
        return first;
    }

    /// Under dmu: when the next sendable delivery is due (0: none pending).
    int64_t next_delivery_due() const {
        const auto first = heads();
        int64_t next = 0;
        for (const auto& d : deliveries)
            if (first.at(d.key) == d.seq) next = next ? std::min(next, d.due_ns) : d.due_ns;
        return next;
    }

    /// Sends what is due; returns when the next delivery is due (0: none).
    int64_t deliver_due(int64_t now_ns) {
        std::vector<Delivery> due;
        {
            std::lock_guard lock(dmu);
            const auto first = heads();
            for (auto it = deliveries.begin(); it != deliveries.end();) {
                if (it->due_ns <= now_ns && first.at(it->key) == it->seq) {
                    due.push_back(std::move(*it));
                    it = deliveries.erase(it);
                } else {
                    ++it;
                }
            }
        }
        for (auto& d : due) {
            std::string why;
            try {
                std::vector<std::pair<std::string, std::string>> headers = {
                    {"Content-Type", "application/json"}};
                for (const auto& h : d.hook.headers) headers.push_back(h);
                http::ClientTls tls;
                tls.enabled = d.hook.tls;
                tls.ca_file = d.hook.ca_file;
                const auto r =
                    http::http_request(d.hook.host, d.hook.port, "POST", d.hook.target, d.body, headers,
                                       std::chrono::nanoseconds(d.hook.timeout_ns) /
                                           std::chrono::milliseconds(1) * std::chrono::milliseconds(1),
                                       tls);
                if (r.status >= 200 && r.status < 300) {
                    std::lock_guard lock(dmu);
                    ++sent;
                    continue;
                }
                why = "HTTP " + std::to_string(r.status);
            } catch (const std::exception& e) {
                why = e.what();
            }
            std::lock_guard lock(dmu);
            if (stopping || d.attempt >= d.hook.retries) {
                ++failed;
                log("warn", "webhook " + d.hook.host + ":" + std::to_string(d.hook.port) + " for " + d.what +
                                " failed for good after " + std::to_string(d.attempt + 1) +
                                " attempts: " + why);
                continue;
            }
            const int64_t backoff =
                std::min(opts.max_retry_ns, opts.first_retry_ns << std::min(d.attempt, 20));
            ++d.attempt;
            ++retried;
            d.due_ns = now_ns + backoff;
            log("warn", "webhook " + d.hook.host + ":" + std::to_string(d.hook.port) + " for " + d.what +
                            ": " + why + "; retry " + std::to_string(d.attempt) + " in " +
                            std::to_string(backoff / 1'000'000) + "ms");
            deliveries.push_back(std::move(d));
        }
        std::lock_guard lock(dmu);
        return next_delivery_due();
    }

    void run_evaluator() {
        std::unique_lock lock(dmu);
        while (!stopping) {
            lock.unlock();
            evaluate_due(now(), false);
            const int64_t wait_ns = std::max<int64_t>(10'000'000, next_due() - now());
            lock.lock();
            ecv.wait_for(lock, std::chrono::nanoseconds(wait_ns), [&] { return stopping; });
        }
    }

    void run_deliverer() {
        std::unique_lock lock(dmu);
        while (!stopping) {
            lock.unlock();
            const int64_t next = deliver_due(now());
            lock.lock();
            if (stopping) break;
            const auto has_due = [&] {
                if (stopping) return true;
                const int64_t due = next_delivery_due();
                return due != 0 && due <= now();
            };
            if (next)
                dcv.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(1'000'000, next - now())),
                             has_due);
            else
                dcv.wait(lock, [&] { return stopping || !deliveries.empty(); });
        }
        failed += deliveries.size();  // given up at shutdown, counted
        deliveries.clear();
    }
};

Manager::Manager(ManagerOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->opts = std::move(options);
    if (impl_->opts.start_threads) {
        impl_->evaluator = std::thread([this] { impl_->run_evaluator(); });
        impl_->deliverer = std::thread([this] { impl_->run_deliverer(); });
    }
}

Manager::~Manager() {
    {
        std::lock_guard lock(impl_->dmu);
        impl_->stopping = true;
    }
    impl_->ecv.notify_all();
    impl_->dcv.notify_all();
    if (impl_->evaluator.joinable()) impl_->evaluator.join();
    if (impl_->deliverer.joinable()) impl_->deliverer.join();
}

void Manager::set_groups(std::vector<RuleGroup> defs) {
    std::lock_guard lock(impl_->mu);
    std::map<std::string, RuleState> old;  // group \x1e rule key -> state
    for (auto& g : impl_->groups)
        for (auto& rs : g.rules) old.emplace(g.def.name + "\x1e" + rs.rule.key(), std::move(rs));
    std::vector<GroupState> fresh;
    for (auto& def : defs) {
        GroupState g;
        for (auto& rule : def.rules) {
            auto it = old.find(def.name + "\x1e" + rule.key());
            RuleState rs;
            if (it != old.end()) rs = std::move(it->second);
            rs.rule = rule;  // labels and notifications may change without resetting the state
            rs.condition.reset();
            if (!rule.query.empty()) rs.condition = condition::Condition::compile(rule.query);
            g.rules.push_back(std::move(rs));
        }
        g.def = std::move(def);
        g.next_due_ns = 0;  // evaluated at once
        fresh.push_back(std::move(g));
    }
    impl_->groups = std::move(fresh);
    impl_->ecv.notify_all();
}

void Manager::evaluate_due(int64_t now_ns, bool force) { impl_->evaluate_due(now_ns, force); }

void Manager::deliver_due(int64_t now_ns) { impl_->deliver_due(now_ns); }

std::string Manager::status_json() const {
    std::lock_guard lock(impl_->mu);
    std::string out = "{\"groups\":[";
    bool first_group = true;
    for (const auto& g : impl_->groups) {
        out += first_group ? "{" : ",{";
        first_group = false;
        out += "\"name\":" + quoted(g.def.name) + ",\"file\":" + quoted(g.def.file) +
               ",\"interval_ms\":" + std::to_string(g.def.interval_ns / 1'000'000) + ",\"rules\":[";
        for (size_t i = 0; i < g.rules.size(); ++i) {
            const auto& rs = g.rules[i];
            out += (i ? ",{" : "{");
            out += "\"name\":" + quoted(rs.rule.name) + ",\"query\":" + quoted(rs.rule.query) +
                   ",\"condition\":" + quoted(rs.rule.threshold.text()) +
                   ",\"window_ms\":" + std::to_string(rs.rule.window_ns / 1'000'000) +
                   ",\"for_ms\":" + std::to_string(rs.rule.for_ns / 1'000'000) + ",\"state\":\"" +
                   state_name(rs.state) + "\",\"value\":" + number(rs.value) +
                   ",\"active_since\":" + time_or_null(rs.active_since_ns) +
                   ",\"last_evaluation\":" + time_or_null(rs.last_eval_ns) +
                   ",\"evaluations\":" + std::to_string(rs.evaluations) +
                   ",\"last_error\":" + (rs.last_error.empty() ? "null" : quoted(rs.last_error)) +
                   ",\"labels\":" + labels_json(rs.rule.labels) +
                   ",\"webhooks\":" + std::to_string(rs.rule.webhooks.size()) + "}";
        }
        out += "]}";
    }
    out += "],\"history\":[";
    for (size_t i = impl_->history.size(); i-- > 0;) {  // newest first
        const auto& h = impl_->history[i];
        out += (i + 1 == impl_->history.size() ? "{" : ",{");
        out += "\"at\":" + time_or_null(h.at_ns) + ",\"group\":" + quoted(h.group) +
               ",\"rule\":" + quoted(h.rule) + ",\"from\":\"" + h.from + "\",\"to\":\"" + h.to +
               "\",\"value\":" + number(h.value) + "}";
    }
    return out + "]}";
}

std::string Manager::metrics_text() const {
    std::string out;
    uint64_t rules = 0, firing = 0, pending = 0;
    std::string states;
    {
        std::lock_guard lock(impl_->mu);
        for (const auto& g : impl_->groups)
            for (const auto& rs : g.rules) {
                ++rules;
                firing += rs.state == State::Firing;
                pending += rs.state == State::Pending;
                states += "weir_alert_state{group=" + quoted(g.def.name) + ",rule=" + quoted(rs.rule.name) +
                          "} " + std::to_string(static_cast<int>(rs.state)) + "\n";
            }
        auto counter = [&](const char* name, const char* help, uint64_t v) {
            out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name +
                   " " + std::to_string(v) + "\n";
        };
        counter("weir_alert_evaluations_total", "Rule evaluations.", impl_->evaluations);
        counter("weir_alert_evaluation_failures_total", "Rule evaluations that could not ask the store.",
                impl_->failures);
    }
    out += "# HELP weir_alert_rules Alert rules loaded.\n# TYPE weir_alert_rules gauge\nweir_alert_rules " +
           std::to_string(rules) + "\n";
    out += "# HELP weir_alert_firing Rules firing now.\n# TYPE weir_alert_firing gauge\nweir_alert_firing " +
           std::to_string(firing) + "\n";
    out +=
        "# HELP weir_alert_pending Rules pending (true, waiting out their for).\n# TYPE weir_alert_pending "
        "gauge\nweir_alert_pending " +
        std::to_string(pending) + "\n";
    out +=
        "# HELP weir_alert_state State of each rule: 0 inactive, 1 pending, 2 firing.\n# TYPE "
        "weir_alert_state "
        "gauge\n" +
        states;
    std::lock_guard lock(impl_->dmu);
    out +=
        "# HELP weir_alert_notifications_total Webhook deliveries by result.\n# TYPE "
        "weir_alert_notifications_total counter\n";
    out += "weir_alert_notifications_total{result=\"sent\"} " + std::to_string(impl_->sent) + "\n";
    out += "weir_alert_notifications_total{result=\"retried\"} " + std::to_string(impl_->retried) + "\n";
    out += "weir_alert_notifications_total{result=\"failed\"} " + std::to_string(impl_->failed) + "\n";
    out += "weir_alert_notifications_total{result=\"dropped\"} " + std::to_string(impl_->dropped) + "\n";
    return out;
}

}  // namespace weir::alerts
