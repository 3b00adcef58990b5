// redact: removes secrets and personal data from the message and chosen
// fields — credit-card numbers (Luhn-checked, last four kept), e-mail
// addresses, values of keys named like secrets (db_password=, "awsSecretKey":,
// X-Api-Key: ...; quoted, JSON-escaped at any depth), passwords in URLs,
// HTTP Basic and bearer credentials, AWS access keys, optionally IPv4/IPv6
// addresses (masked or replaced by a keyed hash), plus custom RE2 patterns.
// One RE2::Set pass tells which detectors occur; only those then rewrite.
#include <openssl/hmac.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string>
#include <vector>
#include <weir/sdk.hpp>

#include "secret_names.hpp"

namespace {

enum class Kind { Replace, Card, Ip, KeyValue, Basic, Email };

struct Rule {
    std::string name;
    std::unique_ptr<RE2> re;
    std::string replacement;  // for Replace (\1 ... allowed)
    Kind kind = Kind::Replace;
};

// A name that may be a secret's, its closing quote and the separator
// (=, :, => of Ruby hashes); secret_names.hpp decides whether it is one.
constexpr const char* kKeyCandidate =
    R"((?i)(?:\\*["'])?([A-Za-z0-9_.\-]*(?:pass|pwd|pw|secret|token|credential|auth|sig|key)[A-Za-z0-9_.\-]*)(?:\\*["'])?[ \t]*(?:=>|[=:])[ \t]*)";

bool bare_end(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' || c == '\\' ||
           c == '&' || c == ',' || c == ';' || c == ')' || c == '}' || c == ']';
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

/// Standard base64 (padded) decoded into `out`; false if `in` is not that.
bool base64_decode(std::string_view in, std::string& out) {
    out.clear();
    if (in.empty() || in.size() % 4 != 0) return false;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else if (c == '=' && i + 2 >= in.size())
            break;
        else
            return false;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return true;
}

bool luhn(std::string_view digits) {
    int sum = 0;
    bool dbl = false;
    for (size_t i = digits.size(); i-- > 0;) {
        int d = digits[i] - '0';
        if (dbl) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
        dbl = !dbl;
    }
    return sum % 10 == 0;
}

class RedactFilter final : public weir::Filter {
public:
    RedactFilter(weir::Context& ctx, const weir::Options& opts)
        : weir::Filter(ctx), set_(options(), RE2::UNANCHORED) {
        std::set<std::string> on;
        for (const auto& d : opts.list("detectors")) on.insert(d);
        if (on.empty())  // the default
            on = {"credit_card", "email", "key_value", "url_credentials", "basic_auth", "bearer", "aws_key"};
        on.erase("none");                       // the option table allows only known detectors
        if (opts.str("ip_action") == "hash") {  // or mask
            hash_key_ = std::string(opts.str("hash_key"));
            if (hash_key_.empty()) throw weir::ConfigError("ip_action: hash needs hash_key (a secret)");
        }
        // Userinfo passwords first, so that the e-mail detector does not
        // take "user:pass@host" for an address: postgres://app:[REDACTED]@db/app.
        if (on.count("url_credentials"))
            add("url_credentials", R"((?i)\b([a-z][a-z0-9+.\-]*://[^\s/?#@:"'<>]*:)[^\s/?#"'<>]+@)",
                R"(\1[REDACTED]@)");
        if (on.count("basic_auth"))
            add("basic_auth", R"((?i)\b(basic[ \t]+)([A-Za-z0-9+/]{4,}={0,2}))", "", Kind::Basic);
        if (on.count("key_value")) add("key_value", kKeyCandidate, "", Kind::KeyValue);
        // A token ends the value: "token_type=Bearer expires_in=3600" holds none.
        if (on.count("bearer"))
            add("bearer", R"((?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*(\s|$|["',;]))", R"(\1[REDACTED]\2)");
        if (on.count("aws_key")) add("aws_key", R"(\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)", "[AWS_ACCESS_KEY]");
        if (on.count("email"))
            add("email", R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})", "[EMAIL]",
                Kind::Email);
        if (on.count("credit_card")) add("credit_card", R"(\b\d(?:[ \-]?\d){12,18}\b)", "", Kind::Card);
        if (on.count("ipv4"))
            add("ipv4", R"(\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b)", "[IPV4]",
                Kind::Ip);
        if (on.count("ipv6"))
            add("ipv6",
                R"((?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|(?:\b[0-9a-f]{1,4}:){1,6}:[0-9a-f]{0,4}(?::[0-9a-f]{1,4})*\b|::[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*\b)",
                "[IPV6]", Kind::Ip);
        for (const auto& p : opts.list("patterns")) {
            const size_t arrow = p.rfind("=>");
            if (arrow == std::string::npos)
                throw weir::ConfigError("patterns entries look like 'regex=>replacement', found '" + p + "'");
            add("pattern " + std::to_string(rules_.size()), p.substr(0, arrow), p.substr(arrow + 2));
        }
        if (rules_.empty()) throw weir::ConfigError("nothing to redact: no detector and no pattern");
        if (!set_.Compile())
            throw weir::ConfigError("the patterns could not be compiled together (too large)");
        for (const auto& f : opts.list("fields")) fields_.push_back(f);
        redact_keys_ = opts.boolean("redact_secret_fields");
    }

    void process(weir::Batch& batch) override {
        for (weir::Event ev : batch) {
            if (redact(ev.body(), out_)) {
                ev.set_body(out_);
                ctx_.count_outcome("redacted_message");
            }
            weir::Object f = ev.fields();
            for (const auto& name : fields_) {
                const weir::Value v = f.get(name);
                if (v.is_string() && redact(v.as_string(), out_)) {
                    f.set(name, out_);
                    ctx_.count_outcome("redacted_field");
                }
            }
            if (redact_keys_) redact_secret_fields(f, 0);
        }
    }

private:
    /// Fields named like secrets get "[REDACTED]" as their whole value, in
    /// nested objects (and objects inside arrays) too.
    void redact_secret_fields(weir::Object obj, int depth) {
        if (depth > 16) return;
        std::vector<std::string> names;
        obj.for_each([&](std::string_view key, weir::Value v) {
            if (v.is_object() || v.is_array()) {
                redact_secret_fields(v.as_object(), depth + 1);
            } else if (!key.empty() && !v.is_null() && weir::redact::is_secret_name(key, words_)) {
                names.emplace_back(key);
            }
        });
        for (const auto& k : names) {
            obj.set(k, "[REDACTED]");
            ctx_.count_outcome("redacted_field");
        }
    }

    static RE2::Options options() {
        RE2::Options o;
        o.set_log_errors(false);
        o.set_max_mem(64 << 20);
        return o;
    }

    void add(const std::string& name, const std::string& pattern, const std::string& replacement,
             Kind kind = Kind::Replace) {
        Rule r;
        r.name = name;
        r.re = std::make_unique<RE2>(pattern, options());
        if (!r.re->ok()) throw weir::ConfigError(name + ": invalid pattern: " + r.re->error());
        std::string err;
        if ((kind == Kind::Replace || kind == Kind::Email) && !r.re->CheckRewriteString(replacement, &err))
            throw weir::ConfigError(name + ": invalid replacement '" + replacement + "': " + err);
        r.replacement = replacement;
        r.kind = kind;
        std::string set_err;
        if (set_.Add(pattern, &set_err) < 0) throw weir::ConfigError(name + ": " + set_err);
        rules_.push_back(std::move(r));
    }

    /// Rewrites `in` into `out`; false (out untouched) when nothing matched.
    bool redact(std::string_view in, std::string& out) {
        hits_.clear();
        if (in.empty() || !set_.Match(re2::StringPiece(in.data(), in.size()), &hits_)) return false;
        std::sort(hits_.begin(), hits_.end());
        out.assign(in);
        bool changed = false;
        for (int h : hits_) {
            const Rule& r = rules_[static_cast<size_t>(h)];
            switch (r.kind) {
                case Kind::Replace:
                    changed |= RE2::GlobalReplace(&out, *r.re, r.replacement) > 0;
                    break;
                case Kind::Card:
                    changed |= mask_cards(*r.re, out);
                    break;
                case Kind::Ip:
                    changed |= replace_ips(r, out);
                    break;
                case Kind::KeyValue:
                    changed |= redact_key_values(*r.re, out);
                    break;
                case Kind::Basic:
                    changed |= redact_basic(*r.re, out);
                    break;
                case Kind::Email:
                    changed |= replace_emails(r, out);
                    break;
            }
        }
        return changed;
    }

    /// Card numbers that pass Luhn: every digit but the last four becomes
    /// '*', separators stay ("4111-1111-1111-1111" → "****-****-****-1111").
    bool mask_cards(const RE2& re, std::string& s) {
        bool changed = false;
        re2::StringPiece input(s);
        re2::StringPiece m;
        size_t pos = 0;
        while (pos < s.size() && re.Match(input, pos, s.size(), RE2::UNANCHORED, &m, 1)) {
            const size_t start = static_cast<size_t>(m.data() - s.data());
            const size_t end = start + m.size();
            digits_.clear();
            for (size_t i = start; i < end; ++i)
                if (s[i] >= '0' && s[i] <= '9') digits_.push_back(s[i]);
            if (digits_.size() >= 13 && digits_.size() <= 19 && luhn(digits_)) {
                size_t left = digits_.size() - 4;
                for (size_t i = start; i < end && left > 0; ++i) {
                    if (s[i] >= '0' && s[i] <= '9') {
                        s[i] = '*';
                        --left;
                    }
                }
                changed = true;
            }
            pos = end > pos ? end : pos + 1;
            input = re2::StringPiece(s);
        }
        return changed;
    }

    /// Values of keys named like secrets, however they are written:
    /// password=x, "db_password": "x", \"apiKey\":\"x\", X-Api-Key: x,
    /// :password => 'x', Authorization: Basic x (the scheme is kept).
    bool redact_key_values(const RE2& re, std::string& s) {
        result_.clear();
        re2::StringPiece input(s);
        re2::StringPiece m[2];
        size_t pos = 0, copied = 0;
        bool changed = false;
        while (pos < s.size() && re.Match(input, pos, s.size(), RE2::UNANCHORED, m, 2)) {
            const size_t value = static_cast<size_t>(m[0].data() - s.data()) + m[0].size();
            pos = value > pos ? value : pos + 1;
            if (!weir::redact::is_secret_name(std::string_view(m[1].data(), m[1].size()), words_)) continue;
            size_t start = value, end = value;
            size_t slashes = 0;
            while (start + slashes < s.size() && s[start + slashes] == '\\') ++slashes;
            const char q = start + slashes < s.size() ? s[start + slashes] : '\0';
            if (q == '"' || q == '\'') {
                start += slashes + 1;
                end = weir::redact::quoted_value_end(s, start, q, slashes);
                if (end == std::string::npos)
                    end = s.size();  // never closed: all of the rest may be the secret
            } else if (q == '{' || q == '[') {
                continue;  // an object: its own keys say what is secret
            } else {
                while (end < s.size() && !bare_end(s[end])) ++end;
                const std::string_view word(s.data() + start, end - start);
                // "Authorization: Basic xyz", "auth: Bearer xyz": the scheme stays.
                if (end + 1 < s.size() && s[end] == ' ' && is_auth_scheme(word)) {
                    start = end + 1;
                    end = start;
                    while (end < s.size() && !bare_end(s[end])) ++end;
                    // Digest's username="bob", response="…" are parameters, not the password.
                    const std::string_view tok(s.data() + start, end - start);
                    const size_t eq = tok.find('=');
                    if (eq != std::string_view::npos && eq > 0 &&
                        (eq + 1 < tok.size() ? tok[eq + 1] != '=' : end < s.size() && s[end] == '"'))
                        continue;
                } else if (iequals(word, "null") || iequals(word, "true") || iequals(word, "false") ||
                           iequals(word, "yes") || iequals(word, "no") || iequals(word, "none")) {
                    continue;  // "(using password: YES)": says whether there is one, not what it is
                }
            }
            if (end <= start || s.compare(start, 10, "[REDACTED]") == 0) continue;  // another detector's work
            result_.append(s, copied, start - copied);
            result_ += "[REDACTED]";
            copied = end;
            pos = std::max(pos, end);
            changed = true;
        }
        if (!changed) return false;
        result_.append(s, copied, std::string::npos);
        s.swap(result_);
        return true;
    }

    static bool is_auth_scheme(std::string_view w) {
        static constexpr std::string_view kSchemes[] = {"basic",  "bearer",          "digest", "negotiate",
                                                        "ntlm",   "token",           "apikey", "hoba",
                                                        "mutual", "aws4-hmac-sha256"};
        for (std::string_view k : kSchemes)
            if (iequals(w, k)) return true;
        return false;
    }

    /// "Basic <base64 of user:password>" (also outside an Authorization
    /// header: curl -v, proxies); prose like "basic auth" stays.
    bool redact_basic(const RE2& re, std::string& s) {
        result_.clear();
        re2::StringPiece input(s);
        re2::StringPiece m[3];
        size_t pos = 0, copied = 0;
        bool changed = false;
        while (pos < s.size() && re.Match(input, pos, s.size(), RE2::UNANCHORED, m, 3)) {
            const size_t start = static_cast<size_t>(m[2].data() - s.data()), end = start + m[2].size();
            pos = end;
            if (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '='))
                continue;
            if (!base64_decode(std::string_view(m[2].data(), m[2].size()), decoded_) ||
                decoded_.find(':') == std::string::npos)
                continue;
            bool printable = true;
            for (char c : decoded_) printable &= static_cast<unsigned char>(c) >= 0x20;
            if (!printable) continue;
            result_.append(s, copied, start - copied);
            result_ += "[REDACTED]";
            copied = end;
            changed = true;
        }
        if (!changed) return false;
        result_.append(s, copied, std::string::npos);
        s.swap(result_);
        return true;
    }

    /// E-mail addresses, except a URL's user name (ssh://git@host, which
    /// url_credentials keeps readable).
    bool replace_emails(const Rule& r, std::string& s) {
        result_.clear();
        re2::StringPiece input(s), m;
        size_t pos = 0, copied = 0;
        bool changed = false;
        while (pos < s.size() && r.re->Match(input, pos, s.size(), RE2::UNANCHORED, &m, 1)) {
            const size_t start = static_cast<size_t>(m.data() - s.data()), end = start + m.size();
            pos = end;
            if (start >= 3 && s.compare(start - 3, 3, "://") == 0) continue;
            result_.append(s, copied, start - copied);
            result_ += r.replacement;
            copied = end;
            changed = true;
        }
        if (!changed) return false;
        result_.append(s, copied, std::string::npos);
        s.swap(result_);
        return true;
    }

    bool replace_ips(const Rule& r, std::string& s) {
        if (hash_key_.empty()) return RE2::GlobalReplace(&s, *r.re, r.replacement) > 0;
        // Keyed hash: the same address always gives the same token, which
        // cannot be reversed without the key.
        std::string result;
        re2::StringPiece input(s), m;
        size_t pos = 0;
        bool changed = false;
        while (pos <= s.size() && r.re->Match(input, pos, s.size(), RE2::UNANCHORED, &m, 1)) {
            const size_t start = static_cast<size_t>(m.data() - s.data());
            result.append(s, pos, start - pos);
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned int len = 0;
            HMAC(EVP_sha256(), hash_key_.data(), static_cast<int>(hash_key_.size()),
                 reinterpret_cast<const unsigned char*>(m.data()), m.size(), md, &len);
            static const char* hex = "0123456789abcdef";
            result += "ip:";
            for (int i = 0; i < 8; ++i) {
                result.push_back(hex[md[i] >> 4]);
                result.push_back(hex[md[i] & 15]);
            }
            pos = start + m.size();
            changed = true;
            if (m.empty()) ++pos;
        }
        if (!changed) return false;
        if (pos < s.size()) result.append(s, pos, std::string::npos);
        s.swap(result);
        return true;
    }

    RE2::Set set_;
    std::vector<Rule> rules_;
    std::vector<int> hits_;
    std::vector<std::string> fields_;
    bool redact_keys_ = true;
    std::string hash_key_;
    std::string out_, digits_, result_, decoded_, words_;
};

const weir::Option redact_options[] = {
    weir::option::string_list("detectors", "", "Built-in detectors (none: only patterns).")
        .one_of("credit_card|email|key_value|url_credentials|basic_auth|bearer|aws_key|ipv4|ipv6|none")
        .empty_means("all but ipv4 and ipv6"),
    weir::option::string_list("patterns", "",
                              "Custom RE2 patterns, each 'regex=>replacement' (\\1 for groups)."),
    weir::option::string_list("fields", "", "Text fields redacted like the message (the message is always)."),
    weir::option::boolean(
        "redact_secret_fields", "true",
        "Replace the whole value of fields named like secrets (db_password, apiKey, X-Auth-Token ...)."),
    weir::option::string("ip_action", "mask", "ipv4/ipv6 detectors: mask ([IPV4]) or hash (ip:<keyed hash>).")
        .one_of("mask|hash"),
    weir::option::string("hash_key", "", "Secret key of ip_action: hash (HMAC-SHA256).").secret(),
};

}  // namespace

WEIR_PLUGIN(
    RedactFilter, WEIR_KIND_FILTER, "redact", "0.1.0",
    "Removes card numbers, e-mails, secrets, tokens, keys (and optionally IPs) from messages and fields.",
    redact_options)
