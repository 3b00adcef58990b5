// Internal to the API topics that ask the store (logs, logs_read, retention):
// reading the question (q, level, source, from, to), limits and intervals, and
// the JSON of errors and numbers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <weir/condition/condition.hpp>
#include <weir/condition/index_hint.hpp>
#include <weir/http/message.hpp>

namespace weir::store {
struct RowRef;
}

namespace weir::api::v1 {

constexpr size_t kMaxLimit = 10000;
/// `offset` pages shallowly only; a cursor pages any depth.
constexpr size_t kMaxOffset = 10000;

/// A 400 with {"error", "status", "param", "position"}.
http::Response bad_request(const std::string& message, std::optional<size_t> position = std::nullopt,
                           const std::string& param = {});

/// What the store routes share: the condition, its hint and the time range.
struct Question {
    std::optional<condition::Condition> condition;
    condition::IndexHint hint;
    std::string tenant;
};

/// Reads q, level, source, from and to (and the token's tenant); a 400 on error.
std::optional<http::Response> read_question(const http::Request& req, Question& q);

/// Reads `limit` (1..max, default `def`); nullopt with `error` set on a bad value.
std::optional<size_t> read_limit(const http::Request& req, size_t def, std::optional<http::Response>& error,
                                 size_t max = kMaxLimit);

/// A whole-number parameter in [min, max] (`def` when absent); nullopt with
/// `error` set (a 400 naming the parameter) on a bad value.
std::optional<uint64_t> read_count(const http::Request& req, const char* name, uint64_t def, uint64_t min,
                                   uint64_t max, std::optional<http::Response>& error);

/// Reads `offset` (0..kMaxOffset, default 0).
std::optional<size_t> read_offset(const http::Request& req, std::optional<http::Response>& error);

/// The event's JSON object with its permalink first: {"_id":"<cursor>", ...}.
std::string with_id(std::string_view event_json, const store::RowRef& ref);

/// "30s", "5m", "1h", "1d", "500ms".
std::optional<int64_t> parse_interval(const std::string& s);

double ms_since(std::chrono::steady_clock::time_point t0);

/// A JSON number (integers without a fraction; null when not finite).
std::string number(double v);

/// The 503 of a daemon without a store.
http::Response no_store();

}  // namespace weir::api::v1
