// redact: removes secrets and personal data from the message and chosen
// fields — credit-card numbers (Luhn-checked, last four kept), e-mail
// addresses, password=/secret=/token=/api_key= style pairs (quoted, JSON-
// escaped, any case), bearer tokens, AWS access keys, optionally IPv4/IPv6
// addresses (masked or replaced by a keyed hash), plus custom RE2 patterns.
// One RE2::Set pass tells which detectors occur; only those then rewrite.
#include <weir/sdk.hpp>

#include <openssl/hmac.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

enum class Kind { Replace, Card, Ip };

struct Rule {
    std::string name;
    std::unique_ptr<RE2> re;
    std::string replacement;  // for Replace (\1 ... allowed)
    Kind kind = Kind::Replace;
};

// The key words of key=value secrets (also the field names redacted whole).
constexpr const char* kSecretKeys =
    "password|passwd|pwd|pass|secret|client_secret|token|access_token|refresh_token|id_token|api_key|apikey|"
    "api-key|x-api-key|auth_token|private_key|session_key|credentials";

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
        if (on.empty()) on = {"credit_card", "email", "key_value", "bearer", "aws_key"};  // the default
        on.erase("none");
        static const std::set<std::string> known = {"credit_card", "email", "key_value", "bearer", "aws_key",
                                                    "ipv4", "ipv6", "none"};
        for (const auto& d : on)
            if (!known.count(d))
                throw weir::ConfigError("unknown detector '" + d +
                                        "' (credit_card, email, key_value, bearer, aws_key, ipv4, ipv6)");
        const std::string_view ip_action = opts.str("ip_action");
        if (ip_action == "hash") {
            hash_key_ = std::string(opts.str("hash_key"));
            if (hash_key_.empty()) throw weir::ConfigError("ip_action: hash needs hash_key (a secret)");
        } else if (ip_action != "mask") {
            throw weir::ConfigError("ip_action must be 'mask' or 'hash', found '" + std::string(ip_action) + "'");
        }
        const std::string keys = kSecretKeys;
        if (on.count("key_value")) {
            // Quoted values, JSON-escaped quotes included: "password":"a b", \"token\":\"x\"
            add("key_value_quoted",
                R"((?i)((?:\\?["'])?\b(?:)" + keys + R"()(?:\\?["'])?\s*[=:]\s*\\?")((?:\\\\\\"|[^"\\]|\\[^"])*))",
                R"(\1[REDACTED])");
            // Bare values: password=hunter2, token: abc
            add("key_value", R"((?i)(\b(?:)" + keys + R"()\s*[=:]\s*)([^\s"'\\&,;]+))", R"(\1[REDACTED])");
        }
        if (on.count("bearer")) add("bearer", R"((?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*)", R"(\1[REDACTED])");
        if (on.count("aws_key")) add("aws_key", R"(\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)", "[AWS_ACCESS_KEY]");
        if (on.count("email"))
            add("email", R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})", "[EMAIL]");
        if (on.count("credit_card")) add("credit_card", R"(\b\d(?:[ \-]?\d){12,18}\b)", "", Kind::Card);
        if (on.count("ipv4")) add("ipv4", R"(\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b)", "[IPV4]", Kind::Ip);
        if (on.count("ipv6"))
            add("ipv6", R"((?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|(?:\b[0-9a-f]{1,4}:){1,6}:[0-9a-f]{0,4}(?::[0-9a-f]{1,4})*\b|::[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*\b)",
                "[IPV6]", Kind::Ip);
        for (const auto& p : opts.list("patterns")) {
            const size_t arrow = p.rfind("=>");
            if (arrow == std::string::npos)
                throw weir::ConfigError("patterns entries look like 'regex=>replacement', found '" + p + "'");
            add("pattern " + std::to_string(rules_.size()), p.substr(0, arrow), p.substr(arrow + 2));
        }
        if (rules_.empty()) throw weir::ConfigError("nothing to redact: no detector and no pattern");
        if (!set_.Compile()) throw weir::ConfigError("the patterns could not be compiled together (too large)");
        for (const auto& f : opts.list("fields")) fields_.push_back(f);
        redact_keys_ = opts.boolean("redact_secret_fields");
        secret_field_ = std::make_unique<RE2>("(?i)^(?:" + keys + ")$", options());
    }

    void process(weir::Batch& batch) override {
        for (weir::Event ev : batch) {
            if (redact(ev.body(), out_)) {
                ev.set_body(out_);
                ctx_.count_error("redacted_message");
            }
            weir::Object f = ev.fields();
            for (const auto& name : fields_) {
                const weir::Value v = f.get(name);
                if (v.is_string() && redact(v.as_string(), out_)) {
                    f.set(name, out_);
                    ctx_.count_error("redacted_field");
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
            } else if (!key.empty() && !v.is_null() &&
                       RE2::FullMatch(re2::StringPiece(key.data(), key.size()), *secret_field_)) {
                names.emplace_back(key);
            }
        });
        for (const auto& k : names) {
            obj.set(k, "[REDACTED]");
            ctx_.count_error("redacted_field");
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
        if (kind == Kind::Replace && !r.re->CheckRewriteString(replacement, &err))
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
                case Kind::Replace: changed |= RE2::GlobalReplace(&out, *r.re, r.replacement) > 0; break;
                case Kind::Card: changed |= mask_cards(*r.re, out); break;
                case Kind::Ip: changed |= replace_ips(r, out); break;
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
    std::unique_ptr<RE2> secret_field_;
    std::string hash_key_;
    std::string out_, digits_;
};

const weir_option_def redact_options[] = {
    weir::option::string_list("detectors", "",
                              "Built-in detectors among credit_card, email, key_value, bearer, aws_key, ipv4, ipv6 "
                              "(none: only patterns); default: all but the IP ones."),
    weir::option::string_list("patterns", "", "Custom RE2 patterns, each 'regex=>replacement' (\\1 for groups)."),
    weir::option::string_list("fields", "", "Text fields redacted like the message (the message is always)."),
    weir::option::boolean("redact_secret_fields", "true",
                          "Replace whole the value of fields named like secrets (password, token, api_key ...)."),
    weir::option::string("ip_action", "mask", "ipv4/ipv6 detectors: mask ([IPV4]) or hash (ip:<keyed hash>)."),
    weir::option::string("hash_key", "", "Secret key of ip_action: hash (HMAC-SHA256)."),
};

}  // namespace

WEIR_PLUGIN(RedactFilter, WEIR_KIND_FILTER, "redact", "0.1.0",
            "Removes card numbers, e-mails, secrets, tokens, keys (and optionally IPs) from messages and fields.",
            redact_options)
