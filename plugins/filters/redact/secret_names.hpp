// Which names (keys of key=value pairs, JSON keys, header and field names)
// hold secrets: a name is split into words — snake_case, kebab-case,
// camelCase, dotted, PascalCase and ACRONYMCase alike — and a secret word
// among them makes it a secret, unless the name only describes a secret
// (password_policy, token_type, secret_name, max_tokens ...).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace weir::redact {

namespace detail {

inline bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alnum(char c) { return is_lower(c) || is_upper(c) || is_digit(c); }

inline bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

template <size_t N>
bool one_of(std::string_view w, const std::array<std::string_view, N>& words) {
    for (std::string_view x : words)
        if (w == x) return true;
    return false;
}

// A word that ends in one of these is a secret: "dbpassword", "clientsecret", "csrftoken".
inline constexpr std::array<std::string_view, 11> kSecretEndings = {
    "password", "passwd", "passwort",   "passphrase", "passcode",   "secret",
    "token",    "apikey", "privatekey", "credential", "credentials"};
// Secret only as a whole word: "pass" is one, "compass", "bypass" and "passenger" are not.
inline constexpr std::array<std::string_view, 8> kSecretWords = {
    "pass", "pwd", "auth", "authorization", "signature", "sig", "secrets", "pw"};
// "key" is a secret after these: api_key, X-Api-Key, privateKey, aws_secret_access_key.
inline constexpr std::array<std::string_view, 10> kKeyQualifiers = {
    "api", "private", "secret", "session", "signing", "encryption", "master", "access", "client", "shared"};
// A last word that makes the name describe a secret rather than hold one.
inline constexpr std::array<std::string_view, 38> kDescriptors = {
    "type",      "method",     "mode",     "length",  "len",      "count",   "size",     "expires",
    "expiry",    "expiration", "exp",      "ttl",     "url",      "uri",     "endpoint", "file",
    "path",      "dir",        "policy",   "enabled", "required", "changed", "reset",    "id",
    "name",      "hint",       "strength", "rotated", "valid",    "age",     "at",       "in",
    "algorithm", "alg",        "format",   "version", "provider", "header"};

}  // namespace detail

/// Whether `name` holds, in any case, a piece every secret word has: most
/// names (level, user_id, latency_ms) are turned away by this first look.
inline bool may_be_secret(std::string_view name) {
    char buf[64];
    const size_t n = name.size() < sizeof buf ? name.size() : sizeof buf;
    for (size_t i = 0; i < n; ++i)
        buf[i] = detail::is_upper(name[i]) ? static_cast<char>(name[i] + 32) : name[i];
    if (name.size() > sizeof buf) return true;  // long names: the whole check
    const std::string_view l(buf, n);
    for (std::string_view piece : {"pass", "pw", "secret", "token", "key", "cred", "auth", "sig"})
        if (l.find(piece) != std::string_view::npos) return true;
    return false;
}

/// Whether `name` names a secret. `scratch` is reused (no allocation once warm).
inline bool is_secret_name(std::string_view name, std::string& scratch) {
    using namespace detail;
    if (!may_be_secret(name)) return false;
    // Lower-cased words, separated by one space in `scratch`.
    scratch.clear();
    std::array<std::string_view, 16> words;
    std::array<size_t, 16> starts{};
    size_t n = 0;
    bool in_word = false;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (!is_alnum(c)) {
            in_word = false;
            continue;
        }
        // A new word at a camelCase step (aB, 1B) and where an acronym ends (APIKey: API|Key).
        const bool boundary = in_word && is_upper(c) &&
                              (!is_upper(name[i - 1]) || (i + 1 < name.size() && is_lower(name[i + 1])));
        if (!in_word || boundary) {
            if (n == words.size()) break;
            if (!scratch.empty()) scratch.push_back(' ');
            starts[n++] = scratch.size();
        }
        scratch.push_back(is_upper(c) ? static_cast<char>(c + 32) : c);
        in_word = true;
    }
    if (n == 0) return false;
    for (size_t k = 0; k < n; ++k) {
        const size_t end = k + 1 < n ? starts[k + 1] - 1 : scratch.size();
        words[k] = std::string_view(scratch).substr(starts[k], end - starts[k]);
    }
    if (n > 1 && one_of(words[n - 1], kDescriptors)) return false;
    for (size_t k = 0; k < n; ++k) {
        const std::string_view w = words[k];
        if (one_of(w, kSecretWords)) return true;
        for (std::string_view e : kSecretEndings)
            if (ends_with(w, e)) return true;
        if (w == "key" && k > 0 && one_of(words[k - 1], kKeyQualifiers)) return true;
        if (ends_with(w, "key") && w.size() > 3) {
            const std::string_view stem = w.substr(0, w.size() - 3);  // "accesskey", "masterkey"
            for (std::string_view q : kKeyQualifiers)
                if (ends_with(stem, q)) return true;
        }
    }
    return false;
}

/// Where a quoted value that starts at `s[pos]`, after a quote preceded by
/// `level` backslashes (0 in plain JSON, 1 in JSON inside a JSON string, 3 one
/// level deeper), ends: the index of its closing quote's own backslashes, or
/// npos.
/// A quote preceded by n backslashes closes the value when n - level is a
/// multiple of 2·(level+1) — more backslashes than that escape the quote
/// (\" in JSON, \\\" in JSON inside JSON).
inline size_t quoted_value_end(std::string_view s, size_t pos, char quote, size_t level) {
    const size_t unit = 2 * (level + 1);
    for (size_t i = pos; i < s.size(); ++i) {
        if (s[i] != '\\' && s[i] != quote) continue;
        const size_t run0 = i;
        while (i < s.size() && s[i] == '\\') ++i;
        if (i >= s.size()) return std::string_view::npos;
        const size_t n = i - run0;
        if (s[i] == quote && n >= level && (n - level) % unit == 0) return i - level;
    }
    return std::string_view::npos;
}

}  // namespace weir::redact
