#pragma once

#include <weir/plugin.h>

#include <cstdint>
#include <map>
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
};

/// The validated options of one plugin instance.
class OptionSet : public weir_options {
public:
    const OptionValue* find(std::string_view name) const;
    void set(std::string name, OptionValue v);
    /// Stable text of every value, for change detection.
    std::string canonical() const;
    const std::map<std::string, OptionValue, std::less<>>& values() const { return values_; }

private:
    std::map<std::string, OptionValue, std::less<>> values_;
};

/// Converts option text to a value of `type`; returns false with a reason
/// ("expects a boolean (true/false)") on failure.
bool convert_option(int32_t type, const std::string& text, OptionValue& out, std::string& why);

/// Validates a YAML map given as text (e.g. "{paths: [/x]}", or "" for none)
/// against a plugin's option table. Throws ConfigErrors. For tests and tools.
OptionSet parse_options(const std::string& yaml_text, const weir_plugin_descriptor& descriptor,
                        const std::string& origin);

}  // namespace weir::config
