// udp: events received in UDP datagrams; a datagram may hold several
// newline- (or NUL-) delimited events. When the pipeline is full the input
// does not wait: it keeps filling one batch and drops it (counted,
// reason queue_full) if it is still full when that batch is.
#include <cstring>
#include <weir/sdk.hpp>

#include "../../net/socket_input.hpp"

namespace {

using namespace weir::net;

class UdpInput final : public weir::Input {
public:
    UdpInput(weir::Context& ctx, const weir::Options& opts)
        : weir::Input(ctx),
          max_line_(static_cast<size_t>(opts.size("max_line_size"))),
          writer_(ctx_, "udp", std::string(opts.str("source_address_key")), false) {
        delimiter_ = opts.str("delimiter") == "nul" ? '\0' : '\n';  // the table allows newline and nul
        DatagramServerConfig config;
        config.listen = parse_endpoint(opts.str("listen"), "listen");
        config.receive_buffer = static_cast<size_t>(opts.size("receive_buffer_size"));
        server_ = std::make_unique<DatagramServer>(
            ctx_, std::move(config),
            [this](std::string_view data, const Peer& peer) { on_datagram(data, peer); },
            [this] { writer_.try_flush(); });
    }

    void run() override {
        server_->run();
        if (!writer_.try_flush()) writer_.flush();
    }
    void stop() override { server_->stop(); }

private:
    void on_datagram(std::string_view d, const Peer& peer) {
        writer_.set_source(peer.address);
        const int64_t t = wall_ns();
        while (!d.empty()) {
            const void* end = std::memchr(d.data(), delimiter_, d.size());
            const size_t len = end ? static_cast<size_t>(static_cast<const char*>(end) - d.data()) : d.size();
            std::string_view line = d.substr(0, len);
            d.remove_prefix(end ? len + 1 : len);
            if (delimiter_ == '\n' && !line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.empty()) continue;
            const bool cut = line.size() > max_line_;
            writer_.add(cut ? line.substr(0, max_line_) : line, t, cut);
        }
    }

    char delimiter_ = '\n';
    size_t max_line_;
    BatchWriter writer_;
    std::unique_ptr<DatagramServer> server_;
};

const weir::Option udp_options[] = {
    weir::option::required_string("listen",
                                  "Address and port to listen on, like 0.0.0.0:5170 or [::1]:5170."),
    weir::option::string("delimiter", "newline", "What separates events inside a datagram: newline or nul.")
        .one_of("newline|nul"),
    weir::option::size("max_line_size", "64KiB",
                       "Longer events are cut to this size and flagged as truncated.")
        .at_least("1B"),
    options::source_address_key,
    options::receive_buffer_size,
};

}  // namespace

WEIR_PLUGIN(UdpInput, WEIR_KIND_INPUT, "udp", "0.1.0",
            "Receives events in UDP datagrams, one or more per datagram.", udp_options)
