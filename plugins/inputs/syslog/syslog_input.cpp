// syslog: receives syslog messages over UDP (one per datagram, RFC 5426) or
// TCP (RFC 6587 octet counting or newline framing, detected per message),
// optionally over TLS (RFC 5425). Pair it with `parser: syslog`.
#include <weir/sdk.hpp>

#include "../../net/socket_input.hpp"
#include "../../net/syslog_framer.hpp"

namespace {

using namespace weir::net;

class SyslogInput final : public weir::Input {
public:
    SyslogInput(weir::Context& ctx, const weir::Options& opts)
        : weir::Input(ctx),
          max_message_(static_cast<size_t>(opts.size("max_message_size"))),
          source_key_(opts.str("source_address_key")) {
        const std::string_view mode = opts.str("mode");  // udp or tcp (the option table)
        if (mode == "tcp") {
            auto config = read_stream_options(opts, "tcp");
            stream_ = std::make_unique<StreamServer>(ctx_, std::move(config), [this](const Peer& peer) {
                return std::make_unique<FramedConnection<SyslogFramer>>(ctx_, peer, source_key_,
                                                                        SyslogFramer(max_message_));
            });
        } else {
            if (opts.boolean("tls")) throw weir::ConfigError("tls needs mode: tcp");
            DatagramServerConfig config;
            config.listen = parse_endpoint(opts.str("listen"), "listen");
            config.receive_buffer = static_cast<size_t>(opts.size("receive_buffer_size"));
            writer_ = std::make_unique<BatchWriter>(ctx_, "udp", source_key_, false);
            datagram_ = std::make_unique<DatagramServer>(
                ctx_, std::move(config),
                [this](std::string_view d, const Peer& peer) { on_datagram(d, peer); },
                [this] { on_pause(); });
        }
    }

    void run() override {
        if (stream_) stream_->run();
        if (datagram_) datagram_->run();
        if (writer_ && !writer_->try_flush()) writer_->flush();
    }

    void stop() override {
        if (stream_) stream_->stop();
        if (datagram_) datagram_->stop();
    }

private:
    void on_datagram(std::string_view d, const Peer& peer) {
        while (!d.empty() && (d.back() == '\n' || d.back() == '\r' || d.back() == '\0')) d.remove_suffix(1);
        if (d.empty()) return;
        writer_->set_source(peer.address);
        const bool cut = d.size() > max_message_;
        writer_->add(cut ? d.substr(0, max_message_) : d, wall_ns(), cut);
    }

    void on_pause() {
        writer_->try_flush();
    }  // if the pipeline is full, keep filling; a full batch is dropped

    size_t max_message_;
    std::string source_key_;
    std::unique_ptr<StreamServer> stream_;
    std::unique_ptr<DatagramServer> datagram_;
    std::unique_ptr<BatchWriter> writer_;
};

const weir::Option syslog_options[] = {
    weir::option::required_string("listen", "Address and port to listen on, like 0.0.0.0:514 or [::1]:5140."),
    weir::option::string("mode", "udp", "Transport: udp or tcp.").one_of("udp|tcp"),
    weir::option::size("max_message_size", "64KiB",
                       "Longer messages are cut to this size and flagged as truncated.")
        .at_least("1B"),
    options::source_address_key,
    options::max_connections,
    options::read_timeout,
    options::read_buffer_size,
    options::receive_buffer_size,
    options::tls,
    options::tls_cert_file,
    options::tls_key_file,
    options::tls_ca_file,
    options::tls_verify_client,
};

}  // namespace

WEIR_PLUGIN(SyslogInput, WEIR_KIND_INPUT, "syslog", "0.1.0",
            "Receives syslog messages over UDP, TCP (octet counting or newline framing) or TLS.",
            syslog_options)
