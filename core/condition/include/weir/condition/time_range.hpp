// Time points and ranges as users write them in `from`, `to` and `--since`.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace weir::condition {

/// "now", "now-1h" (also "now - 1h", "now+15m"), "15m" (= now-15m),
/// "2h ago", "last 24 hours" / "past 7 days" / "last hour", ISO 8601 with or
/// without a zone ("2026-01-19T10:00:00Z", "2026-01-19 10:00",
/// "2026-01-19T10:00+02:00", "2026-01-19"), "today", "yesterday", epoch
/// seconds (10 digits) or milliseconds (13 digits). Units: s, m, h, d, w and
/// their words (sec, min, hour(s), day(s), week(s)). Keywords ignore case;
/// surrounding spaces are ignored. Dates and times without a zone are UTC.
/// `end` selects the last nanosecond of the calendar unit the text names
/// ("2026-01-19" as `to` is the end of that day, "10:00" the end of that
/// minute, "10:00:05" of that second; "today" and "yesterday" their ends).
/// nullopt when the text is not a time (or is longer than 64 bytes, or the
/// result would overflow).
std::optional<int64_t> parse_time_point(std::string_view text, int64_t now_ns, bool end = false);

}  // namespace weir::condition
