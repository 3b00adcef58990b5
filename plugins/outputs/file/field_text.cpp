#include "field_text.hpp"

#include <charconv>
#include <cmath>
#include <weir/json_string.hpp>

namespace weir::file_output {
namespace {

void append_json_string(std::string& out, std::string_view s) { json::append_string(out, s); }

void append_json(const Value& v, std::string& out) {
    if (v.is_string()) {
        append_json_string(out, v.as_string());
    } else if (v.is_object() || v.is_array()) {
        const bool obj = v.is_object();
        out.push_back(obj ? '{' : '[');
        bool first = true;
        v.as_object().for_each([&](std::string_view key, const Value& item) {
            if (!first) out.push_back(',');
            first = false;
            if (obj) {
                append_json_string(out, key);
                out.push_back(':');
            }
            append_json(item, out);
        });
        out.push_back(obj ? '}' : ']');
    } else {
        append_value_text(v, out);
    }
}

}  // namespace

void append_value_text(const Value& v, std::string& out) {
    switch (v.type()) {
        case WEIR_VAL_STRING:
            out.append(v.as_string());
            return;
        case WEIR_VAL_INT: {
            char buf[24];
            const auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
            out.append(buf, r.ptr);
            return;
        }
        case WEIR_VAL_FLOAT: {
            if (!std::isfinite(v.as_float())) {
                out.append("null");
                return;
            }
            char buf[32];
            const auto r = std::to_chars(buf, buf + sizeof buf, v.as_float());
            out.append(buf, r.ptr);
            return;
        }
        case WEIR_VAL_BOOL:
            out.append(v.as_bool() ? "true" : "false");
            return;
        case WEIR_VAL_OBJECT:
        case WEIR_VAL_ARRAY:
            append_json(v, out);
            return;
        default:
            out.append("null");
    }
}

bool append_field(const Object& root, const std::vector<std::string>& path, std::string& out) {
    Object at = root;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        const Value v = at.get(path[i]);
        if (!v.is_object()) return false;
        at = v.as_object();
    }
    if (!at.valid()) return false;
    const Value v = at.get(path.back());  // null when absent
    if (v.is_null()) return false;
    append_value_text(v, out);
    return true;
}

}  // namespace weir::file_output
