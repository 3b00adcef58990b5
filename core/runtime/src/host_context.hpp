// Internal: the host side of plugin instances and in-flight batches.
#pragma once

#include <weir/plugin.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <weir/event/batch.hpp>
#include <weir/metrics/registry.hpp>
#include <weir/runtime/log.hpp>

struct weir_ctx {};

namespace weir::loader {
struct LoadedLibrary;
}

namespace weir::runtime {

struct PipelineCore;
struct InputSlot;
struct OutputSlot;

/// What a weir_ctx* points to.
struct HostContext : weir_ctx {
    PipelineCore* pipeline = nullptr;
    std::string pipeline_name;
    std::string instance_name;
    std::string component;  // "input:file:app"
    std::string state_dir;
    std::once_flag state_dir_made;
    std::shared_ptr<metrics::InstanceMetrics> metrics;
    LogLimiter limiter;
    /// Values of the instance's secret options: masked in its log lines and refusals.
    std::vector<std::string> secrets;
    InputSlot* input = nullptr;    // set for inputs
    OutputSlot* output = nullptr;  // set for outputs
};

/// A plugin instance; keeps its library mapped for as long as it lives.
struct Instance {
    std::shared_ptr<loader::LoadedLibrary> library;  // destroyed last
    const weir_plugin_descriptor* descriptor = nullptr;
    std::unique_ptr<HostContext> ctx;
    void* self = nullptr;
    Instance() = default;
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;
    ~Instance() {
        if (self && descriptor && descriptor->destroy) descriptor->destroy(self);
    }
};

/// Calls the instance's reload hook if it has one (descriptor new enough and
/// set). Returns "" or the reason it failed, which is also logged and counted
/// (weir_errors_total{reason="reload_failed"}).
std::string reload_instance(Instance& inst);

/// The table handed to every plugin.
const weir_host_api* host_api();

/// `text` with every occurrence of each secret replaced by "***".
std::string mask_secrets(std::string text, const std::vector<std::string>& secrets);

// Implemented by the pipeline, used by the host API.
weir_batch* pipeline_batch_new(HostContext* ctx);
void pipeline_batch_free(HostContext* ctx, weir_batch* b);
int32_t pipeline_batch_full(HostContext* ctx, const weir_batch* b);
int32_t pipeline_emit(HostContext* ctx, weir_batch* b, uint64_t cookie, bool nonblock);
bool pipeline_should_stop(HostContext* ctx);
void pipeline_output_ack(HostContext* ctx, uint64_t token, int32_t status);
void pipeline_output_refuse(HostContext* ctx, uint64_t token, const char* reason);

}  // namespace weir::runtime
