// The query language shared by drop/keep filters, search, live-tail filters,
// alerts and routing. Parsed once into a compiled tree; evaluated per event.
// The full reference is docs/query-language.md.
//
//   error timeout   "connection refused"   data*  *base  *ata*   the message
//   level:error   level = "ERROR"   level != debug               a field's value
//   status>=500   response_time > 1000                           numbers
//   level IN ("ERROR", "FATAL")   level:(warn OR error)          one of several
//   user_email LIKE "%@gmail.com"   path:/api/*                  patterns
//   user_id EXISTS   error IS NOT NULL   _exists_:user_id        presence
//   request.headers.host:example.com                             nested fields
//   timestamp >= "2026-01-19 09:00"   _time > now-1h             the event time
//   a AND b, a OR b, NOT a, a NOT b, (a OR b) c                  boolean logic;
//       juxtaposition is AND; NOT binds tighter than AND, AND than OR;
//       keywords in any case
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <weir/condition/index_hint.hpp>
#include <weir/event/batch.hpp>

namespace weir::condition {

/// A syntax error, with the 0-based position in the expression it refers to
/// and a hint on how to write it instead. what() reads
/// "<problem> at position N; <hint>".
class SyntaxError : public std::runtime_error {
public:
    SyntaxError(const std::string& what, size_t position, std::string hint = {});
    size_t position() const { return position_; }
    const std::string& hint() const { return hint_; }

private:
    size_t position_;
    std::string hint_;
};

/// Conditions longer than this, or nested deeper, are refused.
inline constexpr size_t kMaxConditionBytes = 64 * 1024;
inline constexpr size_t kMaxConditionDepth = 64;

struct Node;

class Condition {
public:
    /// Throws SyntaxError ("... at position N") for anything malformed.
    static Condition compile(std::string_view text);
    /// Event i of the batch matches.
    bool matches(const event::Batch& b, size_t i) const;
    const std::string& text() const { return text_; }
    /// The compiled tree, as a normalised expression (for tests and logs) that
    /// compiles to a condition matching the same events — unless it grows past
    /// kMaxConditionBytes (`a b` is written `a AND b`).
    std::string describe() const;
    /// What an index may use to skip events this condition cannot match
    /// (see index_hint.hpp). Conservative: an empty hint prunes nothing.
    IndexHint index_hint() const;

private:
    std::shared_ptr<const Node> root_;
    std::string text_;
};

}  // namespace weir::condition
