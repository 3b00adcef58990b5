// `weir store stats|verify|backup|restore`: the store's operations, run on
// its folder in this process (read-only while a daemon writes it; restore
// only when none does). See docs/store.md, "Operations".
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>
#include <weir/event/time_format.hpp>
#include <weir/store/store.hpp>

#include "commands.hpp"

namespace weir::cli {
namespace {

void store_usage(FILE* out) {
    std::fputs(
        "usage: weir store <stats|verify|backup DIR|restore DIR> [options]\n"
        "\n"
        "  stats          partitions with their day, events, blocks and bytes\n"
        "  verify         checks every block, zone map and index entry; exit 1 on problems\n"
        "  backup DIR     a hot, consistent copy of every partition into DIR (new or empty),\n"
        "                 while the daemon keeps writing\n"
        "  restore DIR    puts the backup in DIR in place of the store (the daemon must be\n"
        "                 stopped); refuses to replace a store without --force\n"
        "\n"
        "options:\n"
        "  --data-dir DIR      the service's data_dir (the store is DIR/store), or a store folder\n"
        "  -c, --config FILE   service file whose store.path is used (default: weir.yaml)\n"
        "  --force             with restore: replace the store that is there\n"
        "  --json              with stats and verify: print JSON\n",
        out);
}

bool looks_like_store(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::exists(dir / "LOCK", ec) || std::filesystem::exists(dir / "backup.json", ec))
        return true;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (e.is_directory() && n.size() == 10 && n[4] == '-' && n[7] == '-' &&
            std::filesystem::exists(e.path() / "data.mdb", ec))
            return true;
    }
    return false;
}

std::string utc(int64_t ns) { return ns ? event::format_rfc3339_ns(ns) : std::string("-"); }

int stats(store::Store& s, bool json) {
    const auto parts = s.partition_stats();
    uint64_t events = 0, blocks = 0, bytes = 0;
    if (json) {
        std::printf("{\"partitions\":[");
        for (size_t i = 0; i < parts.size(); ++i) {
            const auto& p = parts[i];
            std::printf(
                "%s{\"day\":\"%s\",\"events\":%llu,\"blocks\":%llu,\"bytes\":%llu,\"oldest\":\"%s\","
                "\"newest\":\"%s\"}",
                i ? "," : "", p.day.c_str(), static_cast<unsigned long long>(p.events),
                static_cast<unsigned long long>(p.blocks), static_cast<unsigned long long>(p.bytes_on_disk),
                utc(p.min_ns).c_str(), utc(p.max_ns).c_str());
        }
    } else {
        std::printf("%-10s  %12s  %8s  %14s  %-30s  %s\n", "day", "events", "blocks", "bytes", "oldest",
                    "newest");
    }
    for (const auto& p : parts) {
        events += p.events;
        blocks += p.blocks;
        bytes += p.bytes_on_disk;
        if (!json)
            std::printf("%-10s  %12llu  %8llu  %14llu  %-30s  %s\n", p.day.c_str(),
                        static_cast<unsigned long long>(p.events), static_cast<unsigned long long>(p.blocks),
                        static_cast<unsigned long long>(p.bytes_on_disk), utc(p.min_ns).c_str(),
                        utc(p.max_ns).c_str());
    }
    if (json)
        std::printf("],\"events\":%llu,\"blocks\":%llu,\"bytes\":%llu}\n",
                    static_cast<unsigned long long>(events), static_cast<unsigned long long>(blocks),
                    static_cast<unsigned long long>(bytes));
    else
        std::printf("%-10s  %12llu  %8llu  %14llu  (%zu partitions)\n", "total",
                    static_cast<unsigned long long>(events), static_cast<unsigned long long>(blocks),
                    static_cast<unsigned long long>(bytes), parts.size());
    return 0;
}

int verify(store::Store& s, bool json) {
    const store::VerifyReport r = s.verify();
    if (json) {
        std::printf("%s\n", r.to_json().c_str());
    } else {
        for (const auto& p : r.problems) std::printf("problem: %s\n", p.c_str());
        std::printf(
            "%s: %llu partitions, %llu blocks, %llu events, %llu index entries checked, %zu problems\n",
            r.ok() ? "ok" : "FAILED", static_cast<unsigned long long>(r.partitions),
            static_cast<unsigned long long>(r.blocks), static_cast<unsigned long long>(r.events),
            static_cast<unsigned long long>(r.index_entries), r.problems.size());
    }
    return r.ok() ? 0 : 1;
}

}  // namespace

std::string store_path_for(const std::string& data_dir, const std::string& config) {
    if (!data_dir.empty()) {
        const std::filesystem::path d(data_dir);
        return looks_like_store(d) ? d.string() : (d / "store").string();
    }
    return config::load_service(config).store.path;
}

int cmd_store(int argc, char** argv) {
    std::string sub, arg, data_dir, config = "weir.yaml";
    bool force = false, json = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* name) -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "weir store: %s needs a value\n", name);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "-h" || a == "--help") {
            store_usage(stdout);
            return 0;
        } else if (a == "--data-dir") {
            data_dir = value("--data-dir");
        } else if (a == "-c" || a == "--config") {
            config = value("--config");
        } else if (a == "--force") {
            force = true;
        } else if (a == "--json") {
            json = true;
        } else if (!a.empty() && a[0] != '-' && sub.empty()) {
            sub = a;
        } else if (!a.empty() && a[0] != '-' && arg.empty() && (sub == "backup" || sub == "restore")) {
            arg = a;
        } else {
            std::fprintf(stderr, "weir store: unknown argument '%s'\n", a.c_str());
            store_usage(stderr);
            return 2;
        }
    }
    if (sub != "stats" && sub != "verify" && sub != "backup" && sub != "restore") {
        if (!sub.empty()) std::fprintf(stderr, "weir store: unknown command '%s'\n", sub.c_str());
        store_usage(stderr);
        return 2;
    }
    if ((sub == "backup" || sub == "restore") && arg.empty()) {
        std::fprintf(stderr, "weir store %s: needs the backup folder (weir store %s DIR)\n", sub.c_str(),
                     sub.c_str());
        return 2;
    }
    std::string path;
    try {
        path = store_path_for(data_dir, config);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weir store: %s (give --data-dir DIR or -c FILE)\n", e.what());
        return 2;
    }
    try {
        if (sub == "restore") {
            store::restore(arg, path, force);
            std::printf("restored %s into %s\n", arg.c_str(), path.c_str());
            return 0;
        }
        store::StoreOptions o;
        o.path = path;
        o.read_only = true;
        auto s = store::Store::open(o);
        if (sub == "stats") return stats(*s, json);
        if (sub == "verify") return verify(*s, json);
        s->backup(arg);
        const auto parts = s->partition_stats();
        std::printf("backed up %zu partitions of %s into %s\n", parts.size(), path.c_str(), arg.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weir store %s: %s\n", sub.c_str(), e.what());
        return 1;
    }
}

}  // namespace weir::cli
