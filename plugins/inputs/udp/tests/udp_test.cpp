#include <gtest/gtest.h>

#include <string>
#include <vector>
#include <weir/runtime/testing.hpp>

#include "socket_client.hpp"

using weir::net::testing::free_port;
using weir::net::testing::send_udp;
using weir::runtime::testing::StageHarness;

namespace {

/// Datagrams sent before the socket is bound are lost: probe until one arrives.
size_t wait_listening(StageHarness& h, uint16_t port) {
    size_t seen = 0;
    for (int i = 0; i < 500 && seen == 0; ++i) {
        send_udp(port, "probe");
        seen = h.wait_for_events(1, std::chrono::milliseconds(20));
    }
    EXPECT_GE(seen, 1u);
    return h.wait_for_events(100000, std::chrono::milliseconds(50));
}

}  // namespace

TEST(UdpInput, SeveralLinesPerDatagram) {
    const uint16_t port = free_port(SOCK_DGRAM);
    StageHarness h(WEIR_TEST_PLUGIN,
                   "{listen: \"127.0.0.1:" + std::to_string(port) + "\", max_line_size: 10}");
    h.start();
    const size_t before = wait_listening(h, port);
    send_udp(port, "a\nb\r\n\nc");
    send_udp(port, "0123456789abc\n");
    ASSERT_EQ(h.wait_for_events(before + 4), before + 4);
    h.stop();
    auto got = h.bodies();
    got.erase(got.begin(), got.begin() + static_cast<long>(before));
    EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c", "0123456789"}));
    EXPECT_EQ(h.metrics().errors.get("truncated"), 1u);
    EXPECT_NE(h.events_json().back().find(R"("source_address":"127.0.0.1")"), std::string::npos);
}
