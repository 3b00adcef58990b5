#pragma once

#include <weir/plugin.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weir::loader {

/// A mapped plugin library (Boost.DLL inside). Unmapped when the last
/// reference goes: registries and every plugin instance hold one.
struct LoadedLibrary;

struct PluginHandle {
    std::shared_ptr<LoadedLibrary> library;
    const weir_plugin_descriptor* descriptor = nullptr;
    std::string path;  // the file as found in the plugin folder
    uint64_t dev = 0, ino = 0, size = 0;
    int64_t mtime_ns = 0;
    /// "path@dev:ino" — changes when the file is replaced.
    std::string identity() const;
};

/// A plugin file that was not loaded, and why (one line, naming the file).
struct Refusal {
    std::string path;
    std::string message;
};

/// The plugins found in a set of folders.
class Registry {
public:
    /// Scans `dirs` in order (files sorted by name). Never throws for a bad
    /// file: each becomes a Refusal. Libraries of `previous` whose file is
    /// unchanged are reused without a new dlopen; a replaced file is mapped
    /// fresh even though an older copy of the same path is still loaded.
    static Registry scan(const std::vector<std::string>& dirs, const Registry* previous = nullptr);

    const PluginHandle* find(int32_t kind, std::string_view name) const;
    std::vector<std::string> names(int32_t kind) const;
    const std::vector<PluginHandle>& plugins() const { return plugins_; }
    const std::vector<Refusal>& refusals() const { return refusals_; }

private:
    std::vector<PluginHandle> plugins_;
    std::vector<Refusal> refusals_;
};

/// Checks a file without running any of its code: ELF shared object of this
/// machine, a `.weir_plugin` marker with the right magic, size and ABI.
/// Returns "" if fine, else the reason (without the path).
std::string probe_file(const std::string& path, weir_plugin_marker* out = nullptr);

}  // namespace weir::loader
