#include <gtest/gtest.h>

#include <cstring>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

void add(Batch& b, const char* body, const char* level, const char* path, int64_t status) {
    const size_t i = b.add(body, 0);
    const weir_node root = b.event(i).root;
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{level, std::strlen(level)};
    b.put(root, "level", v, 0);
    v.as.s = weir_str{path, std::strlen(path)};
    b.put(root, "path", v, 0);
    weir_value n{};
    n.type = WEIR_VAL_INT;
    n.as.i = status;
    b.put(root, "status", n, 0);
}

Batch& access_log(Batch& b) {
    add(b, "GET /healthz 200", "info", "/healthz", 200);
    add(b, "GET /api/orders 200", "info", "/api/orders", 200);
    add(b, "debug noise", "debug", "/api/orders", 200);
    add(b, "GET /api/pay 503 upstream timeout", "error", "/api/pay", 503);
    add(b, "GET /health/live 200", "info", "/health/live", 200);
    return b;
}

std::vector<std::string> bodies(const Batch& b) {
    std::vector<std::string> out;
    for (size_t i = 0; i < b.size(); ++i) out.emplace_back(b.body(i));
    return out;
}

}  // namespace

TEST(DropFilter, DropsHealthChecksAndDebugNoise) {
    StageHarness h(WEIR_TEST_PLUGIN, "{condition: 'path:/health* OR level:debug'}");
    Batch b;
    h.process(access_log(b));
    EXPECT_EQ(bodies(b),
              (std::vector<std::string>{"GET /api/orders 200", "GET /api/pay 503 upstream timeout"}));
    EXPECT_EQ(h.metrics().dropped.get("filtered"), 3u);
}

TEST(DropFilter, ThreeClauseCondition) {
    StageHarness h(WEIR_TEST_PLUGIN, "{condition: 'level:info AND status<400 AND NOT path:/api/*'}");
    Batch b;
    h.process(access_log(b));
    EXPECT_EQ(bodies(b), (std::vector<std::string>{"GET /api/orders 200", "debug noise",
                                                   "GET /api/pay 503 upstream timeout"}));
}

TEST(DropFilter, SyntaxErrorIsAConfigErrorWithThePosition) {
    try {
        StageHarness h(WEIR_TEST_PLUGIN, "{condition: 'level:(warn error'}");
        FAIL() << "accepted a broken condition";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "condition: expected OR or ')' in the list opened at 6 at position 12"),
                  std::string::npos)
            << e.what();
    }
}
