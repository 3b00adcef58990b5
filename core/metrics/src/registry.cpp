#include <algorithm>
#include <cstdio>
#include <weir/metrics/registry.hpp>

namespace weir::metrics {

void ReasonCounters::add(const std::string& reason, uint64_t n) {
    std::lock_guard lock(mu_);
    counts_[reason] += n;
}

std::map<std::string, uint64_t> ReasonCounters::snapshot() const {
    std::lock_guard lock(mu_);
    return counts_;
}

uint64_t ReasonCounters::get(const std::string& reason) const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(reason);
    return it == counts_.end() ? 0 : it->second;
}

void Histogram::observe_ns(int64_t ns) {
    if (ns < 0) ns = 0;
    const double s = static_cast<double>(ns) / 1e9;
    size_t i = 0;
    while (i < kBounds.size() && s > kBounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    for (size_t i = 0; i < buckets_.size(); ++i) s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    s.count = count_.load(std::memory_order_relaxed);
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

std::shared_ptr<InstanceMetrics> Registry::instance(const std::string& pipeline, const std::string& kind,
                                                    const std::string& plugin, const std::string& instance) {
    auto m = std::make_shared<InstanceMetrics>();
    m->pipeline = pipeline;
    m->kind = kind;
    m->plugin = plugin;
    m->instance = instance;
    std::lock_guard lock(mu_);
    instances_.push_back(m);
    return m;
}

std::vector<std::shared_ptr<InstanceMetrics>> Registry::instances() const {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<InstanceMetrics>> out;
    std::erase_if(instances_, [](const auto& w) { return w.expired(); });
    for (auto& w : instances_)
        if (auto s = w.lock()) out.push_back(std::move(s));
    return out;
}

namespace {

std::string escape_label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out.push_back('\\');
        if (c == '\n') {
            out.append("\\n");
            continue;
        }
        out.push_back(c);
    }
    return out;
}

std::string labels(const InstanceMetrics& m) {
    return "pipeline=\"" + escape_label(m.pipeline) + "\",kind=\"" + m.kind + "\",plugin=\"" +
           escape_label(m.plugin) + "\",instance=\"" + escape_label(m.instance) + "\"";
}

std::string fmt_double(double d) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", d);
    return buf;
}

}  // namespace

std::string Registry::render_prometheus() const {
    const auto all = instances();
    std::string out;
    out.reserve(4096 + all.size() * 2048);
    auto header = [&](const char* name, const char* type, const char* help) {
        out.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    };
    auto counter = [&](const char* name, const char* help, auto get) {
        header(name, "counter", help);
        for (auto& m : all)
            out.append(name)
                .append("{")
                .append(labels(*m))
                .append("} ")
                .append(std::to_string(get(*m)))
                .append("\n");
    };
    counter("weir_events_in_total", "Events received by the plugin instance.",
            [](const InstanceMetrics& m) { return m.events_in.load(); });
    counter("weir_events_out_total", "Events passed on by the plugin instance.",
            [](const InstanceMetrics& m) { return m.events_out.load(); });
    counter("weir_bytes_in_total", "Body bytes received by the plugin instance.",
            [](const InstanceMetrics& m) { return m.bytes_in.load(); });
    counter("weir_bytes_out_total", "Body bytes passed on by the plugin instance.",
            [](const InstanceMetrics& m) { return m.bytes_out.load(); });

    header("weir_events_dropped_total", "counter", "Events dropped by the plugin instance, by reason.");
    for (auto& m : all)
        for (auto& [reason, n] : m->dropped.snapshot())
            out.append("weir_events_dropped_total{")
                .append(labels(*m))
                .append(",reason=\"")
                .append(escape_label(reason))
                .append("\"} ")
                .append(std::to_string(n))
                .append("\n");
    header("weir_errors_total", "counter", "Errors seen by the plugin instance (events kept), by reason.");
    for (auto& m : all)
        for (auto& [reason, n] : m->errors.snapshot())
            out.append("weir_errors_total{")
                .append(labels(*m))
                .append(",reason=\"")
                .append(escape_label(reason))
                .append("\"} ")
                .append(std::to_string(n))
                .append("\n");

    header(
        "weir_outcomes_total", "counter",
        "Results of the plugin instance that are not errors (enriched, redacted, spooled...), by outcome.");
    for (auto& m : all)
        for (auto& [outcome, n] : m->outcomes.snapshot())
            out.append("weir_outcomes_total{")
                .append(labels(*m))
                .append(",outcome=\"")
                .append(escape_label(outcome))
                .append("\"} ")
                .append(std::to_string(n))
                .append("\n");

    header("weir_queue_depth_events", "gauge", "Events queued in front of the plugin instance.");
    for (auto& m : all)
        out.append("weir_queue_depth_events{")
            .append(labels(*m))
            .append("} ")
            .append(std::to_string(m->queue_depth.load()))
            .append("\n");

    header("weir_batch_latency_seconds", "histogram", "Time the plugin instance spent per batch.");
    for (auto& m : all) {
        const auto s = m->batch_latency.snapshot();
        const std::string l = labels(*m);
        uint64_t cum = 0;
        for (size_t i = 0; i < Histogram::kBounds.size(); ++i) {
            cum += s.buckets[i];
            out.append("weir_batch_latency_seconds_bucket{")
                .append(l)
                .append(",le=\"")
                .append(fmt_double(Histogram::kBounds[i]))
                .append("\"} ")
                .append(std::to_string(cum))
                .append("\n");
        }
        cum += s.buckets.back();
        out.append("weir_batch_latency_seconds_bucket{")
            .append(l)
            .append(",le=\"+Inf\"} ")
            .append(std::to_string(cum))
            .append("\n");
        out.append("weir_batch_latency_seconds_sum{")
            .append(l)
            .append("} ")
            .append(fmt_double(s.sum_seconds))
            .append("\n");
        out.append("weir_batch_latency_seconds_count{")
            .append(l)
            .append("} ")
            .append(std::to_string(s.count))
            .append("\n");
    }

    header("weir_reloads_total", "counter", "Configuration reloads, by result.");
    out.append("weir_reloads_total{result=\"success\"} ")
        .append(std::to_string(reloads_ok.load()))
        .append("\n");
    out.append("weir_reloads_total{result=\"failure\"} ")
        .append(std::to_string(reloads_failed.load()))
        .append("\n");
    header("weir_last_reload_success", "gauge", "1 if the last reload succeeded (or none happened yet).");
    out.append("weir_last_reload_success ").append(std::to_string(last_reload_ok.load())).append("\n");
    header("weir_last_reload_warnings", "gauge", "Warnings of the last reload (e.g. refused plugin files).");
    out.append("weir_last_reload_warnings ").append(std::to_string(last_reload_warnings.load())).append("\n");
    header("weir_pipelines", "gauge", "Pipelines running.");
    out.append("weir_pipelines ").append(std::to_string(pipelines.load())).append("\n");
    header("weir_plugins_loaded", "gauge", "Plugin libraries loaded.");
    out.append("weir_plugins_loaded ").append(std::to_string(plugins_loaded.load())).append("\n");
    header("weir_plugins_refused", "gauge", "Plugin files refused at the last scan.");
    out.append("weir_plugins_refused ").append(std::to_string(plugins_refused.load())).append("\n");
    return out;
}

}  // namespace weir::metrics
