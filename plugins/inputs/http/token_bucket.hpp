// Per-key rate limits of the http input.
#pragma once

#include <algorithm>
#include <cstdint>

namespace weir::http_input {

/// Token bucket: `rate` events per second, holding at most `burst`.
class TokenBucket {
public:
    TokenBucket(double rate, double burst, int64_t now_ns)
        : rate_(rate), burst_(burst), tokens_(burst), last_(now_ns) {}
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
