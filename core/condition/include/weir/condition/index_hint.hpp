// What an index may use to skip events for a condition, and the tokenizer both
// sides share: the store indexes exactly the tokens for_each_token yields, and
// Condition::index_hint only names keys that every matching event must have.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::condition {

/// Tokens are indexed by at most their first kMaxTokenBytes bytes, so a hint
/// never names a whole word longer than that (a word prefix it may).
inline constexpr size_t kMaxTokenBytes = 64;

/// A byte that belongs to a word: ASCII letters, digits, '_' and every byte of
/// a UTF-8 sequence. The condition language's whole-word match uses the same
/// rule, so a whole-word match of `w` implies the token `lower(w)` is present.
inline bool is_token_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

/// Calls f(std::string_view token) for each maximal run of token bytes, ASCII
/// lower-cased; a run longer than kMaxTokenBytes yields its first
/// kMaxTokenBytes bytes (so a word prefix still finds it). `scratch` is reused.
template <class F>
void for_each_token(std::string_view text, std::string& scratch, F&& f) {
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && !is_token_byte(text[i])) ++i;
        const size_t start = i;
        while (i < text.size() && is_token_byte(text[i])) ++i;
        const size_t n = i - start;
        if (n == 0) continue;
        scratch.assign(text.data() + start, n < kMaxTokenBytes ? n : kMaxTokenBytes);
        for (char& c : scratch)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        f(std::string_view(scratch));
    }
}

/// A text read as a number the way the condition's equality reads it (the
/// whole text, std::from_chars, finite only). The store's numeric keys use the
/// same reading, so `field:12345` and the value "12345" agree.
inline std::optional<double> read_number(std::string_view s) {
    if (s.empty()) return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

/// The canonical text of a number in a numeric key: two doubles that compare
/// equal (0 and -0 too) give the same text, and different ones different
/// texts. Integral values within 2^63 are written as integers; others in the
/// shortest form that reads back to the same double.
inline std::string number_key_text(double x) {
    if (x == 0) return "0";
    if (x == std::floor(x) && std::fabs(x) < 9.2e18) return std::to_string(static_cast<int64_t>(x));
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, r.ptr);
}

/// One key an index can look up.
struct IndexKey {
    // The message is the event's body, or its `message` field when the body
    // is empty. Lower-casing is ASCII only, as in for_each_token.
    enum class Kind {
        word,         // a token of the message (text: lower-cased token)
        word_prefix,  // any token of the message starting with text (lower-cased, at most
                      // kMaxTokenBytes bytes, so a truncated long token still has it)
        field,        // a top-level or dotted field (nested objects; not array elements)
                      // whose whole string value, lower-cased, is text
        number,       // such a field whose value is a number, or a string that reads
                      // wholly as one (read_number), equal to the number whose
                      // number_key_text is text
    };
    Kind kind;
    std::string field;  // Kind::field only: the field name as written (dotted path for nested)
    std::string text;
};

/// A conjunction of disjunctions: every event the condition matches has, for
/// each group, at least one key of that group. An empty `all` prunes nothing.
/// Field keys are only emitted for text values that do not read as numbers;
/// an equality with a number gives a number key instead (it matches numbers
/// and numeric text alike).
/// The time bounds are inclusive, in ns since the epoch (UTC).
struct IndexHint {
    std::vector<std::vector<IndexKey>> all;
    int64_t from_ns = std::numeric_limits<int64_t>::min();
    int64_t to_ns = std::numeric_limits<int64_t>::max();
};

}  // namespace weir::condition
