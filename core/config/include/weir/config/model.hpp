#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <weir/config/options.hpp>
#include <weir/config/store_config.hpp>
#include <weir/kind.hpp>

namespace weir::config {

/// A place in a config file, 1-based.
struct Position {
    std::string file;
    int line = 0;
    int column = 0;
};

/// One configuration problem.
struct Error {
    Position pos;
    std::string message;
    /// "file:line:col: message" (or "file: message" without a line).
    std::string format() const;
};

/// Every problem found in one load; what() lists them one per line.
class ConfigErrors : public std::runtime_error {
public:
    explicit ConfigErrors(std::vector<Error> errs);
    std::vector<Error> errors;
};

/// Where plugin descriptors come from (the loader's registry in the daemon).
class PluginCatalog {
public:
    virtual ~PluginCatalog() = default;
    virtual const weir_plugin_descriptor* find(int32_t kind, std::string_view type) const = 0;
    virtual std::vector<std::string> names(int32_t kind) const = 0;
};

/// One stage of a pipeline, validated.
struct StageConfig {
    int32_t kind = 0;
    std::string type;
    std::string name;
    OptionSet options;
    Position pos;
    const weir_plugin_descriptor* descriptor = nullptr;
};

struct PipelineConfig {
    std::string name;
    std::string file;
    std::vector<StageConfig> inputs;
    std::optional<StageConfig> parser;
    std::vector<StageConfig> filters;
    std::vector<StageConfig> outputs;
    int workers = 1;
    /// The work queue (inputs → workers).
    uint64_t queue_max_events = 16384;
    uint64_t queue_max_bytes = 8ull << 20;
    /// Each output's queue (workers → that output): a few batches are enough
    /// to keep an output busy; more only hold memory (the work queue and, for
    /// the http output, its spool absorb bursts). Unset in the YAML: these,
    /// or the work queue's bounds when those are smaller.
    uint64_t output_queue_max_events = 8192;
    uint64_t output_queue_max_bytes = 8ull << 20;
    uint64_t batch_max_events = 2048;
    uint64_t batch_max_bytes = 1ull << 20;
    std::string tests_yaml;   // raw `tests:` section, validated by the test runner
    std::string fingerprint;  // canonical text of everything above but tests, for change detection
};

/// service.api: the API server on service.admin_listen.
struct ApiConfig {
    /// Hashed tokens with scopes and tenants (the http input's keys format);
    /// empty: no tokens, the API is open (on loopback only, unless allowed).
    std::string tokens_file;
    /// Lets a non-loopback listener run without tokens (warned at start).
    bool allow_unauthenticated = false;
    std::string tls_cert_file, tls_key_file, tls_ca_file;
    /// Origins allowed cross-origin (CORS), e.g. https://grafana.example:3000.
    std::vector<std::string> cors_origins;
    /// Folder of static files (the dashboard); empty: none.
    std::string static_dir;
    int64_t max_body_bytes = 1 << 20;
    int64_t max_connections = 512;
    int64_t max_connections_per_client = 128;
    int64_t workers = 4;
    /// The live tail (GET /api/v1/tail, docs/tail.md).
    int64_t tail_buffer = 1000;
    int64_t tail_max_subscribers = 10000;
    int64_t tail_max_per_token = 100;  // 0: no bound
    double tail_rate = 0;              // events/s per subscriber; 0: no bound
    int64_t tail_heartbeat_ns = 5'000'000'000;
};

struct ServiceConfig {
    std::string config_file;
    std::string admin_listen = "127.0.0.1:8686";
    std::string data_dir;
    std::string log_level = "info";
    std::string pipelines_dir;
    /// The folder of alert rule groups (docs/alerts.md); missing: no rules.
    std::string alerts_dir;
    /// How long SIGTERM waits for pipelines to drain before the daemon gives
    /// up on undelivered batches (they are re-read or re-sent after restart).
    int64_t shutdown_timeout_ns = 30'000'000'000;
    std::vector<std::string> plugin_dirs;
    ApiConfig api;
    StoreConfig store;  // the `store:` section; path resolved under data_dir
};

/// "input", "parser", "filter", "output".
using weir::kind_name;

}  // namespace weir::config
