// What the sample and throttle filters share: the level guard (events at or
// above a level are never thinned) and the key an event is grouped by.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <weir/level.hpp>
#include <weir/sdk.hpp>

namespace weir::filters {

/// Never thin events at or above this level ("none": thin everything).
class LevelGuard {
public:
    LevelGuard(const weir::Options& opts) : key_(opts.str("level_key")) {
        // A level's name or none (the option table allows nothing else).
        const std::string_view keep = opts.str("keep_level");
        min_ = keep == "none" ? weir::level::Level::Unknown : weir::level::normalize(keep);
    }
    /// True if the event must pass untouched.
    bool protects(weir::Event& ev) const {
        if (min_ == weir::level::Level::Unknown) return false;
        const weir::Value v = ev.fields().get(key_);
        if (!v.is_string()) return false;
        const auto lv = weir::level::normalize(v.as_string());
        return lv != weir::level::Level::Unknown && lv >= min_;
    }

private:
    std::string key_;
    weir::level::Level min_;
};

inline uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

/// The grouping key of an event: a field's value as text ("" when absent),
/// or, as a template, that text with every run of digits (and hex digits
/// mixed with them) replaced by '#', so "took 35 ms" and "took 120 ms" are
/// one template. Writes into `out` (reused, no allocation once warm).
inline void event_key(weir::Event& ev, std::string_view field, bool templated, std::string& out) {
    out.clear();
    if (field.empty()) return;
    std::string_view text;
    char num[32];
    if (field == "message" && !ev.fields().has("message")) {
        text = ev.body();
    } else {
        const weir::Value v = ev.fields().get(field);
        if (v.is_string()) {
            text = v.as_string();
        } else if (v.is_int()) {
            const int n = std::snprintf(num, sizeof num, "%lld", static_cast<long long>(v.as_int()));
            text = std::string_view(num, static_cast<size_t>(n));
        } else if (v.is_bool()) {
            text = v.as_bool() ? "true" : "false";
        }
    }
    if (!templated) {
        out.assign(text);
        return;
    }
    for (size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (c >= '0' && c <= '9') {
            out.push_back('#');
            while (i < text.size() &&
                   ((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f') ||
                    (text[i] >= 'A' && text[i] <= 'F') || text[i] == '.' || text[i] == ':' || text[i] == '-'))
                ++i;
        } else {
            out.push_back(c);
            ++i;
        }
    }
}

inline constexpr weir::Option keep_level_option =
    weir::option::string("keep_level", "error",
                         "Events at or above this level are never thinned; none: thin every level.")
        .one_of("trace|debug|info|warn|error|fatal|none");
inline constexpr weir::Option level_key_option =
    weir::option::string("level_key", "level", "Field holding the event's level.");

}  // namespace weir::filters
