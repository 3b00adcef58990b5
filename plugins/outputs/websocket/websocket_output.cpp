// websocket: pushes a pipeline's events to live viewers over WebSocket (and
// SSE or NDJSON), through the daemon's live channels: the same filters,
// buffers, drop notices and token checks as the store's live tail. Viewing
// is best effort: a write is acknowledged at once, and what a slow viewer
// cannot take is dropped for that viewer only and reported to it.
#include <string>
#include <weir/sdk.hpp>

namespace {

bool channel_name_ok(std::string_view s) {
    if (s.empty() || s.size() > 128) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.'))
            return false;
    return true;
}

class WebSocketOutput final : public weir::Output {
public:
    WebSocketOutput(weir::Context& ctx, const weir::Options& opts) : weir::Output(ctx) {
        const weir_host_api* h = ctx.host();
        if (!WEIR_HOST_HAS(h, live_close) || !h->live_open)
            throw weir::ConfigError("this weir has no live channels (host too old)");
        std::string channel(opts.str("channel"));
        if (channel.empty()) channel = std::string(ctx.instance_name());
        if (!channel_name_ok(channel))
            throw weir::ConfigError("channel '" + channel +
                                    "' must be 1 to 128 letters, digits, '_', '-' or '.' (it is a URL path)");
        const std::string listen(opts.str("listen"));
        const std::string cert(opts.str("tls_cert_file")), key(opts.str("tls_key_file"));
        if (cert.empty() != key.empty())
            throw weir::ConfigError("tls_cert_file and tls_key_file go together");
        if (!cert.empty() && listen.empty())
            throw weir::ConfigError("tls_cert_file needs listen (the API server has its own TLS settings)");

        weir_live_options o{};
        o.struct_size = sizeof o;
        o.channel = channel.c_str();
        o.buffer_events = static_cast<uint64_t>(opts.integer("buffer_events"));
        o.max_subscribers = static_cast<uint64_t>(opts.integer("max_subscribers"));
        o.max_per_token = static_cast<uint64_t>(opts.integer("max_per_token"));
        o.max_events_per_second = opts.real("max_events_per_second");
        o.listen = listen.c_str();
        o.tls_cert_file = cert.c_str();
        o.tls_key_file = key.c_str();
        char err[512] = {0};
        live_ = h->live_open(ctx.raw(), &o, err, sizeof err);
        if (!live_) throw weir::ConfigError(err[0] ? err : "cannot open the live channel");
    }
    ~WebSocketOutput() override { ctx_.host()->live_close(live_); }

    weir::WriteResult write(weir::Batch& batch, uint64_t) override {
        if (batch.size() > 0) ctx_.host()->live_publish(live_, batch.raw());
        return weir::WriteResult::Ok;
    }

private:
    weir_live* live_ = nullptr;
};

const weir::Option websocket_options[] = {
    weir::option::string("channel", "", "Channel name: served at /api/v1/live/<channel> on the API server.")
        .empty_means("the output's name"),
    weir::option::string("listen", "",
                         "Also serve the channel on a listener of its own, like 127.0.0.1:9300 (at / and at "
                         "/api/v1/live/<channel>), with the API's tokens.")
        .empty_means("the API server only"),
    weir::option::string("tls_cert_file", "",
                         "PEM certificate (and chain) that makes `listen` serve TLS (wss://)."),
    weir::option::string("tls_key_file", "", "PEM private key of tls_cert_file."),
    weir::option::integer("buffer_events", "1000",
                          "Events buffered per viewer; when full the oldest are dropped and reported.")
        .between("1", "1000000"),
    weir::option::integer("max_subscribers", "1000", "Viewers of the channel at once (0: no bound).")
        .at_least("0"),
    weir::option::integer("max_per_token", "100", "Viewers per API token (0: no bound).").at_least("0"),
    weir::option::real("max_events_per_second", "0",
                       "Events per second sent to each viewer, the rest dropped and reported (0: no bound).")
        .at_least("0"),
};

}  // namespace

WEIR_PLUGIN(
    WebSocketOutput, WEIR_KIND_OUTPUT, "websocket", "0.1.0",
    "Pushes events to live viewers over WebSocket, SSE or NDJSON (best effort: acknowledged at once).",
    websocket_options)
