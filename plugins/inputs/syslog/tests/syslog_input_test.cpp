#include <gtest/gtest.h>

#include <string>
#include <vector>
#include <weir/runtime/testing.hpp>

#include "socket_client.hpp"

using weir::net::testing::free_port;
using weir::net::testing::send_udp;
using weir::net::testing::TcpClient;
using weir::runtime::testing::StageHarness;

namespace {

std::string tcp_options(uint16_t port, const std::string& extra = "") {
    return "{mode: tcp, listen: \"127.0.0.1:" + std::to_string(port) + "\"" + extra + "}";
}

std::string octet(const std::string& msg) { return std::to_string(msg.size()) + " " + msg; }

}  // namespace

TEST(SyslogInput, TcpOctetCountedAndNewlineFramedOnOneConnectionEach) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, tcp_options(port));
    h.start();
    {
        TcpClient a(port);
        a.send(octet("<34>1 2026-11-29T10:00:00Z h app - - - first") +
               octet("<34>1 - h app - - - with\nnewline"));
        TcpClient b(port);
        b.send("<13>Nov 29 10:00:00 h app: newline framed\n<13>Nov 29 10:00:01 h app: second\n");
        ASSERT_EQ(h.wait_for_events(4), 4u);
    }
    h.stop();
    auto got = h.bodies();
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{
                       "<13>Nov 29 10:00:00 h app: newline framed", "<13>Nov 29 10:00:01 h app: second",
                       "<34>1 - h app - - - with\nnewline", "<34>1 2026-11-29T10:00:00Z h app - - - first"}));
}

TEST(SyslogInput, MessagesSplitAcrossSegments) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, tcp_options(port));
    h.start();
    const std::string msg = "<34>1 2026-11-29T10:00:00Z host app - - - split across segments";
    const std::string framed = octet(msg) + octet(msg);
    {
        TcpClient c(port);
        // One byte per send (TCP_NODELAY): frames, lengths and bodies all cut.
        for (char ch : framed) c.send(std::string_view(&ch, 1));
        ASSERT_EQ(h.wait_for_events(2), 2u);
    }
    h.stop();
    EXPECT_EQ(h.bodies(), (std::vector<std::string>{msg, msg}));
}

TEST(SyslogInput, OversizedFramesAreCutCountedAndTheStreamGoesOn) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, tcp_options(port, ", max_message_size: 64"));
    h.start();
    {
        TcpClient c(port);
        c.send(octet("<13>" + std::string(5000, 'x')) + octet("<13>small") + "<13>" + std::string(300, 'y') +
               "\n<13>after\n");
        ASSERT_EQ(h.wait_for_events(4), 4u);
    }
    h.stop();
    const auto got = h.bodies();
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], "<13>" + std::string(60, 'x'));
    EXPECT_EQ(got[1], "<13>small");
    EXPECT_EQ(got[2].size(), 64u);
    EXPECT_EQ(got[3], "<13>after");
    EXPECT_EQ(h.metrics().errors.get("truncated"), 2u);
}

TEST(SyslogInput, SourceAddressIsRecorded) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, tcp_options(port, ", source_address_key: peer"));
    h.start();
    {
        TcpClient c(port);
        c.send("<13>hello\n");
        ASSERT_EQ(h.wait_for_events(1), 1u);
    }
    h.stop();
    EXPECT_NE(h.events_json()[0].find(R"("peer":"127.0.0.1")"), std::string::npos) << h.events_json()[0];
}

TEST(SyslogInput, UnfinishedMessageIsHandedOnWhenThePeerCloses) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, tcp_options(port));
    h.start();
    {
        TcpClient c(port);
        c.send("<13>no newline at the end");
    }
    ASSERT_EQ(h.wait_for_events(1), 1u);
    h.stop();
    EXPECT_EQ(h.bodies(), (std::vector<std::string>{"<13>no newline at the end"}));
}

TEST(SyslogInput, IdleConnectionsAreClosedAfterTheReadTimeout) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, tcp_options(port, ", read_timeout: 200ms"));
    h.start();
    TcpClient c(port);
    c.send("<13>partial");
    EXPECT_TRUE(c.wait_closed(10));
    ASSERT_EQ(h.wait_for_events(1), 1u);  // what it had sent is kept
    h.stop();
    EXPECT_EQ(h.metrics().errors.get("read_timeout"), 1u);
}

TEST(SyslogInput, ConnectionsBeyondTheLimitAreRefused) {
    const uint16_t port = free_port();
    StageHarness h(WEIR_TEST_PLUGIN, tcp_options(port, ", max_connections: 2"));
    h.start();
    TcpClient a(port), b(port);
    a.send("<13>a\n");
    b.send("<13>b\n");
    ASSERT_EQ(h.wait_for_events(2), 2u);  // both are being served
    TcpClient c(port);
    EXPECT_TRUE(c.wait_closed(10));
    h.stop();
    EXPECT_EQ(h.metrics().errors.get("connection_limit"), 1u);
}

TEST(SyslogInput, Udp) {
    const uint16_t port = free_port(SOCK_DGRAM);
    StageHarness h(WEIR_TEST_PLUGIN, "{mode: udp, listen: \"127.0.0.1:" + std::to_string(port) + "\"}");
    h.start();
    // Datagrams sent before the socket is bound are lost: probe until one arrives.
    size_t seen = 0;
    for (int i = 0; i < 500 && seen == 0; ++i) {
        send_udp(port, "<13>probe\n");
        seen = h.wait_for_events(1, std::chrono::milliseconds(20));
    }
    ASSERT_GE(seen, 1u);
    const size_t before = h.wait_for_events(100000, std::chrono::milliseconds(50));
    for (int i = 0; i < 100; ++i) send_udp(port, "<13>message " + std::to_string(i));
    ASSERT_EQ(h.wait_for_events(before + 100), before + 100);
    h.stop();
    const auto got = h.bodies();
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(std::count(got.begin(), got.end(), "<13>message " + std::to_string(i)), 1) << i;
}

TEST(SyslogInput, BadOptionsAreConfigErrors) {
    auto error_of = [](const std::string& yaml) {
        try {
            StageHarness h(WEIR_TEST_PLUGIN, yaml);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error_of("{listen: \"127.0.0.1\"}").find("address:port"), std::string::npos);
    EXPECT_NE(error_of("{listen: \"nohost:514\"}").find("not an IP address"), std::string::npos);
    EXPECT_NE(error_of("{listen: \":99999\"}").find("not a port"), std::string::npos);
    EXPECT_NE(error_of("{listen: \":514\", mode: sctp}").find("expects udp or tcp, found 'sctp'"),
              std::string::npos);
    EXPECT_NE(error_of("{listen: \":514\", mode: tcp, tls: true}").find("tls_cert_file"), std::string::npos);
    EXPECT_NE(error_of("{listen: \":514\", mode: tcp, tls: true, tls_cert_file: /nonexistent.pem, "
                       "tls_key_file: /nonexistent.key}")
                  .find("/nonexistent.pem"),
              std::string::npos);
}
