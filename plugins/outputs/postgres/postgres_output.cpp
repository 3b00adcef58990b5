// postgres: writes events to a PostgreSQL table with COPY, one transaction
// per batch, acknowledged only after the commit. Creates a day-partitioned
// table with its indexes (or a TimescaleDB hypertable) when the table is
// absent, or writes chosen columns of an existing table. Rows the server
// refuses are found by splitting the batch and go to a dead-letter file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <weir/json_string.hpp>
#include <weir/sdk.hpp>

#include "pg_connection.hpp"
#include "row_encoder.hpp"
#include "schema.hpp"

namespace {

using namespace weir::postgres_output;
using Clock = std::chrono::steady_clock;

// The host keeps up to 16 writes of an output open; a job takes a share of
// them so that every connection has one in flight and one more is filling.
constexpr size_t kHostOpenWrites = 16;
// Days around today for which a partition is made on demand.
constexpr int64_t kPartitionDaysBack = 3660;
constexpr int64_t kPartitionDaysAhead = 366;

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Rows of one COPY: their text, where each ends, the pipeline writes they
/// settle, and what became of each row.
struct Job {
    enum RowState : uint8_t { Pending, Committed, Refused };
    std::string data;
    std::vector<size_t> ends;
    std::vector<uint64_t> tokens;
    std::set<int64_t> days;
    std::vector<uint8_t> state;
    std::map<size_t, PgError> refused;  // row -> the server's error
    Clock::time_point started;
    size_t rows() const { return ends.size(); }
    std::string_view row(size_t i) const {
        const size_t b = i == 0 ? 0 : ends[i - 1];
        return std::string_view(data).substr(b, ends[i] - b);
    }
};

enum class Outcome { Done, Retry };
enum class Setup { Ok, Retry, Invalid };

class PostgresOutput final : public weir::Output {
public:
    PostgresOutput(weir::Context& ctx, const weir::Options& opts) : weir::Output(ctx) {
        try {
            table_ = parse_table_name(opts.str("table"));
            for (const auto& spec : opts.list("columns")) columns_.push_back(parse_column(spec));
        } catch (const std::invalid_argument& e) {
            throw weir::ConfigError(e.what());
        }
        columns_mode_ = !columns_.empty();
        if (!columns_mode_) columns_ = default_columns();
        for (size_t i = 0; i < columns_.size(); ++i)
            for (size_t j = 0; j < i; ++j)
                if (columns_[i].name == columns_[j].name)
                    throw weir::ConfigError("columns names column '" + columns_[i].name + "' twice");

        settings_.conninfo = std::string(opts.str("url"));
        const std::string env(opts.str("password_env")), file(opts.str("password_file"));
        if (!env.empty() && !file.empty())
            throw weir::ConfigError("set password_env or password_file, not both");
        if (!env.empty()) {
            const char* v = std::getenv(env.c_str());
            if (!v)
                throw weir::ConfigError("password_env names " + env +
                                        ", which is not set in the environment");
            settings_.password = v;
        }
        if (!file.empty()) {
            std::ifstream in(file, std::ios::binary);
            if (!in)
                throw weir::ConfigError("cannot read password_file " + file + ": " + std::strerror(errno));
            std::stringstream ss;
            ss << in.rdbuf();
            settings_.password = ss.str();
            while (!settings_.password.empty() &&
                   (settings_.password.back() == '\n' || settings_.password.back() == '\r'))
                settings_.password.pop_back();
        }
        settings_.sslmode = std::string(opts.str("sslmode"));
        settings_.sslrootcert = std::string(opts.str("sslrootcert"));
        settings_.connect_timeout_s =
            std::max<int64_t>(1, opts.duration_ns("connect_timeout") / 1'000'000'000);
        settings_.statement_timeout_ms = opts.duration_ns("statement_timeout") / 1'000'000;
        settings_.secrets = conninfo_secrets(settings_.conninfo);
        if (!settings_.password.empty()) settings_.secrets.push_back(settings_.password);
        settings_.secrets.push_back(settings_.conninfo);  // libpq may quote it whole
        where_ = describe_conninfo(settings_.conninfo);
        if (where_.empty())
            throw weir::ConfigError(
                "url is neither a postgresql:// URL nor libpq keywords (like 'host=db dbname=logs')");

        connections_ = static_cast<size_t>(opts.integer("connections"));
        tokens_per_job_ = std::max<size_t>(1, kHostOpenWrites / (connections_ + 1));
        max_rows_ = static_cast<size_t>(opts.integer("batch_max_rows"));
        max_bytes_ = static_cast<size_t>(opts.size("batch_max_bytes"));
        batch_timeout_ = std::chrono::nanoseconds(opts.duration_ns("batch_timeout"));
        retry_initial_ = std::chrono::nanoseconds(opts.duration_ns("retry_initial"));
        retry_max_ = std::chrono::nanoseconds(opts.duration_ns("retry_max"));
        if (retry_max_ < retry_initial_) throw weir::ConfigError("retry_max must be at least retry_initial");
        partitions_ahead_ = opts.integer("partitions_ahead");
        retention_ns_ = opts.duration_ns("retention");
        maintenance_interval_ = std::chrono::nanoseconds(opts.duration_ns("maintenance_interval"));
        create_.fulltext = opts.boolean("fulltext_index");
        create_.fulltext_config = std::string(opts.str("fulltext_config"));
        timescaledb_ = std::string(opts.str("timescaledb"));
        dead_letter_path_ = std::string(opts.str("dead_letter_path"));
        if (dead_letter_path_.empty())
            dead_letter_path_ = std::string(ctx_.state_dir()) + "/dead_letter.ndjson";
        if (columns_mode_ && retention_ns_ > 0)
            throw weir::ConfigError(
                "retention drops partitions of the table the output creates; with columns the "
                "table is your own: remove retention (or columns)");

        // Checked now when the server answers: a table that cannot take these
        // columns refuses the configuration. A server that does not answer yet
        // is waited for in the background.
        {
            Connection conn;
            ConnectionSettings quick = settings_;
            quick.connect_timeout_s = std::min<int64_t>(quick.connect_timeout_s, 3);
            PgError err;
            std::string problem;
            if (conn.open(quick, err)) {
                if (setup(conn, err, problem) == Setup::Invalid) throw weir::ConfigError(problem);
            }
            if (!ready_.load())
                ctx_.warn("cannot set up " + table_.display() + " on " + where_ + " yet (" +
                          (problem.empty() ? err.text() : problem) + "); writes wait until it answers");
        }
        for (size_t i = 0; i < connections_; ++i) workers_.emplace_back([this, i] { work(i); });
    }

    ~PostgresOutput() override {
        {
            std::lock_guard lock(mu_);
            stopping_.store(true);
        }
        cv_.notify_all();
        for (auto& t : workers_)
            if (t.joinable()) t.join();
        // Jobs not committed stay unacknowledged: the host has them read again.
    }

    weir::WriteResult write(weir::Batch& batch, uint64_t token) override {
        if (batch.empty()) return weir::WriteResult::Ok;
        if (!ready_.load()) {
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, std::chrono::seconds(1), [&] { return ready_.load() || stopping_.load(); });
            if (!ready_.load()) return weir::WriteResult::Retry;  // the host backs off and writes it again
        }
        // Retention of a table of yours drops nothing, on arrival either.
        const int64_t cutoff = retention_ns_ > 0 && owned_.load() ? now_ns() - retention_ns_ : INT64_MIN;
        size_t too_old = 0;
        std::optional<Job> full;
        {
            // Never blocks: the host keeps at most kHostOpenWrites writes open
            // (that is the backpressure, and it gives up on them at its drain
            // deadline), so the jobs waiting are bounded by them.
            std::unique_lock lock(mu_);
            if (stopping_.load()) return weir::WriteResult::Retry;
            if (cur_.tokens.empty()) cur_.started = Clock::now();
            for (weir::Event ev : batch) {
                const int64_t t = ev.time_ns();
                if (t < cutoff) {
                    ++too_old;
                    continue;
                }
                encoder_->encode(ev, cur_.data);
                cur_.ends.push_back(cur_.data.size());
                cur_.days.insert(day_of(t));
            }
            cur_.tokens.push_back(token);
            if (cur_.rows() >= max_rows_ || cur_.data.size() >= max_bytes_ ||
                cur_.tokens.size() >= tokens_per_job_)
                full = take_locked();
            if (full) queue_.push_back(std::move(*full));
        }
        if (full) cv_.notify_all();
        // Loki refuses samples older than its retention too: the partition would be dropped at once.
        if (too_old) ctx_.count_dropped("older_than_retention", too_old);
        return weir::WriteResult::Pending;
    }

    weir::WriteResult flush() override {
        {
            std::lock_guard lock(mu_);
            if (auto j = take_locked()) queue_.push_back(std::move(*j));
        }
        cv_.notify_all();
        return weir::WriteResult::Ok;
    }

private:
    std::optional<Job> take_locked() {
        if (cur_.tokens.empty()) return std::nullopt;
        Job j = std::move(cur_);
        cur_ = Job{};
        j.state.assign(j.rows(), Job::Pending);
        return j;
    }

    /// The next job: a full one, or the one being filled once batch_timeout passed.
    std::optional<Job> next_job() {
        std::unique_lock lock(mu_);
        const auto slice = std::clamp<std::chrono::nanoseconds>(
            batch_timeout_ / 2, std::chrono::milliseconds(5), std::chrono::milliseconds(100));
        cv_.wait_for(lock, slice, [&] { return !queue_.empty() || stopping_.load(); });
        if (stopping_.load()) return std::nullopt;
        if (queue_.empty() && !cur_.tokens.empty() && Clock::now() - cur_.started >= batch_timeout_)
            queue_.push_back(std::move(*take_locked()));
        if (queue_.empty()) return std::nullopt;
        Job j = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        cv_.notify_all();  // room for write()
        return j;
    }

    /// Waits `d` unless stopping; false if stopping.
    bool pause(std::chrono::nanoseconds d) {
        std::unique_lock lock(mu_);
        return !cv_.wait_for(lock, d, [&] { return stopping_.load(); });
    }

    std::chrono::nanoseconds backoff(int attempt) {
        auto delay = retry_initial_ * (1LL << std::min(attempt - 1, 20));
        if (delay > retry_max_) delay = retry_max_;
        std::lock_guard lock(rng_mu_);
        std::uniform_real_distribution<double> jitter(0.5, 1.0);  // spread reconnects of many agents
        return std::chrono::nanoseconds(
            static_cast<int64_t>(static_cast<double>(delay.count()) * jitter(rng_)));
    }

    bool connect(Connection& conn, PgError& err) {
        if (conn.ok()) return true;
        if (!conn.open(settings_, err)) {
            ctx_.count_error("connect_failed");
            return false;
        }
        return true;
    }

    void work(size_t id) {
        Connection conn;
        int attempt = 0;
        auto failed = [&](const std::string& what) {
            ++attempt;
            const auto delay = backoff(attempt);
            if (attempt == 1 || attempt % 10 == 0)
                ctx_.warn(
                    what + " (attempt " + std::to_string(attempt) + "); retrying in " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) +
                    " ms");
            return pause(delay);
        };
        while (!stopping_.load()) {
            if (!ready_.load()) {
                if (id != 0) {  // one connection sets up; the others wait for it
                    pause(std::chrono::milliseconds(50));
                    continue;
                }
                PgError err;
                std::string problem;
                if (!connect(conn, err)) {
                    if (!failed("cannot connect to " + where_ + ": " + err.text())) break;
                    continue;
                }
                const Setup s = setup(conn, err, problem);
                if (s == Setup::Ok) {
                    if (attempt > 0) ctx_.info(table_.display() + " on " + where_ + " is ready");
                    attempt = 0;
                    continue;
                }
                if (s == Setup::Invalid) ctx_.count_error("table_mismatch");
                if (!conn.ok()) conn.close();
                if (!failed(problem.empty() ? "cannot set up " + table_.display() + ": " + err.text()
                                            : problem))
                    break;
                continue;
            }
            maintain(conn);
            std::optional<Job> job = next_job();
            if (!job) continue;
            bool done = false;
            while (!stopping_.load()) {
                PgError err;
                if (!connect(conn, err)) {
                    if (!failed("cannot connect to " + where_ + ": " + err.text())) break;
                    continue;
                }
                if (deliver(conn, *job, err) == Outcome::Done) {
                    if (attempt > 0)
                        ctx_.info("writing to " + where_ + " again after " + std::to_string(attempt) +
                                  " failed attempts");
                    attempt = 0;
                    finish(*job);
                    done = true;
                    break;
                }
                ctx_.count_error(err.connection_lost ? "connection_lost" : "write_failed");
                if (!conn.ok()) conn.close();
                if (!ready_.load()) break;
                if (!failed("writing " + std::to_string(job->rows()) + " rows to " + table_.display() +
                            " failed: " + err.text()))
                    break;
            }
            if (!done && !stopping_.load()) {  // the table is set up again first; the job waits for it
                std::lock_guard lock(mu_);
                queue_.push_front(std::move(*job));
            }
        }
    }

    // ---- the table ------------------------------------------------------------------

    Setup setup(Connection& conn, PgError& err, std::string& problem) {
        std::lock_guard lock(setup_mu_);
        if (ready_.load()) return Setup::Ok;
        const std::string q = table_.quoted();
        std::vector<std::vector<std::string>> rows;
        const std::string describe =
            "SELECT c.relkind, coalesce(obj_description(c.oid, 'pg_class'), '') FROM pg_class c "
            "WHERE c.oid = to_regclass($1)";
        if (!conn.query(describe, {q}, rows, err)) return Setup::Retry;
        bool timescale = false;
        if (timescaledb_ != "off") {
            std::vector<std::vector<std::string>> ext;
            if (!conn.query("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'", {}, ext,
                            err))
                return Setup::Retry;
            timescale = !ext.empty();
        }
        if (rows.empty()) {
            if (columns_mode_) {
                problem =
                    "table " + table_.display() + " does not exist on " + where_ +
                    "; with columns the output writes to a table of yours (without columns it creates one)";
                return Setup::Invalid;
            }
            if (timescaledb_ == "auto" && !timescale)
                ctx_.info("TimescaleDB is not installed in " + where_ + "; " + table_.display() +
                          " is partitioned by day");
            CreateOptions o = create_;
            o.partitioned = !timescale;
            std::vector<std::string> sql = create_table_sql(table_, o);
            if (timescale)
                sql.push_back("SELECT create_hypertable(" + quote_literal(q) +
                              ", 'timestamp', chunk_time_interval => interval '1 day')");
            if (!conn.exec("BEGIN", err)) return Setup::Retry;
            for (const auto& s : sql) {
                if (!conn.exec(s, err)) {
                    PgError ignored;
                    conn.exec("ROLLBACK", ignored);
                    if (err.sqlstate == "42P07") return Setup::Retry;  // another writer made it meanwhile
                    return Setup::Retry;
                }
            }
            if (!conn.exec("COMMIT", err)) return Setup::Retry;
            ctx_.info("created " + table_.display() + " on " + where_ +
                      (timescale ? " as a TimescaleDB hypertable" : " partitioned by day"));
            if (!conn.query(describe, {q}, rows, err) || rows.empty()) return Setup::Retry;
        }
        owned_ = rows[0][1] == kOwnerComment;
        partitioned_ = rows[0][0] == "p";
        hypertable_ = timescale && owned_ && !partitioned_;
        std::vector<TableColumn> table;
        const std::string cols =
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, a.attnotnull, "
            "a.atthasdef "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
        if (!conn.query(cols, {q}, rows, err)) return Setup::Retry;
        for (const auto& r : rows)
            table.push_back({r[0], r[1], r[2].empty() ? '\0' : r[2][0], r[3] == "t", r[4] == "t"});
        std::vector<Column> checked = columns_;
        const auto problems = check_columns(checked, table, table_.display());
        if (!problems.empty()) {
            problem = "";
            for (const auto& p : problems) problem += (problem.empty() ? "" : "; ") + p;
            return Setup::Invalid;
        }
        if (!encoder_) {
            encoder_.emplace(checked);
            copy_sql_ = "COPY " + q + " (" + encoder_->column_list() + ") FROM STDIN";
        }
        if (retention_ns_ > 0 && !owned_)
            ctx_.warn("retention is set but " + table_.display() +
                      " was not created by this output: its partitions are left alone");
        {
            std::lock_guard plock(part_mu_);
            known_days_.clear();
        }
        {
            std::lock_guard l(mu_);
            ready_.store(true);
            last_maintenance_ = Clock::time_point{};  // partitions ahead and retention at once
        }
        cv_.notify_all();
        return Setup::Ok;
    }

    /// Creates the partitions of `days` this process has not seen yet.
    bool ensure_partitions(Connection& conn, const std::set<int64_t>& days, PgError& err) {
        if (!partitioned_ || !owned_) return true;
        std::lock_guard lock(part_mu_);
        const int64_t today = day_of(now_ns());
        for (int64_t day : days) {
            if (known_days_.count(day)) continue;
            // A clock gone wrong must not make thousands of partitions: its rows are refused (no_partition).
            if (day < today - kPartitionDaysBack || day > today + kPartitionDaysAhead) continue;
            if (!conn.exec(create_partition_sql(table_, day), err)) {
                // 42P07: made meanwhile by another writer; 42P17: a partition of yours covers the day.
                if (err.sqlstate != "42P07" && err.sqlstate != "42P17" && err.sqlstate != "23505")
                    return false;
            } else {
                ctx_.count_outcome("partitions_created");
            }
            known_days_.insert(day);
        }
        return true;
    }

    /// Partitions ahead and retention, every maintenance_interval, by one connection at a time.
    void maintain(Connection& conn) {
        if (!owned_ || (!partitioned_ && !hypertable_)) return;
        std::unique_lock lock(maintenance_mu_, std::try_to_lock);
        if (!lock.owns_lock()) return;
        {
            std::lock_guard l(mu_);
            if (Clock::now() - last_maintenance_ < maintenance_interval_) return;
        }
        PgError err;
        if (!connect(conn, err)) return;  // the next write reports it
        const int64_t now = now_ns();
        bool ok = true;
        if (partitioned_) {
            std::set<int64_t> days;
            for (int64_t d = day_of(now) - 1; d <= day_of(now) + partitions_ahead_; ++d) days.insert(d);
            ok = ensure_partitions(conn, days, err);
            if (ok && retention_ns_ > 0) ok = drop_old_partitions(conn, now - retention_ns_, err);
        } else if (retention_ns_ > 0) {
            std::vector<std::vector<std::string>> rows;
            ok = conn.query("SELECT count(*) FROM drop_chunks(" + quote_literal(table_.quoted()) +
                                ", older_than => now() - interval '" +
                                std::to_string(retention_ns_ / 1'000'000'000) + " seconds')",
                            {}, rows, err);
        }
        if (!ok) {
            ctx_.count_error("maintenance_failed");
            ctx_.warn("maintenance of " + table_.display() + " failed: " + err.text() +
                      "; tried again later");
            if (!conn.ok()) conn.close();
        }
        std::lock_guard l(mu_);
        last_maintenance_ = Clock::now();
    }

    bool drop_old_partitions(Connection& conn, int64_t cutoff_ns, PgError& err) {
        std::vector<std::vector<std::string>> rows;
        if (!conn.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = to_regclass($1)",
                        {table_.quoted()}, rows, err))
            return false;
        const int64_t cutoff_day = day_of(cutoff_ns);  // partitions ending at or before its start go
        for (const auto& r : rows) {
            const auto day = partition_day(table_, r[0]);
            if (!day || *day + 1 > cutoff_day) continue;
            std::lock_guard lock(part_mu_);
            if (!conn.exec("DROP TABLE IF EXISTS " + table_.partition_quoted(*day), err)) return false;
            known_days_.erase(*day);
            ctx_.count_outcome("partitions_dropped");
            ctx_.info("dropped partition " + r[0] + " (older than retention)");
        }
        return true;
    }

    // ---- one job ------------------------------------------------------------------------

    Outcome deliver(Connection& conn, Job& job, PgError& err) {
        if (!ensure_partitions(conn, job.days, err)) return Outcome::Retry;
        std::vector<size_t> rows;
        for (size_t i = 0; i < job.rows(); ++i)
            if (job.state[i] == Job::Pending) rows.push_back(i);
        if (rows.empty()) return Outcome::Done;
        return write_rows(conn, job, rows, err, true);
    }

    /// COPYs `rows` in one transaction; on a refused row, each half in its own
    /// transaction until the refused rows stand alone.
    Outcome write_rows(Connection& conn, Job& job, const std::vector<size_t>& rows, PgError& err,
                       bool may_repair) {
        std::string scratch;
        std::string_view data;
        if (rows.size() == job.rows()) {
            data = job.data;
        } else {
            for (size_t i : rows) scratch.append(job.row(i));
            data = scratch;
        }
        if (conn.copy_in_transaction(copy_sql_, data, err)) {
            for (size_t i : rows) job.state[i] = Job::Committed;
            return Outcome::Done;
        }
        if (err.connection_lost) return Outcome::Retry;
        switch (classify(err.sqlstate, err.message)) {
            case ErrorKind::Retry:
                return Outcome::Retry;
            case ErrorKind::NoTable:
                ctx_.warn(table_.display() + " is gone (" + err.text() + "); setting it up again");
                ready_.store(false);
                return Outcome::Retry;
            case ErrorKind::NoPartition:
                if (may_repair && partitioned_ && owned_) {
                    {
                        std::lock_guard lock(part_mu_);
                        known_days_.clear();  // dropped by someone else: made again
                    }
                    if (!ensure_partitions(conn, job.days, err)) return Outcome::Retry;
                    return write_rows(conn, job, rows, err, false);
                }
                break;
            case ErrorKind::Row:
                break;
        }
        if (rows.size() == 1) {
            job.state[rows[0]] = Job::Refused;
            job.refused[rows[0]] = err;
            return Outcome::Done;
        }
        const auto mid = rows.begin() + static_cast<std::ptrdiff_t>(rows.size() / 2);
        const std::vector<size_t> a(rows.begin(), mid), b(mid, rows.end());
        if (write_rows(conn, job, a, err, may_repair) == Outcome::Retry) return Outcome::Retry;
        return write_rows(conn, job, b, err, may_repair);
    }

    /// Dead letters for the refused rows, then the acknowledgements.
    void finish(Job& job) {
        size_t committed = 0;
        for (uint8_t s : job.state) committed += s == Job::Committed;
        if (committed) ctx_.count_outcome("rows_committed", committed);
        if (!job.refused.empty()) {
            std::string lines;
            std::map<std::string, size_t> by_reason;
            std::string stamp;
            append_timestamp(stamp, now_ns());
            for (const auto& [i, e] : job.refused) {
                ++by_reason[refusal_reason(e.sqlstate, e.message)];
                lines += "{\"time\":";
                weir::json::append_string(lines, stamp);
                lines += ",\"table\":";
                weir::json::append_string(lines, table_.display());
                lines += ",\"sqlstate\":";
                weir::json::append_string(lines, e.sqlstate);
                lines += ",\"error\":";
                weir::json::append_string(lines, e.message);
                lines += ",\"row\":" + encoder_->row_to_json(job.row(i)) + "}\n";
            }
            std::string why;
            if (!append_dead_letters(lines, why)) {
                ctx_.count_error("dead_letter_write_failed", job.refused.size());
                ctx_.error("cannot write " + std::to_string(job.refused.size()) + " refused rows to " +
                           dead_letter_path_ + ": " + why);
            }
            for (const auto& [reason, n] : by_reason) ctx_.count_dropped(reason.c_str(), n);
            const PgError& first = job.refused.begin()->second;
            ctx_.warn(std::to_string(job.refused.size()) + " rows refused by the server for good (first: " +
                      first.text() + "), written to " + dead_letter_path_ + "; the other " +
                      std::to_string(committed) + " rows were committed");
        }
        for (uint64_t t : job.tokens) ctx_.ack(t, true);
    }

    bool append_dead_letters(const std::string& lines, std::string& why) {
        std::lock_guard lock(dead_letter_mu_);
        const int fd = ::open(dead_letter_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) {
            why = std::strerror(errno);
            return false;
        }
        size_t off = 0;
        while (off < lines.size()) {
            const ssize_t n = ::write(fd, lines.data() + off, lines.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                why = std::strerror(errno);
                ::close(fd);
                return false;
            }
            off += static_cast<size_t>(n);
        }
        const bool synced = ::fsync(fd) == 0;  // on disk before the rows are acknowledged
        if (!synced) why = std::strerror(errno);
        ::close(fd);
        return synced;
    }

    TableName table_;
    std::vector<Column> columns_;
    bool columns_mode_ = false;
    ConnectionSettings settings_;
    std::string where_;
    size_t connections_ = 2;
    size_t tokens_per_job_ = 5;
    size_t max_rows_ = 10000;
    size_t max_bytes_ = 8u << 20;
    std::chrono::nanoseconds batch_timeout_{};
    std::chrono::nanoseconds retry_initial_{};
    std::chrono::nanoseconds retry_max_{};
    int64_t partitions_ahead_ = 2;
    int64_t retention_ns_ = 0;
    std::chrono::nanoseconds maintenance_interval_{};
    CreateOptions create_;
    std::string timescaledb_;
    std::string dead_letter_path_;

    // Set by the first successful setup, before ready_; read-only afterwards.
    std::optional<RowEncoder> encoder_;
    std::string copy_sql_;
    std::atomic<bool> owned_{false};
    std::atomic<bool> partitioned_{false};
    std::atomic<bool> hypertable_{false};

    std::mutex mu_;  // cur_, queue_, last_maintenance_
    std::condition_variable cv_;
    Job cur_;
    std::deque<Job> queue_;
    Clock::time_point last_maintenance_{};
    std::atomic<bool> ready_{false};
    std::atomic<bool> stopping_{false};

    std::mutex setup_mu_;
    std::mutex maintenance_mu_;
    std::mutex part_mu_;
    std::set<int64_t> known_days_;
    std::mutex dead_letter_mu_;
    std::mutex rng_mu_;
    std::mt19937_64 rng_{std::random_device{}()};
    std::vector<std::thread> workers_;
};

const weir::Option postgres_output_options[] = {
    weir::option::required_string("url",
                                  "The server: a postgresql://user@host:5432/db?sslmode=require URL or libpq "
                                  "keywords like 'host=db port=5432 dbname=logs user=weir'.")
        .secret(),
    weir::option::string("password_env", "", "Environment variable holding the password.")
        .empty_means("the url's password, if any"),
    weir::option::string("password_file", "", "File holding the password (trailing newline ignored).")
        .empty_means("the url's password, if any"),
    weir::option::string("sslmode", "",
                         "libpq sslmode: disable, allow, prefer, require, verify-ca or verify-full.")
        .one_of("|disable|allow|prefer|require|verify-ca|verify-full")
        .empty_means("the url's, else libpq's prefer"),
    weir::option::string("sslrootcert", "", "PEM CAs to verify the server with (verify-ca, verify-full).")
        .empty_means("libpq's default (~/.postgresql/root.crt)"),
    weir::option::string(
        "table", "logs",
        "Table to write, name or schema.name. Created (partitioned by day) when absent, unless "
        "columns is set."),
    weir::option::string_list("columns", "",
                              "Write an existing table instead: entries 'column=source', source a field name "
                              "(dotted for nested), @timestamp, @message, @body, @rest or @fields.")
        .empty_means("the created table's columns"),
    weir::option::integer("connections", "2", "Connections in the pool; each writes one batch at a time.")
        .between("1", "16"),
    weir::option::integer("batch_max_rows", "10000", "Rows per COPY transaction at most.").at_least("1"),
    weir::option::size("batch_max_bytes", "8MiB", "COPY text per transaction at most.").at_least("1B"),
    weir::option::duration("batch_timeout", "1s", "Longest an event waits for its batch to fill.")
        .at_least("1ms"),
    weir::option::duration("retry_initial", "500ms",
                           "First reconnect delay; doubled per failure, with jitter (50-100 %).")
        .at_least("1ms"),
    weir::option::duration("retry_max", "30s", "Longest reconnect delay.").at_least("1ms"),
    weir::option::duration("connect_timeout", "10s", "Time allowed to connect (whole seconds).")
        .at_least("1s"),
    weir::option::duration("statement_timeout", "60s", "Server-side limit per statement (a COPY included).")
        .empty_means("no limit (0)"),
    weir::option::integer("partitions_ahead", "2", "Day partitions created ahead of today.")
        .between("0", "366"),
    weir::option::duration("retention", "0s",
                           "Drop day partitions older than this (only of a table this output created); "
                           "older events are dropped on arrival.")
        .empty_means("keep everything (0)"),
    weir::option::duration("maintenance_interval", "10m",
                           "How often partitions ahead and retention are seen to.")
        .at_least("10ms"),
    weir::option::boolean("fulltext_index", "false", "Also create a GIN full-text index on message."),
    weir::option::string("fulltext_config", "simple", "Text search configuration of that index."),
    weir::option::string("timescaledb", "auto",
                         "auto: a TimescaleDB hypertable when the extension is installed; off: always day "
                         "partitions.")
        .one_of("auto|off"),
    weir::option::string("dead_letter_path", "", "Where refused rows go, one JSON object per line.")
        .empty_means("dead_letter.ndjson in the instance's state directory"),
};

}  // namespace

WEIR_PLUGIN(
    PostgresOutput, WEIR_KIND_OUTPUT, "postgres", "0.1.0",
    "COPYs batches into a PostgreSQL table (created partitioned by day, or yours), acknowledged after "
    "the commit.",
    postgres_output_options)
