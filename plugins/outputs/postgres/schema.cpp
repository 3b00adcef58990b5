#include "schema.hpp"

#include <stdexcept>

namespace weir::postgres_output {

namespace {
constexpr size_t kMaxIdentifier = 63;    // NAMEDATALEN - 1
constexpr size_t kPartitionSuffix = 11;  // "_p20260119"

std::string index_name(const TableName& t, std::string_view what) {
    std::string n = t.name + "_" + std::string(what);
    if (n.size() > kMaxIdentifier) n.resize(kMaxIdentifier);
    return quote_ident(n);
}
}  // namespace

std::string quote_ident(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

std::string quote_literal(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out.push_back('\'');
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

std::string TableName::quoted() const {
    return schema.empty() ? quote_ident(name) : quote_ident(schema) + "." + quote_ident(name);
}

std::string TableName::partition_quoted(int64_t day) const {
    const std::string p = quote_ident(name + "_p" + day_label(day));
    return schema.empty() ? p : quote_ident(schema) + "." + p;
}

TableName parse_table_name(std::string_view text) {
    TableName t;
    const size_t dot = text.find('.');
    if (dot != std::string_view::npos) {
        t.schema = std::string(text.substr(0, dot));
        t.name = std::string(text.substr(dot + 1));
        if (t.schema.empty() || t.name.find('.') != std::string::npos)
            throw std::invalid_argument("table must be a name or schema.name, found '" + std::string(text) +
                                        "'");
    } else {
        t.name = std::string(text);
    }
    if (t.name.empty()) throw std::invalid_argument("table must not be empty");
    if (t.name.size() + kPartitionSuffix > kMaxIdentifier)
        throw std::invalid_argument("table name '" + t.name + "' is longer than " +
                                    std::to_string(kMaxIdentifier - kPartitionSuffix) +
                                    " bytes: its day partitions' names would not fit PostgreSQL's 63");
    return t;
}

std::vector<std::string> create_table_sql(const TableName& t, const CreateOptions& o) {
    const std::string q = t.quoted();
    std::vector<std::string> sql;
    sql.push_back("CREATE TABLE " + q +
                  " (\n"
                  "  \"timestamp\" timestamptz NOT NULL,\n"
                  "  level       text,\n"
                  "  source      text,\n"
                  "  service     text,\n"
                  "  host        text,\n"
                  "  message     text,\n"
                  "  attributes  jsonb NOT NULL DEFAULT '{}'\n"
                  ")" +
                  std::string(o.partitioned ? " PARTITION BY RANGE (\"timestamp\")" : ""));
    // On a partitioned table these are partitioned indexes: each partition gets its own.
    sql.push_back("CREATE INDEX " + index_name(t, "timestamp_idx") + " ON " + q + " (\"timestamp\")");
    sql.push_back("CREATE INDEX " + index_name(t, "level_idx") + " ON " + q + " (level, \"timestamp\")");
    sql.push_back("CREATE INDEX " + index_name(t, "source_idx") + " ON " + q + " (source, \"timestamp\")");
    sql.push_back("CREATE INDEX " + index_name(t, "attributes_idx") + " ON " + q + " USING gin (attributes)");
    if (o.fulltext)
        sql.push_back("CREATE INDEX " + index_name(t, "message_fts_idx") + " ON " + q +
                      " USING gin (to_tsvector(" + quote_literal(o.fulltext_config) +
                      ", coalesce(message, '')))");
    sql.push_back("COMMENT ON TABLE " + q + " IS " + quote_literal(kOwnerComment));
    return sql;
}

std::string create_partition_sql(const TableName& t, int64_t day) {
    auto bound = [](int64_t d) {
        std::string s;
        append_timestamp(s, d * 86'400'000'000'000);
        return quote_literal(s);
    };
    return "CREATE TABLE IF NOT EXISTS " + t.partition_quoted(day) + " PARTITION OF " + t.quoted() +
           " FOR VALUES FROM (" + bound(day) + ") TO (" + bound(day + 1) + ")";
}

std::optional<int64_t> partition_day(const TableName& t, std::string_view relname) {
    const std::string prefix = t.name + "_p";
    if (relname.size() != prefix.size() + 8 || relname.substr(0, prefix.size()) != prefix)
        return std::nullopt;
    const std::string_view digits = relname.substr(prefix.size());
    unsigned v[8];
    for (size_t i = 0; i < 8; ++i) {
        if (digits[i] < '0' || digits[i] > '9') return std::nullopt;
        v[i] = static_cast<unsigned>(digits[i] - '0');
    }
    const int64_t y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    const unsigned m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    if (m < 1 || m > 12 || d < 1 || d > time::days_in_month(y, m)) return std::nullopt;
    return time::days_from_civil(y, m, d);
}

std::vector<std::string> check_columns(std::vector<Column>& columns, const std::vector<TableColumn>& table,
                                       const std::string& table_display) {
    std::vector<std::string> problems;
    auto find = [&](const std::string& n) -> const TableColumn* {
        for (const auto& c : table)
            if (c.name == n) return &c;
        return nullptr;
    };
    auto is_json = [](const TableColumn& c) { return c.type == "json" || c.type == "jsonb"; };
    for (auto& col : columns) {
        const TableColumn* tc = find(col.name);
        if (!tc) {
            problems.push_back("table " + table_display + " has no column '" + col.name +
                               "' (add it, or remove it from columns)");
            continue;
        }
        const std::string what = "column '" + col.name + "' is " + tc->type;
        switch (col.source) {
            case Source::Time:
                if (tc->category != 'D')
                    problems.push_back(what + ": @timestamp needs timestamptz, timestamp or date");
                break;
            case Source::Rest:
            case Source::Fields:
                if (!is_json(*tc) && tc->category != 'S')
                    problems.push_back(what + ": a JSON object needs jsonb, json or text");
                break;
            case Source::Body:
            case Source::Message:
                if (tc->category != 'S') problems.push_back(what + ": text needs text, varchar or char");
                break;
            case Source::Field:
                col.json = is_json(*tc);
                // Fields are written as text the server converts; these categories have no
                // text form a log field would hold.
                if (tc->category == 'A' || tc->category == 'C' || tc->category == 'G' ||
                    tc->category == 'R' || tc->category == 'P' || tc->category == 'X')
                    problems.push_back(what +
                                       ": the postgres output writes text, numbers, booleans, times, "
                                       "network addresses, UUIDs and JSON, not this type");
                break;
        }
    }
    for (const auto& tc : table) {
        if (!tc.not_null || tc.has_default) continue;
        bool written = false;
        for (const auto& col : columns) written = written || col.name == tc.name;
        if (!written)
            problems.push_back("column '" + tc.name + "' of " + table_display +
                               " is NOT NULL without a default and no entry of columns writes it");
    }
    return problems;
}

ErrorKind classify(std::string_view sqlstate, std::string_view message) {
    if (sqlstate.size() != 5) return ErrorKind::Retry;  // no SQLSTATE: the connection broke
    if (sqlstate == "23514" && message.find("no partition of relation") != std::string_view::npos)
        return ErrorKind::NoPartition;
    if (sqlstate == "42P01") return ErrorKind::NoTable;
    const std::string_view cls = sqlstate.substr(0, 2);
    if (cls == "22" || cls == "23" || cls == "54") return ErrorKind::Row;
    return ErrorKind::Retry;
}

const char* refusal_reason(std::string_view sqlstate, std::string_view message) {
    if (sqlstate == "23514" && message.find("no partition of relation") != std::string_view::npos)
        return "no_partition";
    if (sqlstate == "22021") return "encoding_error";
    if (sqlstate == "22003" || sqlstate == "22008") return "value_out_of_range";
    if (sqlstate.substr(0, 2) == "22") return "invalid_value";
    if (sqlstate.substr(0, 2) == "23") return "constraint_violation";
    if (sqlstate.substr(0, 2) == "54") return "value_too_large";
    return "refused_by_server";
}

}  // namespace weir::postgres_output
