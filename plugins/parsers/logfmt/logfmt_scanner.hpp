// logfmt: `key=value key2="quoted value" flag` — one pass, no allocation
// unless a quoted value has escapes.
#pragma once

#include <string_view>

namespace weir::logfmt {

struct Pair {
    std::string_view key;
    std::string_view value;  // raw: escapes not yet resolved
    bool quoted = false;
    bool escaped = false;  // contains backslash escapes
    bool bare = false;     // a key without '=' (a flag)
};

/// Calls out(const Pair&) per pair. Returns nullptr, or why the line is not logfmt.
template <class Out>
const char* scan(std::string_view s, Out&& out) {
    size_t i = 0;
    const size_t n = s.size();
    size_t pairs = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) ++i;
        if (i >= n) break;
        const size_t k0 = i;
        // Bytes above ASCII are key characters: UTF-8 keys (名前=山田) are whole,
        // and a key only ends at an ASCII byte, never inside a sequence.
        while (i<n&& static_cast<unsigned char>(s[i])> ' ' && s[i] != '=' && s[i] != '"') ++i;
        if (i == k0) return s[i] == '"' ? "a quote where a key should be" : "an '=' without a key";
        Pair p;
        p.key = s.substr(k0, i - k0);
        if (i >= n || s[i] == ' ' || s[i] == '\t') {
            p.bare = true;
            out(p);
            ++pairs;
            continue;
        }
        if (s[i] == '"') return "a quote inside a key";
        ++i;  // '='
        if (i < n && s[i] == '"') {
            const size_t v0 = ++i;
            while (i < n && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < n) {
                    p.escaped = true;
                    ++i;
                }
                ++i;
            }
            if (i >= n) return "a quoted value is never closed";
            p.value = s.substr(v0, i - v0);
            p.quoted = true;
            ++i;
            if (i < n && s[i] != ' ' && s[i] != '\t') return "text right after a closing quote";
        } else {
            const size_t v0 = i;
            while (i < n && s[i] != ' ' && s[i] != '\t') {
                if (s[i] == '"') return "a quote inside an unquoted value";
                ++i;
            }
            p.value = s.substr(v0, i - v0);
        }
        out(p);
        ++pairs;
    }
    return pairs ? nullptr : "no key=value pair";
}

}  // namespace weir::logfmt
