#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace weir::event {

/// Length of the text written by format_rfc3339_ns.
inline constexpr size_t kRfc3339NsLength = 30;

/// Writes "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (exactly 30 bytes, no NUL) for a
/// UTC time in nanoseconds since the epoch. Locale-free and allocation-free.
void format_rfc3339_ns(int64_t time_ns, char* out);
std::string format_rfc3339_ns(int64_t time_ns);

/// Current wall-clock time in nanoseconds since the epoch (UTC).
int64_t now_ns();
/// Monotonic clock in nanoseconds (for latencies).
int64_t monotonic_ns();

}  // namespace weir::event
