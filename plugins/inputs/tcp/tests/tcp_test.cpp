#include <gtest/gtest.h>

#include <string>
#include <vector>
#include <weir/runtime/testing.hpp>

#include "socket_client.hpp"

using weir::net::testing::free_port;
using weir::net::testing::TcpClient;
using weir::runtime::testing::StageHarness;

namespace {
std::string options(uint16_t port, const std::string& extra = "") {
    return "{listen: \"127.0.0.1:" + std::to_string(port) + "\"" + extra + "}";
}
}  // namespace

TEST(TcpInput, NewlineDelimitedLinesFromManyConnections) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, options(port));
    h.start();
    {
        std::vector<std::unique_ptr<TcpClient>> clients;
        for (int c = 0; c < 20; ++c) clients.push_back(std::make_unique<TcpClient>(port));
        for (int i = 0; i < 50; ++i)
            for (int c = 0; c < 20; ++c)
                clients[static_cast<size_t>(c)]->send("conn " + std::to_string(c) + " line " +
                                                      std::to_string(i) + "\r\n");
        ASSERT_EQ(h.wait_for_events(1000), 1000u);
    }
    h.stop();
    const auto got = h.bodies();
    ASSERT_EQ(got.size(), 1000u);
    // Per connection, lines keep their order.
    for (int c = 0; c < 20; ++c) {
        int next = 0;
        const std::string prefix = "conn " + std::to_string(c) + " line ";
        for (const auto& line : got) {
            if (line.rfind(prefix, 0) == 0) {
                EXPECT_EQ(line, prefix + std::to_string(next++));
            }
        }
        EXPECT_EQ(next, 50);
    }
}

TEST(TcpInput, NulDelimitedAndLongLinesCut) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, options(port, ", delimiter: nul, max_line_size: 8"));
    h.start();
    {
        TcpClient c(port);
        c.send(std::string("one\0two has a\nnewline\0three\0", 28));
        ASSERT_EQ(h.wait_for_events(3), 3u);
    }
    h.stop();
    EXPECT_EQ(h.bodies(), (std::vector<std::string>{"one", "two has ", "three"}));
    EXPECT_EQ(h.metrics().errors.get("truncated"), 1u);
}

TEST(TcpInput, ALargeStreamLosesNothing) {
    // 200,000 lines in one send: many reads, many batches, lines cut at every
    // read boundary.
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, options(port));
    h.start();
    const int n = 200000;
    {
        TcpClient c(port);
        std::string chunk;
        for (int i = 0; i < n; ++i) chunk += "event number " + std::to_string(i) + "\n";
        c.send(chunk);
        ASSERT_EQ(h.wait_for_events(static_cast<size_t>(n), std::chrono::seconds(60)),
                  static_cast<size_t>(n));
    }
    h.stop();
    const auto got = h.bodies();
    for (int i = 0; i < n; i += 9973)
        EXPECT_EQ(got[static_cast<size_t>(i)], "event number " + std::to_string(i));
}
