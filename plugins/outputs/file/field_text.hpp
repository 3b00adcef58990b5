// A field of an event as text, for the path and text templates: strings as
// they are, numbers and booleans as JSON writes them, objects and arrays as
// compact JSON.
#pragma once

#include <string>
#include <vector>
#include <weir/sdk.hpp>

namespace weir::file_output {

/// Appends the value at `path` (segments) under `root`; false when there is
/// none or it is null.
bool append_field(const Object& root, const std::vector<std::string>& path, std::string& out);

/// Appends `v` as text (strings unquoted).
void append_value_text(const Value& v, std::string& out);

}  // namespace weir::file_output
