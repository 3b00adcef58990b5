#include "pg_connection.hpp"

#include <algorithm>
#include <memory>

namespace weir::postgres_output {

namespace {
struct ResultFree {
    void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

std::string trim_newlines(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    for (auto& c : s)
        if (c == '\n' || c == '\t') c = ' ';
    return s;
}
}  // namespace

std::vector<std::string> conninfo_secrets(std::string_view conninfo) {
    std::vector<std::string> out;
    if (conninfo.substr(0, 13) == "postgresql://" || conninfo.substr(0, 11) == "postgres://") {
        const size_t start = conninfo.find("//") + 2;
        const size_t at = conninfo.find('@', start);
        const size_t slash = conninfo.find('/', start);
        if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
            const std::string_view userinfo = conninfo.substr(start, at - start);
            const size_t colon = userinfo.find(':');
            if (colon != std::string_view::npos && colon + 1 < userinfo.size())
                out.emplace_back(userinfo.substr(colon + 1));
        }
        const size_t pw = conninfo.find("password=");
        if (pw != std::string_view::npos) {
            const size_t end = conninfo.find('&', pw);
            out.emplace_back(conninfo.substr(pw + 9, end == std::string_view::npos ? end : end - pw - 9));
        }
    } else {
        size_t pw = conninfo.find("password");
        while (pw != std::string_view::npos) {
            size_t p = pw + 8;
            while (p < conninfo.size() && conninfo[p] == ' ') ++p;
            if (p < conninfo.size() && conninfo[p] == '=') {
                ++p;
                while (p < conninfo.size() && conninfo[p] == ' ') ++p;
                size_t end = p;
                if (p < conninfo.size() && conninfo[p] == '\'') {
                    end = conninfo.find('\'', p + 1);
                    if (end == std::string_view::npos) end = conninfo.size();
                    out.emplace_back(conninfo.substr(p + 1, end - p - 1));
                } else {
                    while (end < conninfo.size() && conninfo[end] != ' ') ++end;
                    out.emplace_back(conninfo.substr(p, end - p));
                }
            }
            pw = conninfo.find("password", pw + 8);
        }
    }
    std::erase_if(out, [](const std::string& s) { return s.empty(); });
    return out;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& s : secrets) {
        if (s.empty()) continue;
        for (size_t p = text.find(s); p != std::string::npos; p = text.find(s, p + 3))
            text.replace(p, s.size(), "***");
    }
    return text;
}

bool Connection::open(const ConnectionSettings& s, PgError& err) {
    close();
    secrets_ = &s.secrets;
    const std::string timeout = std::to_string(s.connect_timeout_s);
    const std::string options = "-c statement_timeout=" + std::to_string(s.statement_timeout_ms);
    std::vector<const char*> keys, values;
    auto add = [&](const char* k, const std::string& v) {
        if (v.empty()) return;
        keys.push_back(k);
        values.push_back(v.c_str());
    };
    add("dbname", s.conninfo);  // expanded: a URL or keywords; the later keywords override it
    add("password", s.password);
    add("sslmode", s.sslmode);
    add("sslrootcert", s.sslrootcert);
    add("connect_timeout", timeout);
    add("options", options);
    static const std::string app = "weir", on = "1", idle = "10", interval = "5", count = "3";
    add("application_name", app);
    // A server that vanishes without closing the socket is noticed in about 25 s.
    add("keepalives", on);
    add("keepalives_idle", idle);
    add("keepalives_interval", interval);
    add("keepalives_count", count);
    keys.push_back(nullptr);
    values.push_back(nullptr);
    c_ = PQconnectdbParams(keys.data(), values.data(), 1);
    if (c_ && PQstatus(c_) == CONNECTION_OK) return true;
    err.sqlstate.clear();
    err.connection_lost = true;
    err.message = c_ ? redact(trim_newlines(PQerrorMessage(c_)), s.secrets) : std::string("out of memory");
    close();
    return false;
}

void Connection::close() {
    if (c_) PQfinish(c_);
    c_ = nullptr;
}

bool Connection::ok() const { return c_ && PQstatus(c_) == CONNECTION_OK; }

std::string Connection::where() const {
    if (!c_) return "";
    return std::string(PQhost(c_)) + ":" + PQport(c_) + "/" + PQdb(c_);
}

PgError Connection::error_of(PGresult* r) const {
    PgError e;
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const char* detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : nullptr;
    e.sqlstate = state ? state : "";
    if (primary) {
        e.message = primary;
        if (detail) e.message += std::string(" (") + detail + ")";
    } else {
        e.message = trim_newlines(c_ ? PQerrorMessage(c_) : "no connection");
    }
    e.connection_lost = !c_ || PQstatus(c_) != CONNECTION_OK;
    if (e.connection_lost) e.sqlstate.clear();  // what failed is the connection, not the statement
    static const std::vector<std::string> none;
    e.message = redact(trim_newlines(e.message), secrets_ ? *secrets_ : none);
    return e;
}

bool Connection::exec(const std::string& sql, PgError& err) {
    Result r(PQexec(c_, sql.c_str()));
    const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return true;
    err = error_of(r.get());
    return false;
}

bool Connection::query(const std::string& sql, const std::vector<std::string>& params,
                       std::vector<std::vector<std::string>>& rows, PgError& err) {
    std::vector<const char*> p;
    for (const auto& s : params) p.push_back(s.c_str());
    Result r(
        PQexecParams(c_, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(), nullptr, nullptr, 0));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        err = error_of(r.get());
        return false;
    }
    rows.clear();
    const int n = PQntuples(r.get()), m = PQnfields(r.get());
    for (int i = 0; i < n; ++i) {
        auto& row = rows.emplace_back();
        for (int j = 0; j < m; ++j) row.emplace_back(PQgetvalue(r.get(), i, j));
    }
    return true;
}

void Connection::rollback() {
    if (!ok()) return;
    Result r(PQexec(c_, "ROLLBACK"));
}

bool Connection::copy_in_transaction(const std::string& copy_sql, std::string_view data, PgError& err) {
    if (!exec("BEGIN", err)) return false;
    Result r(PQexec(c_, copy_sql.c_str()));
    if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) {
        err = error_of(r.get());
        rollback();
        return false;
    }
    r.reset();
    // Sent in pieces so libpq's output buffer stays small.
    constexpr size_t kChunk = 1u << 20;
    for (size_t off = 0; off < data.size(); off += kChunk) {
        const size_t n = std::min(kChunk, data.size() - off);
        if (PQputCopyData(c_, data.data() + off, static_cast<int>(n)) != 1) {
            err = error_of(nullptr);
            err.connection_lost = err.connection_lost || !ok();
            return false;
        }
    }
    if (PQputCopyEnd(c_, nullptr) != 1) {
        err = error_of(nullptr);
        return false;
    }
    bool failed = false;
    while (PGresult* res = PQgetResult(c_)) {
        Result guard(res);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && !failed) {
            err = error_of(res);
            failed = true;
        }
    }
    if (failed) {
        rollback();
        return false;
    }
    Result c(PQexec(c_, "COMMIT"));
    if (!c || PQresultStatus(c.get()) != PGRES_COMMAND_OK) {
        err = error_of(c.get());
        return false;
    }
    return true;
}

}  // namespace weir::postgres_output

namespace weir::postgres_output {
std::string describe_conninfo(const std::string& conninfo) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (err) PQfreemem(err);  // may quote the conninfo: never shown
    if (!opts) return "";
    std::string host, port, db;
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
        const std::string k = o->keyword;
        const char* v = o->val ? o->val : nullptr;
        if (k == "host" && v) host = v;
        if (k == "hostaddr" && v && host.empty()) host = v;
        if (k == "port" && v) port = v;
        if (k == "dbname" && v) db = v;
    }
    PQconninfoFree(opts);
    return (host.empty() ? std::string("localhost") : host) + ":" + (port.empty() ? "5432" : port) + "/" + db;
}
}  // namespace weir::postgres_output
