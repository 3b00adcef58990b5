// Configuration helpers of the regex parser, separate so tests and the fuzz
// target can use them without RE2.
#pragma once

#include <weir/plugin.h>

#include <charconv>
#include <map>
#include <string>
#include <string_view>
#include <vector>
#include <weir/sdk.hpp>

namespace weir::regex {

enum class Type { String, Int, Float, Bool };

struct Capture {
    enum class Role { Field, Time, Message };
    std::string name;  // empty: an unnamed group
    Role role = Role::Field;
    Type type = Type::String;
};

/// "status:int" entries into name -> type. Throws ConfigError naming the entry.
inline std::map<std::string, Type> parse_types(const std::vector<std::string>& entries) {
    std::map<std::string, Type> out;
    for (const auto& e : entries) {
        const size_t colon = e.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == e.size())
            throw ConfigError("types entry '" + e + "' is not name:type");
        const std::string name = e.substr(0, colon);
        const std::string_view t = std::string_view(e).substr(colon + 1);
        Type type;
        if (t == "string" || t == "str")
            type = Type::String;
        else if (t == "int" || t == "integer")
            type = Type::Int;
        else if (t == "float" || t == "double")
            type = Type::Float;
        else if (t == "bool" || t == "boolean")
            type = Type::Bool;
        else
            throw ConfigError("types entry '" + e + "': unknown type '" + std::string(t) +
                              "' (string, int, float or bool)");
        if (!out.emplace(name, type).second) throw ConfigError("types names '" + name + "' twice");
    }
    return out;
}

/// Rewrites "(?<name>" (Perl/Onigmo/PCRE named groups) into RE2's "(?P<name>";
/// leaves lookbehind "(?<=" "(?<!" (which RE2 then refuses) and escapes alone.
inline std::string normalise_named_groups(std::string_view p) {
    std::string out;
    out.reserve(p.size() + 8);
    bool in_class = false;
    for (size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\' && i + 1 < p.size()) {
            out += c;
            out += p[++i];
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
            out += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // "[]...]": ] is a member
            continue;
        }
        if (c == '(' && p.substr(i, 3) == "(?<" && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!') {
            out += "(?P<";
            i += 2;
            continue;
        }
        out += c;
    }
    return out;
}

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != b[i]) return false;
    return true;
}

/// Converts captured text to `type`; false when it does not convert (the
/// caller keeps it as a string). Strings always convert (borrowing `s`).
inline bool convert(Type type, std::string_view s, weir_value& v) {
    switch (type) {
        case Type::String:
            v.type = WEIR_VAL_STRING;
            v.as.s = weir_str{s.data(), s.size()};
            return true;
        case Type::Int: {
            if (s.empty()) return false;
            const char* b = s.data() + (s[0] == '+' && s.size() > 1 ? 1 : 0);
            auto [p, ec] = std::from_chars(b, s.data() + s.size(), v.as.i);
            if (ec != std::errc() || p != s.data() + s.size()) return false;
            v.type = WEIR_VAL_INT;
            return true;
        }
        case Type::Float: {
            if (s.empty()) return false;
            const char* b = s.data() + (s[0] == '+' && s.size() > 1 ? 1 : 0);
            auto [p, ec] = std::from_chars(b, s.data() + s.size(), v.as.f);
            if (ec != std::errc() || p != s.data() + s.size()) return false;
            v.type = WEIR_VAL_FLOAT;
            return true;
        }
        case Type::Bool:
            v.type = WEIR_VAL_BOOL;
            if (iequals(s, "true") || iequals(s, "yes") || iequals(s, "on") || s == "1") {
                v.as.b = 1;
                return true;
            }
            if (iequals(s, "false") || iequals(s, "no") || iequals(s, "off") || s == "0") {
                v.as.b = 0;
                return true;
            }
            return false;
    }
    return false;
}

}  // namespace weir::regex
