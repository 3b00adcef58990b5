// API keys of the http input: a YAML file that stores only SHA-256 hashes of
// the keys, each mapped to the tenant (source) name stamped on its events,
// with an optional expiry, a revoked flag and its own rate limit.
//
//   keys:
//     - tenant: shop-frontend
//       sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
//       expires: 2027-06-30T00:00:00Z     # optional
//       revoked: false                    # optional
//       rate: 5000                        # optional, events/s (default: the input's rate_limit)
//       burst: 10000                      # optional, events (default: the input's rate_burst)
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace weir::http_input {

struct ApiKey {
    std::string tenant;
    int64_t expires_ns = 0;  // 0: never
    bool revoked = false;
    std::optional<double> rate;   // events per second
    std::optional<double> burst;  // events
};

/// Lower-case hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

/// Keys by their hash. Loaded whole; a file with any error is refused.
class KeySet {
public:
    /// Throws std::runtime_error naming the file, and line:column where it can.
    static std::shared_ptr<const KeySet> load(const std::string& path);
    const ApiKey* find_hash(const std::string& sha256_hex) const;
    size_t size() const { return keys_.size(); }

private:
    std::unordered_map<std::string, ApiKey> keys_;
};

enum class AuthResult { Ok, Missing, Unknown, Expired, Revoked };

/// The current key set; replaced whole on reload, read by the server thread.
class KeyStore {
public:
    explicit KeyStore(std::string path);  // loads now; throws like KeySet::load
    /// Re-reads the file; on error throws and keeps the current set.
    void reload();
    /// Checks an Authorization header value ("Bearer <key>"). On Ok, `key`
    /// is a copy of the key's entry.
    AuthResult check(std::string_view authorization, int64_t now_ns, ApiKey& key) const;
    size_t size() const;

private:
    std::string path_;
    mutable std::mutex mu_;
    std::shared_ptr<const KeySet> keys_;
};

/// Token bucket: `rate` events per second, holding at most `burst`.
class TokenBucket {
public:
    TokenBucket(double rate, double burst, int64_t now_ns) : rate_(rate), burst_(burst), tokens_(burst), last_(now_ns) {}
    /// Takes `n` tokens if there are that many; otherwise returns false and
    /// sets `retry_after_s` to when there will be.
    bool take(double n, int64_t now_ns, int64_t& retry_after_s);
    /// Gives back tokens taken for events that were then not accepted.
    void give(double n) { tokens_ = std::min(burst_, tokens_ + n); }
    void configure(double rate, double burst);
    double burst() const { return burst_; }

private:
    double rate_;
    double burst_;
    double tokens_;
    int64_t last_;
};

}  // namespace weir::http_input
