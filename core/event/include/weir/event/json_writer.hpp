#pragma once

#include <string>
#include <string_view>

namespace weir::event {

class Batch;

/// Appends `s` as a JSON string literal (with quotes). Control characters are
/// escaped; invalid UTF-8 is replaced by U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

/// Appends event `i` as one JSON object, no newline:
///   {"@timestamp":"<RFC 3339 ns>","message":"<body>",<fields...>}
/// "message" carries the body and is left out when the body is empty or a
/// field of that name exists. Non-finite floats are written as null.
void write_event_json(const Batch& batch, size_t i, std::string& out);

}  // namespace weir::event
