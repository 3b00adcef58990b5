// YAML → validated configuration. yaml-cpp 0.7 keeps duplicate keys and
// returns the first, reads an empty value as null and marks are 0-based, so
// maps are walked by hand and positions get +1.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <weir/config/env.hpp>
#include <weir/config/loader.hpp>
#include <weir/config/model.hpp>
#include <weir/config/suggest.hpp>
#include <weir/config/units.hpp>

namespace fs = std::filesystem;

namespace weir::config {

std::string Error::format() const {
    if (pos.line <= 0) return pos.file + ": " + message;
    return pos.file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " + message;
}

namespace {
std::string join_errors(const std::vector<Error>& errs) {
    std::string s;
    for (const auto& e : errs) {
        if (!s.empty()) s += "\n";
        s += e.format();
    }
    return s;
}
}  // namespace

ConfigErrors::ConfigErrors(std::vector<Error> errs)
    : std::runtime_error(join_errors(errs)), errors(std::move(errs)) {}

namespace {

/// Collects errors for one file.
struct Ctx {
    std::string file;
    EnvLookup env;
    std::vector<Error>* errors;

    Position pos(const YAML::Node& n) const {
        const YAML::Mark m = n.Mark();
        if (m.line < 0) return Position{file, 0, 0};
        return Position{file, m.line + 1, m.column + 1};
    }
    void error(const YAML::Node& n, std::string msg) const {
        errors->push_back(Error{pos(n), std::move(msg)});
    }
    void error(const Position& p, std::string msg) const { errors->push_back(Error{p, std::move(msg)}); }
};

/// The entries of a map, in order, reporting duplicate keys. Returns false if
/// `node` is not a map (error reported as `what`).
bool walk_map(const Ctx& ctx, const YAML::Node& node, const std::string& what,
              std::vector<std::pair<YAML::Node, YAML::Node>>& out) {
    if (!node.IsMap()) {
        ctx.error(node, what + " must be a map of keys to values");
        return false;
    }
    std::map<std::string, Position> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;
        if (!key.IsScalar()) {
            ctx.error(key, "keys must be plain words");
            continue;
        }
        const std::string k = key.Scalar();
        auto [prev, fresh] = seen.emplace(k, ctx.pos(key));
        if (!fresh) {
            ctx.error(key, "duplicate key '" + k + "' (first at " + std::to_string(prev->second.line) + ":" +
                               std::to_string(prev->second.column) + ")");
            continue;
        }
        out.emplace_back(key, it->second);
    }
    return true;
}

/// yaml-cpp reads `type: null` as a null node, like an empty value. The
/// source text at the node tells the two apart (the `null` output is a real plugin).
std::optional<std::string> literal_null_text(const Ctx& ctx, const YAML::Node& v) {
    const YAML::Mark m = v.Mark();
    if (m.line < 0 || m.column < 0) return std::nullopt;
    std::ifstream in(ctx.file);
    std::string line;
    for (int i = 0; i <= m.line; ++i)
        if (!std::getline(in, line)) return std::nullopt;
    const std::string rest = line.substr(std::min<size_t>(line.size(), static_cast<size_t>(m.column)));
    for (const char* word : {"null", "Null", "NULL", "~"}) {
        const size_t n = std::strlen(word);
        if (rest.compare(0, n, word) == 0 &&
            (rest.size() == n || rest[n] == ' ' || rest[n] == '#' || rest[n] == ','))
            return std::string(word);
    }
    return std::nullopt;
}

bool scalar_text(const Ctx& ctx, const YAML::Node& v, std::string& out) {
    std::string err;
    if (!substitute(v.Scalar(), ctx.env, out, err)) {
        ctx.error(v, err);
        return false;
    }
    return true;
}

std::string unknown_key(const std::string& key, const std::string& where,
                        const std::vector<std::string>& known) {
    std::string msg = "unknown option '" + key + "'" + where;
    const std::string s = did_you_mean(key, known);
    if (!s.empty()) msg += "; did you mean '" + s + "'?";
    return msg;
}

/// Validates one option value against its definition and rules (nullptr: none).
bool option_value(const Ctx& ctx, const weir_option_def& def, const YAML::Node& v, const std::string& owner,
                  OptionValue& out, const weir_option_rules* rules = nullptr) {
    const std::string name = def.name;
    const bool secret = rules && (rules->flags & WEIR_OPT_SECRET);
    out.secret = secret;
    if (v.IsNull()) {
        ctx.error(v, "option '" + name + "' of " + owner + " has no value");
        return false;
    }
    if (def.type == WEIR_OPT_STRING_LIST) {
        out.type = def.type;
        out.set = true;
        if (v.IsScalar()) {
            std::string t;
            if (!scalar_text(ctx, v, t)) return false;
            out.list = {t};
            out.text = t;
            if (std::string bad = check_allowed(def, rules, t, owner); !bad.empty()) {
                ctx.error(v, bad);
                return false;
            }
            return true;
        }
        if (!v.IsSequence()) {
            ctx.error(v, "option '" + name + "' of " + owner + " expects a list of strings");
            return false;
        }
        bool ok = true;
        for (const auto& item : v) {
            if (!item.IsScalar()) {
                ctx.error(item, "option '" + name + "' of " + owner + " expects a list of strings");
                ok = false;
                continue;
            }
            std::string t;
            if (!scalar_text(ctx, item, t)) {
                ok = false;
                continue;
            }
            if (std::string bad = check_allowed(def, rules, t, owner); !bad.empty()) {
                ctx.error(item, bad);
                ok = false;
                continue;
            }
            out.list.push_back(t);
        }
        for (const auto& s : out.list) out.text += (out.text.empty() ? "" : ",") + s;
        return ok;
    }
    if (!v.IsScalar()) {
        ctx.error(v, "option '" + name + "' of " + owner + " expects a single value, found a " +
                         (v.IsSequence() ? "list" : "map"));
        return false;
    }
    std::string text;
    if (!scalar_text(ctx, v, text)) return false;
    std::string why;
    const std::string shown = secret ? std::string() : " '" + text + "'";
    if (!convert_option(def.type, text, out, why)) {
        if (def.type == WEIR_OPT_DURATION) {
            ctx.error(v, "invalid duration" + shown + " for option '" + name + "' of " + owner +
                             ": expected a number with unit ns, us, ms, s, m, h or d");
        } else if (def.type == WEIR_OPT_SIZE) {
            ctx.error(v, "invalid size" + shown + " for option '" + name + "' of " + owner +
                             ": expected a number with unit B, KB, MB, GB, KiB, MiB or GiB");
        } else {
            ctx.error(v, "option '" + name + "' of " + owner + " " + why + (secret ? "" : ", found" + shown));
        }
        return false;
    }
    out.secret = secret;
    std::string bad = def.type == WEIR_OPT_STRING ? check_allowed(def, rules, text, owner)
                                                  : check_bounds(def, rules, out, owner);
    if (!bad.empty()) {
        ctx.error(v, bad);
        return false;
    }
    return true;
}

/// Validates the options of a stage (every key but `skip`) against the table.
OptionSet stage_options(const Ctx& ctx, const std::vector<std::pair<YAML::Node, YAML::Node>>& entries,
                        const weir_plugin_descriptor& d, const std::string& owner, const Position& item_pos,
                        const std::set<std::string>& skip, const std::string& where = {}) {
    OptionSet set;
    std::vector<std::string> known(skip.begin(), skip.end());
    std::map<std::string, const weir_option_def*> defs;
    std::map<std::string, const weir_option_rules*> rules;
    for (size_t i = 0; i < d.option_count; ++i) {
        const weir_option_def& o = d.options[i];
        if (!o.name) continue;
        defs[o.name] = &o;
        rules[o.name] = option_rules(d, i);
        known.push_back(o.name);
        set.declare(o.name);
    }
    std::set<std::string> given;
    for (const auto& [key, value] : entries) {
        const std::string k = key.Scalar();
        if (skip.count(k)) continue;
        auto it = defs.find(k);
        if (it == defs.end()) {
            ctx.error(key, unknown_key(k, where.empty() ? " for " + owner : where, known));
            continue;
        }
        OptionValue v;
        if (option_value(ctx, *it->second, value, owner, v, rules[k])) set.set(k, std::move(v));
        given.insert(k);
    }
    for (const auto& [name, def] : defs) {
        if (given.count(name)) continue;
        if (def->default_value) {
            OptionValue v;
            std::string why;
            if (!convert_option(def->type, def->default_value, v, why)) {
                ctx.error(item_pos, "plugin bug: default of option '" + name + "' of " + owner + " " + why);
                continue;
            }
            v.secret = rules[name] && (rules[name]->flags & WEIR_OPT_SECRET);
            set.set(name, std::move(v));
        } else if (def->required) {
            ctx.error(item_pos, owner + " requires option '" + name + "'");
        }
    }
    return set;
}

bool valid_name(const std::string& s) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
}

std::optional<StageConfig> load_stage(const Ctx& ctx, const YAML::Node& item, int32_t kind,
                                      const PluginCatalog& catalog) {
    const std::string kn = kind_name(kind);
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    if (!walk_map(ctx, item, "each " + kn, entries)) return std::nullopt;
    StageConfig stage;
    stage.kind = kind;
    stage.pos = ctx.pos(item);
    // A default-constructed YAML::Node counts as defined (null): track presence ourselves.
    YAML::Node type_node, name_node, type_key;
    bool has_type = false, has_name = false;
    for (const auto& [k, v] : entries) {
        if (k.Scalar() == "type") {
            type_node = v;
            type_key = k;
            has_type = true;
        }
        if (k.Scalar() == "name") {
            name_node = v;
            has_name = true;
        }
    }
    if (!has_type) {
        ctx.error(item, kn + " needs a 'type:' (the plugin name)");
        return std::nullopt;
    }
    if (type_node.IsNull()) {
        auto word = literal_null_text(ctx, type_node);
        if (!word) {
            ctx.error(type_key, "'type' must be a plugin name");
            return std::nullopt;
        }
        stage.type = *word == "~" ? "null" : *word;
    } else if (!type_node.IsScalar() || !scalar_text(ctx, type_node, stage.type)) {
        if (!type_node.IsScalar()) ctx.error(type_node, "'type' must be a plugin name");
        return std::nullopt;
    }
    if (has_name) {
        if (!name_node.IsScalar() || !scalar_text(ctx, name_node, stage.name) || !valid_name(stage.name)) {
            ctx.error(name_node, "'name' must be a word of letters, digits, '_' or '-'");
            return std::nullopt;
        }
    }
    const weir_plugin_descriptor* d = catalog.find(kind, stage.type);
    if (!d) {
        std::string msg = "unknown " + kn + " type '" + stage.type + "'";
        const std::string s = did_you_mean(stage.type, catalog.names(kind));
        if (!s.empty()) msg += "; did you mean '" + s + "'?";
        ctx.error(type_node, msg);
        return std::nullopt;
    }
    stage.descriptor = d;
    stage.options =
        stage_options(ctx, entries, *d, kn + " '" + stage.type + "'", stage.pos, {"type", "name"});
    return stage;
}

int64_t int_field(const Ctx& ctx, const YAML::Node& v, const std::string& what, int64_t lo, int64_t hi,
                  int32_t type) {
    std::string text;
    if (!v.IsScalar() || !scalar_text(ctx, v, text)) {
        if (!v.IsScalar()) ctx.error(v, what + " expects a single value");
        return -1;
    }
    OptionValue out;
    std::string why;
    if (!convert_option(type, text, out, why) || out.i < lo || out.i > hi) {
        ctx.error(v, what + " expects " +
                         (type == WEIR_OPT_SIZE ? std::string("a size") : std::string("an integer")) +
                         " from " + std::to_string(lo) + " to " + std::to_string(hi) + ", found '" + text +
                         "'");
        return -1;
    }
    return out.i;
}

/// `section.max_events` / `max_bytes` (and, for the queue, the output
/// queues' `output_max_events` / `output_max_bytes`: `out_events` non-null).
void load_limits(const Ctx& ctx, const YAML::Node& node, const std::string& section, uint64_t& events,
                 uint64_t& bytes, uint64_t* out_events = nullptr, uint64_t* out_bytes = nullptr) {
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    if (!walk_map(ctx, node, "'" + section + "'", entries)) return;
    auto count = [&](const YAML::Node& v, const std::string& key, uint64_t& into) {
        const int64_t n = int_field(ctx, v, section + "." + key, 1, 100'000'000, WEIR_OPT_INT);
        if (n > 0) into = static_cast<uint64_t>(n);
    };
    auto size = [&](const YAML::Node& v, const std::string& key, uint64_t& into) {
        const int64_t n = int_field(ctx, v, section + "." + key, 1, int64_t(1) << 40, WEIR_OPT_SIZE);
        if (n > 0) into = static_cast<uint64_t>(n);
    };
    for (const auto& [k, v] : entries) {
        const std::string key = k.Scalar();
        if (key == "max_events") {
            count(v, key, events);
        } else if (key == "max_bytes") {
            size(v, key, bytes);
        } else if (out_events && key == "output_max_events") {
            count(v, key, *out_events);
        } else if (out_bytes && key == "output_max_bytes") {
            size(v, key, *out_bytes);
        } else if (out_events) {
            ctx.error(k, unknown_key(key, " in '" + section + "'",
                                     {"max_events", "max_bytes", "output_max_events", "output_max_bytes"}));
        } else {
            ctx.error(k, unknown_key(key, " in '" + section + "'", {"max_events", "max_bytes"}));
        }
    }
}

std::string stage_fingerprint(const StageConfig& s) {
    return std::string(kind_name(s.kind)) + "/" + s.type + "/" + s.name + "{" + s.options.canonical() + "}";
}

void name_stages(std::vector<StageConfig*> stages, const Ctx& ctx) {
    std::map<std::string, int> per_type;
    std::set<std::string> used;
    for (auto* s : stages)
        if (!s->name.empty()) used.insert(s->name);
    for (auto* s : stages) {
        if (!s->name.empty()) continue;
        int& n = per_type[s->type];
        std::string candidate;
        do {
            ++n;
            candidate = n == 1 ? s->type : s->type + "_" + std::to_string(n);
        } while (used.count(candidate));
        s->name = candidate;
        used.insert(candidate);
    }
    std::map<std::string, Position> seen;
    for (auto* s : stages) {
        auto [it, fresh] = seen.emplace(s->name, s->pos);
        if (!fresh)
            ctx.error(s->pos, "duplicate instance name '" + s->name + "' (first at " +
                                  std::to_string(it->second.line) + ":" + std::to_string(it->second.column) +
                                  ")");
    }
}

std::optional<YAML::Node> load_yaml(const std::string& path, std::vector<Error>& errors) {
    try {
        return YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        errors.push_back(Error{Position{path, 0, 0}, "cannot read the file"});
    } catch (const YAML::ParserException& e) {
        errors.push_back(
            Error{Position{path, e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg});
    } catch (const YAML::Exception& e) {
        errors.push_back(Error{Position{path, 0, 0}, std::string("YAML error: ") + e.what()});
    }
    return std::nullopt;
}

std::optional<PipelineConfig> pipeline_from(const std::string& path, const YAML::Node& root,
                                            const PluginCatalog& catalog, const EnvLookup& env,
                                            std::vector<Error>& errors) {
    const size_t before = errors.size();
    Ctx ctx{path, env, &errors};
    PipelineConfig p;
    // 0: not set; then at most the work queue's bounds (a pipeline tuned to
    // a small work queue keeps small output queues too).
    p.output_queue_max_events = p.output_queue_max_bytes = 0;
    p.file = path;
    p.name = fs::path(path).stem().string();
    for (char& c : p.name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
    if (root.IsNull()) {
        errors.push_back(Error{Position{path, 1, 1}, "the pipeline file is empty"});
        return std::nullopt;
    }
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    if (!walk_map(ctx, root, "a pipeline file", entries)) return std::nullopt;
    static const std::vector<std::string> kKeys = {"name",    "inputs", "parser", "filters", "outputs",
                                                   "workers", "queue",  "batch",  "tests"};
    bool has_inputs = false, has_outputs = false;
    for (const auto& entry : entries) {
        const auto& k = entry.first;
        const auto& v = entry.second;  // a plain reference: lambdas below capture it
        const std::string key = k.Scalar();
        auto stage_list = [&](int32_t kind, std::vector<StageConfig>& out, bool required) {
            if (v.IsNull() && !required) return;
            if (!v.IsSequence()) {
                ctx.error(v, "'" + key + "' must be a list of " + kind_name(kind) + "s, each with a 'type:'");
                return;
            }
            if (v.size() == 0 && required)
                ctx.error(v, "'" + key + "' needs at least one " + kind_name(kind));
            for (const auto& item : v)
                if (auto s = load_stage(ctx, item, kind, catalog)) out.push_back(std::move(*s));
        };
        if (key == "name") {
            std::string n;
            if (!v.IsScalar() || !scalar_text(ctx, v, n) || !valid_name(n)) {
                ctx.error(v, "'name' must be a word of letters, digits, '_' or '-'");
            } else {
                p.name = n;
            }
        } else if (key == "inputs") {
            has_inputs = true;
            stage_list(WEIR_KIND_INPUT, p.inputs, true);
        } else if (key == "outputs") {
            has_outputs = true;
            stage_list(WEIR_KIND_OUTPUT, p.outputs, true);
        } else if (key == "filters") {
            stage_list(WEIR_KIND_FILTER, p.filters, false);
        } else if (key == "parser") {
            if (v.IsNull()) continue;
            if (v.IsSequence()) {
                ctx.error(v, "'parser' is a single item (type: ...), not a list; chain work with 'filters'");
                continue;
            }
            if (auto s = load_stage(ctx, v, WEIR_KIND_PARSER, catalog)) p.parser = std::move(*s);
        } else if (key == "workers") {
            const int64_t n = int_field(ctx, v, "workers", 1, 64, WEIR_OPT_INT);
            if (n > 0) p.workers = static_cast<int>(n);
        } else if (key == "queue") {
            load_limits(ctx, v, "queue", p.queue_max_events, p.queue_max_bytes, &p.output_queue_max_events,
                        &p.output_queue_max_bytes);
        } else if (key == "batch") {
            load_limits(ctx, v, "batch", p.batch_max_events, p.batch_max_bytes);
        } else if (key == "tests") {
            YAML::Emitter e;
            e << v;
            p.tests_yaml = e.c_str();
        } else {
            std::string msg = "unknown key '" + key + "' in a pipeline";
            const std::string s = did_you_mean(key, kKeys);
            if (!s.empty()) msg += "; did you mean '" + s + "'?";
            ctx.error(k, msg);
        }
    }
    const PipelineConfig defaults;
    if (!p.output_queue_max_events)
        p.output_queue_max_events = std::min(defaults.output_queue_max_events, p.queue_max_events);
    if (!p.output_queue_max_bytes)
        p.output_queue_max_bytes = std::min(defaults.output_queue_max_bytes, p.queue_max_bytes);
    if (!has_inputs) ctx.error(Position{path, 1, 1}, "the pipeline has no 'inputs:'");
    if (!has_outputs) ctx.error(Position{path, 1, 1}, "the pipeline has no 'outputs:'");
    std::vector<StageConfig*> all;
    for (auto& s : p.inputs) all.push_back(&s);
    if (p.parser) all.push_back(&*p.parser);
    for (auto& s : p.filters) all.push_back(&s);
    for (auto& s : p.outputs) all.push_back(&s);
    name_stages(all, ctx);
    if (errors.size() != before) return std::nullopt;

    std::string fp =
        "name=" + p.name + ";workers=" + std::to_string(p.workers) +
        ";queue=" + std::to_string(p.queue_max_events) + "/" + std::to_string(p.queue_max_bytes) + "/" +
        std::to_string(p.output_queue_max_events) + "/" + std::to_string(p.output_queue_max_bytes) +
        ";batch=" + std::to_string(p.batch_max_events) + "/" + std::to_string(p.batch_max_bytes) + ";";
    for (auto* s : all) fp += stage_fingerprint(*s) + ";";
    p.fingerprint = fp;
    return p;
}

std::string resolve(const fs::path& base, const std::string& p) {
    fs::path path(p);
    if (path.is_relative()) path = base / path;
    return path.lexically_normal().string();
}

// ---- the service file: its sections are option tables ----------------------------
//
// Each section of weir.yaml is validated by the machinery plugin options go
// through (unknown keys with a did-you-mean, types, allowed values, bounds,
// secrets, positions). A new section is a table plus what to do with its
// values: add a Section below and one entry to kSections in load_service.

constexpr uint32_t kDef = sizeof(weir_option_def);
constexpr uint32_t kRules = sizeof(weir_option_rules);

const weir_option_def kServiceOptions[] = {
    {kDef, WEIR_OPT_STRING, "admin_listen", "127.0.0.1:8686", 0,
     "Admin HTTP listener (/health, /metrics, /api/v1/...), host:port; port 0: any free port."},
    {kDef, WEIR_OPT_STRING, "data_dir", "var/lib/weir", 0, "Checkpoints and other state."},
    {kDef, WEIR_OPT_STRING, "log_level", "info", 0, "Lowest level of the daemon's own log lines."},
    {kDef, WEIR_OPT_STRING, "pipelines_dir", "pipelines", 0, "The folder of pipeline files (*.yaml, *.yml)."},
    {kDef, WEIR_OPT_DURATION, "shutdown_timeout", "30s", 0, "How long SIGTERM waits for pipelines to drain."},
    {kDef, WEIR_OPT_STRING, "alerts_dir", "alerts", 0,
     "The folder of alert rule groups (*.yaml, *.yml); a missing folder has no rules."},
};
const weir_option_rules kServiceRules[] = {
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, "error|warn|info|debug", nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, "1ms", nullptr, nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
};

const weir_option_def kApiOptions[] = {
    {kDef, WEIR_OPT_STRING, "tokens_file", "", 0, "Hashed tokens with scopes and tenants."},
    {kDef, WEIR_OPT_BOOL, "allow_unauthenticated", "false", 0,
     "Let a non-loopback listener run without tokens (warned at start)."},
    {kDef, WEIR_OPT_STRING, "tls_cert_file", "", 0, "PEM certificate (and chain) of the API server."},
    {kDef, WEIR_OPT_STRING, "tls_key_file", "", 0, "PEM key of tls_cert_file."},
    {kDef, WEIR_OPT_STRING, "tls_ca_file", "", 0, "PEM CAs whose client certificates are required."},
    {kDef, WEIR_OPT_STRING_LIST, "cors_origins", "", 0,
     "Origins allowed cross-origin, like https://grafana:3000."},
    {kDef, WEIR_OPT_STRING, "static_dir", "", 0, "Folder of static files (the dashboard)."},
    {kDef, WEIR_OPT_SIZE, "max_body", "1MiB", 0, "Largest request body."},
    {kDef, WEIR_OPT_INT, "max_connections", "512", 0, "Connections served at once."},
    {kDef, WEIR_OPT_INT, "max_connections_per_client", "128", 0,
     "Connections of one client address at once."},
    {kDef, WEIR_OPT_INT, "workers", "4", 0, "Threads serving requests."},
    {kDef, WEIR_OPT_INT, "tail_buffer", "1000", 0,
     "Events buffered per live tail subscriber; when full the oldest are dropped (and reported)."},
    {kDef, WEIR_OPT_INT, "tail_max_subscribers", "10000", 0, "Live tail subscribers at once, in all."},
    {kDef, WEIR_OPT_INT, "tail_max_per_token", "100", 0, "Live tail subscribers at once per API token."},
    {kDef, WEIR_OPT_FLOAT, "tail_rate", "0", 0, "Events per second sent to one live tail subscriber."},
    {kDef, WEIR_OPT_DURATION, "tail_heartbeat", "5s", 0,
     "How often a live tail subscriber gets a heartbeat."},
};
const weir_option_rules kApiRules[] = {
    {kRules, 0, nullptr, nullptr, nullptr, "no tokens: the API is open (on loopback only, unless allowed)"},
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, "plain HTTP"},
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, "no client certificates"},
    {kRules, 0, nullptr, nullptr, nullptr, "same origin only"},
    {kRules, 0, nullptr, nullptr, nullptr, "no static files"},
    {kRules, 0, nullptr, "1B", nullptr, nullptr},
    {kRules, 0, nullptr, "1", nullptr, nullptr},
    {kRules, 0, nullptr, "1", nullptr, nullptr},
    {kRules, 0, nullptr, "1", "64", nullptr},
    {kRules, 0, nullptr, "1", "1000000", nullptr},
    {kRules, 0, nullptr, "1", "1000000", nullptr},
    {kRules, 0, nullptr, "0", "1000000", "no bound per token"},
    {kRules, 0, nullptr, "0", nullptr, "no bound"},
    {kRules, 0, nullptr, "10ms", "1h", nullptr},
};

const weir_option_def kStoreOptions[] = {
    {kDef, WEIR_OPT_BOOL, "enabled", "true", 0,
     "Run the embedded store (false: outputs of type store fail to start)."},
    {kDef, WEIR_OPT_STRING, "path", "", 0,
     "Folder of the partitions; relative paths are under service.data_dir."},
    {kDef, WEIR_OPT_BOOL, "sync", "true", 0,
     "fsync each commit (false trades the last commits on power loss for speed)."},
    {kDef, WEIR_OPT_DURATION, "retention", "0s", 0, "Whole days older than this are deleted."},
    {kDef, WEIR_OPT_STRING, "partition", "day", 0, "Time partition of the store: a UTC day."},
    {kDef, WEIR_OPT_INT, "block_events", "4096", 0, "Events in a stored block at most."},
    {kDef, WEIR_OPT_INT, "encode_threads", "1", 0,
     "Threads that build blocks, postings and rollups ahead of the committing thread (1-16)."},
    {kDef, WEIR_OPT_STRING_LIST, "index_fields", "", 0, "Fields indexed as field=value."},
    {kDef, WEIR_OPT_SIZE, "retention_size", "0", 0,
     "Total size the store keeps; the oldest days are deleted past it."},
    {kDef, WEIR_OPT_BOOL, "emergency_retention", "false", 0,
     "On a full disk, delete the oldest day (never today) instead of only pausing writes."},
    {kDef, WEIR_OPT_BOOL, "rollups", "true", 0, "Write per-minute rollups at ingest."},
    {kDef, WEIR_OPT_STRING_LIST, "rollup_numeric_fields", "", 0,
     "Numeric fields with a per-minute histogram (percentiles from rollups)."},
    {kDef, WEIR_OPT_STRING_LIST, "rollup_unique_fields", "", 0,
     "Fields with a per-minute HyperLogLog (approximate unique counts)."},
};
const weir_option_rules kStoreRules[] = {
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, "<data_dir>/store"},
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, "0s", nullptr, "keep everything"},
    {kRules, 0, "day", nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, "64", "65536", nullptr},
    {kRules, 0, nullptr, "1", "16", nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, "the store's default list"},
    {kRules, 0, nullptr, "0", nullptr, "no size bound"},
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, nullptr},
    {kRules, 0, nullptr, nullptr, nullptr, "fields whose name contains latency or duration"},
    {kRules, 0, nullptr, nullptr, nullptr, "user_id, client_ip, ip, session_id"},
};

const weir_option_def kPluginsOptions[] = {
    {kDef, WEIR_OPT_STRING_LIST, "dirs", "", 0, "Plugin folders, scanned after the built-in one."},
};

/// One section of weir.yaml: its name as users write it and its table.
struct Section {
    const char* name;  // "service.api"
    const weir_option_def* options;
    const weir_option_rules* rules;  // nullptr: none
    size_t count;
};

template <size_t N>
constexpr Section section(const char* name, const weir_option_def (&options)[N]) {
    return Section{name, options, nullptr, N};
}
template <size_t N>
constexpr Section section(const char* name, const weir_option_def (&options)[N],
                          const weir_option_rules (&rules)[N]) {
    return Section{name, options, rules, N};
}

const Section kService = section("service", kServiceOptions, kServiceRules);
const Section kApi = section("service.api", kApiOptions, kApiRules);
const Section kPlugins = section("plugins", kPluginsOptions);
const Section kStore = section("store", kStoreOptions, kStoreRules);

/// The values of a section (defaults filled in), validated like a stage's
/// options; `nested` names keys that are sections of their own, returned in
/// `children`. Errors go to ctx; false if `node` is not a map.
bool read_section(const Ctx& ctx, const YAML::Node& node, const Section& sec, OptionSet& out,
                  std::map<std::string, YAML::Node>& values, const std::set<std::string>& nested = {},
                  bool empty_is_default = false) {
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    const std::string quoted = std::string("'") + sec.name + "'";
    if (!walk_map(ctx, node, quoted, entries)) return false;
    weir_plugin_descriptor d{};
    d.abi_version = WEIR_ABI_VERSION;
    d.struct_size = sizeof d;
    d.name = sec.name;
    d.options = sec.options;
    d.option_count = sec.count;
    d.option_rules = sec.rules;
    std::vector<std::pair<YAML::Node, YAML::Node>> given;
    for (const auto& [k, v] : entries) {
        values[k.Scalar()] = v;
        if (!empty_is_default || !v.IsNull()) given.emplace_back(k, v);
    }
    out = stage_options(ctx, given, d, quoted, ctx.pos(node), nested, " in " + quoted);
    return true;
}

void load_api(const Ctx& ctx, const YAML::Node& node, const fs::path& base, ApiConfig& api) {
    OptionSet o;
    std::map<std::string, YAML::Node> at;
    if (!read_section(ctx, node, kApi, o, at)) return;
    auto text = [&](const char* name) { return o.find(name) ? o.find(name)->text : std::string(); };
    auto path = [&](const char* name) {
        return text(name).empty() ? std::string() : resolve(base, text(name));
    };
    api.tokens_file = path("tokens_file");
    api.tls_cert_file = path("tls_cert_file");
    api.tls_key_file = path("tls_key_file");
    api.tls_ca_file = path("tls_ca_file");
    api.static_dir = path("static_dir");
    if (const auto* v = o.find("allow_unauthenticated")) api.allow_unauthenticated = v->i != 0;
    if (const auto* v = o.find("max_body")) api.max_body_bytes = v->i;
    if (const auto* v = o.find("max_connections")) api.max_connections = v->i;
    if (const auto* v = o.find("max_connections_per_client")) api.max_connections_per_client = v->i;
    if (const auto* v = o.find("workers")) api.workers = v->i;
    if (const auto* v = o.find("tail_buffer")) api.tail_buffer = v->i;
    if (const auto* v = o.find("tail_max_subscribers")) api.tail_max_subscribers = v->i;
    if (const auto* v = o.find("tail_max_per_token")) api.tail_max_per_token = v->i;
    if (const auto* v = o.find("tail_rate")) api.tail_rate = v->f;
    if (const auto* v = o.find("tail_heartbeat")) api.tail_heartbeat_ns = v->i;
    if (const auto* v = o.find("cors_origins")) {
        for (const auto& origin_text : v->list) {
            if (origin_text != "*" && origin_text.rfind("http://", 0) != 0 &&
                origin_text.rfind("https://", 0) != 0) {
                ctx.error(at["cors_origins"],
                          "service.api.cors_origins expects origins like https://dash.example:8443, found '" +
                              origin_text + "'");
                continue;
            }
            std::string origin = origin_text;
            while (origin.size() > 1 && origin.back() == '/') origin.pop_back();
            api.cors_origins.push_back(origin);
        }
    }
    if (api.tls_cert_file.empty() != api.tls_key_file.empty())
        ctx.error(node, "service.api needs both tls_cert_file and tls_key_file (or neither)");
    if (!api.tls_ca_file.empty() && api.tls_cert_file.empty())
        ctx.error(node, "service.api.tls_ca_file needs tls_cert_file and tls_key_file");
}

void load_service_section(const Ctx& ctx, const YAML::Node& node, const fs::path& base, ServiceConfig& s) {
    OptionSet o;
    std::map<std::string, YAML::Node> at;
    if (!read_section(ctx, node, kService, o, at, {"api"})) return;
    if (auto it = at.find("api"); it != at.end()) load_api(ctx, it->second, base, s.api);
    if (const auto* v = o.find("admin_listen"); v && at.count("admin_listen")) {
        const size_t colon = v->text.rfind(':');
        int64_t port = -1;
        if (colon != std::string::npos && colon > 0) {
            OptionValue pv;
            std::string why;
            if (convert_option(WEIR_OPT_INT, v->text.substr(colon + 1), pv, why)) port = pv.i;
        }
        if (port < 0 || port > 65535)
            ctx.error(
                at["admin_listen"],
                "service.admin_listen expects host:port (e.g. 127.0.0.1:8686), found '" + v->text + "'");
        else
            s.admin_listen = v->text;
    }
    if (const auto* v = o.find("data_dir")) s.data_dir = resolve(base, v->text);
    if (const auto* v = o.find("pipelines_dir")) s.pipelines_dir = resolve(base, v->text);
    if (const auto* v = o.find("alerts_dir")) s.alerts_dir = resolve(base, v->text);
    if (const auto* v = o.find("log_level")) s.log_level = v->text;
    if (const auto* v = o.find("shutdown_timeout")) s.shutdown_timeout_ns = v->i;
}

void load_plugins_section(const Ctx& ctx, const YAML::Node& node, const fs::path& base, ServiceConfig& s) {
    OptionSet o;
    std::map<std::string, YAML::Node> at;
    if (!read_section(ctx, node, kPlugins, o, at, {}, true)) return;  // `dirs:` left empty: none
    if (const auto* v = o.find("dirs"))
        for (const auto& d : v->list) s.plugin_dirs.push_back(resolve(base, d));
}

/// `retention_by_level: {ERROR: 90d, INFO: 7d}`: a map the option tables
/// cannot express, read by hand with the same positioned errors.
void load_retention_by_level(const Ctx& ctx, const YAML::Node& node, StoreConfig& st) {
    if (node.IsNull()) return;
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    if (!walk_map(ctx, node, "store.retention_by_level (a map of level to age, e.g. {ERROR: 90d, INFO: 7d})",
                  entries))
        return;
    for (const auto& [k, v] : entries) {
        std::string level = k.Scalar();
        bool word = !level.empty();
        for (char& c : level) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') word = false;
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        if (!word) {
            ctx.error(k, "store.retention_by_level expects level names (ERROR, WARN, INFO, DEBUG), found '" +
                             k.Scalar() + "'");
            continue;
        }
        const std::string text = v.IsScalar() ? v.Scalar() : std::string();
        const auto ns = v.IsScalar() ? parse_duration_ns(text) : std::nullopt;
        if (!ns || *ns <= 0) {
            ctx.error(v, "store.retention_by_level." + k.Scalar() +
                             " expects a positive duration (90d, 12h), found '" +
                             (v.IsScalar() ? text : std::string("a ") + (v.IsMap() ? "map" : "list")) + "'");
            continue;
        }
        if (st.retention_by_level.count(level)) {
            ctx.error(k, "store.retention_by_level names " + level + " twice (level names ignore case)");
            continue;
        }
        st.retention_by_level[level] = *ns;
    }
}

void load_store(const Ctx& ctx, const YAML::Node& node, const fs::path&, ServiceConfig& s) {
    OptionSet o;
    std::map<std::string, YAML::Node> at;
    if (!read_section(ctx, node, kStore, o, at, {"retention_by_level"}, true)) return;
    StoreConfig& st = s.store;
    if (auto it = at.find("retention_by_level"); it != at.end()) load_retention_by_level(ctx, it->second, st);
    if (const auto* v = o.find("enabled")) st.enabled = v->i != 0;
    if (const auto* v = o.find("path")) st.path = v->text;
    if (const auto* v = o.find("sync")) st.sync = v->i != 0;
    if (const auto* v = o.find("retention")) st.retention_ns = v->i;
    if (const auto* v = o.find("block_events")) st.block_events = v->i;
    if (const auto* v = o.find("encode_threads")) st.encode_threads = v->i;
    if (const auto* v = o.find("index_fields")) st.index_fields = v->list;
    if (const auto* v = o.find("retention_size")) st.retention_bytes = static_cast<uint64_t>(v->i);
    if (const auto* v = o.find("emergency_retention")) st.emergency_retention = v->i != 0;
    if (const auto* v = o.find("rollups")) st.rollups = v->i != 0;
    if (const auto* v = o.find("rollup_numeric_fields")) st.rollup_numeric_fields = v->list;
    if (const auto* v = o.find("rollup_unique_fields")) st.rollup_unique_fields = v->list;
}

}  // namespace

ServiceConfig load_service(const std::string& path, const EnvLookup& env) {
    std::vector<Error> errors;
    ServiceConfig s;
    s.config_file = path;
    const fs::path base = fs::absolute(path).parent_path();
    s.data_dir = resolve(base, "var/lib/weir");
    s.pipelines_dir = resolve(base, "pipelines");
    s.alerts_dir = resolve(base, "alerts");
    auto root = load_yaml(path, errors);
    if (!root) throw ConfigErrors(std::move(errors));
    Ctx ctx{path, env, &errors};
    if (root->IsNull()) return s;
    // The top-level sections: add one here (its table above) to add a section.
    using Loader = void (*)(const Ctx&, const YAML::Node&, const fs::path&, ServiceConfig&);
    static const std::vector<std::pair<std::string, Loader>> kSections = {
        {"service", load_service_section},
        {"plugins", load_plugins_section},
        {"store", load_store},
    };
    std::vector<std::pair<YAML::Node, YAML::Node>> top;
    if (walk_map(ctx, *root, "the service file", top)) {
        std::vector<std::string> names;
        for (const auto& [name, load] : kSections) names.push_back(name);
        for (const auto& [k, v] : top) {
            const std::string key = k.Scalar();
            auto it = std::find_if(kSections.begin(), kSections.end(),
                                   [&](const auto& e) { return e.first == key; });
            if (it != kSections.end()) {
                if (!v.IsNull()) it->second(ctx, v, base, s);
                continue;
            }
            std::string msg = "unknown key '" + key + "' in the service file";
            const std::string sug = did_you_mean(key, names);
            if (!sug.empty()) msg += "; did you mean '" + sug + "'?";
            ctx.error(k, msg);
        }
    }
    s.store.path = s.store.path.empty() ? s.data_dir + "/store" : resolve(s.data_dir, s.store.path);
    // In the order of the file, whichever check found them.
    std::stable_sort(errors.begin(), errors.end(), [](const Error& a, const Error& b) {
        return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
    });
    if (!errors.empty()) throw ConfigErrors(std::move(errors));
    return s;
}

PipelineConfig load_pipeline_file(const std::string& path, const PluginCatalog& catalog,
                                  const EnvLookup& env) {
    std::vector<Error> errors;
    auto root = load_yaml(path, errors);
    if (root) {
        if (auto p = pipeline_from(path, *root, catalog, env, errors)) return std::move(*p);
    }
    throw ConfigErrors(std::move(errors));
}

std::vector<PipelineConfig> load_pipelines(const ServiceConfig& service, const PluginCatalog& catalog,
                                           const EnvLookup& env) {
    std::vector<Error> errors;
    std::vector<std::string> files;
    std::error_code ec;
    if (!fs::is_directory(service.pipelines_dir, ec)) {
        throw ConfigErrors({Error{Position{service.config_file, 0, 0},
                                  "the pipelines folder '" + service.pipelines_dir + "' does not exist"}});
    }
    for (const auto& entry : fs::directory_iterator(service.pipelines_dir, ec)) {
        const std::string ext = entry.path().extension().string();
        const std::string fname = entry.path().filename().string();
        if ((ext == ".yaml" || ext == ".yml") && fname[0] != '.' && entry.is_regular_file())
            files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    std::vector<PipelineConfig> out;
    std::map<std::string, std::string> names;
    for (const auto& f : files) {
        auto root = load_yaml(f, errors);
        if (!root) continue;
        auto p = pipeline_from(f, *root, catalog, env, errors);
        if (!p) continue;
        auto [it, fresh] = names.emplace(p->name, f);
        if (!fresh) {
            errors.push_back(
                Error{Position{f, 1, 1}, "pipeline name '" + p->name + "' is already used by " + it->second});
            continue;
        }
        out.push_back(std::move(*p));
    }
    if (!errors.empty()) throw ConfigErrors(std::move(errors));
    return out;
}

OptionSet parse_options(const std::string& yaml_text, const weir_plugin_descriptor& d,
                        const std::string& origin) {
    std::vector<Error> errors;
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text.empty() ? "{}" : yaml_text);
    } catch (const YAML::ParserException& e) {
        throw ConfigErrors(
            {Error{Position{origin, e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg}});
    }
    if (root.IsNull()) root = YAML::Load("{}");
    Ctx ctx{origin, {}, &errors};
    std::vector<std::pair<YAML::Node, YAML::Node>> entries;
    OptionSet set;
    if (walk_map(ctx, root, "options", entries))
        set = stage_options(ctx, entries, d, std::string(kind_name(d.kind)) + " '" + d.name + "'",
                            Position{origin, 1, 1}, {});
    if (!errors.empty()) throw ConfigErrors(std::move(errors));
    return set;
}

}  // namespace weir::config
