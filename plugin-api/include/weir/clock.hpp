// Clocks for plugins: nanoseconds as the ABI counts them.
#pragma once

#include <chrono>
#include <cstdint>

namespace weir::clock {

/// Wall-clock time: nanoseconds since the Unix epoch (UTC), as event times are.
inline int64_t wall_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Monotonic time for intervals and deadlines; never steps back.
inline int64_t steady_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace weir::clock
