#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

size_t add(Batch& b, const char* level, int64_t status, double latency) {
    const size_t i = b.add("request", 0);
    const weir_node root = b.event(i).root;
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{level, std::strlen(level)};
    b.put(root, "level", v, 0);
    weir_value n{};
    n.type = WEIR_VAL_INT;
    n.as.i = status;
    b.put(root, "status", n, 0);
    weir_value f{};
    f.type = WEIR_VAL_FLOAT;
    f.as.f = latency;
    b.put(root, "latency_ms", f, 0);
    weir_value o{};
    o.type = WEIR_VAL_OBJECT;
    const weir_node user = b.put(root, "usr", o, 0);
    v.as.s = weir_str{"alice", 5};
    b.put(user, "name", v, 0);
    return i;
}

}  // namespace

TEST(ModifyFilter, StaticFieldsRenameCopyRemoveAndDerived) {
    StageHarness h(
        WEIR_TEST_PLUGIN,
        "{set: [environment=prod, 'app_version=2.4.1', shard=7, canary=false], rename: [usr=user], "
        "copy: [status=http_status], remove: [level], "
        "categorize: ['response_time_category=latency_ms:100=fast,1000=ok,slow'], "
        "error_flag_key: is_error, hostname_key: host}");
    Batch b;
    add(b, "info", 200, 35.5);
    add(b, "warn", 503, 450);
    add(b, "ERROR", 200, 2500);
    h.process(b);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    EXPECT_EQ(b.to_json(0),
              std::string(R"({"@timestamp":"1970-01-01T00:00:00.000000000Z","message":"request",)") +
                  R"("status":200,"latency_ms":35.5,"user":{"name":"alice"},"http_status":200,)" +
                  R"("environment":"prod","app_version":"2.4.1","shard":7,"canary":false,"host":")" + host +
                  R"(","response_time_category":"fast","is_error":false})");
    EXPECT_NE(b.to_json(1).find(R"("response_time_category":"ok","is_error":true)"), std::string::npos)
        << b.to_json(1);
    EXPECT_NE(b.to_json(2).find(R"("response_time_category":"slow","is_error":true)"), std::string::npos)
        << b.to_json(2);
}

TEST(ModifyFilter, OverwriteFalseKeepsExistingFields) {
    StageHarness h(WEIR_TEST_PLUGIN, "{set: [status=0, region=eu], overwrite: false}");
    Batch b;
    add(b, "info", 200, 1);
    h.process(b);
    EXPECT_NE(b.to_json(0).find(R"("status":200)"), std::string::npos);
    EXPECT_NE(b.to_json(0).find(R"("region":"eu")"), std::string::npos);
}

TEST(ModifyFilter, HostIpAndCustomStatusKey) {
    StageHarness h(WEIR_TEST_PLUGIN,
                   "{host_ip_key: host_ip, error_flag_key: failed, status_key: code, level_key: sev}");
    Batch b;
    add(b, "info", 200, 1);  // no 'sev' and no 'code': not an error
    h.process(b);
    const std::string json(b.to_json(0));
    EXPECT_NE(json.find(R"("host_ip":")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("failed":false)"), std::string::npos) << json;
}

TEST(ModifyFilter, BadOptionsAreConfigErrors) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{rename: [nothing]}"), std::runtime_error);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{categorize: ['c=x:10=a,5=b,c']}"), std::runtime_error);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{categorize: ['c=x:abc=a']}"), std::runtime_error);
}
