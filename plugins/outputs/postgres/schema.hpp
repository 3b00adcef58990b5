// The SQL the postgres output runs to create, check and maintain its table:
// statement text and the checks of an existing table's columns, without a
// server (the connection runs them; see pg_connection.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "row_encoder.hpp"

namespace weir::postgres_output {

/// A table name as configured: "logs" or "schema.logs".
struct TableName {
    std::string schema;  ///< empty: the connection's search_path
    std::string name;
    /// "schema"."name" (or "name"), quoted for SQL.
    std::string quoted() const;
    /// The name of the partition of `day`: name_pYYYYMMDD, in the same schema, quoted.
    std::string partition_quoted(int64_t day) const;
    /// As shown in messages: schema.name.
    std::string display() const { return schema.empty() ? name : schema + "." + name; }
};

/// Throws std::invalid_argument for an empty name, more than one dot, or a
/// name too long to leave room for the partition suffix.
TableName parse_table_name(std::string_view text);

std::string quote_ident(std::string_view s);
std::string quote_literal(std::string_view s);

/// What the output writes in the comment of a table it created (so that it
/// knows later that it may drop the table's old partitions).
inline constexpr std::string_view kOwnerComment = "created by the weir postgres output";

struct CreateOptions {
    bool partitioned = true;  ///< false: a plain table (TimescaleDB then makes it a hypertable)
    bool fulltext = false;
    std::string fulltext_config = "simple";
};

/// CREATE TABLE, its indexes and its comment, in order (one transaction).
std::vector<std::string> create_table_sql(const TableName& t, const CreateOptions& o);

/// CREATE TABLE IF NOT EXISTS ... PARTITION OF ... FOR VALUES FROM (day) TO (day + 1).
std::string create_partition_sql(const TableName& t, int64_t day);

/// The day of a partition name of this table (name_pYYYYMMDD), if it is one.
std::optional<int64_t> partition_day(const TableName& t, std::string_view relname);

/// A column of an existing table, as the catalogue describes it.
struct TableColumn {
    std::string name;
    std::string type;   ///< format_type(), e.g. "timestamp with time zone", "integer[]"
    char category = 0;  ///< pg_type.typcategory: S string, N numeric, D date/time, B boolean, U user (json,
                        ///< uuid), A array, ...
    bool not_null = false;
    bool has_default = false;
};

/// Checks the output's columns against the table's: each must exist with a
/// type the source can be written to, and every NOT NULL column without a
/// default must be written. Sets Column::json for json/jsonb columns fed from
/// a field. Returns the problems, one sentence each (empty: fine).
std::vector<std::string> check_columns(std::vector<Column>& columns, const std::vector<TableColumn>& table,
                                       const std::string& table_display);

/// SQLSTATE classes, as the output treats them.
enum class ErrorKind {
    Row,          ///< the data was refused (22 data exception, 23 constraint, 54 too large): bisect
    NoPartition,  ///< 23514 "no partition of relation ... found for row": create it, write again
    NoTable,      ///< 42P01: the table went away: set it up again
    Retry,        ///< anything else (connection, shutdown, locks, permissions): write again later
};
ErrorKind classify(std::string_view sqlstate, std::string_view message);

/// The reason label of a refused row on /metrics.
const char* refusal_reason(std::string_view sqlstate, std::string_view message = {});

}  // namespace weir::postgres_output
