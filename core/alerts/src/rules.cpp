// Reading alert rule groups from YAML, every problem with its position.
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <weir/alerts/rules.hpp>
#include <weir/condition/condition.hpp>
#include <weir/config/units.hpp>

namespace weir::alerts {
namespace {

namespace fs = std::filesystem;

const char* const kMetrics[] = {"count", "rate", "sum", "avg", "min",  "max",
                                "p50",   "p90",  "p95", "p99", "p99.9"};

struct Reader {
    std::string file;
    std::vector<config::Error>& errors;
    size_t first_error;

    void error(const YAML::Node& at, const std::string& message) {
        config::Position p{file, 0, 0};
        if (at.IsDefined()) {
            const YAML::Mark m = at.Mark();
            if (m.line >= 0) {
                p.line = m.line + 1;
                p.column = m.column + 1;
            }
        }
        errors.push_back({p, message});
    }
    bool failed() const { return errors.size() > first_error; }

    std::optional<std::string> scalar(const YAML::Node& n, const std::string& what) {
        if (!n.IsScalar()) {
            error(n, what + " expects a text value");
            return std::nullopt;
        }
        return n.Scalar();
    }
    std::optional<int64_t> duration(const YAML::Node& n, const std::string& what, int64_t min_ns) {
        auto s = scalar(n, what);
        if (!s) return std::nullopt;
        const auto v = config::parse_duration_ns(*s);
        if (!v) {
            error(n, what + " expects a duration (10s, 5m, 1h), found '" + *s + "'");
            return std::nullopt;
        }
        if (*v < min_ns) {
            error(n, what + " must be at least " + std::to_string(min_ns / 1'000'000) + "ms, found '" + *s +
                         "'");
            return std::nullopt;
        }
        return *v;
    }
    void unknown_keys(const YAML::Node& map, std::initializer_list<const char*> known,
                      const std::string& where) {
        for (const auto& kv : map) {
            const std::string k = kv.first.Scalar();
            if (std::find_if(known.begin(), known.end(), [&](const char* x) { return k == x; }) !=
                known.end())
                continue;
            std::string list;
            for (const char* x : known) list += std::string(list.empty() ? "" : ", ") + x;
            error(kv.first, "unknown key '" + k + "' in " + where + " (known: " + list + ")");
        }
    }
};

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

/// "count > 10", "p99(latency_ms) >= 500", "rate < 0.5".
std::optional<Threshold> parse_threshold(const std::string& text, std::string& why) {
    Threshold t;
    size_t op_at = std::string::npos;
    for (size_t i = 0; i < text.size(); ++i)
        if (text[i] == '>' || text[i] == '<') {
            op_at = i;
            break;
        }
    if (op_at == std::string::npos) {
        why = "expects METRIC OP NUMBER (count > 10, rate >= 2, p99(latency_ms) > 500)";
        return std::nullopt;
    }
    std::string lhs = trim(std::string_view(text).substr(0, op_at));
    const bool eq = op_at + 1 < text.size() && text[op_at + 1] == '=';
    t.op = std::string(1, text[op_at]) + (eq ? "=" : "");
    const std::string rhs = trim(std::string_view(text).substr(op_at + (eq ? 2 : 1)));
    const size_t open = lhs.find('(');
    if (open != std::string::npos) {
        if (lhs.back() != ')') {
            why = "expects a closing ')' after the field in '" + lhs + "'";
            return std::nullopt;
        }
        t.field = trim(std::string_view(lhs).substr(open + 1, lhs.size() - open - 2));
        lhs = trim(std::string_view(lhs).substr(0, open));
    }
    std::transform(lhs.begin(), lhs.end(), lhs.begin(), [](unsigned char c) { return std::tolower(c); });
    if (std::find(std::begin(kMetrics), std::end(kMetrics), lhs) == std::end(kMetrics)) {
        why = "unknown metric '" + lhs + "' (count, rate, sum, avg, min, max, p50, p90, p95, p99, p99.9)";
        return std::nullopt;
    }
    t.metric = lhs;
    const bool needs_field = t.metric != "count" && t.metric != "rate";
    if (needs_field && t.field.empty()) {
        why = t.metric + " needs a field: " + t.metric + "(latency_ms)";
        return std::nullopt;
    }
    if (!needs_field && !t.field.empty()) {
        why = t.metric + " takes no field";
        return std::nullopt;
    }
    double v = 0;
    const auto [p, ec] = std::from_chars(rhs.data(), rhs.data() + rhs.size(), v);
    if (rhs.empty() || ec != std::errc() || p != rhs.data() + rhs.size() || !std::isfinite(v)) {
        why = "expects a number after '" + t.op + "', found '" + rhs + "'";
        return std::nullopt;
    }
    t.value = v;
    return t;
}

void read_webhook(Reader& r, const YAML::Node& n, Rule& rule) {
    Webhook w;
    if (n.IsScalar()) {
        w.url = n.Scalar();
    } else if (n.IsMap()) {
        r.unknown_keys(n, {"webhook", "format", "text", "headers", "timeout", "retries", "ca_file"},
                       "a notification");
        if (!n["webhook"]) {
            r.error(n, "a notification needs webhook: URL");
            return;
        }
        if (auto s = r.scalar(n["webhook"], "webhook")) w.url = *s;
        if (n["format"]) {
            if (auto s = r.scalar(n["format"], "format")) {
                if (*s != "json" && *s != "slack")
                    r.error(n["format"], "format expects json or slack, found '" + *s + "'");
                w.format = *s;
            }
        }
        if (n["text"])
            if (auto s = r.scalar(n["text"], "text")) w.text = *s;
        if (n["ca_file"]) {
            if (auto s = r.scalar(n["ca_file"], "ca_file")) {
                w.ca_file = *s;
                if (::access(s->c_str(), R_OK) != 0)
                    r.error(n["ca_file"], "ca_file '" + *s + "' cannot be read: " + std::strerror(errno));
            }
        }
        if (n["timeout"])
            if (auto d = r.duration(n["timeout"], "timeout", 100'000'000)) w.timeout_ns = *d;
        if (n["retries"]) {
            int v = -1;
            try {
                v = n["retries"].as<int>();
            } catch (const YAML::Exception&) {
            }
            if (v < 0 || v > 20)
                r.error(n["retries"], "retries expects a number from 0 to 20");
            else
                w.retries = v;
        }
        if (n["headers"]) {
            if (!n["headers"].IsMap()) {
                r.error(n["headers"], "headers expects a map of name: value");
            } else {
                for (const auto& kv : n["headers"]) {
                    if (!kv.second.IsScalar()) {
                        r.error(kv.second, "a header value expects text");
                        continue;
                    }
                    w.headers.emplace_back(kv.first.Scalar(), kv.second.Scalar());
                }
            }
        }
    } else {
        r.error(n, "a notification expects webhook: URL");
        return;
    }
    const YAML::Node at = n.IsMap() ? n["webhook"] : n;
    if (!w.url.empty() && !parse_http_url(w.url, w))
        r.error(at, "webhook expects http://host:port/path or https://..., found '" + w.url + "'");
    else if (!w.ca_file.empty() && !w.tls)
        r.error(n["ca_file"], "ca_file is for https:// webhooks");
    rule.webhooks.push_back(std::move(w));
}

void read_rule(Reader& r, const YAML::Node& n, RuleGroup& g, std::set<std::string>& names) {
    if (!n.IsMap()) {
        r.error(n, "a rule expects a map (name, query, window, condition, ...)");
        return;
    }
    r.unknown_keys(n, {"name", "query", "window", "condition", "for", "labels", "repeat", "notify"},
                   "a rule");
    Rule rule;
    if (!n["name"]) {
        r.error(n, "a rule needs a name");
    } else if (auto s = r.scalar(n["name"], "name")) {
        rule.name = *s;
        if (rule.name.empty()) r.error(n["name"], "name must not be empty");
        if (!names.insert(rule.name).second)
            r.error(n["name"], "a rule named '" + rule.name + "' is already in group '" + g.name + "'");
    }
    if (n["query"]) {
        if (auto s = r.scalar(n["query"], "query")) {
            rule.query = *s;
            try {
                (void)condition::Condition::compile(rule.query);
            } catch (const condition::SyntaxError& e) {
                r.error(n["query"], std::string("query: ") + e.what() + " (at character " +
                                        std::to_string(e.position() + 1) + ")");
            } catch (const std::exception& e) {
                r.error(n["query"], std::string("query: ") + e.what());
            }
        }
    }
    if (n["window"])
        if (auto d = r.duration(n["window"], "window", 1'000'000'000)) rule.window_ns = *d;
    if (!n["condition"]) {
        r.error(n, "a rule needs a condition (count > 10, rate >= 2, p99(latency_ms) > 500)");
    } else if (auto s = r.scalar(n["condition"], "condition")) {
        std::string why;
        if (auto t = parse_threshold(*s, why))
            rule.threshold = *t;
        else
            r.error(n["condition"], "condition " + why);
    }
    if (n["for"])
        if (auto d = r.duration(n["for"], "for", 0)) rule.for_ns = *d;
    if (n["repeat"])
        if (auto d = r.duration(n["repeat"], "repeat", 1'000'000'000)) rule.repeat_ns = *d;
    if (n["labels"]) {
        if (!n["labels"].IsMap()) {
            r.error(n["labels"], "labels expects a map of name: value");
        } else {
            for (const auto& kv : n["labels"]) {
                if (!kv.second.IsScalar()) {
                    r.error(kv.second, "a label value expects text");
                    continue;
                }
                rule.labels[kv.first.Scalar()] = kv.second.Scalar();
            }
        }
    }
    if (n["notify"]) {
        const YAML::Node list = n["notify"];
        if (list.IsSequence()) {
            for (const auto& item : list) read_webhook(r, item, rule);
        } else {
            read_webhook(r, list, rule);
        }
    }
    g.rules.push_back(std::move(rule));
}

}  // namespace

bool Threshold::holds(double v) const {
    if (op == ">") return v > value;
    if (op == ">=") return v >= value;
    if (op == "<") return v < value;
    return v <= value;
}

std::string Threshold::text() const {
    std::ostringstream o;
    o << metric;
    if (!field.empty()) o << "(" << field << ")";
    o << " " << op << " " << value;
    return o.str();
}

std::string Rule::key() const {
    std::ostringstream o;
    o << name << '\x1f' << query << '\x1f' << window_ns << '\x1f' << threshold.text() << '\x1f' << for_ns;
    return o.str();
}

bool parse_http_url(const std::string& url, Webhook& w) {
    const std::string http = "http://", https = "https://";
    w.tls = url.compare(0, https.size(), https) == 0;
    if (!w.tls && url.compare(0, http.size(), http) != 0) return false;
    const std::string rest = url.substr(w.tls ? https.size() : http.size());
    const size_t slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    w.target = slash == std::string::npos ? "/" : rest.substr(slash);
    if (authority.empty()) return false;
    size_t colon = authority.rfind(':');
    if (!authority.empty() && authority.front() == '[') {
        const size_t close = authority.find(']');
        if (close == std::string::npos) return false;
        w.host = authority.substr(1, close - 1);
        colon = authority.size() > close + 1 && authority[close + 1] == ':' ? close + 1 : std::string::npos;
    } else {
        w.host = authority.substr(0, colon);
    }
    w.port = w.tls ? 443 : 80;
    if (colon != std::string::npos) {
        const std::string port = authority.substr(colon + 1);
        int p = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535)
            return false;
        w.port = static_cast<uint16_t>(p);
    }
    return !w.host.empty();
}

std::vector<RuleGroup> parse_rule_group(const std::string& text, const std::string& file,
                                        std::vector<config::Error>& errors) {
    Reader r{file, errors, errors.size()};
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        errors.push_back({{file, e.mark.line + 1, e.mark.column + 1}, "YAML: " + e.msg});
        return {};
    }
    if (!root || root.IsNull()) return {};  // an empty file: no rules
    if (!root.IsMap()) {
        r.error(root, "an alerts file expects a map (group, interval, rules)");
        return {};
    }
    r.unknown_keys(root, {"group", "interval", "rules"}, "an alerts file");
    RuleGroup g;
    g.file = file;
    g.name = fs::path(file).stem().string();
    if (root["group"])
        if (auto s = r.scalar(root["group"], "group")) g.name = *s;
    if (root["interval"])
        if (auto d = r.duration(root["interval"], "interval", 1'000'000'000)) g.interval_ns = *d;
    const YAML::Node rules = root["rules"];
    if (!rules) {
        r.error(root, "an alerts file needs rules: (a list)");
    } else if (!rules.IsSequence()) {
        r.error(rules, "rules expects a list of rules");
    } else {
        std::set<std::string> names;
        for (const auto& n : rules) read_rule(r, n, g, names);
    }
    if (r.failed()) return {};
    return {std::move(g)};
}

std::vector<RuleGroup> load_rule_groups(const std::string& dir, std::vector<config::Error>& errors) {
    std::vector<RuleGroup> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::map<std::string, std::string> seen;  // group name -> file
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        if (!in) {
            errors.push_back({{f.string(), 0, 0}, "cannot read the file"});
            continue;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        for (auto& g : parse_rule_group(ss.str(), f.string(), errors)) {
            auto [it, fresh] = seen.emplace(g.name, g.file);
            if (!fresh) {
                errors.push_back(
                    {{f.string(), 0, 0}, "group '" + g.name + "' is also defined in " + it->second});
                continue;
            }
            out.push_back(std::move(g));
        }
    }
    return out;
}

}  // namespace weir::alerts
