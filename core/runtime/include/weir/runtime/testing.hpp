#pragma once

#include <weir/plugin.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>
#include <weir/event/batch.hpp>
#include <weir/metrics/registry.hpp>

namespace weir::runtime::testing {

/// Drives one real plugin .so in-process, through the same host API the
/// daemon uses, for plugin unit tests and the contract suite.
///
///   StageHarness h(WEIR_PLUGIN_DIR "/json.so", "{}");
///   event::Batch b; b.add(R"({"a":1})", 0);
///   h.process(b);
class StageHarness {
public:
    /// Loads the plugin, validates `options_yaml` (a YAML map such as
    /// "{paths: [/tmp/x.log]}" or "" for none) against its option table and
    /// creates one instance. Throws std::runtime_error carrying the one-line
    /// message a user would see (config error, refusal or create failure).
    /// `state_dir` is where the instance keeps state (a temp dir by default).
    StageHarness(const std::string& plugin_path, const std::string& options_yaml, std::string state_dir = {});
    ~StageHarness();
    StageHarness(const StageHarness&) = delete;
    StageHarness& operator=(const StageHarness&) = delete;

    const weir_plugin_descriptor& descriptor() const;
    metrics::InstanceMetrics& metrics();
    const std::string& state_dir() const;

    /// Parsers and filters: run `process` on the batch (removes dropped events afterwards).
    int32_t process(event::Batch& batch);
    /// SIGHUP for this instance (its reload hook). Returns "" or why it failed.
    std::string reload();
    /// Outputs: one write; waits for an asynchronous ack if the plugin answers
    /// WEIR_PENDING. Returns the settled status: WEIR_OK, WEIR_RETRY,
    /// WEIR_ERROR or WEIR_REFUSED (counted as dropped with its reason).
    int32_t write(event::Batch& batch);
    /// Options the plugin read while it was created that its own table does
    /// not declare (a plugin bug; the contract suite fails on any).
    const std::vector<std::string>& undeclared_option_reads() const;

    // ---- inputs -------------------------------------------------------------------
    /// Starts `input_run` on its own thread; emitted batches are captured.
    void start();
    /// Asks the input to stop and joins its thread.
    void stop();
    /// Waits until at least `events` events were emitted in total (or the timeout).
    /// Returns the number emitted so far.
    size_t wait_for_events(size_t events, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Bodies of every captured event, in emission order.
    std::vector<std::string> bodies() const;
    /// Every captured event as one JSON line (fields included), in emission order.
    std::vector<std::string> events_json() const;
    /// Acknowledge every captured batch not yet acknowledged (as outputs would).
    void ack_all(bool delivered = true);
    /// If true (default), batches are acknowledged as soon as they are emitted.
    void set_auto_ack(bool on);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace weir::runtime::testing
