#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace weir::config {

/// "250ms", "30s", "5m", "1h", "2d", "500us", "10ns", "1.5s"; a plain number is seconds.
std::optional<int64_t> parse_duration_ns(std::string_view text);
/// "512B", "64KB" (×1000), "64KiB"/"64K" (×1024), ... up to G; a plain number is bytes.
std::optional<int64_t> parse_size_bytes(std::string_view text);

}  // namespace weir::config
