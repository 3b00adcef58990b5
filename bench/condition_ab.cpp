// Per-event cost of Condition::matches for the filter conditions of
// stage_bench, on 2,048 events shaped like its JSON lines. Built twice by
// condition_ab.sh (a base commit's core/condition and the worktree's) so the
// two are measured by the same driver; prints the best of 200 passes.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <weir/condition/condition.hpp>
using namespace weir;
static void put(event::Batch& b, weir_node n, const char* k, const std::string& s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{s.data(), s.size()};
    b.put(n, k, v, 0);
}
int main() {
    event::Batch b;
    std::mt19937 rnd(7);
    const char* levels[] = {"debug", "info", "warn", "error"};
    const char* services[] = {"api-gateway", "checkout", "auth", "search"};
    for (int i = 0; i < 2048; ++i) {
        char msg[64];
        std::snprintf(msg, sizeof msg, "request completed id=%08x", (unsigned)rnd());
        size_t e = b.add(msg, 0);
        weir_node r = b.event(e).root;
        put(b, r, "timestamp", "2025-11-24T13:20:00.000Z");
        put(b, r, "level", levels[rnd() % 4]);
        put(b, r, "service", services[rnd() % 4]);
        put(b, r, "user_id", "u-000123");
        put(b, r, "client_ip", "10.1.2.3");
        weir_value f{};
        f.type = WEIR_VAL_FLOAT;
        f.as.f = (rnd() % 2000) + 0.5;
        b.put(r, "latency_ms", f, 0);
    }
    const char* conds[] = {"level:debug AND service:search AND latency_ms<1000",
                           "level:(warn OR error) OR latency_ms>=1500 OR \"id=0\""};
    for (const char* text : conds) {
        auto c = condition::Condition::compile(text);
        double best = 1e18;
        size_t hits = 0;
        for (int rep = 0; rep < 200; ++rep) {
            auto t0 = std::chrono::steady_clock::now();
            size_t h = 0;
            for (size_t i = 0; i < b.size(); ++i) h += c.matches(b, i);
            auto t1 = std::chrono::steady_clock::now();
            best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count() / b.size());
            hits = h;
        }
        std::printf("%-55s %6.2f ns/event (best of 200 passes), %zu matches\n", text, best, hits);
    }
}
