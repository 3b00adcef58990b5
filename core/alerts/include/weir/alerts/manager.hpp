// Evaluates alert rules against the store on a schedule, keeps their states
// (inactive, pending, firing) and a history, and sends notifications: a log
// line for every change and the rule's webhooks, retried with backoff.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <weir/alerts/rules.hpp>

namespace weir::store {
class Store;
}

namespace weir::alerts {

/// What a webhook delivery is handed (the body is built from it).
struct Notification {
    std::string group, rule, state;  // state: firing or resolved
    std::optional<double> value;
    std::string condition, query;
    int64_t window_ns = 0;
    int64_t at_ns = 0, active_since_ns = 0;
    std::map<std::string, std::string> labels;
    std::vector<std::string> samples;  // JSON objects of matching events, newest first
    std::string link;                  // the search that shows them
};

/// The JSON body a webhook receives (format json), or Slack's {"text": ...}.
std::string webhook_body(const Webhook& w, const Notification& n);

struct ManagerOptions {
    /// The daemon's store, asked at each evaluation (null: evaluations fail, counted).
    std::function<std::shared_ptr<store::Store>()> store;
    /// Where change lines go (level: "info", "warn"), default standard error.
    std::function<void(const std::string& level, const std::string& line)> log;
    /// "host:port" of the API, for links in notifications.
    std::string api_authority = "127.0.0.1:8686";
    size_t history = 200;  // state changes kept for GET /api/v1/alerts
    size_t max_pending_deliveries = 1000;
    int64_t first_retry_ns = 1'000'000'000;  // doubled per attempt, up to max_retry_ns
    int64_t max_retry_ns = 60'000'000'000;
    bool start_threads = true;  // false: evaluate_due() and deliver_due() are driven by the caller
};

class Manager {
public:
    explicit Manager(ManagerOptions options);
    ~Manager();  // stops the threads; undelivered notifications are given up (counted)
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    /// Replaces the rule groups; a rule whose definition (Rule::key) is
    /// unchanged keeps its state. Any thread.
    void set_groups(std::vector<RuleGroup> groups);
    /// Evaluates every group that is due at `now_ns` (all of them when `force`).
    void evaluate_due(int64_t now_ns, bool force = false);
    /// Sends the webhook deliveries that are due at `now_ns`.
    void deliver_due(int64_t now_ns);

    /// GET /api/v1/alerts: groups with their rules' states, and the history.
    std::string status_json() const;
    /// weir_alert_* lines for /metrics.
    std::string metrics_text() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace weir::alerts
