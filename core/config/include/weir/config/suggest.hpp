#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir::config {

/// The candidate closest to `word` (edit distance ≤ 2, or a prefix), or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace weir::config
