#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <thread>
#include <weir/alerts/manager.hpp>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/kind.hpp>
#include <weir/loader/registry.hpp>
#include <weir/metrics/registry.hpp>
#include <weir/runtime/catalog.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/runtime/log.hpp>
#include <weir/runtime/pipeline.hpp>
#include <weir/store/store.hpp>

#include "store_host.hpp"

namespace weir::runtime {
namespace {

constexpr auto kReloadDrainDeadline = std::chrono::seconds(10);

void json_list(std::string& out, const std::vector<std::string>& v) {
    out += "[";
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ",";
        event::append_json_string(out, v[i]);
    }
    out += "]";
}

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < s.size()) {
        size_t nl = s.find('\n', start);
        if (nl == std::string::npos) nl = s.size();
        if (nl > start) out.push_back(s.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

store::StoreOptions store_options(const config::StoreConfig& c) {
    store::StoreOptions o;
    o.path = c.path;
    o.sync = c.sync;
    o.retention_ns = c.retention_ns;
    o.block_events = static_cast<size_t>(c.block_events);
    o.encode_threads = static_cast<size_t>(c.encode_threads);
    if (!c.index_fields.empty()) o.index_fields = c.index_fields;
    o.retention_bytes = c.retention_bytes;
    o.retention_by_level = c.retention_by_level;
    o.emergency_retention = c.emergency_retention;
    o.rollups = c.rollups;
    o.rollup_numeric_fields = c.rollup_numeric_fields;
    if (!c.rollup_unique_fields.empty()) o.rollup_unique_fields = c.rollup_unique_fields;
    o.warn = [](const std::string& m) { Log::warn("store", m); };
    o.info = [](const std::string& m) { Log::info("store", m); };
    return o;
}

}  // namespace

std::string ReloadResult::to_json() const {
    // A success that refused a plugin file is still a success, but says so in
    // its result, so an alert on the last reload sees it.
    const char* word = !ok ? "failure" : warnings.empty() ? "success" : "success_with_warnings";
    std::string out = std::string("{\"result\":\"") + word + "\",\"errors\":";
    json_list(out, errors);
    out += ",\"started\":";
    json_list(out, started);
    out += ",\"stopped\":";
    json_list(out, stopped);
    out += ",\"unchanged\":";
    json_list(out, unchanged);
    out += ",\"warnings\":";
    json_list(out, warnings);
    out += "}";
    return out;
}

/// Everything read from disk in one go: service, plugins and pipeline configs.
struct Engine::Loaded {
    config::ServiceConfig service;
    std::shared_ptr<loader::Registry> plugins;
    std::vector<config::PipelineConfig> pipelines;
    std::vector<alerts::RuleGroup> alert_groups;
};

Engine::Engine(std::string config_path, std::vector<std::string> builtin_plugin_dirs)
    : config_path_(std::move(config_path)),
      builtin_dirs_(std::move(builtin_plugin_dirs)),
      metrics_(std::make_unique<metrics::Registry>()) {}

Engine::~Engine() { shutdown(std::chrono::seconds(10)); }

std::unique_ptr<Engine::Loaded> Engine::load_all(std::vector<std::string>& errors) {
    auto loaded = std::make_unique<Loaded>();
    try {
        loaded->service = config::load_service(config_path_);
    } catch (const config::ConfigErrors& e) {
        for (const auto& err : e.errors) errors.push_back(err.format());
        return nullptr;
    } catch (const std::exception& e) {
        errors.push_back(config_path_ + ": " + e.what());
        return nullptr;
    }
    std::vector<std::string> dirs = builtin_dirs_;
    for (const auto& d : loaded->service.plugin_dirs) dirs.push_back(d);
    loaded->plugins = std::make_shared<loader::Registry>(loader::Registry::scan(dirs, plugins_.get()));
    for (const auto& r : loaded->plugins->refusals()) Log::warn("loader", r.message);
    try {
        RegistryCatalog catalog(*loaded->plugins);
        loaded->pipelines = config::load_pipelines(loaded->service, catalog);
    } catch (const config::ConfigErrors& e) {
        for (const auto& err : e.errors) errors.push_back(err.format());
        return nullptr;
    } catch (const std::exception& e) {
        errors.push_back(e.what());
        return nullptr;
    }
    std::vector<config::Error> alert_errors;
    loaded->alert_groups = alerts::load_rule_groups(loaded->service.alerts_dir, alert_errors);
    if (!alert_errors.empty()) {
        for (const auto& err : alert_errors) errors.push_back(err.format());
        return nullptr;
    }
    return loaded;
}

void Engine::start() {
    std::vector<std::string> errors;
    auto loaded = load_all(errors);
    if (!loaded) {
        std::string all;
        for (auto& e : errors) all += e + "\n";
        throw std::runtime_error(all);
    }
    LogLevel lv;
    if (Log::parse_level(loaded->service.log_level, lv)) Log::set_level(lv);
    std::filesystem::create_directories(loaded->service.data_dir);
    if (loaded->service.store.enabled && !store()) {
        // Throws naming the folder.
        std::shared_ptr<store::Store> s = store::Store::open(store_options(loaded->service.store));
        set_host_store(s.get());
        std::lock_guard lock(store_mu_);
        store_ = std::move(s);
        Log::info("store", "open at " + loaded->service.store.path);
    }
    BuildEnv env{loaded->service.data_dir, metrics_.get()};
    std::map<std::string, std::unique_ptr<Pipeline>> built;
    for (const auto& cfg : loaded->pipelines) {
        try {
            built[cfg.name] = Pipeline::build(cfg, *loaded->plugins, env);
        } catch (const std::exception& e) {
            errors.push_back(e.what());
        }
    }
    if (!errors.empty()) {
        std::string all;
        for (auto& e : errors) all += e + "\n";
        throw std::runtime_error(all);
    }
    {
        std::lock_guard lock(status_mu_);
        service_ = std::make_unique<config::ServiceConfig>(loaded->service);
        plugins_ = loaded->plugins;
        pipelines_ = std::move(built);
        started_at_ns_ = event::now_ns();
    }
    for (auto& [name, p] : pipelines_) p->start();
    start_alerts(loaded->alert_groups);
    metrics_->pipelines.store(static_cast<int64_t>(pipelines_.size()));
    metrics_->plugins_loaded.store(static_cast<int64_t>(plugins_->plugins().size()));
    metrics_->plugins_refused.store(static_cast<int64_t>(plugins_->refusals().size()));
    Log::info("engine", "started with " + std::to_string(pipelines_.size()) + " pipelines and " +
                            std::to_string(plugins_->plugins().size()) + " plugins");
}

ReloadResult Engine::reload() {
    ReloadResult result;
    Log::info("engine", "reload requested");
    auto loaded = load_all(result.errors);
    std::map<std::string, std::unique_ptr<Pipeline>> fresh;  // new and changed, built, not started
    if (loaded) {
        for (const auto& r : loaded->plugins->refusals()) result.warnings.push_back(r.message);
        if (loaded->service.data_dir != service_->data_dir ||
            loaded->service.admin_listen != service_->admin_listen) {
            Log::warn("engine",
                      "service.data_dir and service.admin_listen changes take effect after a restart");
        }
        BuildEnv env{service_->data_dir, metrics_.get()};
        for (const auto& cfg : loaded->pipelines) {
            try {
                auto p = Pipeline::build(cfg, *loaded->plugins, env);
                auto it = pipelines_.find(cfg.name);
                if (it != pipelines_.end() && it->second->key() == p->key()) {
                    result.unchanged.push_back(cfg.name);  // the built copy is discarded unstarted
                    continue;
                }
                fresh[cfg.name] = std::move(p);
            } catch (const std::exception& e) {
                for (auto& line : split_lines(e.what())) result.errors.push_back(line);
            }
        }
    }
    if (!result.errors.empty()) {
        result.ok = false;
        for (const auto& e : result.errors) Log::error("engine", "reload rejected: " + e);
        Log::error("engine", "reload rejected; the running configuration is unchanged");
        fresh.clear();
        record_reload(result);
        return result;
    }

    std::set<std::string> wanted;
    for (const auto& cfg : loaded->pipelines) wanted.insert(cfg.name);
    // Stop removed and changed pipelines first so checkpoints and other
    // resources are released before their replacements start.
    std::vector<std::string> to_stop;
    for (auto& [name, p] : pipelines_)
        if (!wanted.count(name) || fresh.count(name)) to_stop.push_back(name);
    for (const auto& name : to_stop) {
        pipelines_[name]->stop(kReloadDrainDeadline);
        result.stopped.push_back(name);
    }
    {
        std::lock_guard lock(status_mu_);
        for (const auto& name : to_stop) pipelines_.erase(name);
        for (auto& [name, p] : fresh) pipelines_[name] = std::move(p);
        plugins_ = loaded->plugins;
        LogLevel lv;
        if (Log::parse_level(loaded->service.log_level, lv)) Log::set_level(lv);
    }
    for (auto& [name, p] : pipelines_) {
        if (std::find(result.unchanged.begin(), result.unchanged.end(), name) != result.unchanged.end()) {
            // Unchanged pipelines keep running; their plugins re-read their files.
            for (auto& w : p->reload_instances()) result.warnings.push_back(w);
            continue;
        }
        p->start();
        result.started.push_back(name);
    }
    result.ok = true;
    if (alerts_) alerts_->set_groups(std::move(loaded->alert_groups));
    metrics_->pipelines.store(static_cast<int64_t>(pipelines_.size()));
    metrics_->plugins_loaded.store(static_cast<int64_t>(plugins_->plugins().size()));
    metrics_->plugins_refused.store(static_cast<int64_t>(plugins_->refusals().size()));
    Log::info("engine", "reload done: " + std::to_string(result.started.size()) + " started, " +
                            std::to_string(result.stopped.size()) + " stopped, " +
                            std::to_string(result.unchanged.size()) + " unchanged");
    record_reload(result);
    return result;
}

void Engine::record_reload(const ReloadResult& r) {
    (r.ok ? metrics_->reloads_ok : metrics_->reloads_failed).fetch_add(1);
    metrics_->last_reload_ok.store(r.ok ? 1 : 0);
    metrics_->last_reload_warnings.store(static_cast<int64_t>(r.warnings.size()));
    std::lock_guard lock(status_mu_);
    last_reload_ = r;
    any_reload_ = true;
    last_reload_at_ns_ = event::now_ns();
}

bool Engine::shutdown(std::chrono::milliseconds deadline) {
    {
        std::lock_guard lock(alerts_mu_);
        alerts_.reset();  // no evaluation asks a store that is closing
    }
    // Pipelines drain side by side, so the deadline bounds the whole shutdown.
    std::vector<std::thread> stoppers;
    for (auto& [name, p] : pipelines_) {
        Pipeline* pipeline = p.get();
        stoppers.emplace_back([pipeline, deadline] { pipeline->stop(deadline); });
    }
    for (auto& t : stoppers) t.join();
    bool clean = true;
    for (auto& [name, p] : pipelines_) clean = clean && !p->wedged();
    std::lock_guard lock(status_mu_);
    pipelines_.clear();
    // Every writer is gone: the store commits what it holds and closes.
    if (clean) {
        set_host_store(nullptr);
        std::shared_ptr<store::Store> last;
        {
            std::lock_guard store_lock(store_mu_);
            last.swap(store_);
        }
    }
    return clean;
}

bool Engine::trim_if_idle() {
    uint64_t seen = 0;
    for (auto& [name, p] : pipelines_) seen += p->events_seen();
    // Quiet: fewer than a thousand events in the last interval. Trim when
    // quiet and something arrived since the last trim, so a burst that ended
    // during a quiet interval is still given back afterwards.
    const bool quiet = seen - trim_last_seen_ < 1000;
    trim_last_seen_ = seen;
    if (!quiet || seen == trimmed_at_seen_) return false;
    trimmed_at_seen_ = seen;
    size_t pooled = 0;
    for (auto& [name, p] : pipelines_) pooled += p->trim();
    // glibc keeps freed memory in its per-thread arenas; a burst of huge or
    // hostile records would otherwise stay resident for good.
    ::malloc_trim(0);
    Log::debug("engine", "idle: released " + std::to_string(pooled >> 10) +
                             " KiB of pooled batches and trimmed the heap");
    return true;
}

std::chrono::milliseconds Engine::shutdown_timeout() const {
    const int64_t ns = service_ ? service_->shutdown_timeout_ns : 30'000'000'000;
    return std::chrono::milliseconds(ns / 1'000'000);
}

const config::ServiceConfig& Engine::service() const {
    static const config::ServiceConfig kDefaults;
    return service_ ? *service_ : kDefaults;
}

std::string Engine::admin_listen() const { return service_ ? service_->admin_listen : std::string(); }

metrics::Registry& Engine::metrics() { return *metrics_; }

std::string Engine::metrics_text() const {
    std::string out = metrics_->render_prometheus();
    if (auto s = store()) out += s->metrics_text();
    {
        std::lock_guard lock(alerts_mu_);
        if (alerts_) out += alerts_->metrics_text();
    }
    return out;
}

void Engine::start_alerts(std::vector<alerts::RuleGroup> groups) {
    alerts::ManagerOptions o;
    o.store = [this] { return store(); };
    o.log = [](const std::string& level, const std::string& line) {
        if (level == "warn")
            Log::warn("alerts", line);
        else
            Log::info("alerts", line);
    };
    o.api_authority = service_->admin_listen;
    auto m = std::make_unique<alerts::Manager>(std::move(o));
    size_t rules = 0;
    for (const auto& g : groups) rules += g.rules.size();
    if (!groups.empty())
        Log::info("alerts", std::to_string(rules) + " rules in " + std::to_string(groups.size()) + " groups");
    m->set_groups(std::move(groups));
    std::lock_guard lock(alerts_mu_);
    alerts_ = std::move(m);
}

std::string Engine::alerts_json() const {
    std::lock_guard lock(alerts_mu_);
    return alerts_ ? alerts_->status_json() : std::string("{\"groups\":[],\"history\":[]}");
}

std::shared_ptr<store::Store> Engine::store() const {
    std::lock_guard lock(store_mu_);
    return store_;
}

std::string Engine::status_json() const {
    std::lock_guard lock(status_mu_);
    std::string out = "{\"version\":\"" WEIR_VERSION "\",\"abi\":" + std::to_string(WEIR_ABI_VERSION);
    out += ",\"started_at\":\"" + event::format_rfc3339_ns(started_at_ns_) + "\"";
    out += ",\"config\":";
    event::append_json_string(out, config_path_);
    out += ",\"pipelines\":[";
    bool first = true;
    for (auto& [name, p] : pipelines_) {
        if (!first) out += ",";
        first = false;
        out += p->status_json();
    }
    out += "],\"plugins\":[";
    first = true;
    if (plugins_) {
        for (const auto& h : plugins_->plugins()) {
            if (!first) out += ",";
            first = false;
            const auto* d = h.descriptor;
            out += "{\"name\":";
            event::append_json_string(out, d->name);
            out += ",\"kind\":\"" + std::string(kind_name(d->kind)) + "\",\"version\":";
            event::append_json_string(out, d->version ? d->version : "");
            out += ",\"abi\":" + std::to_string(d->abi_version) + ",\"path\":";
            event::append_json_string(out, h.path);
            out += "}";
        }
    }
    out += "],\"refused\":[";
    first = true;
    if (plugins_) {
        for (const auto& r : plugins_->refusals()) {
            if (!first) out += ",";
            first = false;
            out += "{\"path\":";
            event::append_json_string(out, r.path);
            out += ",\"message\":";
            event::append_json_string(out, r.message);
            out += "}";
        }
    }
    out += "],\"last_reload\":";
    if (any_reload_) {
        std::string r = last_reload_.to_json();
        r.pop_back();
        out += r + ",\"at\":\"" + event::format_rfc3339_ns(last_reload_at_ns_) + "\"}";
    } else {
        out += "null";
    }
    out += ",\"reloads\":{\"success\":" + std::to_string(metrics_->reloads_ok.load()) +
           ",\"failure\":" + std::to_string(metrics_->reloads_failed.load()) + "}}";
    return out;
}

std::vector<std::string> Engine::validate(const std::string& config_path,
                                          const std::vector<std::string>& builtin_plugin_dirs) {
    Engine e(config_path, builtin_plugin_dirs);
    std::vector<std::string> errors;
    auto loaded = e.load_all(errors);
    if (!loaded) return errors;
    // Instances are created (and destroyed) so a plugin's own checks run too;
    // nothing is started. State goes to a throwaway folder.
    const auto tmp = std::filesystem::temp_directory_path() / ("weir-validate-" + std::to_string(::getpid()));
    BuildEnv env{tmp.string(), e.metrics_.get()};
    for (const auto& cfg : loaded->pipelines) {
        try {
            Pipeline::build(cfg, *loaded->plugins, env);
        } catch (const std::exception& ex) {
            for (auto& line : split_lines(ex.what())) errors.push_back(line);
        }
    }
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
    return errors;
}

}  // namespace weir::runtime
