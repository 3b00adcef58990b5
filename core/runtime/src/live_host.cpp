// weir_host_api::live_open / live_publish / live_close: `websocket` outputs
// feed live channels (core/tail), which the API serves.
#include "live_host.hpp"

#include <cctype>
#include <cstring>
#include <weir/event/batch.hpp>
#include <weir/tail/channels.hpp>

#include "host_context.hpp"

struct weir_live {
    std::unique_ptr<weir::tail::ChannelHandle> handle;
};

namespace weir::runtime {
namespace {

void put_error(char* err, size_t cap, const std::string& what) {
    if (!err || cap == 0) return;
    const size_t n = std::min(cap - 1, what.size());
    std::memcpy(err, what.data(), n);
    err[n] = '\0';
}

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

}  // namespace

weir_live* live_host_open(weir_ctx* c, const weir_live_options* o, char* err, size_t err_cap) noexcept {
    auto* ctx = static_cast<HostContext*>(c);
    try {
        // The first version of the struct: later ones append members.
        if (!o || o->struct_size < sizeof(weir_live_options) || !o->channel || !*o->channel) {
            put_error(err, err_cap, "live_open: no channel name, or an options struct of unknown size");
            return nullptr;
        }
        tail::ChannelSettings s;
        s.name = o->channel;
        // The name is a URL path segment and a metrics label value.
        for (char ch : s.name) {
            if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.') {
                put_error(err, err_cap, "live_open: a channel name is letters, digits, '_', '-' and '.'");
                return nullptr;
            }
        }
        if (o->buffer_events) s.hub.buffer_events = static_cast<size_t>(o->buffer_events);
        s.hub.max_subscribers = o->max_subscribers ? static_cast<size_t>(o->max_subscribers) : SIZE_MAX;
        s.hub.max_per_token = static_cast<size_t>(o->max_per_token);
        s.hub.max_events_per_second = o->max_events_per_second;
        s.listen = str(o->listen);
        s.tls_cert_file = str(o->tls_cert_file);
        s.tls_key_file = str(o->tls_key_file);
        auto live = std::make_unique<weir_live>();
        live->handle = tail::open_channel(s);
        return live.release();
    } catch (const std::exception& e) {
        put_error(err, err_cap, e.what());
        if (ctx) ctx->metrics->errors.add("live_open_failed", 1);
        return nullptr;
    } catch (...) {
        put_error(err, err_cap, "live_open failed");
        return nullptr;
    }
}

void live_host_publish(weir_live* live, const weir_batch* b) noexcept {
    if (!live || !b) return;
    try {
        live->handle->hub().publish(*event::from_c(b));
    } catch (...) {
        // Live viewing is best effort: an allocation failure loses this batch for
        // the subscribers only (the hub counts what it could not queue).
    }
}

void live_host_close(weir_live* live) noexcept { delete live; }

}  // namespace weir::runtime
