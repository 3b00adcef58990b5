// The store: partitions, the writer thread and its group commits.
#include <pthread.h>
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
    char buf[32];
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
    rollup_cfg_.numeric_fields = opts_.rollup_numeric_fields;
    rollup_cfg_.unique_fields = opts_.rollup_unique_fields;
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
    commit_seq_.store(newest_persisted_seq());
    if (!opts_.read_only) {
        const size_t n = std::max<size_t>(opts_.encode_threads, 1);
        encoder_count_ = n;
        for (size_t i = 0; i < n; ++i)
            encoders_.emplace_back([this] {
                pthread_setname_np(pthread_self(), "store:encode");
                encoder_loop();
            });
        writer_ = std::thread([this] {
            pthread_setname_np(pthread_self(), "store:writer");
            writer_loop();
        });
    }
}

StoreImpl::~StoreImpl() {
    {
        std::lock_guard lock(q_mu_);
        stopping_ = true;
    }
    q_cv_.notify_all();
    for (auto& t : encoders_)
        if (t.joinable()) t.join();
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

uint64_t StoreImpl::add_commit_listener(CommitListener listener) {
    std::lock_guard lock(listeners_mu_);
    const uint64_t id = next_listener_++;
    listeners_[id] = std::move(listener);
    have_listeners_.store(true);
    return id;
}

void StoreImpl::remove_commit_listener(uint64_t id) {
    std::lock_guard lock(listeners_mu_);  // waits for a call in progress
    listeners_.erase(id);
    have_listeners_.store(!listeners_.empty());
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

int StoreImpl::put_rollups(MDB_txn* txn, Partition& p, const std::map<int64_t, MinuteRollup>& minutes,
                           uint64_t first_block) {
    MDB_val ck{kRollupsCompleteKey.size(), const_cast<char*>(kRollupsCompleteKey.data())};
    if (!opts_.rollups) {
        // Blocks without rollups: the minutes of this day no longer cover every event.
        const int rc = mdb_del(txn, p.rollups, &ck, nullptr);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    if (first_block == 1) {  // the day's first blocks: its rollups cover every block
        MDB_val cv{1, const_cast<char*>("1")};
        if (const int rc = mdb_put(txn, p.rollups, &ck, &cv, 0)) return rc;
    }
    std::string value;
    MinuteRollup merged;
    for (const auto& [minute, delta] : minutes) {
        const std::string key = rollup_key(minute);
        MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
        const int g = mdb_get(txn, p.rollups, &k, &v);
        const MinuteRollup* out = &delta;
        if (g == 0) {
            if (!decode_rollup({static_cast<const char*>(v.mv_data), v.mv_size}, merged)) {
                // A damaged minute stays answered from the blocks from now on.
                merged = MinuteRollup{};
                merged.damaged = true;
                rollup_repairs_.fetch_add(1);
            }
            merged.merge(delta);
            out = &merged;
        } else if (g != MDB_NOTFOUND) {
            return g;
        }
        value.clear();
        out->encode(value);
        MDB_val nv{value.size(), value.data()};
        if (const int rc = mdb_put(txn, p.rollups, &k, &nv, 0)) return rc;
    }
    return 0;
}

bool StoreImpl::commit_partition(Partition& p, uint64_t seq,
                                 const std::vector<std::pair<BlockMeta, std::string>>& blocks,
                                 const std::unordered_map<std::string, TermIds>& terms,
                                 const std::map<int64_t, MinuteRollup>& minutes, std::string& why) {
    uint64_t bytes = 0;
    for (const auto& b : blocks) bytes += b.second.size();
    bytes += terms.size() * 64;
    for (const auto& [m, r] : minutes)  // about what the minute adds when encoded
        bytes += 128 + 32 * r.counts.size() + 48 * r.templates.size() + 64 * r.sketches.size() +
                 std::min<uint64_t>(2048, 3 * r.events) * r.hlls.size();
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
        // Frame postings: kept while every block of the day has them (from
        // its first block on, and while block ids fit a frame id).
        const uint64_t first_block = blocks.empty() ? 0 : blocks.front().first.id;
        const uint64_t last_block = blocks.empty() ? 0 : blocks.back().first.id;
        MDB_val fk{kRollupsCompleteKey.size(), const_cast<char*>(kRollupsCompleteKey.data())}, fv;
        bool frames_on = false;
        if (!rc && !blocks.empty()) {
            if (first_block == 1 && last_block <= kMaxFrameIndexedBlock) {
                MDB_val one{1, const_cast<char*>("1")};
                rc = mdb_put(txn, p.frames, &fk, &one, 0);
                frames_on = true;
            } else if (mdb_get(txn, p.frames, &fk, &fv) == 0) {
                frames_on = last_block <= kMaxFrameIndexedBlock;
                if (!frames_on) rc = mdb_del(txn, p.frames, &fk, nullptr);
            }
        }
        // The blocks' number digests (see term_index.hpp), beside the frame postings.
        for (size_t i = 0; !rc && i < number_digests_.size(); ++i) {
            const std::string key = number_digest_key(number_digests_[i].first);
            MDB_val k{key.size(), const_cast<char*>(key.data())};
            MDB_val v{number_digests_[i].second.size(), number_digests_[i].second.data()};
            rc = mdb_put(txn, p.frames, &k, &v, 0);
        }
        auto update = [&](MDB_dbi dbi, const std::string& key, auto&& add_ids) {
            MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
            Bitmap bm;
            const int g = mdb_get(txn, dbi, &k, &v);
            if (g == 0) {
                bm = decode_bitmap({static_cast<const char*>(v.mv_data), v.mv_size});
                if (!bm) {
                    // A damaged posting list becomes "every block so far": a
                    // superset keeps every later answer complete.
                    bm = make_bitmap();
                    if (dbi == p.terms)
                        roaring_bitmap_add_range(bm.get(), 1, p.next_block_id());
                    else
                        roaring_bitmap_add_range(bm.get(), uint64_t{1} << 5, p.next_block_id() << 5);
                    index_repairs_.fetch_add(1);
                }
            } else {
                bm = make_bitmap();
            }
            add_ids(bm.get());
            const std::string enc = encode_bitmap(bm.get());
            MDB_val nv{enc.size(), const_cast<char*>(enc.data())};
            return mdb_put(txn, dbi, &k, &nv, 0);
        };
        for (size_t i = 0; !rc && i < keys.size(); ++i) {
            const std::string& key = *keys[i];
            const TermIds& ids = terms.at(key);
            rc = update(p.terms, key, [&](roaring_bitmap_t* bm) {
                for (uint64_t id : ids.blocks) roaring_bitmap_add(bm, static_cast<uint32_t>(id));
            });
            if (!rc && frames_on)
                rc = update(p.frames, key, [&](roaring_bitmap_t* bm) {
                    roaring_bitmap_add_many(bm, ids.frames.size(), ids.frames.data());
                });
        }
        if (!rc) rc = put_rollups(txn, p, minutes, blocks.empty() ? 0 : blocks.front().first.id);
        if (!rc && !blocks.empty() && p.commits) {  // the commit log the live tail replays from
            std::string key, range;
            put_be64(key, seq);
            put_be64(range, first_block);
            put_be64(range, last_block);
            MDB_val k{key.size(), key.data()}, v{range.size(), range.data()};
            rc = mdb_put(txn, p.commits, &k, &v, 0);
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

void StoreImpl::encoder_loop() {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    for (;;) {
        auto owned = std::make_unique<Prepared>();
        Prepared& g = *owned;
        {
            std::unique_lock lock(q_mu_);
            // At most one group waits ready per encoder: the writer sets the pace.
            q_cv_.wait(lock, [&] {
                return (stopping_ && queue_.empty()) || (!queue_.empty() && ready_.size() <= encoder_count_);
            });
            if (queue_.empty()) break;  // stopping, and nothing left
            g.items.swap(queue_);
            queued_events_ = 0;
            g.ticket = next_ticket_++;
            ++preparing_;
        }
        q_space_cv_.notify_all();
        prepare(g, cctx);
        {
            std::lock_guard lock(q_mu_);
            --preparing_;
            const uint64_t ticket = g.ticket;
            ready_.emplace(ticket, std::move(owned));
        }
        q_cv_.notify_all();
    }
    ZSTD_freeCCtx(cctx);
    q_cv_.notify_all();
}

void StoreImpl::prepare(Prepared& g, ZSTD_CCtx* cctx) {
    event::Batch& group = g.group;
    std::string scratch;
    std::vector<std::string> ev_terms;
    for (auto& it : g.items) {
        std::string err;
        if (!event::decode_batch(it.encoded, group, &err))
            bad_batches_.fetch_add(1);  // cannot happen: we encoded it
        std::string().swap(it.encoded);
    }
    std::map<int64_t, std::vector<uint32_t>> by_day;
    for (size_t i = 0; i < group.size(); ++i)
        by_day[day_of(group.event(i).time_ns)].push_back(static_cast<uint32_t>(i));
    const bool digests = numeric_terms();
    for (auto& [day, rows] : by_day) {
        std::stable_sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) {
            return group.event(a).time_ns < group.event(b).time_ns;
        });
        PreparedDay& d = g.days.emplace_back();
        d.day = day;
        d.order.reserve(rows.size());
        d.refs.reserve(rows.size());
        if (opts_.rollups) {
            MinuteRollup* cur = nullptr;
            int64_t cur_minute = 0;
            for (uint32_t r : rows) {  // sorted by time: one map look-up per minute
                const int64_t m = minute_of(group.event(r).time_ns);
                if (!cur || m != cur_minute) cur = &d.minutes[m], cur_minute = m;
                add_to_rollup(rollup_cfg_, group, r, *cur);
            }
        }
        uint64_t id = 0;  // relative: the writer adds the partition's next block id
        std::vector<uint32_t> chunk, numbers;
        for (size_t start = 0; start < rows.size(); start += opts_.block_events) {
            const size_t end = std::min(rows.size(), start + opts_.block_events);
            chunk.assign(rows.begin() + static_cast<long>(start), rows.begin() + static_cast<long>(end));
            BlockMeta m{id, group.event(chunk.front()).time_ns, group.event(chunk.back()).time_ns,
                        static_cast<uint32_t>(chunk.size())};
            std::string bytes;
            encode_block(group, chunk, cctx, bytes);
            const size_t per_frame = frame_rows(chunk.size());
            numbers.clear();
            for (size_t k = 0; k < chunk.size(); ++k) {
                ev_terms.clear();
                event_terms(group, chunk[k], opts_.index_fields, ev_terms, scratch);
                if (digests) event_numbers(group, chunk[k], opts_.index_fields, numbers);
                const auto fid = static_cast<uint32_t>((id << 5) | (k / per_frame));
                for (auto& t : ev_terms) {
                    // Ids only grow: the last one says "already there".
                    auto& ids = d.terms[t];
                    if (ids.blocks.empty() || ids.blocks.back() != id) ids.blocks.push_back(id);
                    if (ids.frames.empty() || ids.frames.back() != fid) ids.frames.push_back(fid);
                }
                d.order.push_back(chunk[k]);
                d.refs.push_back(RowRef{group.event(chunk[k]).time_ns, day, id, static_cast<uint32_t>(k)});
            }
            d.blocks.emplace_back(m, std::move(bytes));
            if (digests) d.digests.emplace_back(id, encode_number_digest(numbers));
            ++id;
        }
    }
}

void StoreImpl::writer_loop() {
    for (;;) {
        std::unique_ptr<Prepared> next;
        {
            std::unique_lock lock(q_mu_);
            q_cv_.wait_for(lock, std::chrono::seconds(60), [&] {
                return ready_.count(commit_ticket_) || retention_wanted_ ||
                       (stopping_ && queue_.empty() && preparing_ == 0);
            });
            retention_wanted_ = false;
            auto it = ready_.find(commit_ticket_);
            if (it != ready_.end()) {
                next = std::move(it->second);
                ready_.erase(it);
                ++commit_ticket_;
            } else if (stopping_ && queue_.empty() && preparing_ == 0) {
                break;
            }
        }
        if (next) q_cv_.notify_all();  // an encoder may wait for room
        const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        run_retention(now);  // hourly, and at once when asked (maintenance.cpp)
        if (next) commit_group(*next);
    }
}

void StoreImpl::commit_group(Prepared& g) {
    const event::Batch& group = g.group;
    std::vector<uint32_t> commit_order;
    std::vector<RowRef> commit_refs;
    bool ok = true;
    bool any_committed = false;
    const uint64_t seq = commit_seq_.load() + 1;  // only the writer changes it
    for (PreparedDay& d : g.days) {
        std::shared_ptr<Partition> p;
        std::string why;
        for (;;) {
            try {
                p = partition(d.day, true);
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
        // The encoder counted block ids from 0; they start at the partition's next one.
        const uint64_t base = p->next_block_id();
        for (auto& [m, b] : d.blocks) m.id += base;
        for (auto& [id, digest] : d.digests) id += base;
        for (auto& r : d.refs) r.block += base;
        const auto frame_base = static_cast<uint32_t>(base << 5);
        for (auto& [t, ids] : d.terms) {
            for (auto& b : ids.blocks) b += base;
            for (auto& f : ids.frames) f += frame_base;
        }
        number_digests_ = std::move(d.digests);
        while (!commit_partition(*p, seq, d.blocks, d.terms, d.minutes, why)) {
            if (!wait_degraded(why)) {
                ok = false;
                break;
            }
        }
        if (!ok) break;
        any_committed = true;
        for (const auto& [m, b] : d.blocks) p->add_meta(m);
        blocks_written_.fetch_add(d.blocks.size());
        commit_order.insert(commit_order.end(), d.order.begin(), d.order.end());
        commit_refs.insert(commit_refs.end(), d.refs.begin(), d.refs.end());
    }
    if (ok) {
        commits_.fetch_add(1);
        events_written_.fetch_add(group.size());
        {
            std::lock_guard lock(state_mu_);
            if (degraded_ && opts_.warn) opts_.warn("writes resumed");
            degraded_ = false;
            degraded_reason_.clear();
        }
        commit_seq_.store(seq);
        if (have_listeners_.load()) notify_listeners(seq, group, commit_order, commit_refs);
    } else if (any_committed) {
        commit_seq_.store(seq);  // part of it is stored under this seq: never reuse it
    }
    uint64_t last = 0;
    for (auto& it : g.items) {
        last = it.seq;
        if (it.done) it.done(ok);
    }
    {
        std::lock_guard lock(q_mu_);
        finished_seq_ = std::max(finished_seq_, last);
    }
    done_cv_.notify_all();
}

void StoreImpl::notify_listeners(uint64_t seq, const event::Batch& group, const std::vector<uint32_t>& order,
                                 const std::vector<RowRef>& refs) {
    const CommitView view{seq, &group, &order, &refs};
    std::lock_guard lock(listeners_mu_);
    for (auto& [id, l] : listeners_) {
        try {
            l(view);
        } catch (const std::exception& e) {
            if (opts_.warn) opts_.warn(std::string("a commit listener failed: ") + e.what());
        }
    }
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
    line("weir_store_rollup_repairs_total", "counter",
         "Damaged rollup minutes marked to be answered from blocks.", rollup_repairs_.load());
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
