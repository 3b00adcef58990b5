// The live counters' cost on the store's write path: LiveStats::record per
// event (the commit listener's work), on batches of 1000 JSON-like events with
// level, source, service, tenant and two latency fields. Figures, not tests:
//   build/bench/live_stats_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>
#include <vector>
#include <weir/live_stats/live_stats.hpp>

namespace {

weir_value str(weir::event::Batch& b, const std::string& s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    char* p = b.arena().allocate(s.size());
    s.copy(p, s.size());
    v.as.s = {p, s.size()};
    return v;
}

void fill(weir::event::Batch& b, std::vector<uint32_t>& rows, size_t n) {
    static const char* levels[] = {"info", "info", "info", "warn", "error", "debug"};
    for (size_t i = 0; i < n; ++i) {
        const size_t k = b.add("GET /api/orders 200", 0);
        const weir_node r = b.event(k).root;
        b.put(r, "level", str(b, levels[i % 6]), 0);
        b.put(r, "source", str(b, "host-" + std::to_string(i % 40)), 0);
        b.put(r, "service", str(b, "svc-" + std::to_string(i % 12)), 0);
        b.put(r, "tenant", str(b, "t" + std::to_string(i % 5)), 0);
        b.put(r, "message", str(b, "request done"), 0);
        weir_value code{};
        code.type = WEIR_VAL_INT;
        code.as.i = 200;
        b.put(r, "status", code, 0);
        weir_value f{};
        f.type = WEIR_VAL_FLOAT;
        f.as.f = 0.5 + static_cast<double>(i % 997);
        b.put(r, "latency_ms", f, 0);
        f.as.f = 3.0 + static_cast<double>(i % 101);
        b.put(r, "db_duration_ms", f, 0);
        rows.push_back(static_cast<uint32_t>(k));
    }
}

void BM_Record(benchmark::State& st, bool configured) {
    weir::live_stats::Options o;
    if (configured) o.numeric_fields = {"latency_ms", "db_duration_ms"};
    weir::live_stats::LiveStats ls(o);
    weir::event::Batch b;
    std::vector<uint32_t> rows;
    fill(b, rows, 1000);
    int64_t now = 1'780'000'000'000'000'000;
    for (auto _ : st) {
        ls.record(b, rows, now);
        now += 10'000'000;  // 100 batches a second: the seconds roll as they would
    }
    st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * rows.size()));
}

}  // namespace

BENCHMARK_CAPTURE(BM_Record, auto_fields, false);
BENCHMARK_CAPTURE(BM_Record, configured_fields, true);
BENCHMARK_MAIN();
