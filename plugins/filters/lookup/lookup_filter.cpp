// lookup: enriches events from a table in a CSV or YAML file, keyed by the
// value of one field (user_id → plan, country). The table is read when the
// configuration is loaded and again on SIGHUP; a bad file keeps the old one.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>
#include <weir/sdk.hpp>

namespace {

/// Columns (names) and rows by key; each row holds one value per column.
struct Table {
    std::vector<std::string> columns;
    std::unordered_map<std::string, std::vector<std::string>> rows;
};

/// One CSV record (RFC 4180 quoting); false at the end of the input.
bool csv_record(std::istream& in, std::vector<std::string>& out, size_t& line) {
    out.clear();
    std::string field;
    bool quoted = false, any = false;
    for (int c; (c = in.get()) != EOF;) {
        any = true;
        if (quoted) {
            if (c == '"') {
                if (in.peek() == '"') {
                    field.push_back('"');
                    in.get();
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field.push_back(static_cast<char>(c));
            }
        } else if (c == '"' && field.empty()) {
            quoted = true;
        } else if (c == ',') {
            out.push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            ++line;
            if (!field.empty() && field.back() == '\r') field.pop_back();
            out.push_back(std::move(field));
            return true;
        } else {
            field.push_back(static_cast<char>(c));
        }
    }
    if (quoted) throw weir::ConfigError("unterminated quote");
    if (!any) return false;
    if (!field.empty() && field.back() == '\r') field.pop_back();
    out.push_back(std::move(field));
    return true;
}

std::shared_ptr<const Table> load_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw weir::ConfigError("cannot read lookup file " + path);
    auto t = std::make_shared<Table>();
    std::vector<std::string> rec;
    size_t line = 1;
    try {
        if (!csv_record(in, rec, line) || rec.size() < 2)
            throw weir::ConfigError("the first line must name the key column and at least one more");
        t->columns.assign(rec.begin() + 1, rec.end());
        for (size_t at = line; csv_record(in, rec, line); at = line) {
            if (rec.size() == 1 && rec[0].empty()) continue;  // blank line
            if (rec.size() != t->columns.size() + 1)
                throw weir::ConfigError("line " + std::to_string(at) + " has " + std::to_string(rec.size()) +
                                        " fields, the header " + std::to_string(t->columns.size() + 1));
            t->rows[rec[0]].assign(rec.begin() + 1, rec.end());
        }
    } catch (const weir::ConfigError& e) {
        throw weir::ConfigError("lookup file " + path + ": " + e.what());
    }
    return t;
}

/// YAML: a map from key to a map of fields (scalar values).
std::shared_ptr<const Table> load_yaml(const std::string& path) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw weir::ConfigError("cannot read lookup file " + path);
    } catch (const YAML::Exception& e) {
        throw weir::ConfigError("lookup file " + path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    auto t = std::make_shared<Table>();
    if (!root || root.IsNull()) return t;
    if (!root.IsMap()) throw weir::ConfigError("lookup file " + path + ": expected a map of keys to fields");
    std::unordered_map<std::string, size_t> col;
    for (const auto& kv : root) {
        if (!kv.second.IsMap())
            throw weir::ConfigError("lookup file " + path + ":" + std::to_string(kv.second.Mark().line + 1) +
                                    ": the entry of '" + kv.first.as<std::string>() +
                                    "' must be a map of fields");
        std::vector<std::string> row(t->columns.size());
        for (const auto& f : kv.second) {
            const std::string name = f.first.as<std::string>();
            if (!f.second.IsScalar())
                throw weir::ConfigError("lookup file " + path + ":" +
                                        std::to_string(f.second.Mark().line + 1) + ": field '" + name +
                                        "' must be a single value");
            auto [it, fresh] = col.try_emplace(name, t->columns.size());
            if (fresh) {
                t->columns.push_back(name);
                for (auto& [k, r] : t->rows) r.resize(t->columns.size());
                row.resize(t->columns.size());
            }
            row[it->second] = f.second.as<std::string>();
        }
        row.resize(t->columns.size());
        t->rows[kv.first.as<std::string>()] = std::move(row);
    }
    for (auto& [k, r] : t->rows) r.resize(t->columns.size());
    return t;
}

class LookupFilter final : public weir::Filter {
public:
    LookupFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx),
          path_(opts.str("file")),
          key_(opts.str("key")),
          prefix_(opts.str("prefix")),
          overwrite_(opts.boolean("overwrite")) {
        table_ = load();
    }

    void reload() override {
        auto fresh = load();  // throws on error: the old table stays
        const size_t n = fresh->rows.size();
        std::lock_guard lock(mu_);
        table_ = std::move(fresh);
        ctx_.info("reloaded " + std::to_string(n) + " rows from " + path_);
    }

    void process(weir::Batch& batch) override {
        std::shared_ptr<const Table> t;
        {
            std::lock_guard lock(mu_);
            t = table_;
        }
        char num[32];
        uint64_t hits = 0;
        for (weir::Event ev : batch) {
            weir::Object f = ev.fields();
            const weir::Value v = f.get(key_);
            std::string_view k;
            if (v.is_string()) {
                k = v.as_string();
            } else if (v.is_int()) {
                k = std::string_view(num, static_cast<size_t>(std::snprintf(
                                              num, sizeof num, "%lld", static_cast<long long>(v.as_int()))));
            } else {
                continue;
            }
            scratch_.assign(k);
            auto it = t->rows.find(scratch_);
            if (it == t->rows.end()) {
                ctx_.count_outcome("lookup_miss");
                continue;
            }
            ++hits;
            for (size_t c = 0; c < t->columns.size(); ++c) {
                if (it->second[c].empty()) continue;
                name_.assign(prefix_).append(t->columns[c]);
                if (!overwrite_ && f.has(name_)) continue;
                f.set(name_, it->second[c]);
            }
        }
        if (hits) ctx_.count_outcome("lookup_hit", hits);  // changed events, counted once per batch
    }

private:
    std::shared_ptr<const Table> load() const {
        const bool yaml = path_.size() > 5 && (path_.ends_with(".yaml") || path_.ends_with(".yml"));
        return yaml ? load_yaml(path_) : load_csv(path_);
    }

    std::string path_, key_, prefix_;
    bool overwrite_;
    std::mutex mu_;
    std::shared_ptr<const Table> table_;
    std::string scratch_, name_;
};

const weir_option_def lookup_options[] = {
    weir::option::required_string(
        "file", "CSV (first column the key, a header line) or YAML (key: {field: value}) file."),
    weir::option::required_string("key", "Field whose value is looked up."),
    weir::option::string("prefix", "", "Put before the names of the fields added (for example 'user_')."),
    weir::option::boolean("overwrite", "false", "Replace fields the event already has."),
};

}  // namespace

WEIR_PLUGIN(LookupFilter, WEIR_KIND_FILTER, "lookup", "0.1.0",
            "Adds fields from a CSV or YAML table keyed by a field; the table is re-read on SIGHUP.",
            lookup_options)
