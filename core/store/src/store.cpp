// The store: partitions, the writer thread and its group commits.
#include <roaring/roaring.h>
#include <zstd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <weir/event/batch.hpp>
#include <weir/event/codec.hpp>
#include <weir/store/block.hpp>
#include <weir/store/store.hpp>
#include <weir/store/term_index.hpp>

#include "bytes.hpp"
#include "partition.hpp"
#include "store_impl.hpp"

namespace weir::store {

using detail::BlockMeta;
using detail::Partition;

int64_t day_of(int64_t t) {
    constexpr int64_t kDay = 86'400'000'000'000;
    const int64_t q = t / kDay;  // truncates toward zero: floor for negatives
    return (t % kDay < 0) ? q - 1 : q;
}

namespace detail {
namespace {

std::mutex g_open_mu;
std::set<std::string> g_open_paths;  // LMDB must not open an environment twice in a process

std::string day_name(int64_t day) {
    const int64_t secs = day * 86400;
    const time_t tt = static_cast<time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return buf;
}

std::optional<int64_t> parse_day_name(const std::string& s) {
    int y, m, d;
    if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    const time_t t = timegm(&tm);
    if (day_name(t / 86400) != s) return std::nullopt;
    return static_cast<int64_t>(t / 86400);
}

}  // namespace

StoreImpl::StoreImpl(const StoreOptions& o) : opts_(o) {
    if (opts_.block_events == 0) opts_.block_events = 4096;
    std::error_code ec;
    if (opts_.read_only) {
        if (!std::filesystem::is_directory(opts_.path, ec))
            throw std::runtime_error("store: " + opts_.path + " is not a store folder");
    } else {
        std::filesystem::create_directories(opts_.path, ec);
    }
    if (ec) throw std::runtime_error("store: cannot create " + opts_.path + ": " + ec.message());
    canonical_ = std::filesystem::weakly_canonical(opts_.path).string();
    {
        std::lock_guard lock(g_open_mu);
        if (!g_open_paths.insert(canonical_).second)
            throw std::runtime_error("store: " + opts_.path + " is already open in this process");
    }
    try {
        maint_ = make_maintenance(opts_);  // takes the lock file unless read-only
        for (const auto& e : std::filesystem::directory_iterator(opts_.path)) {
            if (!e.is_directory()) continue;
            const auto day = parse_day_name(e.path().filename().string());
            if (!day) continue;
            parts_[*day] = std::make_shared<Partition>(*day, e.path().string(), opts_.sync,
                                                       opts_.initial_map_bytes, opts_.read_only);
        }
    } catch (...) {
        std::lock_guard lock(g_open_mu);
        g_open_paths.erase(canonical_);
        throw;
    }
    if (!opts_.read_only) writer_ = std::thread([this] { writer_loop(); });
}

StoreImpl::~StoreImpl() {
    {
        std::lock_guard lock(q_mu_);
        stopping_ = true;
    }
    q_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    cancel_retention();
    parts_.clear();
    std::lock_guard lock(g_open_mu);
    g_open_paths.erase(canonical_);
}

void StoreImpl::write(const event::Batch& batch, Done done) {
    if (opts_.read_only) {  // no writer: refused at once
        if (done) done(false);
        return;
    }
    Item item;
    event::Batch copy;
    // The batch is shared read-only with other outputs: take what the writer
    // needs now, in the batch codec's compact form.
    bool any_dropped = false;
    for (size_t i = 0; i < batch.size(); ++i)
        if (batch.event(i).flags & WEIR_EVENT_DROPPED) any_dropped = true;
    if (!any_dropped) {
        event::encode_batch(batch, item.encoded);
        item.events = batch.size();
    } else {
        std::string all;
        event::encode_batch(batch, all);
        event::decode_batch(all, copy);
        copy.compact();
        item.encoded.clear();
        event::encode_batch(copy, item.encoded);
        item.events = copy.size();
    }
    item.done = std::move(done);
    std::unique_lock lock(q_mu_);
    q_space_cv_.wait(lock,
                     [&] { return stopping_ || queued_events_ < opts_.max_queued_events || queue_.empty(); });
    if (stopping_) {
        lock.unlock();
        if (item.done) item.done(false);
        return;
    }
    item.seq = ++enqueued_seq_;
    queued_events_ += item.events;
    queue_.push_back(std::move(item));
    lock.unlock();
    q_cv_.notify_all();
}

void StoreImpl::flush() {
    std::unique_lock lock(q_mu_);
    const uint64_t target = enqueued_seq_;
    done_cv_.wait(lock, [&] { return finished_seq_ >= target; });
}

std::shared_ptr<Partition> StoreImpl::partition(int64_t day, bool create) {
    std::lock_guard lock(parts_mu_);
    auto it = parts_.find(day);
    if (it != parts_.end()) return it->second;
    if (!create) return nullptr;
    auto p = std::make_shared<Partition>(day, opts_.path + "/" + day_name(day), opts_.sync,
                                         opts_.initial_map_bytes);
    parts_[day] = p;
    return p;
}

std::vector<std::shared_ptr<Partition>> StoreImpl::partitions_between(int64_t from_ns, int64_t to_ns,
                                                                      uint64_t* pruned) {
    std::vector<std::shared_ptr<Partition>> out;
    std::lock_guard lock(parts_mu_);
    const int64_t lo = day_of(from_ns), hi = day_of(to_ns);
    for (const auto& [day, p] : parts_) {
        if (day < lo || day > hi) {
            if (pruned) ++*pruned;
            continue;
        }
        out.push_back(p);
    }
    return out;
}

// ---- the writer ---------------------------------------------------------------------

namespace {

struct PreparedBlock {
    BlockMeta meta;
    std::string bytes;
};

}  // namespace

bool StoreImpl::commit_partition(Partition& p, const std::vector<std::pair<BlockMeta, std::string>>& blocks,
                                 const std::unordered_map<std::string, std::vector<uint64_t>>& terms,
                                 std::string& why) {
    uint64_t bytes = 0;
    for (const auto& b : blocks) bytes += b.second.size();
    bytes += terms.size() * 64;
    if (p.free_bytes() < 2 * bytes + Partition::kMinFreeBytes) {
        why = "disk full";
        return false;
    }
    if (p.room_needed(bytes)) {  // readers are waited for only when the map must grow
        std::unique_lock lock(p.mu);
        if (p.ensure_room(bytes)) map_grows_.fetch_add(1);
    }
    std::vector<const std::string*> keys;
    keys.reserve(terms.size());
    for (const auto& [k, v] : terms) keys.push_back(&k);
    std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) { return *a < *b; });

    for (int attempt = 0; attempt < 16; ++attempt) {
        MDB_txn* txn = nullptr;
        int rc = mdb_txn_begin(p.env, nullptr, 0, &txn);
        if (rc) {
            why = std::string("begin: ") + mdb_strerror(rc);
            return false;
        }
        for (const auto& [meta, value] : blocks) {
            std::string key;
            put_be64(key, meta.id);
            MDB_val k{key.size(), key.data()}, v{value.size(), const_cast<char*>(value.data())};
            rc = mdb_put(txn, p.blocks, &k, &v, MDB_APPEND);
            if (rc) break;
        }
        for (size_t i = 0; !rc && i < keys.size(); ++i) {
            const std::string& key = *keys[i];
            MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
            Bitmap bm;
            const int g = mdb_get(txn, p.terms, &k, &v);
            if (g == 0) {
                bm = decode_bitmap({static_cast<const char*>(v.mv_data), v.mv_size});
                if (!bm) {
                    // A damaged posting list becomes "every block so far": a
                    // superset keeps every later answer complete.
                    bm = make_bitmap();
                    roaring_bitmap_add_range(bm.get(), 1, p.next_block_id());
                    index_repairs_.fetch_add(1);
                }
            } else {
                bm = make_bitmap();
            }
            for (uint64_t id : terms.at(key)) roaring_bitmap_add(bm.get(), static_cast<uint32_t>(id));
            const std::string enc = encode_bitmap(bm.get());
            MDB_val nv{enc.size(), const_cast<char*>(enc.data())};
            rc = mdb_put(txn, p.terms, &k, &nv, 0);
        }
        if (rc) {
            mdb_txn_abort(txn);
        } else {
            rc = mdb_txn_commit(txn);  // never abort after a failed commit: it freed the txn
        }
        if (rc == 0) return true;
        if (rc == MDB_MAP_FULL) {
            std::unique_lock lock(p.mu);
            if (p.grow()) {
                map_grows_.fetch_add(1);
                continue;
            }
        }
        why = rc == ENOSPC ? "disk full" : mdb_strerror(rc);
        return false;
    }
    why = "the map could not grow enough";
    return false;
}

void StoreImpl::writer_loop() {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    event::Batch group;
    std::string scratch;
    std::vector<std::string> ev_terms;
    for (;;) {
        std::deque<Item> items;
        {
            std::unique_lock lock(q_mu_);
            q_cv_.wait_for(lock, std::chrono::seconds(60),
                           [&] { return stopping_ || !queue_.empty() || retention_wanted_; });
            if (queue_.empty() && stopping_) break;
            retention_wanted_ = false;
            items.swap(queue_);
            queued_events_ = 0;
        }
        q_space_cv_.notify_all();
        const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        run_retention(now);  // hourly, and at once when asked (maintenance.cpp)
        if (items.empty()) continue;

        group.clear();
        for (auto& it : items) {
            std::string err;
            if (!event::decode_batch(it.encoded, group, &err))
                bad_batches_.fetch_add(1);  // cannot happen: we encoded it
        }
        std::map<int64_t, std::vector<uint32_t>> by_day;
        for (size_t i = 0; i < group.size(); ++i)
            by_day[day_of(group.event(i).time_ns)].push_back(static_cast<uint32_t>(i));

        bool ok = true;
        for (auto& [day, rows] : by_day) {
            std::stable_sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) {
                return group.event(a).time_ns < group.event(b).time_ns;
            });
            std::shared_ptr<Partition> p;
            std::string why;
            for (;;) {
                try {
                    p = partition(day, true);
                    break;
                } catch (const std::exception& e) {
                    why = e.what();
                }
                if (!wait_degraded(why)) break;
            }
            if (!p) {
                ok = false;
                break;
            }
            std::vector<std::pair<BlockMeta, std::string>> blocks;
            std::unordered_map<std::string, std::vector<uint64_t>> terms;
            uint64_t id = p->next_block_id();
            for (size_t start = 0; start < rows.size(); start += opts_.block_events) {
                const size_t end = std::min(rows.size(), start + opts_.block_events);
                std::vector<uint32_t> chunk(rows.begin() + static_cast<long>(start),
                                            rows.begin() + static_cast<long>(end));
                BlockMeta m{id, group.event(chunk.front()).time_ns, group.event(chunk.back()).time_ns,
                            static_cast<uint32_t>(chunk.size())};
                std::string bytes;
                encode_block(group, chunk, cctx, bytes);
                for (uint32_t r : chunk) {
                    ev_terms.clear();
                    event_terms(group, r, opts_.index_fields, ev_terms, scratch);
                    for (auto& t : ev_terms) {
                        auto& ids = terms[t];  // block ids only grow: the last one says "already there"
                        if (ids.empty() || ids.back() != id) ids.push_back(id);
                    }
                }
                blocks.emplace_back(m, std::move(bytes));
                ++id;
            }
            while (!commit_partition(*p, blocks, terms, why)) {
                if (!wait_degraded(why)) {
                    ok = false;
                    break;
                }
            }
            if (!ok) break;
            for (const auto& [m, b] : blocks) p->add_meta(m);
            blocks_written_.fetch_add(blocks.size());
        }
        if (ok) {
            commits_.fetch_add(1);
            events_written_.fetch_add(group.size());
            std::lock_guard lock(state_mu_);
            if (degraded_ && opts_.warn) opts_.warn("writes resumed");
            degraded_ = false;
            degraded_reason_.clear();
        }
        uint64_t last = 0;
        for (auto& it : items) {
            last = it.seq;
            if (it.done) it.done(ok);
        }
        {
            std::lock_guard lock(q_mu_);
            finished_seq_ = std::max(finished_seq_, last);
        }
        done_cv_.notify_all();
    }
    ZSTD_freeCCtx(cctx);
}

bool StoreImpl::wait_degraded(const std::string& why) {
    write_errors_.fetch_add(1);
    {
        std::lock_guard lock(state_mu_);
        if (!degraded_ || degraded_reason_ != why) {
            const std::string msg =
                "writes paused, retrying every second (nothing is acknowledged meanwhile): " + why;
            if (opts_.warn)
                opts_.warn(msg);
            else
                std::fprintf(stderr, "store: %s\n", msg.c_str());
        }
        degraded_ = true;
        degraded_reason_ = why;
    }
    if (why.rfind("disk full", 0) == 0) emergency_retention();
    std::unique_lock lock(q_mu_);
    q_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    return !stopping_;
}

StoreStats StoreImpl::stats() {
    StoreStats s;
    {
        std::lock_guard lock(parts_mu_);
        s.partitions = parts_.size();
        for (const auto& [d, p] : parts_) {
            s.blocks += p->block_count();
            s.events += p->events();
            s.bytes_on_disk += p->file_bytes();
        }
    }
    s.commits = commits_.load();
    s.events_written = events_written_.load();
    s.write_errors = write_errors_.load();
    s.map_grows = map_grows_.load();
    std::lock_guard lock(state_mu_);
    s.degraded = degraded_;
    s.degraded_reason = degraded_reason_;
    return s;
}

std::optional<std::string> StoreImpl::degraded() {
    std::lock_guard lock(state_mu_);
    if (!degraded_) return std::nullopt;
    return degraded_reason_;
}

std::string StoreImpl::metrics_text() {
    const StoreStats s = stats();
    std::string out;
    auto line = [&](const char* name, const char* type, const char* help, uint64_t v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name +
               " " + std::to_string(v) + "\n";
    };
    line("weir_store_events_written_total", "counter", "Events committed to the store.", s.events_written);
    line("weir_store_commits_total", "counter", "Group commits of the store's writer.", s.commits);
    line("weir_store_write_errors_total", "counter", "Commits that failed and were retried (disk full, I/O).",
         s.write_errors);
    line("weir_store_map_grows_total", "counter", "Times a partition's LMDB map was grown.", s.map_grows);
    line("weir_store_index_repairs_total", "counter", "Damaged posting lists widened to every block.",
         index_repairs_.load());
    line("weir_store_corrupt_blocks_total", "counter",
         "Blocks a query could not decode (skipped, reported in its stats).", corrupt_blocks_.load());
    out += retention_metrics_text();
    line("weir_store_partitions", "gauge", "Partitions (UTC days) in the store.", s.partitions);
    line("weir_store_blocks", "gauge", "Blocks in the store.", s.blocks);
    line("weir_store_events", "gauge", "Events in the store.", s.events);
    line("weir_store_bytes", "gauge", "Bytes of the store's files on disk.", s.bytes_on_disk);
    line("weir_store_degraded", "gauge", "1 while writes are paused (disk full, I/O errors).",
         s.degraded ? 1 : 0);
    return out;
}

}  // namespace detail

std::unique_ptr<Store> Store::open(const StoreOptions& options) {
    return std::make_unique<detail::StoreImpl>(options);
}

}  // namespace weir::store
