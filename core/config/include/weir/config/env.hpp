#pragma once

#include <functional>
#include <optional>
#include <string>

namespace weir::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment.
EnvLookup process_env();

/// Replaces ${VAR} and ${VAR:-default}; "$$" is a literal "$". Returns false
/// with `error` set for an unset variable without default or a syntax error.
bool substitute(const std::string& text, const EnvLookup& env, std::string& out, std::string& error);

}  // namespace weir::config
