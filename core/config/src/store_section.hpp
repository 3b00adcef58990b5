// Internal: reads the service file's `store:` section.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>
#include <weir/config/store_config.hpp>

namespace weir::config {

/// The loader's positioned helpers, handed in so errors read like every other.
struct SectionReader {
    std::function<bool(const YAML::Node&, const std::string&,
                       std::vector<std::pair<YAML::Node, YAML::Node>>&)>
        walk;
    std::function<bool(const YAML::Node&, std::string&)> scalar;
    std::function<void(const YAML::Node&, std::string)> error;
};

void load_store_section(const YAML::Node& node, const SectionReader& r, StoreConfig& out);

}  // namespace weir::config
