#include "token_bucket.hpp"

#include <cmath>

namespace weir::http_input {

bool TokenBucket::take(double n, int64_t now_ns, int64_t& retry_after_s) {
    if (now_ns > last_) {
        tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ns - last_) / 1e9);
        last_ = now_ns;
    }
    if (tokens_ >= n) {
        tokens_ -= n;
        return true;
    }
    retry_after_s = std::max<int64_t>(1, static_cast<int64_t>(std::ceil((n - tokens_) / rate_)));
    return false;
}

void TokenBucket::configure(double rate, double burst) {
    rate_ = rate;
    burst_ = burst;
    tokens_ = std::min(tokens_, burst_);
}

}  // namespace weir::http_input
