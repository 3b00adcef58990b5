// Time points and ranges as users write them in `from`, `to` and `--since`.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace weir::condition {

/// "now", "now-1h", "15m" (= now-15m), "last 24 hours", ISO 8601 with or
/// without a zone ("2026-01-19T10:00:00Z", "2026-01-19 10:00", "2026-01-19"),
/// "today", "yesterday", epoch seconds or milliseconds. Dates and times
/// without a zone are UTC. `end` selects the end of a calendar unit where the
/// text names one ("2026-01-19" as `to` is the end of that day).
/// nullopt when the text is not a time.
std::optional<int64_t> parse_time_point(std::string_view text, int64_t now_ns, bool end = false);

}  // namespace weir::condition
