#pragma once

#include <string>
#include <vector>
#include <weir/config/env.hpp>
#include <weir/config/model.hpp>

namespace weir::config {

/// Reads weir.yaml. Throws ConfigErrors.
ServiceConfig load_service(const std::string& path, const EnvLookup& env = {});

/// Reads every *.yaml / *.yml in the service's pipelines folder (sorted by
/// name), validating each stage against the catalog. Collects every error of
/// every file, then throws ConfigErrors if there was any.
std::vector<PipelineConfig> load_pipelines(const ServiceConfig& service, const PluginCatalog& catalog,
                                           const EnvLookup& env = {});

/// One pipeline file. Throws ConfigErrors.
PipelineConfig load_pipeline_file(const std::string& path, const PluginCatalog& catalog,
                                  const EnvLookup& env = {});

}  // namespace weir::config
