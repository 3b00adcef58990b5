// Alert rules: reading them with positions, and their states against a real
// store (inactive → pending → firing → resolved), history and notifications.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <weir/alerts/manager.hpp>
#include <weir/alerts/rules.hpp>
#include <weir/event/batch.hpp>
#include <weir/event/time_format.hpp>
#include <weir/store/store.hpp>

namespace {
using namespace weir;
namespace fs = std::filesystem;

constexpr int64_t kSecond = 1'000'000'000;

std::vector<alerts::RuleGroup> parse(const std::string& text, std::vector<config::Error>& errors) {
    return alerts::parse_rule_group(text, "alerts/payments.yaml", errors);
}

std::string all(const std::vector<config::Error>& errors) {
    std::string out;
    for (const auto& e : errors) out += e.format() + "\n";
    return out;
}

TEST(AlertRules, AGroupReadsEveryKey) {
    std::vector<config::Error> errors;
    const auto groups = parse(R"(group: payments
interval: 15s
rules:
  - name: payment-errors
    query: 'level:ERROR AND source:payment-service'
    window: 5m
    condition: count > 10
    for: 1m
    repeat: 30m
    labels: {severity: page}
    notify:
      - webhook: http://127.0.0.1:9000/hook
        format: slack
        text: "{state} {rule}"
        headers: {X-Token: abc}
        timeout: 2s
        retries: 3
  - name: slow
    condition: p99(latency_ms) >= 500
)",
                              errors);
    ASSERT_TRUE(errors.empty()) << all(errors);
    ASSERT_EQ(groups.size(), 1u);
    const auto& g = groups[0];
    EXPECT_EQ(g.name, "payments");
    EXPECT_EQ(g.interval_ns, 15 * kSecond);
    ASSERT_EQ(g.rules.size(), 2u);
    const auto& r = g.rules[0];
    EXPECT_EQ(r.query, "level:ERROR AND source:payment-service");
    EXPECT_EQ(r.window_ns, 300 * kSecond);
    EXPECT_EQ(r.threshold.metric, "count");
    EXPECT_EQ(r.threshold.op, ">");
    EXPECT_EQ(r.threshold.value, 10);
    EXPECT_EQ(r.for_ns, 60 * kSecond);
    EXPECT_EQ(r.repeat_ns, 1800 * kSecond);
    EXPECT_EQ(r.labels.at("severity"), "page");
    ASSERT_EQ(r.webhooks.size(), 1u);
    EXPECT_EQ(r.webhooks[0].host, "127.0.0.1");
    EXPECT_EQ(r.webhooks[0].port, 9000);
    EXPECT_EQ(r.webhooks[0].target, "/hook");
    EXPECT_EQ(r.webhooks[0].format, "slack");
    EXPECT_EQ(r.webhooks[0].retries, 3);
    EXPECT_EQ(r.webhooks[0].timeout_ns, 2 * kSecond);
    EXPECT_EQ(g.rules[1].threshold.metric, "p99");
    EXPECT_EQ(g.rules[1].threshold.field, "latency_ms");
    EXPECT_EQ(g.rules[1].threshold.op, ">=");
    EXPECT_TRUE(g.rules[1].threshold.holds(500));
    EXPECT_FALSE(g.rules[1].threshold.holds(499.9));
}

TEST(AlertRules, EveryProblemIsPositioned) {
    std::vector<config::Error> errors;
    const auto groups = parse(R"(rules:
  - name: a
    query: 'level:ERROR AND ('
    condition: count >> 3
  - name: a
    window: soon
    condition: p99 > 5
    notify: ftp://example/hook
    colour: red
)",
                              errors);
    EXPECT_TRUE(groups.empty());
    const std::string text = all(errors);
    EXPECT_NE(text.find("alerts/payments.yaml:3:12: query: "), std::string::npos) << text;
    EXPECT_NE(text.find("alerts/payments.yaml:4:16: condition expects a number after '>'"), std::string::npos)
        << text;
    EXPECT_NE(text.find("alerts/payments.yaml:5:11: a rule named 'a' is already in group 'payments'"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("alerts/payments.yaml:6:13: window expects a duration"), std::string::npos) << text;
    EXPECT_NE(text.find("alerts/payments.yaml:7:16: condition p99 needs a field: p99(latency_ms)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("alerts/payments.yaml:8:13: webhook expects http://host:port/path"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("alerts/payments.yaml:9:5: unknown key 'colour' in a rule"), std::string::npos)
        << text;

    errors.clear();
    EXPECT_TRUE(parse("rules: [\n  - {name: x", errors).empty());
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors[0].format().find("YAML: "), std::string::npos);
    errors.clear();
    EXPECT_TRUE(parse("", errors).empty());  // an empty file: no rules, no error
    EXPECT_TRUE(errors.empty());
}

TEST(AlertRules, AFolderIsReadFileByFileAndGroupNamesAreUnique) {
    const fs::path dir = fs::temp_directory_path() / ("weir-alerts-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "a.yaml") << "group: g\nrules:\n  - {name: r, condition: count > 1}\n";
    std::ofstream(dir / "b.yml") << "group: g\nrules:\n  - {name: r, condition: count > 1}\n";
    std::ofstream(dir / "c.yaml") << "rules:\n  - {name: r, condition: rate < 0.5}\n";
    std::ofstream(dir / "notes.txt") << "not a rule file";
    std::vector<config::Error> errors;
    const auto groups = alerts::load_rule_groups(dir.string(), errors);
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].name, "g");
    EXPECT_EQ(groups[1].name, "c");  // the file name without its extension
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].format().find("group 'g' is also defined in"), std::string::npos);
    errors.clear();
    EXPECT_TRUE(alerts::load_rule_groups((dir / "missing").string(), errors).empty());
    EXPECT_TRUE(errors.empty());
    fs::remove_all(dir);
}

weir_value str_v(std::string_view s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{s.data(), s.size()};
    return v;
}

weir_value int_v(int64_t i) {
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = i;
    return v;
}

class AlertManagerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("weir-alert-store-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        store::StoreOptions o;
        o.path = dir_.string();
        o.sync = false;
        store_ = store::Store::open(o);
    }
    void TearDown() override {
        manager_.reset();
        store_.reset();
        fs::remove_all(dir_);
    }
    void write(size_t n, const char* level, int64_t at_ns, int64_t latency = 0) {
        event::Batch b;
        for (size_t i = 0; i < n; ++i) {
            const size_t e = b.add("payment timeout", at_ns + static_cast<int64_t>(i));
            b.put(b.event(e).root, "level", str_v(level), 0);
            b.put(b.event(e).root, "source", str_v("payment-service"), 0);
            b.put(b.event(e).root, "latency_ms", int_v(latency), 0);
        }
        store_->write(b, [](bool) {});
        store_->flush();
    }
    alerts::Manager& manager(const std::string& yaml) {
        std::vector<config::Error> errors;
        auto groups = alerts::parse_rule_group(yaml, "alerts/p.yaml", errors);
        EXPECT_TRUE(errors.empty()) << all(errors);
        alerts::ManagerOptions o;
        auto* s = &store_;
        o.store = [s] { return *s; };
        o.log = [this](const std::string& level, const std::string& line) {
            log_.push_back(level + " " + line);
        };
        o.start_threads = false;
        o.first_retry_ns = kSecond;
        manager_ = std::make_unique<alerts::Manager>(std::move(o));
        manager_->set_groups(std::move(groups));
        return *manager_;
    }
    fs::path dir_;
    std::shared_ptr<store::Store> store_;
    std::unique_ptr<alerts::Manager> manager_;
    std::vector<std::string> log_;
};

TEST_F(AlertManagerTest, FiresAfterItsForResolvesAndKeepsAHistory) {
    const int64_t t0 = event::now_ns();
    auto& m = manager(R"(group: p
rules:
  - name: errors
    query: level:ERROR
    window: 1m
    condition: count > 3
    for: 20s
    notify: http://127.0.0.1:1/hook
)");
    write(5, "INFO", t0 - 10 * kSecond);
    m.evaluate_due(t0, true);
    EXPECT_NE(m.status_json().find("\"state\":\"inactive\",\"value\":0"), std::string::npos)
        << m.status_json();

    write(4, "ERROR", t0 + kSecond);
    m.evaluate_due(t0 + 2 * kSecond, true);
    EXPECT_NE(m.status_json().find("\"state\":\"pending\",\"value\":4"), std::string::npos)
        << m.status_json();
    m.evaluate_due(t0 + 12 * kSecond, true);  // still inside its for
    EXPECT_NE(m.status_json().find("\"state\":\"pending\""), std::string::npos);
    EXPECT_TRUE(log_.empty());
    m.evaluate_due(t0 + 23 * kSecond, true);
    EXPECT_NE(m.status_json().find("\"state\":\"firing\",\"value\":4"), std::string::npos) << m.status_json();
    ASSERT_EQ(log_.size(), 1u);
    EXPECT_EQ(log_[0], "warn rule p/errors firing: count > 3 (value 4, window 60s)");

    // The receiver is not there: the delivery is retried with backoff, then given up, all counted.
    m.deliver_due(t0 + 24 * kSecond);
    EXPECT_NE(m.metrics_text().find("weir_alert_notifications_total{result=\"retried\"} 1"),
              std::string::npos);
    m.deliver_due(t0 + 24 * kSecond);  // not due yet: nothing more
    EXPECT_NE(m.metrics_text().find("weir_alert_notifications_total{result=\"retried\"} 1"),
              std::string::npos);

    m.evaluate_due(t0 + 90 * kSecond, true);  // the errors left the window
    EXPECT_NE(m.status_json().find("\"state\":\"inactive\",\"value\":0"), std::string::npos)
        << m.status_json();
    ASSERT_EQ(log_.size() >= 2, true);
    EXPECT_NE(log_.back().find("resolved"), std::string::npos) << log_.back();
    // The "resolved" waits behind the "firing" still in backoff: only the
    // firing is tried now, and nothing while the firing's next retry is not due.
    m.deliver_due(t0 + 90 * kSecond);
    EXPECT_NE(m.metrics_text().find("weir_alert_notifications_total{result=\"retried\"} 2"),
              std::string::npos)
        << m.metrics_text();
    m.deliver_due(t0 + 90 * kSecond);
    EXPECT_NE(m.metrics_text().find("weir_alert_notifications_total{result=\"retried\"} 2"),
              std::string::npos)
        << m.metrics_text();
    const std::string status = m.status_json();
    const size_t resolved = status.find("\"from\":\"firing\",\"to\":\"inactive\"");
    const size_t fired = status.find("\"from\":\"pending\",\"to\":\"firing\"");
    const size_t pended = status.find("\"from\":\"inactive\",\"to\":\"pending\"");
    ASSERT_NE(resolved, std::string::npos) << status;
    EXPECT_LT(resolved, fired);  // newest first
    EXPECT_LT(fired, pended);
    EXPECT_NE(m.metrics_text().find("weir_alert_state{group=\"p\",rule=\"errors\"} 0"), std::string::npos);
    EXPECT_NE(m.metrics_text().find("weir_alert_evaluations_total 5"), std::string::npos) << m.metrics_text();
}

TEST_F(AlertManagerTest, ARuleFalseBeforeItsForEndsGoesBackToInactiveWithoutNotifying) {
    const int64_t t0 = event::now_ns();
    auto& m =
        manager("rules:\n  - {name: e, query: level:ERROR, window: 10s, condition: count >= 1, for: 1m}\n");
    write(1, "ERROR", t0);
    m.evaluate_due(t0 + kSecond, true);
    EXPECT_NE(m.status_json().find("\"state\":\"pending\""), std::string::npos);
    m.evaluate_due(t0 + 30 * kSecond, true);
    EXPECT_NE(m.status_json().find("\"state\":\"inactive\""), std::string::npos);
    EXPECT_TRUE(log_.empty());
}

TEST_F(AlertManagerTest, RatesPercentilesAndRepeatsAreRateLimited) {
    const int64_t t0 = event::now_ns();
    auto& m = manager(R"(rules:
  - {name: rate, window: 10s, condition: rate > 0.5, repeat: 1m}
  - {name: slow, window: 10s, condition: p99(latency_ms) > 700}
  - {name: quiet, window: 10s, condition: count < 1}
)");
    write(10, "INFO", t0, 800);
    m.evaluate_due(t0 + kSecond, true);
    const std::string s = m.status_json();
    EXPECT_NE(
        s.find(
            "\"name\":\"rate\",\"query\":\"\",\"condition\":\"rate > 0.5\",\"window_ms\":10000,\"for_ms\":0,"
            "\"state\":\"firing\",\"value\":1"),
        std::string::npos)
        << s;
    EXPECT_NE(s.find("\"name\":\"slow\""), std::string::npos);
    EXPECT_NE(
        s.find(
            "\"condition\":\"p99(latency_ms) > 700\",\"window_ms\":10000,\"for_ms\":0,\"state\":\"firing\","
            "\"value\":800"),
        std::string::npos)
        << s;
    EXPECT_NE(s.find("\"condition\":\"count < 1\",\"window_ms\":10000,\"for_ms\":0,\"state\":\"inactive\""),
              std::string::npos)
        << s;
    const size_t fired = log_.size();
    EXPECT_EQ(fired, 2u);
    // Still true 5 s later: no repeat before a minute has passed since the last one.
    write(10, "INFO", t0 + 5 * kSecond, 800);
    m.evaluate_due(t0 + 6 * kSecond, true);
    EXPECT_EQ(log_.size(), fired);
}

TEST_F(AlertManagerTest, AReloadKeepsTheStateOfAnUnchangedRuleAndResetsAChangedOne) {
    const int64_t t0 = event::now_ns();
    const std::string yaml = "rules:\n  - {name: e, window: 1m, condition: count > 1}\n";
    auto& m = manager(yaml);
    write(3, "ERROR", t0);
    m.evaluate_due(t0 + kSecond, true);
    EXPECT_NE(m.status_json().find("\"state\":\"firing\""), std::string::npos);
    std::vector<config::Error> errors;
    m.set_groups(alerts::parse_rule_group(yaml + "  - {name: f, window: 1m, condition: count > 100}\n",
                                          "alerts/p.yaml", errors));
    EXPECT_NE(
        m.status_json().find("\"name\":\"e\",\"query\":\"\",\"condition\":\"count > 1\",\"window_ms\":60000,"
                             "\"for_ms\":0,\"state\":\"firing\""),
        std::string::npos)
        << m.status_json();
    m.set_groups(alerts::parse_rule_group("rules:\n  - {name: e, window: 1m, condition: count > 2}\n",
                                          "alerts/p.yaml", errors));
    EXPECT_NE(m.status_json().find("\"state\":\"inactive\""), std::string::npos) << m.status_json();
}

TEST(AlertWebhook, BodiesForJsonAndSlack) {
    alerts::Notification n;
    n.group = "payments";
    n.rule = "errors";
    n.state = "firing";
    n.value = 12;
    n.condition = "count > 10";
    n.query = "level:ERROR \"quoted\"";
    n.window_ns = 300 * kSecond;
    n.at_ns = 1'768'780'800'000'000'000;
    n.labels = {{"severity", "page"}};
    n.samples = {"{\"message\":\"x\"}"};
    n.link = "http://127.0.0.1:8686/api/v1/logs/search?q=level%3AERROR";
    alerts::Webhook w;
    const std::string body = alerts::webhook_body(w, n);
    EXPECT_NE(
        body.find(
            "\"group\":\"payments\",\"rule\":\"errors\",\"state\":\"firing\",\"value\":12,\"condition\":"
            "\"count > 10\",\"query\":\"level:ERROR \\\"quoted\\\"\",\"window_ms\":300000,\"at\":\"2026-"
            "01-19T00:00:00"),
        std::string::npos)
        << body;
    EXPECT_NE(body.find("\"labels\":{\"severity\":\"page\"}"), std::string::npos);
    EXPECT_NE(body.find("\"samples\":[{\"message\":\"x\"}]"), std::string::npos);
    w.format = "slack";
    w.text = "[{state}] {group}/{rule}: {condition} = {value} ({labels}) {link}";
    EXPECT_EQ(alerts::webhook_body(w, n),
              "{\"text\":\"[FIRING] payments/errors: count > 10 = 12 (severity=page) "
              "http://127.0.0.1:8686/api/v1/logs/search?q=level%3AERROR\"}");
}

}  // namespace
