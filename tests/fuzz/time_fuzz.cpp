// libFuzzer target for the shared time module, the TZif and POSIX TZ readers
// of named zones, and the level normaliser.
// Input "layout\0text" also compiles the layout and reads the text with it,
// so strftime-style layouts are fuzzed as well as the text they read.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <weir/level.hpp>
#include <weir/time.hpp>
#include <weir/zone.hpp>

namespace {

constexpr int64_t kNow = 1768824000LL * 1'000'000'000LL;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view s(reinterpret_cast<const char*>(data), size);
    (void)(weir::time::parse_iso8601(s));
    (void)(weir::time::parse_iso8601(s, -12 * 3600));
    (void)(weir::time::parse_apache(s));
    (void)(weir::time::parse_rfc3164(s, kNow, 3600));
    (void)(weir::time::parse_epoch(s));
    (void)(weir::time::parse_epoch(s, weir::time::EpochUnit::Milliseconds));
    (void)(weir::time::parse_epoch(s, weir::time::EpochUnit::Nanoseconds));
    (void)weir::time::parse_timezone(s);
    (void)weir::time::tzif::parse_posix(s);
    std::string error;
    if (auto tz = weir::time::tzif::parse(s, &error)) {
        for (size_t k = 1; k < tz->transitions.size(); ++k)
            if (tz->transitions[k].utc_s <= tz->transitions[k - 1].utc_s) std::abort();
    }
    const auto level = weir::level::normalize(s);
    if (weir::level::name(level).empty() != (level == weir::level::Level::Unknown)) std::abort();
    // "layout\0text": a layout compiled once, then used on the text.
    const size_t nul = s.find('\0');
    if (nul != std::string_view::npos) {
        if (auto f = weir::time::Format::compile(s.substr(0, nul))) {
            (void)f->parse(s.substr(nul + 1), 3600, kNow);
        }
    }
    return 0;
}
