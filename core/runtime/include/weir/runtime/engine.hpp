#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace weir::config {
struct ServiceConfig;
}
namespace weir::loader {
class Registry;
}
namespace weir::metrics {
class Registry;
}
namespace weir::store {
class Store;
}
namespace weir::alerts {
class Manager;
struct RuleGroup;
}  // namespace weir::alerts

namespace weir::runtime {

class Pipeline;

struct ReloadResult {
    bool ok = false;
    std::vector<std::string> errors;  // one line each
    std::vector<std::string> started, stopped, unchanged;
    /// Plugins of unchanged pipelines that could not re-read their files
    /// (they keep what they had; the reload itself succeeded).
    std::vector<std::string> warnings;
    std::string to_json() const;
};

/// Owns the running set of pipelines and the loaded plugins. All mutating
/// calls (start, reload, shutdown) come from one control thread; status and
/// metrics may be read from any thread.
class Engine {
public:
    Engine(std::string config_path, std::vector<std::string> builtin_plugin_dirs);
    ~Engine();

    /// Loads everything and starts every pipeline. Throws std::runtime_error
    /// whose what() lists every problem, one per line.
    void start();
    /// Re-reads all YAML and rescans plugin folders; builds and validates the
    /// new set before touching the running one. On failure nothing changes.
    ReloadResult reload();
    /// Drains every pipeline, side by side (at most `deadline`, plus a short
    /// grace for threads to come back), and stops. Returns false when a
    /// stage was still blocked and had to be left behind: the process should
    /// then exit without running static destructors (see Pipeline::stop).
    bool shutdown(std::chrono::milliseconds deadline);
    /// Called every few seconds from the control thread: when the inputs
    /// emitted fewer than a thousand events since the previous call (and any
    /// since the last trim), frees pooled batches and returns free heap
    /// memory to the system.
    /// Returns true when it trimmed.
    bool trim_if_idle();
    /// service.shutdown_timeout (30 s unless configured).
    std::chrono::milliseconds shutdown_timeout() const;

    /// The admin listen address from the service file loaded at start.
    std::string admin_listen() const;
    /// The service file as loaded at start (service.api and the rest).
    const config::ServiceConfig& service() const;
    std::string status_json() const;
    std::string metrics_text() const;
    metrics::Registry& metrics();
    /// The daemon's store (null when `store.enabled: false`); open from
    /// start to shutdown, across reloads. A query holding it keeps it open
    /// past a shutdown that runs meanwhile. Any thread.
    std::shared_ptr<store::Store> store() const;
    /// GET /api/v1/alerts: rule groups, their states and the history. Any thread.
    std::string alerts_json() const;

    /// Everything `start` checks (including creating every plugin instance),
    /// starting nothing. Returns the problems, one line each; empty means valid.
    static std::vector<std::string> validate(const std::string& config_path,
                                             const std::vector<std::string>& builtin_plugin_dirs);

private:
    struct Loaded;
    std::unique_ptr<Loaded> load_all(std::vector<std::string>& errors);
    void record_reload(const ReloadResult& r);
    void start_alerts(std::vector<alerts::RuleGroup> groups);

    std::string config_path_;
    std::vector<std::string> builtin_dirs_;
    std::unique_ptr<metrics::Registry> metrics_;
    std::unique_ptr<config::ServiceConfig> service_;
    std::shared_ptr<loader::Registry> plugins_;
    mutable std::mutex store_mu_;
    std::shared_ptr<store::Store> store_;  // outlives every pipeline that writes to it
    std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
    mutable std::mutex alerts_mu_;
    std::unique_ptr<alerts::Manager> alerts_;  // evaluates rules against store_
    mutable std::mutex status_mu_;             // guards pipelines_ (structure), plugins_, last_reload_
    ReloadResult last_reload_;
    bool any_reload_ = false;
    int64_t last_reload_at_ns_ = 0;
    int64_t started_at_ns_ = 0;
    uint64_t trim_last_seen_ = 0;
    uint64_t trimmed_at_seen_ = ~uint64_t{0};
};

}  // namespace weir::runtime
