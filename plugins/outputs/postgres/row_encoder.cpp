#include "row_encoder.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <weir/json_string.hpp>
#include <weir/time.hpp>

namespace weir::postgres_output {

namespace {

void append_field_value(std::string& out, const Value& v) {
    switch (v.type()) {
        case WEIR_VAL_NULL:
            out.append("\\N");
            return;
        case WEIR_VAL_STRING:
            append_copy_text(out, v.as_string());
            return;
        case WEIR_VAL_BOOL:
            out.append(v.as_bool() ? "true" : "false");
            return;
        case WEIR_VAL_INT:
            out.append(std::to_string(v.as_int()));
            return;
        case WEIR_VAL_FLOAT: {
            const double d = v.as_float();
            if (std::isnan(d)) {
                out.append("NaN");
            } else if (std::isinf(d)) {
                out.append(d > 0 ? "Infinity" : "-Infinity");
            } else {
                char buf[32];
                const auto r = std::to_chars(buf, buf + sizeof buf, d);
                out.append(buf, r.ptr);
            }
            return;
        }
        default: {
            std::string json;
            append_json(json, v);
            append_copy_text(out, json);
        }
    }
}

/// The value at a dotted path: the whole key first, then one level per dot.
Value lookup(Object fields, std::string_view path) {
    if (fields.has(path) || path.find('.') == std::string_view::npos) return fields.get(path);
    Object cur = fields;
    for (;;) {
        const size_t dot = path.find('.');
        Value v = cur.get(path.substr(0, dot));
        if (dot == std::string_view::npos) return v;
        if (!v.is_object()) return cur.get(std::string_view("\0", 1));  // no such key: a null value
        cur = v.as_object();
        path.remove_prefix(dot + 1);
    }
}

void unescape_copy(std::string_view in, std::string& out) {
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '\\' || i + 1 == in.size()) {
            out.push_back(in[i]);
            continue;
        }
        const char c = in[++i];
        out.push_back(c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c);
    }
}

/// Whether s is one JSON object (as @rest and @fields write them).
bool looks_like_object(std::string_view s) { return s.size() >= 2 && s.front() == '{' && s.back() == '}'; }

}  // namespace

Column parse_column(std::string_view spec) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
        while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
        return s;
    };
    const size_t eq = spec.find('=');
    Column c;
    c.name = std::string(trim(spec.substr(0, eq)));
    std::string_view src =
        eq == std::string_view::npos ? std::string_view(c.name) : trim(spec.substr(eq + 1));
    if (c.name.empty()) throw std::invalid_argument("a columns entry has no column name before '='");
    if (src.empty()) throw std::invalid_argument("columns entry '" + c.name + "' has nothing after '='");
    if (src == "@timestamp") {
        c.source = Source::Time;
    } else if (src == "@body") {
        c.source = Source::Body;
    } else if (src == "@message") {
        c.source = Source::Message;
    } else if (src == "@rest") {
        c.source = Source::Rest;
    } else if (src == "@fields") {
        c.source = Source::Fields;
    } else if (src.front() == '@') {
        throw std::invalid_argument(
            "columns entry '" + c.name + "': unknown source '" + std::string(src) +
            "'; expected @timestamp, @body, @message, @rest, @fields or a field name");
    } else {
        c.source = Source::Field;
        c.field = std::string(src);
    }
    return c;
}

std::vector<Column> default_columns() {
    return {{"timestamp", Source::Time, ""},     {"level", Source::Field, "level"},
            {"source", Source::Field, "source"}, {"service", Source::Field, "service"},
            {"host", Source::Field, "host"},     {"message", Source::Message, ""},
            {"attributes", Source::Rest, ""}};
}

void append_copy_text(std::string& out, std::string_view s) {
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const char* esc = c == '\\'   ? "\\\\"
                          : c == '\t' ? "\\t"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                                      : nullptr;
        if (!esc) continue;
        out.append(s.data() + run, i - run);
        out.append(esc, 2);
        run = i + 1;
    }
    out.append(s.data() + run, s.size() - run);
}

void append_timestamp(std::string& out, int64_t ns) {
    const int64_t day = day_of(ns);
    int64_t rem = ns - day * 86'400'000'000'000;  // 0 .. one day
    int64_t y;
    unsigned m, d;
    time::civil_from_days(day, y, m, d);
    const int64_t us = rem / 1000;
    const int64_t secs = us / 1'000'000;
    char buf[64];
    const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld+00",
                                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                                static_cast<long long>(us % 1'000'000));
    out.append(buf, static_cast<size_t>(n));
}

std::string day_label(int64_t day) {
    int64_t y;
    unsigned m, d;
    time::civil_from_days(day, y, m, d);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld%02u%02u", static_cast<long long>(y), m, d);
    return buf;
}

void append_json(std::string& out, const Value& v) {
    switch (v.type()) {
        case WEIR_VAL_NULL:
            out.append("null");
            return;
        case WEIR_VAL_STRING:
            json::append_string(out, v.as_string());
            return;
        case WEIR_VAL_BOOL:
            out.append(v.as_bool() ? "true" : "false");
            return;
        case WEIR_VAL_INT:
            out.append(std::to_string(v.as_int()));
            return;
        case WEIR_VAL_FLOAT: {
            const double d = v.as_float();
            if (!std::isfinite(d)) {
                out.append("null");  // JSON has no NaN or infinities
                return;
            }
            char buf[32];
            const auto r = std::to_chars(buf, buf + sizeof buf, d);
            out.append(buf, r.ptr);
            return;
        }
        case WEIR_VAL_OBJECT:
        case WEIR_VAL_ARRAY: {
            const bool array = v.is_array();
            out.push_back(array ? '[' : '{');
            bool first = true;
            v.as_object().for_each([&](std::string_view k, const Value& item) {
                if (!first) out.push_back(',');
                first = false;
                if (!array) {
                    json::append_string(out, k);
                    out.push_back(':');
                }
                append_json(out, item);
            });
            out.push_back(array ? ']' : '}');
            return;
        }
        default:
            out.append("null");
    }
}

RowEncoder::RowEncoder(std::vector<Column> columns) : columns_(std::move(columns)) {
    for (const auto& c : columns_) {
        if (c.source == Source::Field) taken_.push_back(c.field.substr(0, c.field.find('.')));
        if (c.source == Source::Message) taken_.push_back("message");
    }
}

bool RowEncoder::taken(std::string_view key) const {
    for (const auto& t : taken_)
        if (t == key) return true;
    return false;
}

std::string RowEncoder::column_list() const {
    std::string out;
    for (const auto& c : columns_) {
        if (!out.empty()) out.append(", ");
        out.push_back('"');
        for (char ch : c.name) {
            if (ch == '"') out.push_back('"');
            out.push_back(ch);
        }
        out.push_back('"');
    }
    return out;
}

void RowEncoder::encode(Event ev, std::string& out) const {
    Object fields = ev.fields();
    bool first = true;
    for (const auto& c : columns_) {
        if (!first) out.push_back('\t');
        first = false;
        switch (c.source) {
            case Source::Time:
                append_timestamp(out, ev.time_ns());
                break;
            case Source::Body:
                append_copy_text(out, ev.body());
                break;
            case Source::Message: {
                const Value m = fields.get("message");
                if (m.is_string() || !fields.has("message"))
                    append_copy_text(out, m.is_string() ? m.as_string() : ev.body());
                else
                    append_field_value(out, m);
                break;
            }
            case Source::Rest:
            case Source::Fields: {
                std::string json = "{";
                bool any = false;
                const bool rest = c.source == Source::Rest;
                fields.for_each([&](std::string_view k, const Value& v) {
                    if (rest && taken(k)) return;
                    if (any) json.push_back(',');
                    any = true;
                    json::append_string(json, k);
                    json.push_back(':');
                    append_json(json, v);
                });
                json.push_back('}');
                append_copy_text(out, json);
                break;
            }
            case Source::Field: {
                const Value v = lookup(fields, c.field);
                if (c.json && !v.is_null()) {
                    std::string json;
                    append_json(json, v);
                    append_copy_text(out, json);
                } else {
                    append_field_value(out, v);
                }
                break;
            }
        }
    }
    out.push_back('\n');
}

std::string RowEncoder::row_to_json(std::string_view row) const {
    if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
    std::string out = "{";
    size_t col = 0;
    for (;;) {
        const size_t tab = row.find('\t');
        const std::string_view cell = row.substr(0, tab);
        if (col > 0) out.push_back(',');
        json::append_string(out,
                            col < columns_.size() ? columns_[col].name : "column_" + std::to_string(col + 1));
        out.push_back(':');
        if (cell == "\\N") {
            out.append("null");
        } else {
            std::string text;
            unescape_copy(cell, text);
            const bool json_col =
                col < columns_.size() && (columns_[col].json || columns_[col].source == Source::Rest ||
                                          columns_[col].source == Source::Fields);
            if (json_col && looks_like_object(text))
                out.append(text);  // written by append_json: valid JSON
            else
                json::append_string(out, text);
        }
        ++col;
        if (tab == std::string_view::npos) break;
        row.remove_prefix(tab + 1);
    }
    out.push_back('}');
    return out;
}

}  // namespace weir::postgres_output
