// Turns events into rows of PostgreSQL's COPY text format, one column list
// per output. No libpq here: the encoder is tested without a server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <weir/sdk.hpp>

namespace weir::postgres_output {

/// Where a column's value comes from.
enum class Source {
    Time,     ///< @timestamp: the event time (timestamptz)
    Body,     ///< @body: the raw line
    Message,  ///< @message: the `message` field, or the raw line when there is none
    Rest,     ///< @rest: every field no other column takes, as a JSON object
    Fields,   ///< @fields: every field, as a JSON object
    Field,    ///< a field, by name or dotted path
};

struct Column {
    std::string name;  ///< the table's column
    Source source = Source::Field;
    std::string field;  ///< Source::Field: the field's name or dotted path
    bool json = false;  ///< Source::Field into a json/jsonb column: the value written as JSON
};

/// "column=source" (source: @timestamp, @body, @message, @rest, @fields or a
/// field name); a bare "name" means "name=name". Throws std::invalid_argument.
Column parse_column(std::string_view spec);

/// The columns of the table the output creates.
std::vector<Column> default_columns();

/// Appends text as a COPY text-format value: backslash, tab, newline and
/// carriage return escaped.
void append_copy_text(std::string& out, std::string_view s);

/// "2026-01-19 10:30:00.123456+00" (microseconds, as timestamptz keeps them).
void append_timestamp(std::string& out, int64_t ns);

/// The UTC day (days since 1970-01-01) of a time in nanoseconds.
inline int64_t day_of(int64_t ns) {
    constexpr int64_t kDay = 86'400'000'000'000;
    return ns >= 0 ? ns / kDay : -((-ns + kDay - 1) / kDay);
}

/// "20260119" for a day number.
std::string day_label(int64_t day);

/// A value as JSON (objects and arrays included).
void append_json(std::string& out, const Value& v);

class RowEncoder {
public:
    explicit RowEncoder(std::vector<Column> columns);
    const std::vector<Column>& columns() const { return columns_; }
    /// `"a", "b"`: the column list of the COPY statement.
    std::string column_list() const;
    /// Appends one row (ending in '\n') for event `ev`.
    void encode(Event ev, std::string& out) const;
    /// One row of COPY text back as a JSON object of column -> value (for the
    /// dead-letter file); JSON columns stay JSON when they parse as such.
    std::string row_to_json(std::string_view row) const;

private:
    bool taken(std::string_view key) const;
    std::vector<Column> columns_;
    std::vector<std::string> taken_;  // top-level keys of the Field columns (and "message" for @message)
};

}  // namespace weir::postgres_output
