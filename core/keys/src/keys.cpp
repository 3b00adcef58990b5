#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <weir/keys/keys.hpp>
#include <weir/time.hpp>

namespace weir::keys {

std::string sha256_hex(std::string_view text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out(len * 2, '0');
    for (unsigned i = 0; i < len; ++i) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    return out;
}

namespace {

std::string where(const std::string& path, const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return path;
    return path + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

[[noreturn]] void fail(const std::string& path, const YAML::Node& n, const std::string& what) {
    throw std::runtime_error("keys file " + where(path, n) + ": " + what);
}

double positive(const std::string& path, const YAML::Node& n, const char* name) {
    double v = 0;
    try {
        v = n.as<double>();
    } catch (const YAML::Exception&) {
        fail(path, n, std::string(name) + " must be a number");
    }
    if (!(v > 0) || !std::isfinite(v)) fail(path, n, std::string(name) + " must be positive");
    return v;
}

}  // namespace

bool ApiKey::has_scope(std::string_view s) const {
    for (const auto& x : scopes)
        if (x == s) return true;
    return false;
}

const char* to_string(AuthResult r) {
    switch (r) {
        case AuthResult::Ok:
            return "ok";
        case AuthResult::Missing:
            return "missing";
        case AuthResult::Unknown:
            return "unknown";
        case AuthResult::Expired:
            return "expired";
        case AuthResult::Revoked:
            return "revoked";
    }
    return "unknown";
}

std::shared_ptr<const KeySet> KeySet::load(const std::string& path, const LoadOptions& opts) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw std::runtime_error("cannot read keys file " + path);
    } catch (const YAML::Exception& e) {
        throw std::runtime_error("keys file " + path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                 std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    auto set = std::make_shared<KeySet>();
    if (!root || root.IsNull()) return set;  // an empty file: no key is valid
    if (!root.IsMap() || !root["keys"]) fail(path, root, "expected a map with a 'keys' list");
    const YAML::Node keys = root["keys"];
    if (keys.IsNull()) return set;
    if (!keys.IsSequence()) fail(path, keys, "'keys' must be a list");
    for (const auto& k : keys) {
        if (!k.IsMap()) fail(path, k, "each key must be a map with tenant and sha256");
        ApiKey key;
        std::string hash;
        for (const auto& kv : k) {
            const std::string name = kv.first.as<std::string>();
            const YAML::Node& v = kv.second;
            if (name == "tenant") {
                key.tenant = v.IsScalar() ? v.as<std::string>() : "";
                if (key.tenant.empty()) fail(path, v, "tenant must be a non-empty string");
            } else if (name == "sha256") {
                hash = v.IsScalar() ? v.as<std::string>() : "";
                std::transform(hash.begin(), hash.end(), hash.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos)
                    fail(path, v,
                         "sha256 must be 64 hex digits (the SHA-256 of the key, never the key itself)");
            } else if (name == "expires") {
                const auto t = weir::time::parse_iso8601(v.IsScalar() ? v.as<std::string>() : "");
                if (!t) fail(path, v, "expires must be an ISO 8601 time like 2027-06-30T00:00:00Z");
                key.expires_ns = *t;
            } else if (name == "revoked") {
                try {
                    key.revoked = v.as<bool>();
                } catch (const YAML::Exception&) {
                    fail(path, v, "revoked must be true or false");
                }
            } else if (name == "scopes") {
                if (!v.IsSequence()) fail(path, v, "scopes must be a list, e.g. [read, admin]");
                for (const auto& sc : v) {
                    const std::string text = sc.IsScalar() ? sc.as<std::string>() : "";
                    bool known = opts.known_scopes.empty() && !text.empty();
                    for (const auto& k : opts.known_scopes) known |= (k == text);
                    if (!known) {
                        std::string list;
                        for (const auto& k : opts.known_scopes) list += (list.empty() ? "" : ", ") + k;
                        fail(path, sc,
                             "unknown scope '" + text + "'" +
                                 (list.empty() ? "" : " (expected " + list + ")"));
                    }
                    key.scopes.push_back(text);
                }
            } else if (name == "rate") {
                key.rate = positive(path, v, "rate");
            } else if (name == "burst") {
                key.burst = positive(path, v, "burst");
            } else {
                fail(path, kv.first,
                     "unknown key field '" + name +
                         "' (expected tenant, sha256, scopes, expires, revoked, rate, burst)");
            }
        }
        if (key.tenant.empty() && opts.require_tenant) fail(path, k, "tenant is missing");
        if (hash.empty()) fail(path, k, "sha256 is missing");
        for (const auto& [h, _] : set->keys_)
            if (h == hash) fail(path, k, "the same sha256 appears twice");
        set->keys_.emplace_back(std::move(hash), std::move(key));
    }
    return set;
}

const ApiKey* KeySet::find_hash(const std::string& hash) const {
    const ApiKey* found = nullptr;
    if (hash.size() != 64) return nullptr;
    for (const auto& [h, key] : keys_) {
        // Every entry is compared in full, whether an earlier one matched or not.
        const bool same = CRYPTO_memcmp(h.data(), hash.data(), 64) == 0;
        if (same) found = &key;
    }
    return found;
}

KeyStore::KeyStore(std::string path, LoadOptions opts)
    : path_(std::move(path)), opts_(std::move(opts)), keys_(KeySet::load(path_, opts_)) {}

void KeyStore::reload() {
    auto fresh = KeySet::load(path_, opts_);
    std::lock_guard lock(mu_);
    keys_ = std::move(fresh);
}

size_t KeyStore::size() const {
    std::lock_guard lock(mu_);
    return keys_->size();
}

AuthResult KeyStore::check(std::string_view authorization, int64_t now_ns, ApiKey& out) const {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.size() <= kBearer.size()) return AuthResult::Missing;
    for (size_t i = 0; i < kBearer.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
            std::tolower(static_cast<unsigned char>(kBearer[i])))
            return AuthResult::Missing;
    std::string_view token = authorization.substr(kBearer.size());
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    if (token.empty()) return AuthResult::Missing;
    const std::string hash = sha256_hex(token);
    std::shared_ptr<const KeySet> keys;
    {
        std::lock_guard lock(mu_);
        keys = keys_;
    }
    const ApiKey* k = keys->find_hash(hash);
    if (!k) return AuthResult::Unknown;
    if (k->revoked) return AuthResult::Revoked;
    if (k->expires_ns != 0 && now_ns >= k->expires_ns) return AuthResult::Expired;
    out = *k;
    return AuthResult::Ok;
}

}  // namespace weir::keys
