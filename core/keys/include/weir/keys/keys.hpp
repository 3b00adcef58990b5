// Hashed API keys and tokens: a YAML file that stores only SHA-256 hashes of
// the secrets, each with a tenant, optional scopes, an optional expiry, a
// revoked flag and an optional rate limit. The http input reads its
// `api_keys_file` and the API server its `service.api.tokens_file` with it.
//
//   keys:
//     - tenant: shop-frontend
//       sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
//       scopes: [read, admin]             # optional (what an API token may do)
//       expires: 2027-06-30T00:00:00Z     # optional
//       revoked: false                    # optional
//       rate: 5000                        # optional, events/s (the http input)
//       burst: 10000                      # optional, events (the http input)
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::keys {

struct ApiKey {
    std::string tenant;
    std::vector<std::string> scopes;
    int64_t expires_ns = 0;  // 0: never
    bool revoked = false;
    std::optional<double> rate;   // events per second
    std::optional<double> burst;  // events
    bool has_scope(std::string_view s) const;
};

/// Lower-case hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

struct LoadOptions {
    /// The http input stamps the tenant on events: there it is required.
    bool require_tenant = true;
    /// Scopes a key may name; empty: any.
    std::vector<std::string> known_scopes;
};

/// Keys by their hash. Loaded whole; a file with any error is refused.
class KeySet {
public:
    /// Throws std::runtime_error naming the file, and line:column where it can.
    static std::shared_ptr<const KeySet> load(const std::string& path, const LoadOptions& opts = {});
    /// Compares `sha256_hex` with every stored hash in constant time (no
    /// early exit, no hash table probe whose timing depends on the secret).
    const ApiKey* find_hash(const std::string& sha256_hex) const;
    size_t size() const { return keys_.size(); }

private:
    std::vector<std::pair<std::string, ApiKey>> keys_;
};

enum class AuthResult { Ok, Missing, Unknown, Expired, Revoked };
const char* to_string(AuthResult r);

/// The current key set; replaced whole on reload, read from any thread.
class KeyStore {
public:
    explicit KeyStore(std::string path, LoadOptions opts = {});  // loads now; throws like KeySet::load
    /// Re-reads the file; on error throws and keeps the current set.
    void reload();
    /// Checks an Authorization header value ("Bearer <key>"). On Ok, `key`
    /// is a copy of the key's entry.
    AuthResult check(std::string_view authorization, int64_t now_ns, ApiKey& key) const;
    size_t size() const;
    const std::string& path() const { return path_; }

private:
    std::string path_;
    LoadOptions opts_;
    mutable std::mutex mu_;
    std::shared_ptr<const KeySet> keys_;
};

}  // namespace weir::keys
