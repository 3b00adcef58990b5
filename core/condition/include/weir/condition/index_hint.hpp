// What an index may use to skip events for a condition, and the tokenizer both
// sides share: the store indexes exactly the tokens for_each_token yields, and
// Condition::index_hint only names keys that every matching event must have.
#pragma once

#include <cstdint>
#include <limits>
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
    };
    Kind kind;
    std::string field;  // Kind::field only: the field name as written (dotted path for nested)
    std::string text;
};

/// A conjunction of disjunctions: every event the condition matches has, for
/// each group, at least one key of that group. An empty `all` prunes nothing.
/// Field keys are only emitted for text values that do not read as numbers.
/// The time bounds are inclusive, in ns since the epoch (UTC).
struct IndexHint {
    std::vector<std::vector<IndexKey>> all;
    int64_t from_ns = std::numeric_limits<int64_t>::min();
    int64_t to_ns = std::numeric_limits<int64_t>::max();
};

}  // namespace weir::condition
