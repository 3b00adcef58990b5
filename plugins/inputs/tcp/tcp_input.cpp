// tcp: one event per line (newline or NUL delimited) received over TCP,
// optionally over TLS. JSON lines go through `parser: json`.
#include <weir/sdk.hpp>

#include "../../net/socket_input.hpp"
#include "../line_splitter.hpp"

namespace {

using namespace weir::net;

/// newline or nul (the option table allows only those).
char read_delimiter(const weir::Options& opts) { return opts.str("delimiter") == "nul" ? '\0' : '\n'; }

class TcpInput final : public weir::Input {
public:
    TcpInput(weir::Context& ctx, const weir::Options& opts)
        : weir::Input(ctx),
          delimiter_(read_delimiter(opts)),
          max_line_(static_cast<size_t>(opts.size("max_line_size"))),
          source_key_(opts.str("source_address_key")) {
        server_ =
            std::make_unique<StreamServer>(ctx_, read_stream_options(opts, "tcp"), [this](const Peer& peer) {
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

const weir::Option tcp_options[] = {
    weir::option::required_string("listen",
                                  "Address and port to listen on, like 0.0.0.0:5170 or [::1]:5170."),
    weir::option::string("delimiter", "newline",
                         "What ends an event: newline (a \\r before it is dropped) or nul.")
        .one_of("newline|nul"),
    weir::option::size("max_line_size", "1MiB", "Longer lines are cut to this size and flagged as truncated.")
        .at_least("1B"),
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

WEIR_PLUGIN(TcpInput, WEIR_KIND_INPUT, "tcp", "0.1.0",
            "Receives newline- or NUL-delimited events over TCP or TLS.", tcp_options)
