// The pieces the syslog, tcp and udp inputs share: a connection that frames
// bytes into events, and the option entries they all take.
#pragma once

#include <memory>
#include <string>

#include "batch_writer.hpp"
#include "net.hpp"

namespace weir::net {

/// One TCP connection: `Framer` turns bytes into messages (feed / finish with
/// a callback taking (text, truncated, ...)); each message becomes an event.
template <class Framer>
class FramedConnection final : public Connection {
public:
    FramedConnection(weir::Context& ctx, const Peer& peer, const std::string& source_key, Framer framer)
        : writer_(ctx, "conn:" + std::to_string(peer.id), source_key), framer_(std::move(framer)) {
        writer_.set_source(peer.address);
    }

    bool on_data(std::string_view bytes) override {
        const int64_t t = wall_ns();
        framer_.feed(bytes, [&](std::string_view text, bool truncated, auto&&...) {
            writer_.add(text, t, truncated);
        });
        return true;
    }
    void on_pause() override { writer_.flush(); }
    void on_close(bool) override {
        const int64_t t = wall_ns();
        framer_.finish(
            [&](std::string_view text, bool truncated, auto&&...) { writer_.add(text, t, truncated); });
        writer_.flush();
    }

private:
    BatchWriter writer_;
    Framer framer_;
};

/// Reads the listener options every stream input has.
inline StreamServerConfig read_stream_options(const weir::Options& opts, const char* scheme) {
    StreamServerConfig c;
    c.listen = parse_endpoint(opts.str("listen"), "listen");
    // Bounds are the option table's (options:: below).
    c.max_connections = static_cast<size_t>(opts.integer("max_connections"));
    c.idle_timeout = std::chrono::nanoseconds(opts.duration_ns("read_timeout"));
    c.read_buffer = static_cast<size_t>(opts.size("read_buffer_size"));
    c.tls = read_tls_options(opts);
    c.scheme = c.tls.enabled ? "tls" : scheme;
    return c;
}

namespace options {
inline constexpr weir::Option max_connections =
    weir::option::integer("max_connections", "1024",
                          "Connections served at once; more are refused and counted.")
        .at_least("1");
inline constexpr weir::Option read_timeout =
    weir::option::duration("read_timeout", "5m", "A connection that sends nothing for this long is closed.")
        .at_least("1ms");
inline constexpr weir::Option read_buffer_size =
    weir::option::size("read_buffer_size", "256KiB", "Bytes read from a connection at a time.")
        .at_least("4KiB");
inline constexpr weir::Option receive_buffer_size = weir::option::size(
    "receive_buffer_size", "8MiB", "Socket receive buffer asked of the kernel (SO_RCVBUF).");
inline constexpr weir::Option source_address_key =
    weir::option::string("source_address_key", "source_address",
                         "Field that receives the sender's IP address.")
        .empty_means("not recorded");
}  // namespace options

}  // namespace weir::net
