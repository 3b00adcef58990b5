// Retention (age, size, level, emergency), backup, restore and verify. See
// docs/store.md, "Retention" and "Operations".
//
// Every retention pass runs on the writer thread (hourly, or at once when
// apply_retention or set_retention asks for one), so it never races a commit:
// a partition is never deleted while the writer is adding to it.
#include <fcntl.h>
#include <roaring/roaring.h>
#include <sys/file.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <unordered_set>
#include <weir/event/batch.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>
#include <weir/store/term_index.hpp>

#include "bytes.hpp"
#include "rollup.hpp"
#include "store_impl.hpp"

namespace weir::store {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDayNs = 86'400'000'000'000;
constexpr int64_t kHourNs = 3'600'000'000'000;
/// Rewritten block bytes one write transaction of level retention holds at most.
constexpr uint64_t kRewriteTxnBytes = 8ull << 20;
/// Problems listed per partition by verify before "... and N more".
constexpr size_t kMaxProblemsPerPartition = 20;

enum Reason { kAge, kSize, kLevel, kEmergency, kReasons };
const char* const kReasonNames[kReasons] = {"age", "size", "level", "emergency"};

/// apply_retention while writes are paused: the pass was not run.
struct Deferred : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* const kLockFile = "LOCK";
const char* const kManifest = "backup.json";

bool is_day_folder(const std::string& name) {
    if (name.size() != 10 || name[4] != '-' || name[7] != '-') return false;
    for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (name[i] < '0' || name[i] > '9') return false;
    return true;
}

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

/// 90d, 12h, 30m, 45s, 250ms or ns: the largest unit that divides the duration.
std::string duration_text(int64_t ns) {
    if (ns == 0) return "0s";
    struct Unit {
        int64_t ns;
        const char* name;
    };
    static const Unit kUnits[] = {{kDayNs, "d"},        {kHourNs, "h"},    {60'000'000'000, "m"},
                                  {1'000'000'000, "s"}, {1'000'000, "ms"}, {1, "ns"}};
    for (const auto& u : kUnits)
        if (ns % u.ns == 0) return std::to_string(ns / u.ns) + u.name;
    return std::to_string(ns) + "ns";
}

std::string bytes_text(uint64_t b) {
    char buf[32];
    if (b >= (1ull << 30))
        std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / (1ull << 30));
    else if (b >= (1ull << 20))
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1ull << 20));
    else
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
    return buf;
}

std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return s;
}

void fsync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

/// The process id written in a store's lock file, for messages ("" if none).
std::string lock_holder(const std::string& lock_path) {
    FILE* f = std::fopen(lock_path.c_str(), "r");
    if (!f) return {};
    char buf[32] = {};
    const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    std::string s(buf, n);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

std::string RetentionPolicy::to_json() const {
    std::string out = "{\"max_age\":" + json_string(duration_text(max_age_ns)) +
                      ",\"max_age_ns\":" + std::to_string(max_age_ns) +
                      ",\"max_size\":" + std::to_string(max_bytes) + ",\"by_level\":{";
    bool first = true;
    for (const auto& [level, age] : by_level) {
        out += (first ? "" : ",") + json_string(level) + ":" + json_string(duration_text(age));
        first = false;
    }
    return out + "},\"emergency\":" + (emergency ? "true" : "false") + "}";
}

std::string RetentionReport::to_json() const {
    std::string out = "{\"partitions_deleted\":" + std::to_string(partitions_deleted) +
                      ",\"events_deleted\":" + std::to_string(events_deleted) +
                      ",\"blocks_rewritten\":" + std::to_string(blocks_rewritten) +
                      ",\"bytes_freed\":" + std::to_string(bytes_freed) + ",\"actions\":[";
    for (size_t i = 0; i < actions.size(); ++i) out += (i ? "," : "") + json_string(actions[i]);
    return out + "]}";
}

std::string VerifyReport::to_json() const {
    std::string out = "{\"ok\":" + std::string(ok() ? "true" : "false") +
                      ",\"partitions\":" + std::to_string(partitions) +
                      ",\"blocks\":" + std::to_string(blocks) + ",\"events\":" + std::to_string(events) +
                      ",\"index_entries\":" + std::to_string(index_entries) + ",\"problems\":[";
    for (size_t i = 0; i < problems.size(); ++i) out += (i ? "," : "") + json_string(problems[i]);
    return out + "]}";
}

namespace detail {

struct StoreImpl::Maintenance {
    struct Job {
        int64_t now_ns = 0;
        RetentionReport report;
        std::string error;
        bool done = false;
    };
    std::mutex mu;  // everything below
    std::condition_variable cv;
    RetentionPolicy policy;
    int64_t last_pass_ns = 0;  // writer thread only
    std::deque<Job*> jobs;
    bool writer_gone = false;
    bool pass_due = false;  // a pass was asked for while writes were paused
    std::atomic<uint64_t> partitions[kReasons] = {}, events[kReasons] = {};
    int lock_fd = -1;  // held (flock) while the store is open for writing
    /// Per day, what the last complete level pass deleted: rows of a level
    /// older than its cutoff are gone from the blocks below `next_id`, so
    /// the next pass reads only blocks that may hold rows past a later
    /// cutoff, and the blocks written since. Writer thread only.
    struct LevelMark {
        uint64_t next_id = 0;
        std::map<std::string, int64_t> cutoffs;
    };
    std::map<int64_t, LevelMark> level_done;

    ~Maintenance() {
        if (lock_fd >= 0) ::close(lock_fd);
    }
};

std::shared_ptr<StoreImpl::Maintenance> StoreImpl::make_maintenance(const StoreOptions& o) {
    auto m = std::make_shared<Maintenance>();
    m->policy.max_age_ns = o.retention_ns;
    m->policy.max_bytes = o.retention_bytes;
    for (const auto& [level, age] : o.retention_by_level) m->policy.by_level[upper(level)] = age;
    m->policy.emergency = o.emergency_retention;
    if (o.read_only) return m;
    // The lock file says "a process writes this store": a second daemon and
    // `weir store restore` are refused while it is held.
    const std::string path = o.path + "/" + kLockFile;
    m->lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (m->lock_fd < 0) throw std::runtime_error("store: cannot open " + path + ": " + std::strerror(errno));
    if (::flock(m->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        const std::string pid = lock_holder(path);
        throw std::runtime_error("store: " + o.path + " is in use by another process" +
                                 (pid.empty() ? "" : " (pid " + pid + ")") +
                                 "; stop it, or read the store with --data-dir (read-only)");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m->lock_fd, 0) == 0) (void)!::pwrite(m->lock_fd, pid.data(), pid.size(), 0);
    return m;
}

void StoreImpl::note(const std::string& message) {
    if (opts_.info)
        opts_.info(message);
    else if (opts_.warn)
        opts_.warn(message);
    else
        std::fprintf(stderr, "store: %s\n", message.c_str());
}

std::string StoreImpl::retention_metrics_text() {
    std::string out =
        "# HELP weir_store_partitions_deleted_total Partitions deleted by retention, by reason.\n"
        "# TYPE weir_store_partitions_deleted_total counter\n";
    for (int r = 0; r < kReasons; ++r)
        out += std::string("weir_store_partitions_deleted_total{reason=\"") + kReasonNames[r] + "\"} " +
               std::to_string(maint_->partitions[r].load()) + "\n";
    out +=
        "# HELP weir_store_events_deleted_total Events deleted by retention (whole partitions and rows by "
        "level), by reason.\n"
        "# TYPE weir_store_events_deleted_total counter\n";
    for (int r = 0; r < kReasons; ++r)
        out += std::string("weir_store_events_deleted_total{reason=\"") + kReasonNames[r] + "\"} " +
               std::to_string(maint_->events[r].load()) + "\n";
    return out;
}

// ---- retention ----------------------------------------------------------------------

RetentionReport StoreImpl::apply_retention(int64_t now) {
    if (opts_.read_only) throw std::runtime_error("the store is open read-only: retention does not run");
    if (std::this_thread::get_id() == writer_.get_id()) {
        RetentionPolicy pol;
        {
            std::lock_guard lock(maint_->mu);
            pol = maint_->policy;
        }
        return retention_pass(pol, now);
    }
    Maintenance::Job job;
    job.now_ns = now;
    {
        std::lock_guard lock(maint_->mu);
        if (maint_->writer_gone) throw std::runtime_error("the store is closing");
        maint_->jobs.push_back(&job);
    }
    {
        std::lock_guard lock(q_mu_);
        retention_wanted_ = true;
    }
    q_cv_.notify_all();
    std::unique_lock lock(maint_->mu);
    while (!maint_->cv.wait_for(lock, std::chrono::seconds(1), [&] { return job.done; })) {
        // While writes are paused (a full disk) the writer retries its commit
        // and runs no pass: do not wait for it. A pass it already started is
        // waited for.
        auto it = std::find(maint_->jobs.begin(), maint_->jobs.end(), &job);
        if (it == maint_->jobs.end()) continue;
        lock.unlock();
        const auto why = degraded();
        lock.lock();
        it = std::find(maint_->jobs.begin(), maint_->jobs.end(), &job);  // the writer may have taken it
        if (!why || job.done || it == maint_->jobs.end()) continue;
        maint_->jobs.erase(it);
        maint_->pass_due = true;
        throw Deferred("writes are paused (" + *why +
                       "): the pass runs once they resume; emergency retention, when on, deletes the oldest "
                       "day at each retry");
    }
    if (!job.error.empty()) throw std::runtime_error(job.error);
    return job.report;
}

void StoreImpl::run_retention(int64_t now) {
    std::deque<Maintenance::Job*> jobs;
    RetentionPolicy pol;
    bool due = false;
    {
        std::lock_guard lock(maint_->mu);
        jobs.swap(maint_->jobs);
        pol = maint_->policy;
        std::swap(due, maint_->pass_due);
    }
    const bool any = pol.max_age_ns > 0 || pol.max_bytes > 0 || !pol.by_level.empty();
    if (jobs.empty() && any && (due || now - maint_->last_pass_ns > kHourNs)) {
        try {
            retention_pass(pol, now);
        } catch (const std::exception& e) {
            note(std::string("retention pass failed: ") + e.what());
        }
        maint_->last_pass_ns = now;
    }
    for (auto* job : jobs) {
        RetentionReport report;
        std::string error;
        try {
            report = retention_pass(pol, job->now_ns);
        } catch (const std::exception& e) {
            error = e.what();
        }
        maint_->last_pass_ns = now;
        std::lock_guard lock(maint_->mu);
        job->report = std::move(report);
        job->error = std::move(error);
        job->done = true;
    }
    if (!jobs.empty()) maint_->cv.notify_all();
}

void StoreImpl::cancel_retention() {
    std::lock_guard lock(maint_->mu);
    maint_->writer_gone = true;
    for (auto* job : maint_->jobs) {
        job->error = "the store closed before the retention pass ran";
        job->done = true;
    }
    maint_->jobs.clear();
    maint_->cv.notify_all();
}

RetentionPolicy StoreImpl::retention() {
    std::lock_guard lock(maint_->mu);
    return maint_->policy;
}

RetentionReport StoreImpl::set_retention(const RetentionPolicy& policy) {
    if (opts_.read_only) throw std::runtime_error("the store is open read-only: retention does not run");
    if (policy.max_age_ns < 0) throw std::runtime_error("max_age must not be negative");
    RetentionPolicy p = policy;
    p.by_level.clear();
    for (const auto& [level, age] : policy.by_level) {
        if (level.empty()) throw std::runtime_error("by_level: a level name is empty");
        if (age <= 0) throw std::runtime_error("by_level." + level + " must be a positive duration");
        p.by_level[upper(level)] = age;
    }
    {
        std::lock_guard lock(maint_->mu);
        maint_->policy = p;
    }
    note("retention changed: " + p.to_json());
    try {
        return apply_retention(now_ns());
    } catch (const Deferred& e) {
        RetentionReport r;  // the policy is in place; its pass comes later
        r.actions.push_back(e.what());
        return r;
    }
}

void StoreImpl::delete_partition(std::shared_ptr<Partition> p, int reason, const std::string& why,
                                 RetentionReport& report) {
    {
        std::lock_guard lock(parts_mu_);
        auto it = parts_.find(p->day);
        if (it == parts_.end() || it->second != p) return;  // already gone
        parts_.erase(it);
    }
    const uint64_t bytes = p->file_bytes(), events = p->events();
    const std::string dir = p->dir;
    {
        std::unique_lock lock(p->mu);  // queries inside finish; new ones no longer find it
    }
    // A query that listed the partition before it left the map may still open
    // a snapshot: the files stay readable (unlinked, still open) until the
    // last reference closes the environment.
    maint_->level_done.erase(p->day);
    p.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
    partitions_deleted_.fetch_add(1);
    maint_->partitions[reason].fetch_add(1);
    maint_->events[reason].fetch_add(events);
    ++report.partitions_deleted;
    report.events_deleted += events;
    report.bytes_freed += bytes;
    const std::string msg = "retention (" + std::string(kReasonNames[reason]) + "): deleted partition " +
                            fs::path(dir).filename().string() + " (" + std::to_string(events) + " events, " +
                            bytes_text(bytes) + "): " + why +
                            (ec ? "; removing its folder failed: " + ec.message() : "");
    report.actions.push_back(msg);
    note(msg);
}

RetentionReport StoreImpl::retention_pass(const RetentionPolicy& pol, int64_t now) {
    RetentionReport report;
    auto snapshot = [&] {
        std::vector<std::shared_ptr<Partition>> out;
        std::lock_guard lock(parts_mu_);
        for (const auto& [day, p] : parts_) out.push_back(p);  // oldest first
        return out;
    };
    const int64_t today = day_of(now);

    if (pol.max_age_ns > 0) {
        const int64_t keep_from = day_of(now - pol.max_age_ns);
        for (auto& p : snapshot())
            if (p->day < keep_from)
                delete_partition(std::move(p), kAge, "older than max_age " + duration_text(pol.max_age_ns),
                                 report);
    }

    if (!pol.by_level.empty()) {
        for (auto& p : snapshot()) {
            const int64_t start = p->day * kDayNs;
            std::map<std::string, int64_t> cutoffs;  // levels with rows of this day past their age
            for (const auto& [level, age] : pol.by_level)
                if (now - age > start) cutoffs[level] = now - age;
            if (cutoffs.empty()) continue;
            level_rewrite(*p, cutoffs, report);
            if (p->block_count() == 0)
                delete_partition(std::move(p), kLevel, "every event in it was past its level's age", report);
        }
    }

    if (pol.max_bytes > 0) {
        auto parts = snapshot();
        uint64_t total = 0;
        for (const auto& p : parts) total += p->file_bytes();
        for (auto& p : parts) {
            if (total <= pol.max_bytes) break;
            if (p->day >= today) {
                const std::string msg = "retention (size): the store is " + bytes_text(total) +
                                        ", over max_size " + bytes_text(pol.max_bytes) +
                                        ", but only today's partition (and newer) is left; it is kept";
                report.actions.push_back(msg);
                note(msg);
                break;
            }
            const uint64_t bytes = p->file_bytes();
            delete_partition(
                std::move(p), kSize,
                "the store was " + bytes_text(total) + ", over max_size " + bytes_text(pol.max_bytes),
                report);
            total -= std::min(total, bytes);
        }
    }
    return report;
}

void StoreImpl::emergency_retention() {
    {
        std::lock_guard lock(maint_->mu);
        if (!maint_->policy.emergency) return;
    }
    const int64_t today = day_of(now_ns());
    std::shared_ptr<Partition> victim;
    {
        std::lock_guard lock(parts_mu_);
        for (const auto& [day, p] : parts_) {
            if (day >= today) break;
            // The map's is the only reference unless the writer is committing to
            // it (or a query reads it): never delete what the writer holds.
            if (p.use_count() > 1) continue;
            victim = p;
            break;
        }
    }
    if (!victim) return;
    RetentionReport report;
    delete_partition(std::move(victim), kEmergency, "the disk is full (emergency retention)", report);
}

void StoreImpl::level_rewrite(Partition& p, const std::map<std::string, int64_t>& cutoffs,
                              RetentionReport& report) {
    int64_t latest_cutoff = INT64_MIN;
    for (const auto& [level, c] : cutoffs) latest_cutoff = std::max(latest_cutoff, c);

    struct Change {
        uint64_t id;
        std::string bytes;  // empty: delete the block
        BlockMeta meta;
        uint64_t old_size;
        std::string numbers;  // the survivors' number digest (see term_index.hpp)
    };
    ZSTD_DCtx* dctx = ZSTD_createDCtx();
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    const uint64_t next_id_before = p.next_block_id();
    const Maintenance::LevelMark* mark = nullptr;
    if (auto it = maint_->level_done.find(p.day); it != maint_->level_done.end()) mark = &it->second;
    auto may_hold_old_rows = [&](const BlockMeta& m) {
        if (m.min_ns >= latest_cutoff) return false;      // nothing in it is old enough
        if (!mark || m.id >= mark->next_id) return true;  // written since the last pass
        for (const auto& [level, cutoff] : cutoffs) {
            auto prev = mark->cutoffs.find(level);
            const int64_t done = prev == mark->cutoffs.end() ? INT64_MIN : prev->second;
            if (m.min_ns < cutoff && m.max_ns >= done) return true;
        }
        return false;
    };
    std::vector<BlockMeta> metas = p.metas();
    size_t next = 0;
    uint64_t deleted_rows = 0, rewritten = 0, freed = 0;
    std::string error;

    while (next < metas.size() && error.empty()) {
        std::vector<Change> changes;
        std::map<std::string, std::vector<uint64_t>> unpost;  // term -> blocks that lost it
        uint64_t pending = 0, pending_rows = 0;
        {
            MDB_txn* txn = nullptr;
            std::shared_lock lock(p.mu);
            if (int rc = mdb_txn_begin(p.env, nullptr, MDB_RDONLY, &txn)) {
                error = mdb_strerror(rc);
                break;
            }
            event::Batch batch;
            std::vector<std::string> terms;
            std::string scratch;
            for (; next < metas.size() && pending < kRewriteTxnBytes; ++next) {
                const BlockMeta& m = metas[next];
                if (!may_hold_old_rows(m)) continue;
                std::string key;
                put_be64(key, m.id);
                MDB_val k{key.size(), key.data()}, v;
                if (mdb_get(txn, p.blocks, &k, &v)) continue;
                const std::string_view data(static_cast<const char*>(v.mv_data), v.mv_size);
                BlockHeader h;
                if (!decode_block_header(data, h)) continue;  // damaged: verify reports it
                // The header's level dictionary says whether any row may go
                // (a block without a listed level is not even decoded).
                bool has_level = false;
                for (const auto& val : h.dicts[0])
                    if (cutoffs.count(upper(val.text))) has_level = true;
                if (!has_level) continue;
                batch.clear();
                if (!decode_block(data, batch, dctx)) continue;
                std::vector<uint32_t> keep, drop;
                for (uint32_t i = 0; i < batch.size(); ++i) {
                    weir_value lv;
                    bool gone = false;
                    if (batch.get(batch.event(i).root, "level", &lv) && lv.type == WEIR_VAL_STRING) {
                        auto it = cutoffs.find(upper(std::string(lv.as.s.data, lv.as.s.size)));
                        gone = it != cutoffs.end() && batch.event(i).time_ns < it->second;
                    }
                    (gone ? drop : keep).push_back(i);
                }
                if (drop.empty()) continue;
                // Postings of terms no surviving row carries lose this block.
                std::unordered_set<std::string> kept_terms;
                for (uint32_t i : keep) {
                    terms.clear();
                    event_terms(batch, i, opts_.index_fields, terms, scratch);
                    kept_terms.insert(terms.begin(), terms.end());
                }
                std::unordered_set<std::string> lost;
                for (uint32_t i : drop) {
                    terms.clear();
                    event_terms(batch, i, opts_.index_fields, terms, scratch);
                    for (auto& t : terms)
                        if (!kept_terms.count(t)) lost.insert(t);
                }
                for (const auto& t : lost) unpost[t].push_back(m.id);
                Change c{m.id, {}, m, v.mv_size, {}};
                if (!keep.empty()) {
                    encode_block(batch, keep, cctx, c.bytes);
                    std::vector<uint32_t> numbers;
                    for (uint32_t i : keep) event_numbers(batch, i, opts_.index_fields, numbers);
                    c.numbers = encode_number_digest(numbers);
                    int64_t lo = INT64_MAX, hi = INT64_MIN;
                    for (uint32_t i : keep) {
                        lo = std::min(lo, batch.event(i).time_ns);
                        hi = std::max(hi, batch.event(i).time_ns);
                    }
                    c.meta = BlockMeta{m.id, lo, hi, static_cast<uint32_t>(keep.size())};
                }
                pending += c.bytes.size();
                pending_rows += drop.size();
                changes.push_back(std::move(c));
            }
            mdb_txn_abort(txn);
        }
        if (changes.empty()) continue;

        if (p.free_bytes() < 2 * pending + Partition::kMinFreeBytes) {
            error = "disk full";
            break;
        }
        // Exclusive: no query holds zone maps that a deleted block is missing from.
        std::unique_lock lock(p.mu);
        if (p.ensure_room(pending)) map_grows_.fetch_add(1);
        int rc = 0;
        for (int attempt = 0; attempt < 8; ++attempt) {
            MDB_txn* txn = nullptr;
            rc = mdb_txn_begin(p.env, nullptr, 0, &txn);
            if (rc) break;
            for (const auto& c : changes) {
                std::string key;
                put_be64(key, c.id);
                MDB_val k{key.size(), key.data()};
                if (c.bytes.empty()) {
                    rc = mdb_del(txn, p.blocks, &k, nullptr);
                    if (rc == MDB_NOTFOUND) rc = 0;
                } else {
                    MDB_val v{c.bytes.size(), const_cast<char*>(c.bytes.data())};
                    rc = mdb_put(txn, p.blocks, &k, &v, 0);
                }
                if (rc) break;
                // The block's number digest, remade from its survivors (or gone with it).
                const std::string dk = number_digest_key(c.id);
                MDB_val nk{dk.size(), const_cast<char*>(dk.data())};
                if (c.bytes.empty()) {
                    rc = mdb_del(txn, p.frames, &nk, nullptr);
                    if (rc == MDB_NOTFOUND) rc = 0;
                } else {
                    MDB_val nv{c.numbers.size(), const_cast<char*>(c.numbers.data())};
                    rc = mdb_put(txn, p.frames, &nk, &nv, 0);
                }
                if (rc) break;
            }
            for (auto it = unpost.begin(); !rc && it != unpost.end(); ++it) {
                MDB_val k{it->first.size(), const_cast<char*>(it->first.data())}, v;
                if (mdb_get(txn, p.terms, &k, &v)) continue;
                Bitmap bm = decode_bitmap({static_cast<const char*>(v.mv_data), v.mv_size});
                if (!bm) continue;  // damaged: left as it is (verify reports it)
                for (uint64_t id : it->second) roaring_bitmap_remove(bm.get(), static_cast<uint32_t>(id));
                if (roaring_bitmap_is_empty(bm.get())) {
                    rc = mdb_del(txn, p.terms, &k, nullptr);
                } else {
                    const std::string enc = encode_bitmap(bm.get());
                    MDB_val nv{enc.size(), const_cast<char*>(enc.data())};
                    rc = mdb_put(txn, p.terms, &k, &nv, 0);
                }
            }
            // The day's rollups and frame postings no longer cover what it
            // holds: dropping their `complete` marks sends its queries to the
            // blocks and their exact block-level postings, which stay right.
            for (MDB_dbi dbi : {p.rollups, p.frames}) {
                if (rc) break;
                MDB_val ck{kRollupsCompleteKey.size(), const_cast<char*>(kRollupsCompleteKey.data())};
                rc = mdb_del(txn, dbi, &ck, nullptr);
                if (rc == MDB_NOTFOUND) rc = 0;
            }
            if (rc) {
                mdb_txn_abort(txn);
            } else {
                rc = mdb_txn_commit(txn);
            }
            if (rc == MDB_MAP_FULL && p.grow()) {
                map_grows_.fetch_add(1);
                continue;
            }
            break;
        }
        if (rc) {
            error = rc == ENOSPC ? "disk full" : mdb_strerror(rc);
            break;
        }
        std::vector<BlockMeta> now_metas;
        std::unordered_map<uint64_t, const Change*> by_id;
        for (const auto& c : changes) by_id[c.id] = &c;
        for (const auto& m : p.metas()) {
            auto it = by_id.find(m.id);
            if (it == by_id.end())
                now_metas.push_back(m);
            else if (!it->second->bytes.empty())
                now_metas.push_back(it->second->meta);
        }
        p.set_metas(std::move(now_metas));
        for (const auto& c : changes) freed += c.old_size - std::min<uint64_t>(c.old_size, c.bytes.size());
        rewritten += changes.size();
        deleted_rows += pending_rows;
    }
    ZSTD_freeDCtx(dctx);
    ZSTD_freeCCtx(cctx);
    if (error.empty()) maint_->level_done[p.day] = Maintenance::LevelMark{next_id_before, cutoffs};

    const std::string day = fs::path(p.dir).filename().string();
    if (deleted_rows) {
        maint_->events[kLevel].fetch_add(deleted_rows);
        report.events_deleted += deleted_rows;
        report.blocks_rewritten += rewritten;
        report.bytes_freed += freed;
        std::string levels;
        for (const auto& [level, c] : cutoffs) levels += (levels.empty() ? "" : ", ") + level;
        const std::string msg = "retention (level): deleted " + std::to_string(deleted_rows) + " events (" +
                                levels + ") of partition " + day + ", " + std::to_string(rewritten) +
                                " blocks rewritten";
        report.actions.push_back(msg);
        note(msg);
    }
    if (!error.empty()) {
        const std::string msg = "retention (level) of partition " + day + " stopped: " + error;
        report.actions.push_back(msg);
        note(msg);
    }
}

std::vector<PartitionStats> StoreImpl::partition_stats() {
    std::vector<PartitionStats> out;
    std::lock_guard lock(parts_mu_);
    for (const auto& [day, p] : parts_) {
        PartitionStats s;
        s.day = fs::path(p->dir).filename().string();
        s.events = p->events();
        s.blocks = p->block_count();
        s.bytes_on_disk = p->file_bytes();
        bool first = true;
        for (const auto& m : p->metas()) {
            if (!m.count) continue;
            s.min_ns = first ? m.min_ns : std::min(s.min_ns, m.min_ns);
            s.max_ns = first ? m.max_ns : std::max(s.max_ns, m.max_ns);
            first = false;
        }
        out.push_back(std::move(s));
    }
    return out;
}

// ---- backup, verify -----------------------------------------------------------------

void StoreImpl::backup(const std::string& dir) {
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
        throw std::runtime_error("backup: " + dir + " is not empty");
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("backup: cannot create " + dir + ": " + ec.message());
    std::vector<std::shared_ptr<Partition>> parts;
    {
        std::lock_guard lock(parts_mu_);
        for (const auto& [day, p] : parts_) parts.push_back(p);
    }
    std::string manifest =
        "{\"weir_store_backup\":1,\"created_ns\":" + std::to_string(now_ns()) + ",\"partitions\":[";
    bool first = true;
    for (const auto& p : parts) {
        const std::string name = fs::path(p->dir).filename().string();
        const std::string partial = dir + "/" + name + ".partial", final_dir = dir + "/" + name;
        fs::create_directories(partial, ec);
        if (ec) throw std::runtime_error("backup: cannot create " + partial + ": " + ec.message());
        int rc;
        {
            // A consistent snapshot of its own; the shared lock keeps the map
            // from being resized while LMDB's copy reads it.
            std::shared_lock lock(p->mu);
            rc = mdb_env_copy2(p->env, partial.c_str(), MDB_CP_COMPACT);
        }
        if (rc) throw std::runtime_error("backup of partition " + name + ": " + mdb_strerror(rc));
        fsync_path(partial + "/data.mdb");
        fs::rename(partial, final_dir, ec);
        if (ec) throw std::runtime_error("backup: cannot rename " + partial + ": " + ec.message());
        manifest += std::string(first ? "" : ",") + "{\"day\":" + json_string(name) +
                    ",\"events\":" + std::to_string(p->events()) +
                    ",\"blocks\":" + std::to_string(p->block_count()) + "}";
        first = false;
    }
    manifest += "]}\n";
    // The manifest comes last: a backup without it was interrupted.
    const std::string mpath = dir + "/" + kManifest;
    FILE* f = std::fopen(mpath.c_str(), "w");
    if (!f || std::fwrite(manifest.data(), 1, manifest.size(), f) != manifest.size() || std::fclose(f) != 0)
        throw std::runtime_error("backup: cannot write " + mpath);
    fsync_path(mpath);
    fsync_path(dir);
}

VerifyReport StoreImpl::verify() {
    VerifyReport r;
    std::vector<std::shared_ptr<Partition>> parts;
    {
        std::lock_guard lock(parts_mu_);
        for (const auto& [day, p] : parts_) parts.push_back(p);
    }
    ZSTD_DCtx* dctx = ZSTD_createDCtx();
    for (const auto& p : parts) {
        ++r.partitions;
        const std::string name = fs::path(p->dir).filename().string();
        std::vector<std::string> problems;
        size_t more = 0;
        auto problem = [&](std::string s) {
            if (problems.size() < kMaxProblemsPerPartition)
                problems.push_back("partition " + name + ": " + std::move(s));
            else
                ++more;
        };
        std::shared_lock lock(p->mu);
        // Zone maps are read before the snapshot: every block they list is in
        // it, and blocks below `known` must have one.
        const uint64_t known = p->next_block_id();
        std::unordered_map<uint64_t, BlockMeta> metas;
        for (const auto& m : p->metas()) metas[m.id] = m;
        MDB_txn* txn = nullptr;
        if (int rc = mdb_txn_begin(p->env, nullptr, MDB_RDONLY, &txn)) {
            problem(std::string("cannot read: ") + mdb_strerror(rc));
            r.problems.insert(r.problems.end(), problems.begin(), problems.end());
            continue;
        }
        std::set<uint64_t> ids;
        MDB_cursor* cur = nullptr;
        event::Batch batch;
        if (mdb_cursor_open(txn, p->blocks, &cur) == 0) {
            MDB_val k, v;
            for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
                 rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
                if (k.mv_size != 8) {
                    problem("a block key is " + std::to_string(k.mv_size) + " bytes, not 8");
                    continue;
                }
                ++r.blocks;
                const uint64_t id = get_be64(static_cast<const char*>(k.mv_data));
                ids.insert(id);
                BlockHeader h;
                std::string err;
                batch.clear();
                if (!decode_block({static_cast<const char*>(v.mv_data), v.mv_size}, batch, dctx, &h, &err)) {
                    problem("block " + std::to_string(id) + " does not decode: " + err);
                    continue;
                }
                r.events += h.count;
                if (batch.size() != h.count)
                    problem("block " + std::to_string(id) + " holds " + std::to_string(batch.size()) +
                            " events, its header says " + std::to_string(h.count));
                auto it = metas.find(id);
                if (it == metas.end()) {
                    if (id < known) problem("block " + std::to_string(id) + " has no zone map in memory");
                    continue;
                }
                const BlockMeta& m = it->second;
                if (m.min_ns != h.min_ns || m.max_ns != h.max_ns || m.count != h.count)
                    problem("block " + std::to_string(id) + ": its zone map (" + std::to_string(m.count) +
                            " rows) does not match its header (" + std::to_string(h.count) + " rows)");
            }
            mdb_cursor_close(cur);
        }
        for (const auto& [id, m] : metas)
            if (!ids.count(id)) problem("the zone map of block " + std::to_string(id) + " has no block");
        if (mdb_cursor_open(txn, p->terms, &cur) == 0) {
            MDB_val k, v;
            for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
                 rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
                ++r.index_entries;
                const std::string key(static_cast<const char*>(k.mv_data), k.mv_size);
                Bitmap bm = decode_bitmap({static_cast<const char*>(v.mv_data), v.mv_size});
                if (!bm) {
                    problem("the posting list of '" + key + "' is damaged (checksum or encoding)");
                    continue;
                }
                roaring_uint32_iterator_t* it = roaring_create_iterator(bm.get());
                for (; it->has_value; roaring_advance_uint32_iterator(it)) {
                    if (!ids.count(it->current_value)) {
                        problem("the posting list of '" + key + "' names block " +
                                std::to_string(it->current_value) + ", which does not exist");
                        break;
                    }
                }
                roaring_free_uint32_iterator(it);
            }
            mdb_cursor_close(cur);
        }
        mdb_txn_abort(txn);
        if (more) problems.push_back("partition " + name + ": ... and " + std::to_string(more) + " more");
        r.problems.insert(r.problems.end(), problems.begin(), problems.end());
    }
    ZSTD_freeDCtx(dctx);
    return r;
}

}  // namespace detail

// ---- restore ------------------------------------------------------------------------

void restore(const std::string& backup_dir, const std::string& store_path, bool force) {
    std::error_code ec;
    if (!fs::exists(fs::path(backup_dir) / kManifest, ec))
        throw std::runtime_error("restore: " + backup_dir +
                                 " is not a complete store backup (no backup.json: not made by a backup, or "
                                 "the backup was interrupted)");
    {
        StoreOptions o;
        o.path = backup_dir;
        o.read_only = true;
        std::unique_ptr<Store> b;
        try {
            b = Store::open(o);
        } catch (const std::exception& e) {
            throw std::runtime_error("restore: the backup does not open: " + std::string(e.what()));
        }
        const VerifyReport v = b->verify();
        if (!v.ok())
            throw std::runtime_error("restore: the backup does not verify (" +
                                     std::to_string(v.problems.size()) +
                                     " problems), first: " + v.problems.front());
    }
    // Refused while a process writes the store: its lock file is held.
    int lock_fd = -1;
    const std::string lock_path = store_path + "/" + kLockFile;
    if (fs::exists(lock_path, ec)) {
        lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
        if (lock_fd >= 0 && ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(lock_fd);
            const std::string pid = lock_holder(lock_path);
            throw std::runtime_error("restore: " + store_path + " is in use by a running process" +
                                     (pid.empty() ? "" : " (pid " + pid + ")") + "; stop the daemon first");
        }
    }
    struct CloseLock {
        int fd;
        ~CloseLock() {
            if (fd >= 0) ::close(fd);
        }
    } close_lock{lock_fd};
    size_t existing = 0;
    if (fs::is_directory(store_path, ec))
        for (const auto& e : fs::directory_iterator(store_path, ec))
            if (e.is_directory() && is_day_folder(e.path().filename().string())) ++existing;
    if (existing && !force)
        throw std::runtime_error("restore: " + store_path + " already holds a store (" +
                                 std::to_string(existing) + " partitions); --force replaces it");
    const std::string tmp = store_path + ".restoring", old = store_path + ".replaced";
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) throw std::runtime_error("restore: cannot create " + tmp + ": " + ec.message());
    for (const auto& e : fs::directory_iterator(backup_dir)) {
        const std::string name = e.path().filename().string();
        if (!e.is_directory() || !is_day_folder(name)) continue;
        fs::create_directories(tmp + "/" + name, ec);
        fs::copy_file(e.path() / "data.mdb", tmp + "/" + name + "/data.mdb", ec);
        if (ec) {
            fs::remove_all(tmp);
            throw std::runtime_error("restore: cannot copy partition " + name + ": " + ec.message());
        }
        fsync_path(tmp + "/" + name + "/data.mdb");
    }
    fs::remove_all(old, ec);
    if (fs::exists(store_path)) {
        fs::rename(store_path, old, ec);
        if (ec) throw std::runtime_error("restore: cannot move " + store_path + " aside: " + ec.message());
    }
    fs::rename(tmp, store_path, ec);
    if (ec) throw std::runtime_error("restore: cannot move the restored store in place: " + ec.message());
    fs::remove_all(old, ec);
}

}  // namespace weir::store
