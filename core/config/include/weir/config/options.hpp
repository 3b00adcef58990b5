#pragma once

#include <weir/plugin.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// The ABI only forward-declares this; OptionSet derives from it so a
// `const weir_options*` handed to a plugin is an OptionSet.
struct weir_options {};

namespace weir::config {

/// A validated option value. `i` holds INT, BOOL (0/1), DURATION (ns) and SIZE (bytes).
struct OptionValue {
    int32_t type = 0;
    bool set = false;
    std::string text;  // after variable substitution
    int64_t i = 0;
    double f = 0;
    std::vector<std::string> list;
    bool secret = false;  // WEIR_OPT_SECRET: never printed
};

/// The validated options of one plugin instance.
class OptionSet : public weir_options {
public:
    const OptionValue* find(std::string_view name) const;
    void set(std::string name, OptionValue v);
    /// Stable text of every value, for change detection.
    std::string canonical() const;
    const std::map<std::string, OptionValue, std::less<>>& values() const { return values_; }

    /// The names the plugin's table declares (set by the config loader).
    void declare(std::string name) { declared_.insert(std::move(name)); }
    /// Records a read of `name` by the plugin if its table does not declare
    /// it: a plugin bug, which the contract suite turns into a failure.
    void note_read(std::string_view name) const;
    const std::vector<std::string>& undeclared_reads() const { return undeclared_reads_; }
    /// Every non-empty secret value (lists item by item), for masking.
    std::vector<std::string> secret_texts() const;

private:
    std::map<std::string, OptionValue, std::less<>> values_;
    std::set<std::string, std::less<>> declared_;
    mutable std::vector<std::string> undeclared_reads_;  // create runs on one thread
};

/// The rules of option `i` of `d`; nullptr when the descriptor predates
/// them, has no rules table, or the entry is out of range.
inline const weir_option_rules* option_rules(const weir_plugin_descriptor& d, size_t i) {
    if (d.struct_size < WEIR_DESCRIPTOR_RULES_SIZE || !d.option_rules || i >= d.option_count) return nullptr;
    const uint32_t stride = d.option_rules[0].struct_size;
    if (stride < sizeof(weir_option_rules)) return nullptr;
    return reinterpret_cast<const weir_option_rules*>(reinterpret_cast<const char*>(d.option_rules) +
                                                      i * static_cast<size_t>(stride));
}

/// The allowed values of a rules entry ("a|b" -> {"a", "b"}); empty: any.
std::vector<std::string> allowed_values(const weir_option_rules* r);

/// Checks one string (a STRING value or one STRING_LIST item) against the
/// allowed values. "" if fine, else the complaint, with a did-you-mean and
/// without the value when the option is secret.
std::string check_allowed(const weir_option_def& def, const weir_option_rules* r, const std::string& value,
                          const std::string& owner);

/// Checks a converted INT/FLOAT/DURATION/SIZE value against min/max.
std::string check_bounds(const weir_option_def& def, const weir_option_rules* r, const OptionValue& v,
                         const std::string& owner);

/// Checks a plugin's option table and its rules (types, bounds that parse,
/// defaults inside their own rules). "" if fine, else the plugin bug.
std::string check_option_table(const weir_plugin_descriptor& d);

/// Converts option text to a value of `type`; returns false with a reason
/// ("expects a boolean (true/false)") on failure.
bool convert_option(int32_t type, const std::string& text, OptionValue& out, std::string& why);

/// Validates a YAML map given as text (e.g. "{paths: [/x]}", or "" for none)
/// against a plugin's option table. Throws ConfigErrors. For tests and tools.
OptionSet parse_options(const std::string& yaml_text, const weir_plugin_descriptor& descriptor,
                        const std::string& origin);

}  // namespace weir::config
