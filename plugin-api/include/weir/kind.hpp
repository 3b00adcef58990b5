// The name of a plugin kind, as configuration, logs, metrics and the CLI
// spell it.
#pragma once

#include <weir/plugin.h>

#include <cstdint>

namespace weir {

/// "input", "parser", "filter" or "output"; `unknown` for any other value.
inline const char* kind_name(int32_t kind, const char* unknown = "unknown") noexcept {
    switch (kind) {
        case WEIR_KIND_INPUT:
            return "input";
        case WEIR_KIND_PARSER:
            return "parser";
        case WEIR_KIND_FILTER:
            return "filter";
        case WEIR_KIND_OUTPUT:
            return "output";
        default:
            return unknown;
    }
}

}  // namespace weir
