#include "commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>
#include <weir/config/options.hpp>
#include <weir/config/pipeline_tests.hpp>
#include <weir/kind.hpp>
#include <weir/loader/registry.hpp>
#include <weir/runtime/catalog.hpp>
#include <weir/runtime/engine.hpp>
#include <weir/runtime/pipeline_tests.hpp>

namespace fs = std::filesystem;

namespace weir::cli {
namespace {

const char* type_name(int32_t type) {
    switch (type) {
        case WEIR_OPT_STRING:
            return "string";
        case WEIR_OPT_INT:
            return "integer";
        case WEIR_OPT_FLOAT:
            return "number";
        case WEIR_OPT_BOOL:
            return "boolean";
        case WEIR_OPT_DURATION:
            return "duration";
        case WEIR_OPT_SIZE:
            return "size";
        case WEIR_OPT_STRING_LIST:
            return "list of strings";
        default:
            return "?";
    }
}

/// What the option's rules say, as sentences for --describe and the READMEs
/// ("One of `a`, `b`.", "At least `1`.", "Secret: never printed."); "" for none.
std::string rules_text(const weir_option_rules* r, bool markdown) {
    if (!r) return {};
    const std::string q = markdown ? "`" : "";
    std::string out;
    auto sentence = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
    if (const auto values = config::allowed_values(r); !values.empty()) {
        std::string list;
        for (size_t i = 0; i < values.size(); ++i)
            list += (i ? ", " : "") + q + (values[i].empty() ? std::string("\"\"") : values[i]) + q;
        sentence("One of " + list + ".");
    }
    if (r->min && r->max)
        sentence("From " + q + r->min + q + " to " + q + r->max + q + ".");
    else if (r->min)
        sentence("At least " + q + r->min + q + ".");
    else if (r->max)
        sentence("At most " + q + r->max + q + ".");
    if (r->empty_means && *r->empty_means) sentence(std::string("Empty: ") + r->empty_means + ".");
    if (r->flags & WEIR_OPT_SECRET) sentence("Secret: never printed.");
    return out;
}

/// The default as --describe shows it; a secret's own default is not shown.
std::string default_text(const weir_option_def& o, const weir_option_rules* r, bool markdown) {
    const std::string q = markdown ? "`" : "";
    if (!o.default_value) return markdown ? "—" : "-";
    if (r && (r->flags & WEIR_OPT_SECRET) && *o.default_value) return "(secret)";
    if (*o.default_value) return q + o.default_value + q;
    return q + (o.type == WEIR_OPT_STRING_LIST ? "[]" : "\"\"") + q;
}

}  // namespace

std::vector<std::string> builtin_plugin_dirs() {
    if (const char* env = std::getenv("WEIR_BUILTIN_PLUGIN_DIR"); env && *env) return {env};
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    const fs::path dir = exe.parent_path();
    if (fs::is_directory(dir / "plugins")) return {(dir / "plugins").string()};
    if (fs::is_directory(dir / ".." / "lib" / "weir" / "plugins"))
        return {fs::weakly_canonical(dir / ".." / "lib" / "weir" / "plugins").string()};
    return {};
}

int cmd_validate(const GlobalOptions& g) {
    const auto errors = runtime::Engine::validate(g.config, g.builtin_plugin_dirs);
    if (errors.empty()) {
        std::printf("%s: configuration is valid\n", g.config.c_str());
        return 0;
    }
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "%zu error%s\n", errors.size(), errors.size() == 1 ? "" : "s");
    return 1;
}

int cmd_plugins(const GlobalOptions& g, const std::string& describe, bool markdown, bool config_given) {
    std::vector<std::string> dirs = g.builtin_plugin_dirs;
    if (config_given || fs::exists(g.config)) {
        try {
            const auto service = config::load_service(g.config);
            for (const auto& d : service.plugin_dirs) dirs.push_back(d);
        } catch (const config::ConfigErrors& e) {
            for (const auto& err : e.errors) std::fprintf(stderr, "%s\n", err.format().c_str());
            return 1;
        }
    }
    const auto reg = loader::Registry::scan(dirs);
    for (const auto& r : reg.refusals()) std::fprintf(stderr, "%s\n", r.message.c_str());

    if (describe.empty()) {
        auto plugins = reg.plugins();
        std::sort(plugins.begin(), plugins.end(), [](const auto& a, const auto& b) {
            if (a.descriptor->kind != b.descriptor->kind) return a.descriptor->kind < b.descriptor->kind;
            return std::string(a.descriptor->name) < b.descriptor->name;
        });
        std::printf("%-8s %-16s %-10s %s\n", "KIND", "NAME", "VERSION", "DESCRIPTION");
        for (const auto& p : plugins) {
            const auto* d = p.descriptor;
            std::printf("%-8s %-16s %-10s %s\n", kind_name(d->kind), d->name, d->version ? d->version : "",
                        d->description ? d->description : "");
        }
        return 0;
    }

    // NAME, KIND/NAME or KIND:NAME: an input and an output may share a name (http, syslog...).
    std::string want_kind, want_name = describe;
    if (const size_t slash = describe.find_first_of("/:"); slash != std::string::npos) {
        want_kind = describe.substr(0, slash);
        want_name = describe.substr(slash + 1);
        if (!want_kind.empty() && want_kind.back() == 's') want_kind.pop_back();  // "outputs/http" too
    }
    std::vector<const loader::PluginHandle*> found;
    for (const auto& p : reg.plugins()) {
        if (want_name != p.descriptor->name) continue;
        if (!want_kind.empty() && want_kind != kind_name(p.descriptor->kind)) continue;
        found.push_back(&p);
    }
    if (found.empty()) {
        std::fprintf(stderr, "weir: no plugin named '%s'\n", describe.c_str());
        return 1;
    }
    if (found.size() > 1) {
        std::string all;
        for (const auto* p : found)
            all += std::string(all.empty() ? "" : ", ") + kind_name(p->descriptor->kind) + "/" + want_name;
        std::fprintf(stderr, "weir: '%s' names more than one plugin (%s); say which, e.g. --describe %s\n",
                     describe.c_str(), all.c_str(), all.substr(0, all.find(',')).c_str());
        return 1;
    }
    const weir_plugin_descriptor* d = found.front()->descriptor;
    const std::string path = found.front()->path;
    if (markdown) {
        std::printf("| Option | Type | Default | Required | Description |\n");
        std::printf("|---|---|---|---|---|\n");
        for (size_t i = 0; i < d->option_count; ++i) {
            const auto& o = d->options[i];
            if (!o.name) continue;
            const weir_option_rules* r = config::option_rules(*d, i);
            std::string help = o.help ? o.help : "";
            if (const std::string extra = rules_text(r, true); !extra.empty()) help += " " + extra;
            std::printf("| `%s` | %s | %s | %s | %s |\n", o.name, type_name(o.type),
                        default_text(o, r, true).c_str(), o.required ? "yes" : "no", help.c_str());
        }
        return 0;
    }
    std::printf("%s (%s) %s\n  %s\n  file: %s\n  ABI: %u\n\n", d->name, kind_name(d->kind), d->version,
                d->description ? d->description : "", path.c_str(), d->abi_version);
    if (d->option_count == 0) {
        std::printf("no options\n");
        return 0;
    }
    std::printf("%-20s %-16s %-12s %-9s %s\n", "OPTION", "TYPE", "DEFAULT", "REQUIRED", "DESCRIPTION");
    for (size_t i = 0; i < d->option_count; ++i) {
        const auto& o = d->options[i];
        if (!o.name) continue;
        const weir_option_rules* r = config::option_rules(*d, i);
        std::printf("%-20s %-16s %-12s %-9s %s\n", o.name, type_name(o.type),
                    default_text(o, r, false).c_str(), o.required ? "yes" : "no", o.help ? o.help : "");
        if (const std::string extra = rules_text(r, false); !extra.empty())
            std::printf("%-20s %s\n", "", extra.c_str());
    }
    return 0;
}

int cmd_test(const GlobalOptions& g, const std::vector<std::string>& files_in, bool config_given) {
    std::vector<std::string> dirs = g.builtin_plugin_dirs;
    std::vector<std::string> files = files_in;
    if (config_given || fs::exists(g.config)) {
        try {
            const auto service = config::load_service(g.config);
            for (const auto& d : service.plugin_dirs)
                if (fs::is_directory(d)) dirs.push_back(d);
            if (files.empty()) {
                for (const auto& e : fs::directory_iterator(service.pipelines_dir)) {
                    const auto ext = e.path().extension();
                    if (ext == ".yaml" || ext == ".yml") files.push_back(e.path().string());
                }
                std::sort(files.begin(), files.end());
            }
        } catch (const config::ConfigErrors& e) {
            for (const auto& err : e.errors) std::fprintf(stderr, "%s\n", err.format().c_str());
            return 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "weir: %s\n", e.what());
            return 1;
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "weir test: no pipeline files given and no %s found\n", g.config.c_str());
        return 2;
    }
    const auto reg = loader::Registry::scan(dirs);
    runtime::RegistryCatalog catalog(reg);
    int passed = 0, failed = 0, broken = 0, without = 0;
    for (const auto& f : files) {
        try {
            const auto cfg = config::load_pipeline_file(f, catalog);
            const auto tests = config::parse_pipeline_tests(cfg);
            if (tests.empty()) {
                ++without;
                continue;
            }
            std::printf("%s\n", f.c_str());
            const auto report = runtime::run_pipeline_tests(cfg, tests, reg);
            std::printf("%s", report.text.c_str());
            passed += report.passed;
            failed += report.failed;
        } catch (const config::ConfigErrors& e) {
            std::fflush(stdout);  // keep the report in order when both go to a terminal
            for (const auto& err : e.errors) std::fprintf(stderr, "%s\n", err.format().c_str());
            ++broken;
        } catch (const std::exception& e) {
            std::fflush(stdout);
            std::fprintf(stderr, "%s\n", e.what());
            ++broken;
        }
    }
    std::printf("%d passed, %d failed", passed, failed);
    if (broken) std::printf(", %d file%s with errors", broken, broken == 1 ? "" : "s");
    if (without) std::printf(" (%d file%s without tests)", without, without == 1 ? "" : "s");
    std::printf("\n");
    return failed || broken ? 1 : 0;
}

}  // namespace weir::cli
