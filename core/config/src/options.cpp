#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <weir/config/options.hpp>
#include <weir/config/suggest.hpp>
#include <weir/config/units.hpp>

namespace weir::config {

const OptionValue* OptionSet::find(std::string_view name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
}

void OptionSet::set(std::string name, OptionValue v) { values_[std::move(name)] = std::move(v); }

void OptionSet::note_read(std::string_view name) const {
    if (declared_.count(name)) return;
    if (std::find(undeclared_reads_.begin(), undeclared_reads_.end(), name) == undeclared_reads_.end())
        undeclared_reads_.emplace_back(name);
}

std::vector<std::string> OptionSet::secret_texts() const {
    std::vector<std::string> out;
    for (const auto& [name, v] : values_) {
        if (!v.secret || !v.set) continue;
        if (!v.text.empty()) out.push_back(v.text);
        for (const auto& item : v.list) {
            if (item.empty()) continue;
            out.push_back(item);
            // "Authorization: Bearer x": the value alone may be printed too.
            const size_t colon = item.find(':');
            if (colon != std::string::npos) {
                std::string rest = item.substr(colon + 1);
                while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
                if (!rest.empty()) out.push_back(rest);
            }
        }
    }
    // Longest first, so that masking a secret never leaves the end of a longer one.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return out;
}

std::vector<std::string> allowed_values(const weir_option_rules* r) {
    std::vector<std::string> out;
    if (!r || !r->allowed) return out;
    std::string_view all = r->allowed;
    for (;;) {
        const size_t bar = all.find('|');
        out.emplace_back(all.substr(0, bar));
        if (bar == std::string_view::npos) break;
        all.remove_prefix(bar + 1);
    }
    return out;
}

namespace {
std::string listed(const std::vector<std::string>& values) {
    std::string s;
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) s += i + 1 == values.size() ? " or " : ", ";
        s += values[i].empty() ? "\"\"" : values[i];
    }
    return s;
}

bool numeric(int32_t type) {
    return type == WEIR_OPT_INT || type == WEIR_OPT_FLOAT || type == WEIR_OPT_DURATION ||
           type == WEIR_OPT_SIZE;
}

/// -1, 0, 1: how `v` compares with bound text `b` of the same type.
bool compare_bound(int32_t type, const OptionValue& v, const char* b, int& cmp) {
    OptionValue bound;
    std::string why;
    if (!convert_option(type, b, bound, why)) return false;
    if (type == WEIR_OPT_FLOAT)
        cmp = v.f < bound.f ? -1 : v.f > bound.f ? 1 : 0;
    else
        cmp = v.i < bound.i ? -1 : v.i > bound.i ? 1 : 0;
    return true;
}
}  // namespace

std::string check_allowed(const weir_option_def& def, const weir_option_rules* r, const std::string& value,
                          const std::string& owner) {
    const auto allowed = allowed_values(r);
    if (allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return {};
    const bool secret = (r->flags & WEIR_OPT_SECRET) != 0;
    std::string msg = "option '" + std::string(def.name) + "' of " + owner + " expects " + listed(allowed);
    if (secret) return msg + "; the value given is none of them";
    msg += ", found '" + value + "'";
    const std::string s = did_you_mean(value, allowed);
    if (!s.empty()) msg += "; did you mean '" + s + "'?";
    return msg;
}

std::string check_bounds(const weir_option_def& def, const weir_option_rules* r, const OptionValue& v,
                         const std::string& owner) {
    if (!r || !numeric(def.type) || (!r->min && !r->max)) return {};
    int lo = 0, hi = 0;
    const bool below = r->min && compare_bound(def.type, v, r->min, lo) && lo < 0;
    const bool above = r->max && compare_bound(def.type, v, r->max, hi) && hi > 0;
    if (!below && !above) return {};
    std::string msg = "option '" + std::string(def.name) + "' of " + owner + " must be ";
    if (r->min && r->max)
        msg += std::string("from ") + r->min + " to " + r->max;
    else if (r->min)
        msg += std::string("at least ") + r->min;
    else
        msg += std::string("at most ") + r->max;
    if (!(r->flags & WEIR_OPT_SECRET)) msg += ", found '" + v.text + "'";
    return msg;
}

std::string check_option_table(const weir_plugin_descriptor& d) {
    for (size_t i = 0; i < d.option_count; ++i) {
        const weir_option_def& o = d.options[i];
        if (!o.name) continue;
        const std::string name = o.name;
        if (d.struct_size >= WEIR_DESCRIPTOR_RULES_SIZE && d.option_rules && i == 0 &&
            d.option_rules[0].struct_size < sizeof(weir_option_rules))
            return "option rules entries are " + std::to_string(d.option_rules[0].struct_size) +
                   " bytes, expected at least " + std::to_string(sizeof(weir_option_rules));
        const weir_option_rules* r = option_rules(d, i);
        if (!r) continue;
        if (r->allowed && o.type != WEIR_OPT_STRING && o.type != WEIR_OPT_STRING_LIST)
            return "option '" + name + "' lists allowed values but is not a string or a list of strings";
        if ((r->min || r->max) && !numeric(o.type))
            return "option '" + name + "' has bounds but is not a number, duration or size";
        for (const char* b : {r->min, r->max}) {
            OptionValue bv;
            std::string why;
            if (b && !convert_option(o.type, b, bv, why))
                return "option '" + name + "' has a bound '" + b + "' that " + why;
        }
        if (!o.default_value || !*o.default_value) continue;
        OptionValue dv;
        std::string why;
        if (!convert_option(o.type, o.default_value, dv, why))
            return "the default of option '" + name + "' " + why;
        std::string bad = o.type == WEIR_OPT_STRING ? check_allowed(o, r, dv.text, "the plugin")
                                                    : check_bounds(o, r, dv, "the plugin");
        if (o.type == WEIR_OPT_STRING_LIST)
            for (const auto& item : dv.list)
                if (bad.empty()) bad = check_allowed(o, r, item, "the plugin");
        if (!bad.empty()) return "its default breaks its own rules: " + bad;
    }
    return {};
}

std::string OptionSet::canonical() const {
    std::string out;
    for (const auto& [name, v] : values_) {
        if (!v.set) continue;
        out += name;
        out += '=';
        if (v.secret) {
            // A change is still seen; the value itself is kept out of the key.
            std::string all = v.text;
            for (const auto& s : v.list) all += std::to_string(s.size()) + ":" + s;
            out += "secret#" + std::to_string(std::hash<std::string>{}(all)) + ";";
            continue;
        }
        if (v.type == WEIR_OPT_STRING_LIST) {
            out += '[';
            for (const auto& s : v.list) {
                out += std::to_string(s.size());
                out += ':';
                out += s;
            }
            out += ']';
        } else {
            out += std::to_string(v.text.size());
            out += ':';
            out += v.text;
        }
        out += ';';
    }
    return out;
}

bool convert_option(int32_t type, const std::string& text, OptionValue& out, std::string& why) {
    out.type = type;
    out.text = text;
    out.set = true;
    switch (type) {
        case WEIR_OPT_STRING:
            return true;
        case WEIR_OPT_STRING_LIST:  // a default of "" is the empty list
            out.list.clear();
            if (!text.empty()) out.list.push_back(text);
            return true;
        case WEIR_OPT_INT: {
            const char* b = text.data();
            const char* e = b + text.size();
            if (b != e && *b == '+') ++b;
            auto [ptr, ec] = std::from_chars(b, e, out.i);
            if (b == e || ec != std::errc() || ptr != e) {
                why = ec == std::errc::result_out_of_range ? "expects an integer in range"
                                                           : "expects an integer";
                return false;
            }
            return true;
        }
        case WEIR_OPT_FLOAT: {
            auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out.f);
            if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
                !std::isfinite(out.f)) {
                why = "expects a number";
                return false;
            }
            return true;
        }
        case WEIR_OPT_BOOL: {
            std::string l;
            for (char c : text) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            if (l == "true" || l == "yes" || l == "on") {
                out.i = 1;
                return true;
            }
            if (l == "false" || l == "no" || l == "off") {
                out.i = 0;
                return true;
            }
            why = "expects a boolean (true/false)";
            return false;
        }
        case WEIR_OPT_DURATION: {
            auto v = parse_duration_ns(text);
            if (!v) {
                why = "expects a duration: a number with unit ns, us, ms, s, m, h or d";
                return false;
            }
            out.i = *v;
            return true;
        }
        case WEIR_OPT_SIZE: {
            auto v = parse_size_bytes(text);
            if (!v) {
                why = "expects a size: a number with unit B, KB, MB, GB, KiB, MiB or GiB";
                return false;
            }
            out.i = *v;
            return true;
        }
        default:
            why = "has an unknown option type in the plugin's table";
            return false;
    }
}

}  // namespace weir::config
