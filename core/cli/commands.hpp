#pragma once

#include <string>
#include <vector>

namespace weir::cli {

struct GlobalOptions {
    std::string config = "weir.yaml";
    std::vector<std::string> builtin_plugin_dirs;
};

/// Folders holding the built-in plugins: $WEIR_BUILTIN_PLUGIN_DIR if set, else
/// <exe dir>/plugins (build tree) or <exe dir>/../lib/weir/plugins (installed).
std::vector<std::string> builtin_plugin_dirs();

int cmd_run(const GlobalOptions& g);
int cmd_validate(const GlobalOptions& g);
int cmd_plugins(const GlobalOptions& g, const std::string& describe, bool markdown, bool config_given);
int cmd_test(const GlobalOptions& g, const std::vector<std::string>& files, bool config_given);
/// `weir query`: reads its own arguments (argv[2...]).
int cmd_query(int argc, char** argv);
/// `weir store stats|verify|backup|restore`: reads its own arguments (argv[2...]).
int cmd_store(int argc, char** argv);
/// The store folder of `--data-dir DIR` (DIR/store, or DIR when it is a store
/// folder itself) or, without it, of the service file's store.path.
std::string store_path_for(const std::string& data_dir, const std::string& config);

}  // namespace weir::cli
