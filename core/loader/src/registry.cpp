#include <weir/config/options.hpp>
#include <weir/kind.hpp>
#include <weir/loader/registry.hpp>

// Boost.DLL 1.74 on GCC 12 needs <vector> before its headers.
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cctype>
#include <filesystem>
#include <map>
#include <vector>

namespace fs = std::filesystem;

namespace weir::loader {

struct LoadedLibrary {
    boost::dll::shared_library lib;
};

std::string PluginHandle::identity() const {
    return path + "@" + std::to_string(dev) + ":" + std::to_string(ino) + ":" + std::to_string(size) + ":" +
           std::to_string(mtime_ns);
}

namespace {

bool valid_name(const char* n) {
    if (!n || !*n) return false;
    for (const char* p = n; *p; ++p)
        if (!(std::islower(static_cast<unsigned char>(*p)) || std::isdigit(static_cast<unsigned char>(*p)) ||
              *p == '_'))
            return false;
    return true;
}

/// Checks a descriptor field by field, struct sizes first. "" if valid.
std::string check_descriptor(const weir_plugin_descriptor* d) {
    if (d->abi_version != WEIR_ABI_VERSION)
        return "descriptor ABI version " + std::to_string(d->abi_version) + ", this weir speaks ABI " +
               std::to_string(WEIR_ABI_VERSION);
    if (d->struct_size < WEIR_DESCRIPTOR_MIN_SIZE)
        return "descriptor is " + std::to_string(d->struct_size) + " bytes, expected at least " +
               std::to_string(WEIR_DESCRIPTOR_MIN_SIZE);
    if (!weir::kind_name(d->kind, nullptr))
        return "unknown plugin kind " + std::to_string(d->kind) + " (expected 1 to 4)";
    if (!valid_name(d->name))
        return std::string("invalid plugin name '") + (d->name ? d->name : "") + "' (expected [a-z0-9_]+)";
    if (!d->create || !d->destroy) return "descriptor lacks create/destroy";
    switch (d->kind) {
        case WEIR_KIND_INPUT:
            if (!d->input_run) return "input descriptor lacks input_run";
            break;
        case WEIR_KIND_PARSER:
        case WEIR_KIND_FILTER:
            if (!d->process) return std::string(weir::kind_name(d->kind)) + " descriptor lacks process";
            break;
        case WEIR_KIND_OUTPUT:
            if (!d->write) return "output descriptor lacks write";
            break;
    }
    if (d->option_count > 0 && !d->options) return "descriptor has options but no option table";
    for (size_t i = 0; i < d->option_count; ++i) {
        const weir_option_def& o = d->options[i];
        if (o.struct_size < sizeof(weir_option_def))
            return "option entry " + std::to_string(i) + " is " + std::to_string(o.struct_size) +
                   " bytes, expected at least " + std::to_string(sizeof(weir_option_def));
        if (!o.name) continue;
        if (o.type < WEIR_OPT_STRING || o.type > WEIR_OPT_STRING_LIST)
            return std::string("option '") + o.name + "' has unknown type " + std::to_string(o.type);
    }
    return config::check_option_table(*d);
}

/// dlopen through a uniquely named link so that a replaced file (same path,
/// new inode) is mapped fresh: glibc matches an already loaded library by the
/// name it was opened with before it compares file identity.
std::shared_ptr<LoadedLibrary> open_library(const std::string& path, const struct stat& st,
                                            std::string& error) {
    char tmpl[] = "/tmp/weir-dl-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    std::string link;
    if (dir) {
        link = std::string(dir) + "/" + std::to_string(st.st_ino) + "-" + fs::path(path).filename().string();
        if (::symlink(fs::absolute(path).c_str(), link.c_str()) != 0) link.clear();
    }
    auto lib = std::make_shared<LoadedLibrary>();
    try {
        // RTLD_NODELETE: a library is never unmapped, even when its last
        // instance is gone. Code of a dropped plugin may still be on a stack
        // (a thread_local destructor, process-lifetime statics of a library
        // such as RE2's), and unmapping it would turn those into crashes or
        // leaks. A replaced file still loads fresh through its unique link.
        const auto mode = static_cast<boost::dll::load_mode::type>(
            static_cast<int>(boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local) |
            RTLD_NODELETE);
        lib->lib.load(link.empty() ? path : link, mode);
    } catch (const std::exception& e) {
        error = e.what();
        lib.reset();
    }
    if (!link.empty()) ::unlink(link.c_str());
    if (dir) ::rmdir(dir);
    return lib;
}

}  // namespace

Registry Registry::scan(const std::vector<std::string>& dirs, const Registry* previous) {
    Registry r;
    std::map<std::pair<int32_t, std::string>, std::string> taken;  // (kind, name) -> file
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            r.refusals_.push_back({dir, dir + ": plugin directory does not exist"});
            continue;
        }
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            const std::string name = e.path().filename().string();
            if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0 && name[0] != '.')
                files.push_back(e.path().string());
        }
        std::sort(files.begin(), files.end());
        for (const auto& path : files) {
            auto refuse = [&](const std::string& why) {
                r.refusals_.push_back({path, path + ": refused: " + why});
            };
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
                refuse("not a regular file");
                continue;
            }
            PluginHandle h;
            h.path = path;
            h.dev = st.st_dev;
            h.ino = st.st_ino;
            h.size = static_cast<uint64_t>(st.st_size);
            h.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
            const PluginHandle* reuse = nullptr;
            if (previous) {
                for (const auto& p : previous->plugins_)
                    if (p.identity() == h.identity()) reuse = &p;
            }
            if (reuse) {
                h.library = reuse->library;
                h.descriptor = reuse->descriptor;
            } else {
                if (std::string why = probe_file(path); !why.empty()) {
                    refuse(why);
                    continue;
                }
                std::string error;
                auto lib = open_library(path, st, error);
                if (!lib) {
                    refuse("cannot load: " + error);
                    continue;
                }
                if (!lib->lib.has(WEIR_ENTRY_SYMBOL)) {
                    refuse("no entry symbol '" WEIR_ENTRY_SYMBOL "' (expected the WEIR_PLUGIN(...) export)");
                    continue;
                }
                auto entry = lib->lib.get<const weir_plugin_descriptor*(uint32_t)>(WEIR_ENTRY_SYMBOL);
                const weir_plugin_descriptor* d = entry(WEIR_ABI_VERSION);
                if (!d) {
                    refuse("weir_plugin_entry returned no descriptor for ABI " +
                           std::to_string(WEIR_ABI_VERSION));
                    continue;
                }
                if (std::string why = check_descriptor(d); !why.empty()) {
                    refuse(why);
                    continue;
                }
                h.library = std::move(lib);
                h.descriptor = d;
            }
            const auto key = std::make_pair(h.descriptor->kind, std::string(h.descriptor->name));
            if (auto it = taken.find(key); it != taken.end()) {
                refuse(std::string("duplicate ") + weir::kind_name(key.first) + " '" + key.second +
                       "': already provided by " + it->second);
                continue;
            }
            taken.emplace(key, path);
            r.plugins_.push_back(std::move(h));
        }
    }
    return r;
}

const PluginHandle* Registry::find(int32_t kind, std::string_view name) const {
    for (const auto& p : plugins_)
        if (p.descriptor->kind == kind && name == p.descriptor->name) return &p;
    return nullptr;
}

std::vector<std::string> Registry::names(int32_t kind) const {
    std::vector<std::string> out;
    for (const auto& p : plugins_)
        if (p.descriptor->kind == kind) out.emplace_back(p.descriptor->name);
    return out;
}

}  // namespace weir::loader
