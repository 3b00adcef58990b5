// One libpq connection: connect with keywords, run statements, COPY text
// rows in a transaction. Every message it returns has the password taken out.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::postgres_output {

/// How to reach the server. `conninfo` is a postgresql:// URL or libpq
/// keywords; the others override what it says when not empty.
struct ConnectionSettings {
    std::string conninfo;
    std::string password;  ///< from password_env / password_file
    std::string sslmode;
    std::string sslrootcert;
    int64_t connect_timeout_s = 10;
    int64_t statement_timeout_ms = 60000;
    /// Every secret that may appear in a message (the password, the URL's
    /// password, the whole conninfo): replaced by "***" in what is returned.
    std::vector<std::string> secrets;
};

/// A server error: SQLSTATE (empty when the connection itself failed) and
/// the server's message, without secrets.
struct PgError {
    std::string sqlstate;
    std::string message;
    bool connection_lost = false;
    std::string text() const { return sqlstate.empty() ? message : sqlstate + ": " + message; }
};

/// The secrets a conninfo holds: the password of a URL or of a password= keyword.
std::vector<std::string> conninfo_secrets(std::string_view conninfo);

/// `text` with every secret replaced by "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);

class Connection {
public:
    Connection() = default;
    ~Connection() { close(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Connects; false with `err` set when it cannot.
    bool open(const ConnectionSettings& s, PgError& err);
    void close();
    bool ok() const;
    /// "host:port/dbname" of the open connection (no user, no password).
    std::string where() const;

    /// Runs one statement without results; false with `err` set.
    bool exec(const std::string& sql, PgError& err);
    /// Runs a query with text parameters; rows of text values (NULL as "").
    bool query(const std::string& sql, const std::vector<std::string>& params,
               std::vector<std::vector<std::string>>& rows, PgError& err);
    /// BEGIN; COPY `copy_sql` with `data` (COPY text rows); COMMIT. True only
    /// after the commit succeeded.
    bool copy_in_transaction(const std::string& copy_sql, std::string_view data, PgError& err);

private:
    PgError error_of(PGresult* r) const;
    void rollback();
    PGconn* c_ = nullptr;
    const std::vector<std::string>* secrets_ = nullptr;
};

}  // namespace weir::postgres_output

namespace weir::postgres_output {
/// "host:port/dbname" of a conninfo as libpq reads it (defaults filled in),
/// for messages: never the user or the password. Empty when it does not parse.
std::string describe_conninfo(const std::string& conninfo);
}  // namespace weir::postgres_output
