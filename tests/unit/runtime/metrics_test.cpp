#include <gtest/gtest.h>

#include <weir/metrics/registry.hpp>

using weir::metrics::Registry;

TEST(Metrics, PrometheusTextHasEveryFamilyWithLabels) {
    Registry r;
    auto m = r.instance("web", "parser", "json", "main");
    m->events_in += 10;
    m->events_out += 9;
    m->dropped.add("filtered", 1);
    m->errors.add("parse_error", 2);
    m->batch_latency.observe_ns(300'000);  // 0.3 ms
    r.reloads_failed += 1;
    const std::string text = r.render_prometheus();
    const std::string l = "pipeline=\"web\",kind=\"parser\",plugin=\"json\",instance=\"main\"";
    EXPECT_NE(text.find("weir_events_in_total{" + l + "} 10\n"), std::string::npos) << text;
    EXPECT_NE(text.find("weir_events_out_total{" + l + "} 9\n"), std::string::npos);
    EXPECT_NE(text.find("weir_events_dropped_total{" + l + ",reason=\"filtered\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("weir_errors_total{" + l + ",reason=\"parse_error\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("weir_batch_latency_seconds_bucket{" + l + ",le=\"0.00025\"} 0\n"),
              std::string::npos);
    EXPECT_NE(text.find("weir_batch_latency_seconds_bucket{" + l + ",le=\"0.0005\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("weir_batch_latency_seconds_count{" + l + "} 1\n"), std::string::npos);
    EXPECT_NE(text.find("weir_reloads_total{result=\"failure\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE weir_queue_depth_events gauge"), std::string::npos);
}

TEST(Metrics, InstancesDisappearWithTheirOwner) {
    Registry r;
    {
        auto m = r.instance("gone", "output", "null", "n");
        EXPECT_EQ(r.instances().size(), 1u);
    }
    EXPECT_TRUE(r.instances().empty());
    EXPECT_EQ(r.render_prometheus().find("pipeline=\"gone\""), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
    Registry r;
    auto m = r.instance("we\"ird\\name", "input", "file", "x");
    EXPECT_NE(r.render_prometheus().find("pipeline=\"we\\\"ird\\\\name\""), std::string::npos);
}
