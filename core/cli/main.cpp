// weir — the command line: run, validate, plugins, version.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.hpp"

namespace {

void usage(FILE* out) {
    std::fputs(
        "usage: weir <command> [options]\n"
        "\n"
        "commands:\n"
        "  run        start the daemon with the service file and its pipelines\n"
        "  validate   check the configuration and plugins without starting anything\n"
        "  plugins    list the plugins found (--describe [KIND/]NAME for one plugin's options)\n"
        "  test       run the tests: sections of pipeline files (all of them, or the FILEs given)\n"
        "  query      search the store of a running daemon, or a data dir (weir query --help)\n"
        "  store      the store's stats, verify, backup and restore (weir store --help)\n"
        "  version    print the version and plugin ABI\n"
        "\n"
        "options:\n"
        "  -c, --config FILE     service file (default: weir.yaml)\n"
        "  --describe [KIND/]NAME  with `plugins`: describe one plugin (e.g. output/http)\n"
        "  --markdown            with `plugins --describe`: print the option table as Markdown\n",
        out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const std::string cmd = argv[1];
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        usage(stdout);
        return 0;
    }
    if (cmd == "query") return weir::cli::cmd_query(argc, argv);
    if (cmd == "store") return weir::cli::cmd_store(argc, argv);
    weir::cli::GlobalOptions g;
    std::string describe;
    bool markdown = false;
    bool config_given = false;
    std::vector<std::string> files;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* name) -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "weir: %s needs a value\n", name);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "-c" || a == "--config") {
            g.config = value("--config");
            config_given = true;
        } else if (a.rfind("--config=", 0) == 0) {
            g.config = a.substr(9);
            config_given = true;
        } else if (a == "--describe") {
            describe = value("--describe");
        } else if (a == "--markdown") {
            markdown = true;
        } else if (cmd == "test" && !a.empty() && a[0] != '-') {
            files.push_back(a);
        } else {
            std::fprintf(stderr, "weir: unknown argument '%s'\n", a.c_str());
            usage(stderr);
            return 2;
        }
    }
    g.builtin_plugin_dirs = weir::cli::builtin_plugin_dirs();
    if (cmd == "run") return weir::cli::cmd_run(g);
    if (cmd == "validate") return weir::cli::cmd_validate(g);
    if (cmd == "plugins") return weir::cli::cmd_plugins(g, describe, markdown, config_given);
    if (cmd == "test") return weir::cli::cmd_test(g, files, config_given);
    if (cmd == "version" || cmd == "--version") {
        std::printf("weir %s (plugin ABI %u)\n", WEIR_VERSION, 1u);
        return 0;
    }
    std::fprintf(stderr, "weir: unknown command '%s'\n", cmd.c_str());
    usage(stderr);
    return 2;
}
