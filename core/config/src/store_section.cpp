#include "store_section.hpp"

#include <weir/config/suggest.hpp>
#include <weir/config/units.hpp>

namespace weir::config {

void load_store_section(const YAML::Node& node, const SectionReader& r, StoreConfig& out) {
    if (node.IsNull()) return;
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    if (!r.walk(node, "'store'", entries)) return;
    static const std::vector<std::string> kKeys = {"enabled",   "path",         "sync",        "retention",
                                                   "partition", "block_events", "index_fields"};
    for (const auto& entry : entries) {
        // Named references, not a structured binding: the lambda below uses v.
        const YAML::Node& k = entry.first;
        const YAML::Node& v = entry.second;
        const std::string name = k.Scalar();
        if (name == "index_fields") {
            if (!v.IsSequence()) {
                r.error(v, "store.index_fields expects a list of field names");
                continue;
            }
            for (const auto& item : v) {
                std::string text;
                if (!item.IsScalar() || !r.scalar(item, text) || text.empty()) {
                    r.error(item, "store.index_fields expects field names");
                    continue;
                }
                out.index_fields.push_back(text);
            }
            continue;
        }
        std::string text;
        if (!v.IsScalar()) {
            r.error(v, "store." + name + " expects a single value");
            continue;
        }
        if (!r.scalar(v, text)) continue;
        auto boolean = [&](bool& dst) {
            if (text == "true" || text == "yes" || text == "on") {
                dst = true;
            } else if (text == "false" || text == "no" || text == "off") {
                dst = false;
            } else {
                r.error(v, "store." + name + " expects true or false, found '" + text + "'");
            }
        };
        if (name == "enabled") {
            boolean(out.enabled);
        } else if (name == "sync") {
            boolean(out.sync);
        } else if (name == "path") {
            out.path = text;
        } else if (name == "retention") {
            const auto ns = parse_duration_ns(text);
            if (!ns || *ns < 0)
                r.error(v,
                        "store.retention expects a duration (e.g. 7d, 720h; 0s keeps everything), found '" +
                            text + "'");
            else
                out.retention_ns = *ns;
        } else if (name == "partition") {
            if (text != "day")
                r.error(v, "store.partition supports only 'day' (a UTC day), found '" + text + "'");
        } else if (name == "block_events") {
            char* end = nullptr;
            const long long n = std::strtoll(text.c_str(), &end, 10);
            if (end == text.c_str() || *end || n < 64 || n > 65536)
                r.error(v, "store.block_events expects a number from 64 to 65536, found '" + text + "'");
            else
                out.block_events = n;
        } else {
            std::string msg = "unknown option '" + name + "' in 'store'";
            const std::string s = did_you_mean(name, kKeys);
            if (!s.empty()) msg += "; did you mean '" + s + "'?";
            r.error(k, msg);
        }
    }
}

}  // namespace weir::config
