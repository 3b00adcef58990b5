#pragma once

#include <string>
#include <vector>

namespace weir::config {
struct PipelineConfig;
struct PipelineTest;
}  // namespace weir::config
namespace weir::loader {
class Registry;
}

namespace weir::runtime {

struct PipelineTestReport {
    int passed = 0;
    int failed = 0;
    std::string text;  // one line per passing case, a readable diff per failing one
};

/// Runs a pipeline's `tests:` through its parser and filters (no inputs, no
/// outputs). Each input line is one event, processed on its own. Throws
/// std::runtime_error if a plugin refuses to start.
PipelineTestReport run_pipeline_tests(const config::PipelineConfig& pipeline,
                                      const std::vector<config::PipelineTest>& tests,
                                      const loader::Registry& plugins);

}  // namespace weir::runtime
