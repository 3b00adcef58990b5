// Alert rules: `alerts:` files in the alerts folder (one rule group a file),
// read and validated with positions, reloaded on SIGHUP like pipelines. See
// docs/alerts.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <weir/config/model.hpp>

namespace weir::alerts {

/// Where a rule's notifications go besides the log line every change writes.
struct Webhook {
    std::string url;   // http(s)://host:port/path
    std::string host;  // parsed from url
    uint16_t port = 80;
    bool tls = false;     // https://
    std::string ca_file;  // PEM CAs for https ("": the system's)
    std::string target = "/";
    std::string format = "json";  // json (Weir's body) or slack ({"text": ...})
    /// The Slack text; {group} {rule} {state} {value} {threshold} {condition} {query} {link} {labels}.
    std::string text = "[{state}] {group}/{rule}: {condition} (value {value}) {link}";
    std::vector<std::pair<std::string, std::string>> headers;
    int64_t timeout_ns = 5'000'000'000;
    int retries = 5;  // attempts after the first, with exponential backoff
};

/// The condition of a rule: `count > 10`, `rate >= 2` (per second),
/// `p99(latency_ms) > 500`, `avg(duration) < 3`, `count < 1`.
struct Threshold {
    std::string metric = "count";  // count rate sum avg min max p50 p90 p95 p99 p99.9
    std::string field;             // the numeric field of every metric but count and rate
    std::string op = ">";          // > >= < <=
    double value = 0;
    bool holds(double v) const;
    std::string text() const;  // as written, normalised
};

struct Rule {
    std::string name;
    std::string query;  // the query language; empty: every event
    int64_t window_ns = 300'000'000'000;
    Threshold threshold;
    int64_t for_ns = 0;                           // pending this long before firing
    int64_t repeat_ns = 4ll * 3'600'000'000'000;  // resend while firing at most this often
    std::map<std::string, std::string> labels;
    std::vector<Webhook> webhooks;
    /// Identity of the rule's definition: a reload that keeps it keeps its state.
    std::string key() const;
};

struct RuleGroup {
    std::string name;  // `group:`, default the file name without its extension
    std::string file;
    int64_t interval_ns = 10'000'000'000;
    std::vector<Rule> rules;
};

/// Reads every *.yaml / *.yml file of `dir` (a missing folder: no rules).
/// Problems are appended to `errors` with file:line:col; a file with errors
/// contributes no group.
std::vector<RuleGroup> load_rule_groups(const std::string& dir, std::vector<config::Error>& errors);

/// Parses one group from YAML text (`file` names it in errors).
std::vector<RuleGroup> parse_rule_group(const std::string& text, const std::string& file,
                                        std::vector<config::Error>& errors);

/// "http://host:port/path" → host, port, target; false on anything else.
bool parse_http_url(const std::string& url, Webhook& w);

}  // namespace weir::alerts
