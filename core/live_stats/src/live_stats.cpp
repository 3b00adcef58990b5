#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <weir/event/json_writer.hpp>
#include <weir/live_stats/live_stats.hpp>
#include <weir/store/store.hpp>

namespace weir::live_stats {
namespace {

const double kGamma = (1 + Sketch::kRelativeError) / (1 - Sketch::kRelativeError);
const double kLogGamma = std::log(kGamma);

int64_t second_of(int64_t ns) {
    const int64_t q = ns / 1'000'000'000;
    return (ns % 1'000'000'000 < 0) ? q - 1 : q;
}

std::string_view text(const weir_value& v) { return {v.as.s.data, v.as.s.size}; }

/// Numbers, and strings that read wholly as a finite number (as the store's rollups).
std::optional<double> number_of(const weir_value& v) {
    if (v.type == WEIR_VAL_INT) return static_cast<double>(v.as.i);
    if (v.type == WEIR_VAL_FLOAT) return std::isfinite(v.as.f) ? std::optional<double>(v.as.f) : std::nullopt;
    if (v.type != WEIR_VAL_STRING) return std::nullopt;
    std::string_view s = text(v);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double d = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
    return d;
}

/// A group value as text: strings as they are, numbers and booleans written
/// out (into `scratch`); nullopt for anything else. Allocates nothing for strings.
std::optional<std::string_view> group_text(const weir_value& v, std::string& scratch) {
    char buf[64];
    switch (v.type) {
        case WEIR_VAL_STRING:
            return text(v);
        case WEIR_VAL_INT:
            scratch = std::to_string(v.as.i);
            return std::string_view(scratch);
        case WEIR_VAL_FLOAT:
            std::snprintf(buf, sizeof buf, "%.17g", v.as.f);
            scratch = buf;
            return std::string_view(scratch);
        case WEIR_VAL_BOOL:
            return std::string_view(v.as.b ? "true" : "false");
        default:
            return std::nullopt;
    }
}

void bump(std::map<std::string, uint64_t, std::less<>>& m, std::string_view key, uint64_t n = 1) {
    auto it = m.find(key);
    if (it != m.end()) {
        it->second += n;
        return;
    }
    if (m.size() >= LiveStats::kMaxKeysPerSecond) key = "other";
    m[std::string(key)] += n;
}

/// Keeps the top n keys by count (ties by name) and sums the rest into "other".
void keep_top(std::map<std::string, uint64_t, std::less<>>& m, size_t n) {
    if (m.size() <= n) return;
    std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
    uint64_t other = 0;
    if (auto it = m.find("other"); it != m.end()) other = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [](const auto& p) { return p.first == "other"; }), v.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    m.clear();
    for (size_t i = 0; i < v.size(); ++i) {
        if (i < n)
            m.emplace(std::move(v[i].first), v[i].second);
        else
            other += v[i].second;
    }
    if (other) m["other"] += other;
}

void close_counts(Counts& c, size_t top_n) {
    keep_top(c.by_source, top_n);
    keep_top(c.by_service, top_n);
}

std::string num(double v) {
    if (!std::isfinite(v)) return "null";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

void put_map(std::string& out, const char* name, const std::map<std::string, uint64_t, std::less<>>& m) {
    out += ",\"";
    out += name;
    out += "\":{";
    bool first = true;
    for (const auto& [k, n] : m) {
        if (!first) out += ',';
        first = false;
        event::append_json_string(out, k);
        out += ':' + std::to_string(n);
    }
    out += '}';
}

void put_sketch(std::string& out, const Sketch& s) {
    out += "{\"count\":" + std::to_string(s.count());
    for (const auto& [name, q] : {std::pair{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}}) {
        const auto v = s.quantile(q);
        out += ",\"" + std::string(name) + "\":" + (v ? num(*v) : "null");
    }
    out += ",\"max\":" + (s.count() ? num(s.max()) : std::string("null")) + "}";
}

std::string rfc3339_second(int64_t sec) {
    const std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

const Counts* view_of(const Second& s, const std::string& tenant) {
    if (tenant.empty()) return &s.all;
    auto it = s.tenants.find(tenant);
    return it == s.tenants.end() ? nullptr : &it->second;
}

}  // namespace

// ---------------------------------------------------------------- Sketch

void Sketch::add(double x) {
    if (n_ == 0 || x < min_) min_ = x;
    if (n_ == 0 || x > max_) max_ = x;
    ++n_;
    if (!(x > kMinValue)) {
        ++zero_;
        return;
    }
    ++buckets_[static_cast<int32_t>(std::ceil(std::log(x) / kLogGamma))];
}

void Sketch::merge(const Sketch& o) {
    if (o.n_ == 0) return;
    if (n_ == 0 || o.min_ < min_) min_ = o.min_;
    if (n_ == 0 || o.max_ > max_) max_ = o.max_;
    n_ += o.n_;
    zero_ += o.zero_;
    for (const auto& [i, c] : o.buckets_) buckets_[i] += c;
}

std::optional<double> Sketch::quantile(double q) const {
    if (n_ == 0) return std::nullopt;
    const uint64_t rank =
        std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(n_))));
    uint64_t seen = zero_;
    if (rank <= seen) return std::clamp(0.0, min_, max_);
    for (const auto& [i, c] : buckets_) {
        seen += c;
        if (seen >= rank) {
            const double v = 2 * std::pow(kGamma, i) / (kGamma + 1);
            return std::clamp(v, min_, max_);
        }
    }
    return max_;
}

// ---------------------------------------------------------------- LiveStats

bool is_error_level(std::string_view l) {
    return l == "ERROR" || l == "FATAL" || l == "CRITICAL" || l == "ERR" || l == "CRIT" || l == "EMERG" ||
           l == "ALERT" || l == "PANIC";
}

LiveStats::LiveStats(Options o) : opts_(std::move(o)) {}

LiveStats::~LiveStats() {
    {
        std::lock_guard<std::mutex> lk(tick_mu_);
        stop_ = true;
    }
    tick_cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
}

void LiveStats::start(std::function<uint64_t()> ingest_delta) {
    ingest_delta();  // the engine's counts so far are not this second's
    ticker_ = std::thread([this, ingest_delta = std::move(ingest_delta)] {
        std::unique_lock<std::mutex> lk(tick_mu_);
        while (!stop_) {
            const auto now = std::chrono::system_clock::now();
            const auto next = std::chrono::time_point_cast<std::chrono::seconds>(now) +
                              std::chrono::seconds(1) + std::chrono::milliseconds(5);
            if (tick_cv_.wait_until(lk, next, [this] { return stop_; })) break;
            const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
            tick(ns, ingest_delta());
        }
    });
}

void LiveStats::roll_to(int64_t sec) {
    if (!have_current_) {
        current_ = Second{};
        current_.sec = sec;
        have_current_ = true;
        return;
    }
    if (sec <= current_.sec) return;
    auto push = [this](Second s) {
        close_counts(s.all, opts_.top_n);
        for (auto& [t, c] : s.tenants) close_counts(c, opts_.top_n);
        closed_.push_back(std::move(s));
        while (closed_.size() > kKeepSeconds) closed_.pop_front();
    };
    const int64_t from = current_.sec;
    push(std::move(current_));
    // Quiet seconds in between are kept as empty ones (at most a minute's worth).
    for (int64_t s = std::max(from + 1, sec - static_cast<int64_t>(kKeepSeconds)); s < sec; ++s) {
        Second e;
        e.sec = s;
        push(std::move(e));
    }
    current_ = Second{};
    current_.sec = sec;
    closed_cv_.notify_all();
}

void LiveStats::count(Counts& c, const event::Batch& b, size_t row, std::string_view level, bool error,
                      const std::vector<std::pair<std::string_view, double>>& numbers) {
    ++c.events;
    if (error) ++c.errors;
    bump(c.by_level, level);
    const weir_node root = b.event(row).root;
    weir_value v;
    std::string scratch;
    if (b.get(root, "source", &v))
        if (auto t = group_text(v, scratch)) bump(c.by_source, *t);
    if (b.get(root, "service", &v))
        if (auto t = group_text(v, scratch)) bump(c.by_service, *t);
    for (const auto& [field, x] : numbers) {
        auto it = c.latency.find(field);
        if (it == c.latency.end()) {
            if (c.latency.size() >= opts_.max_numeric_fields) continue;
            it = c.latency.emplace(std::string(field), Sketch{}).first;
        }
        it->second.add(x);
    }
}

void LiveStats::record(const event::Batch& b, const std::vector<uint32_t>& rows, int64_t now_ns) {
    std::lock_guard<std::mutex> lk(mu_);
    roll_to(second_of(now_ns));
    std::string level, scratch;
    for (const uint32_t row : rows) {
        const weir_node root = b.event(row).root;
        weir_value v;
        level.clear();
        if (b.get(root, "level", &v))
            if (auto t = group_text(v, scratch)) level.assign(t->data(), t->size());
        if (level.empty()) level = "UNKNOWN";
        for (char& ch : level)
            if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
        const bool error = is_error_level(level);

        numbers_.clear();
        if (opts_.numeric_fields.empty()) {
            for (weir_entry e = b.first(root); e; e = b.next(e)) {
                const auto& en = b.entry(e);
                const std::string_view key(en.key.data, en.key.size);
                if (!store::default_numeric_field(key)) continue;
                if (auto x = number_of(en.value)) numbers_.emplace_back(key, *x);
            }
        } else {
            for (const auto& f : opts_.numeric_fields)
                if (b.get(root, f, &v))
                    if (auto x = number_of(v)) numbers_.emplace_back(f, *x);
        }

        count(current_.all, b, row, level, error, numbers_);
        if (b.get(root, "tenant", &v) && v.type == WEIR_VAL_STRING && v.as.s.size > 0) {
            const std::string_view t = text(v);
            auto it = current_.tenants.find(t);
            if (it == current_.tenants.end()) {
                if (current_.tenants.size() >= opts_.max_tenants) continue;
                it = current_.tenants.emplace(std::string(t), Counts{}).first;
            }
            count(it->second, b, row, level, error, numbers_);
        }
    }
}

void LiveStats::tick(int64_t now_ns, uint64_t ingest) {
    std::lock_guard<std::mutex> lk(mu_);
    const int64_t sec = second_of(now_ns);
    if (!have_current_) {
        roll_to(sec - 1);
        roll_to(sec);
    } else {
        roll_to(sec);
    }
    if (!closed_.empty() && closed_.back().sec == sec - 1) closed_.back().ingest += ingest;
}

std::optional<int64_t> LiveStats::latest() const {
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_.empty()) return std::nullopt;
    return closed_.back().sec;
}

std::string LiveStats::render(const Second& s, const std::string& tenant) const {
    static const Counts kEmpty;
    const Counts* c = view_of(s, tenant);
    if (!c) c = &kEmpty;
    std::string out = "{\"type\":\"stats\",\"time\":\"" + rfc3339_second(s.sec) + "\",\"interval_s\":1";
    out += ",\"events\":" + std::to_string(c->events);
    out += ",\"events_per_s\":" + std::to_string(c->events);
    out += ",\"errors_per_s\":" + std::to_string(c->errors);
    // A tenant sees its own stored events: the engine's input counters are not per tenant.
    out += ",\"ingest_per_s\":" + std::to_string(tenant.empty() ? s.ingest : c->events);
    put_map(out, "by_level", c->by_level);
    put_map(out, "by_source", c->by_source);
    put_map(out, "by_service", c->by_service);

    // The minute ending with this second: every kept second up to it.
    std::map<std::string, Sketch, std::less<>> minute;
    for (const auto& o : closed_) {
        if (o.sec > s.sec || o.sec <= s.sec - static_cast<int64_t>(kKeepSeconds)) continue;
        if (const Counts* oc = view_of(o, tenant))
            for (const auto& [f, sk] : oc->latency) minute[f].merge(sk);
    }
    out += ",\"latency\":{";
    bool first = true;
    for (const auto& [f, sk] : minute) {
        if (!first) out += ',';
        first = false;
        event::append_json_string(out, f);
        out += ":{\"1s\":";
        auto it = c->latency.find(f);
        put_sketch(out, it == c->latency.end() ? Sketch{} : it->second);
        out += ",\"1m\":";
        put_sketch(out, sk);
        out += '}';
    }
    out += "}}";
    return out;
}

std::optional<std::string> LiveStats::stats_json(int64_t sec, const std::string& tenant) const {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& s : closed_)
        if (s.sec == sec) return render(s, tenant);
    return std::nullopt;
}

std::vector<std::string> LiveStats::since(int64_t after, const std::string& tenant) const {
    std::lock_guard<std::mutex> lk(mu_);
    std::vector<std::string> out;
    for (const auto& s : closed_)
        if (s.sec > after) out.push_back(render(s, tenant));
    return out;
}

std::string LiveStats::series_json(size_t n, const std::string& tenant) const {
    std::lock_guard<std::mutex> lk(mu_);
    std::string out = "{\"type\":\"series\",\"points\":[";
    const size_t skip = closed_.size() > n ? closed_.size() - n : 0;
    bool first = true;
    for (size_t i = skip; i < closed_.size(); ++i) {
        if (!first) out += ',';
        first = false;
        out += render(closed_[i], tenant);
    }
    return out + "]}";
}

bool LiveStats::wait_after(int64_t after, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lk(mu_);
    return closed_cv_.wait_for(lk, timeout, [&] { return !closed_.empty() && closed_.back().sec > after; });
}

}  // namespace weir::live_stats
