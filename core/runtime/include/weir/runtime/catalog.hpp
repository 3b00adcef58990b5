// The loader's registry as the configuration loader's source of plugin
// descriptors.
#pragma once

#include <weir/config/model.hpp>
#include <weir/loader/registry.hpp>

namespace weir::runtime {

class RegistryCatalog : public config::PluginCatalog {
public:
    explicit RegistryCatalog(const loader::Registry& r) : r_(r) {}
    const weir_plugin_descriptor* find(int32_t kind, std::string_view type) const override {
        const auto* h = r_.find(kind, type);
        return h ? h->descriptor : nullptr;
    }
    std::vector<std::string> names(int32_t kind) const override { return r_.names(kind); }

private:
    const loader::Registry& r_;
};

}  // namespace weir::runtime
