// The condition language shared by drop/keep filters, search, live-tail
// filters and routing. Parsed once into a compiled tree; evaluated per event.
//
//   error timeout                      words of the message (all of them)
//   "connection refused"               a phrase of the message
//   level:error   service:checkout     a field's value (case-insensitive text, or a number)
//   path:/api/*                        a prefix
//   status>=500   latency_ms>1000      comparisons: > >= < <= (and field:>=500)
//   level:(warn OR error)              one of several values
//   _exists_:user_id                   the field is present
//   request.headers.host:example.com   nested fields by dotted path
//   a AND b, a OR b, NOT a, (a OR b) c  boolean logic; juxtaposition is AND;
//                                       NOT binds tighter than AND, AND than OR
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <weir/condition/index_hint.hpp>
#include <weir/event/batch.hpp>

namespace weir::condition {

/// A syntax error, with the 0-based position in the expression it refers to.
class SyntaxError : public std::runtime_error {
public:
    SyntaxError(const std::string& what, size_t position);
    size_t position() const { return position_; }

private:
    size_t position_;
};

struct Node;

class Condition {
public:
    /// Throws SyntaxError ("... at position N") for anything malformed.
    static Condition compile(std::string_view text);
    /// Event i of the batch matches.
    bool matches(const event::Batch& b, size_t i) const;
    const std::string& text() const { return text_; }
    /// The compiled tree, as a normalised expression (for tests and logs).
    std::string describe() const;
    /// What an index may use to skip events this condition cannot match
    /// (see index_hint.hpp). Conservative: an empty hint prunes nothing.
    IndexHint index_hint() const;

private:
    std::shared_ptr<const Node> root_;
    std::string text_;
};

}  // namespace weir::condition
