#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace weir::config {
struct PipelineConfig;
}
namespace weir::loader {
class Registry;
}
namespace weir::metrics {
class Registry;
}

namespace weir::runtime {

struct BuildEnv {
    std::string data_dir;
    metrics::Registry* metrics = nullptr;
};

/// One running pipeline: input threads → bounded work queue → worker pool
/// (parser + filters) → one bounded queue and writer thread per output, with
/// acknowledgements flowing back to the input that made each batch.
class Pipeline {
public:
    /// Creates every plugin instance without starting anything. Throws
    /// std::runtime_error with a one-line reason (e.g. a plugin's create failed).
    static std::unique_ptr<Pipeline> build(const config::PipelineConfig& cfg, const loader::Registry& plugins,
                                           const BuildEnv& env);
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    void start();
    /// Stops the inputs, lets everything already accepted flow to the outputs
    /// and waits for their acknowledgements. After `deadline`, what is still
    /// undelivered is abandoned (its inputs are told; a file input re-reads it
    /// after restart). Idempotent.
    void stop(std::chrono::milliseconds deadline);
    /// True once a stop had to leave a blocked thread behind (see stop()).
    bool wedged() const;
    /// Frees the recycled batches kept for reuse (their arenas grow with the
    /// largest records seen); returns the bytes they held. For idle periods.
    size_t trim();
    /// Events its inputs have emitted so far (to tell an idle pipeline).
    uint64_t events_seen() const;

    const std::string& name() const;
    /// Changes whenever the pipeline's config or any plugin library it uses changes.
    const std::string& key() const;
    const std::string& file() const;
    /// SIGHUP for an unchanged pipeline: each instance re-reads its files
    /// (see weir_plugin_descriptor::reload). Returns the failures, one line each.
    std::vector<std::string> reload_instances();
    /// {"name":..., "file":..., "stages":[...]} as JSON.
    std::string status_json() const;

    struct Impl;

private:
    explicit Pipeline(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace weir::runtime
