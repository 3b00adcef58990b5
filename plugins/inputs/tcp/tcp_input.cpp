// tcp: one event per line (newline or NUL delimited) received over TCP,
// optionally over TLS. JSON lines go through `parser: json`.
#include "../../net/socket_input.hpp"
#include "../line_splitter.hpp"

#include <weir/sdk.hpp>

namespace {

using namespace weir::net;

char read_delimiter(const weir::Options& opts) {
    const std::string_view d = opts.str("delimiter");
    if (d == "newline") return '\n';
    if (d == "nul") return '\0';
    throw weir::ConfigError("delimiter must be 'newline' or 'nul', found '" + std::string(d) + "'");
}

class TcpInput final : public weir::Input {
public:
    TcpInput(weir::Context& ctx, const weir::Options& opts)
        : weir::Input(ctx),
          delimiter_(read_delimiter(opts)),
          max_line_(static_cast<size_t>(opts.size("max_line_size"))),
          source_key_(opts.str("source_address_key")) {
        if (max_line_ == 0) throw weir::ConfigError("max_line_size must be at least 1 byte");
        server_ = std::make_unique<StreamServer>(ctx_, read_stream_options(opts, "tcp"), [this](const Peer& peer) {
            return std::make_unique<FramedConnection<weir::inputs::LineSplitter>>(
                ctx_, peer, source_key_, weir::inputs::LineSplitter(max_line_, delimiter_));
        });
    }

    void run() override { server_->run(); }
    void stop() override { server_->stop(); }

private:
    char delimiter_;
    size_t max_line_;
    std::string source_key_;
    std::unique_ptr<StreamServer> server_;
};

const weir_option_def tcp_options[] = {
    weir::option::required_string("listen", "Address and port to listen on, like 0.0.0.0:5170 or [::1]:5170."),
    weir::option::string("delimiter", "newline", "What ends an event: newline (a \\r before it is dropped) or nul."),
    weir::option::size("max_line_size", "1MiB", "Longer lines are cut to this size and flagged as truncated."),
    options::source_address_key,
    options::max_connections,
    options::read_timeout,
    options::read_buffer_size,
    options::tls,
    options::tls_cert_file,
    options::tls_key_file,
    options::tls_ca_file,
    options::tls_verify_client,
};

}  // namespace

WEIR_PLUGIN(TcpInput, WEIR_KIND_INPUT, "tcp", "0.1.0", "Receives newline- or NUL-delimited events over TCP or TLS.",
            tcp_options)
