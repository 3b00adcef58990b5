// The weir_host_api table: the only door through which plugins reach the host.
// No exception may leave these functions.
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <weir/condition/condition.hpp>
#include <weir/config/options.hpp>
#include <weir/event/batch.hpp>

#include "host_context.hpp"
#include "live_host.hpp"
#include "store_host.hpp"

struct weir_condition {};

namespace weir::runtime {
namespace {

using event::Batch;
using event::from_c;

HostContext* hc(weir_ctx* c) { return static_cast<HostContext*>(c); }
const config::OptionSet* opts(const weir_options* o) { return static_cast<const config::OptionSet*>(o); }
weir_str str(std::string_view s) { return weir_str{s.data(), s.size()}; }

void h_log(weir_ctx* c, int32_t level, const char* msg, size_t len) noexcept {
    try {
        HostContext* ctx = hc(c);
        if (level < WEIR_LOG_ERROR) level = WEIR_LOG_ERROR;
        if (level > WEIR_LOG_DEBUG) level = WEIR_LOG_DEBUG;
        const auto lv = static_cast<LogLevel>(level);
        if (static_cast<int>(lv) > static_cast<int>(Log::level())) return;
        uint64_t suppressed = 0;
        if (!ctx->limiter.allow(suppressed)) return;
        std::string text = mask_secrets(std::string(msg ? msg : "", msg ? len : 0), ctx->secrets);
        if (suppressed) text += " (" + std::to_string(suppressed) + " earlier lines suppressed)";
        Log::write(lv, ctx->component, text);
    } catch (...) {
    }
}

void h_count(weir_ctx* c, int32_t counter, const char* reason, uint64_t n) noexcept {
    try {
        HostContext* ctx = hc(c);
        const std::string r = (reason && *reason) ? reason : "unspecified";
        switch (counter) {
            case WEIR_COUNT_DROPPED:
                ctx->metrics->dropped.add(r, n);
                break;
            case WEIR_COUNT_ERRORS:
                ctx->metrics->errors.add(r, n);
                break;
            case WEIR_COUNT_OUTCOMES:
                ctx->metrics->outcomes.add(r, n);
                break;
            default:
                break;  // a kind from a newer plugin: not this host's to guess
        }
    } catch (...) {
    }
}

weir_str h_instance_name(weir_ctx* c) noexcept { return str(hc(c)->instance_name); }
weir_str h_pipeline_name(weir_ctx* c) noexcept { return str(hc(c)->pipeline_name); }

weir_str h_state_dir(weir_ctx* c) noexcept {
    HostContext* ctx = hc(c);
    try {
        std::call_once(ctx->state_dir_made, [&] {
            std::error_code ec;
            std::filesystem::create_directories(ctx->state_dir, ec);
            if (ec)
                Log::error(ctx->component,
                           "cannot create state directory " + ctx->state_dir + ": " + ec.message());
        });
    } catch (...) {
    }
    return str(ctx->state_dir);
}

/// Looks an option up for the plugin, noting a read of one its table does not declare.
const config::OptionValue* lookup(const weir_options* o, const char* name) noexcept {
    if (!o || !name) return nullptr;
    try {
        opts(o)->note_read(name);
    } catch (...) {
    }
    return opts(o)->find(name);
}

int32_t h_opt_is_set(const weir_options* o, const char* name) noexcept {
    const auto* v = lookup(o, name);
    return v && v->set ? 1 : 0;
}
weir_str h_opt_string(const weir_options* o, const char* name) noexcept {
    const auto* v = lookup(o, name);
    return v && v->set ? str(v->text) : weir_str{"", 0};
}
int64_t h_opt_int(const weir_options* o, const char* name) noexcept {
    const auto* v = lookup(o, name);
    return v && v->set ? v->i : 0;
}
double h_opt_float(const weir_options* o, const char* name) noexcept {
    const auto* v = lookup(o, name);
    return v && v->set ? v->f : 0.0;
}
size_t h_opt_list_size(const weir_options* o, const char* name) noexcept {
    const auto* v = lookup(o, name);
    return v && v->set ? v->list.size() : 0;
}
weir_str h_opt_list_item(const weir_options* o, const char* name, size_t i) noexcept {
    const auto* v = lookup(o, name);
    return v && v->set && i < v->list.size() ? str(v->list[i]) : weir_str{"", 0};
}

weir_batch* h_batch_new(weir_ctx* c) noexcept { return pipeline_batch_new(hc(c)); }
void h_batch_free(weir_batch* b) noexcept {
    if (!b) return;
    auto* ctx = static_cast<HostContext*>(from_c(b)->origin);
    pipeline_batch_free(ctx, b);
}
int32_t h_batch_full(weir_ctx* c, const weir_batch* b) noexcept { return pipeline_batch_full(hc(c), b); }
int32_t h_emit(weir_ctx* c, weir_batch* b, uint64_t cookie, int32_t nonblock) noexcept {
    return pipeline_emit(hc(c), b, cookie, nonblock != 0);
}
int32_t h_should_stop(weir_ctx* c) noexcept { return pipeline_should_stop(hc(c)) ? 1 : 0; }
void h_ack(weir_ctx* c, uint64_t token, int32_t status) noexcept {
    pipeline_output_ack(hc(c), token, status);
}
void h_refuse(weir_ctx* c, uint64_t token, const char* reason) noexcept {
    try {
        pipeline_output_refuse(hc(c), token, reason && *reason ? reason : "refused");
    } catch (...) {
    }
}

size_t h_batch_size(const weir_batch* b) noexcept { return from_c(b)->size(); }
size_t h_batch_bytes(const weir_batch* b) noexcept { return from_c(b)->bytes(); }
char* h_batch_alloc(weir_batch* b, size_t n) noexcept { return from_c(b)->arena().allocate(n ? n : 1); }
size_t h_event_add(weir_batch* b, const char* body, size_t len, int64_t t, uint32_t flags) noexcept {
    const uint32_t event_flags = flags & WEIR_EVENT_TRUNCATED;
    return from_c(b)->add({body ? body : "", body ? len : 0}, t, event_flags, (flags & WEIR_ADD_BORROW) != 0);
}
weir_str h_event_body(const weir_batch* b, size_t i) noexcept { return from_c(b)->event(i).body; }
void h_event_set_body(weir_batch* b, size_t i, const char* body, size_t len, uint32_t flags) noexcept {
    from_c(b)->set_body(i, {body ? body : "", body ? len : 0}, (flags & WEIR_ADD_BORROW) != 0);
}
int64_t h_event_time(const weir_batch* b, size_t i) noexcept { return from_c(b)->event(i).time_ns; }
void h_event_set_time(weir_batch* b, size_t i, int64_t t) noexcept { from_c(b)->event(i).time_ns = t; }
uint32_t h_event_flags(const weir_batch* b, size_t i) noexcept { return from_c(b)->event(i).flags; }
void h_event_set_flags(weir_batch* b, size_t i, uint32_t f) noexcept { from_c(b)->event(i).flags = f; }
weir_node h_event_fields(weir_batch* b, size_t i) noexcept { return from_c(b)->event(i).root; }

weir_node h_put(weir_batch* b, weir_node parent, const char* key, size_t key_len, const weir_value* v,
                uint32_t flags) noexcept {
    if (!v) return 0;
    try {
        return from_c(b)->put(parent, {key ? key : "", key ? key_len : 0}, *v, flags);
    } catch (...) {
        return 0;  // out of memory: the field is lost, the event is not
    }
}
int32_t h_get(const weir_batch* b, weir_node parent, const char* key, size_t key_len,
              weir_value* out) noexcept {
    return from_c(b)->get(parent, {key ? key : "", key ? key_len : 0}, out) ? 1 : 0;
}
int32_t h_remove(weir_batch* b, weir_node parent, const char* key, size_t key_len) noexcept {
    return from_c(b)->remove(parent, {key ? key : "", key ? key_len : 0}) ? 1 : 0;
}
weir_entry h_first(const weir_batch* b, weir_node parent) noexcept { return from_c(b)->first(parent); }
weir_entry h_next(const weir_batch* b, weir_entry e) noexcept { return from_c(b)->next(e); }
void h_entry(const weir_batch* b, weir_entry e, weir_str* key, weir_value* value) noexcept {
    const auto& x = from_c(b)->entry(e);
    if (key) *key = x.key;
    if (value) *value = x.value;
}
weir_str h_event_json(const weir_batch* b, size_t i) noexcept {
    try {
        return str(from_c(b)->to_json(i));
    } catch (...) {
        return weir_str{"{}", 2};
    }
}

weir_str h_batch_stream(const weir_batch* b) noexcept { return str(from_c(b)->stream); }
void h_batch_set_stream(weir_batch* b, const char* name, size_t len) noexcept {
    try {
        from_c(b)->stream.assign(name ? name : "", name ? len : 0);
    } catch (...) {
    }
}
int32_t h_batch_flush(const weir_batch* b) noexcept { return from_c(b)->flush; }

// A weir_condition is a condition::Condition (the C type is opaque to plugins).
struct ConditionHandle : weir_condition {
    condition::Condition c;
};

weir_condition* h_condition_compile(const char* text, size_t len, char* err, size_t cap) noexcept {
    try {
        auto h = std::make_unique<ConditionHandle>();
        h->c = condition::Condition::compile(std::string_view(text ? text : "", text ? len : 0));
        return h.release();
    } catch (const std::exception& e) {
        if (err && cap) {
            std::strncpy(err, e.what(), cap - 1);
            err[cap - 1] = '\0';
        }
    } catch (...) {
    }
    return nullptr;
}
int32_t h_condition_matches(const weir_condition* c, const weir_batch* b, size_t i) noexcept {
    const auto* batch = from_c(b);
    if (!c || i >= batch->size()) return 0;
    return static_cast<const ConditionHandle*>(c)->c.matches(*batch, i) ? 1 : 0;
}
size_t h_condition_drop(const weir_condition* c, weir_batch* b, int32_t drop_matching) noexcept {
    if (!c) return 0;
    auto* batch = from_c(b);
    const auto& cond = static_cast<const ConditionHandle*>(c)->c;
    size_t n = 0;
    for (size_t i = 0; i < batch->size(); ++i) {
        auto& ev = batch->event(i);
        if ((ev.flags & WEIR_EVENT_DROPPED) != 0) continue;
        if (cond.matches(*batch, i) == (drop_matching != 0)) {
            ev.flags |= WEIR_EVENT_DROPPED;
            ++n;
        }
    }
    return n;
}
void h_condition_free(weir_condition* c) noexcept { delete static_cast<ConditionHandle*>(c); }

const weir_host_api kHostApi = [] {
    weir_host_api h{};
    h.abi_version = WEIR_ABI_VERSION;
    h.struct_size = sizeof(weir_host_api);
    h.log = h_log;
    h.count = h_count;
    h.instance_name = h_instance_name;
    h.pipeline_name = h_pipeline_name;
    h.state_dir = h_state_dir;
    h.opt_is_set = h_opt_is_set;
    h.opt_string = h_opt_string;
    h.opt_int = h_opt_int;
    h.opt_float = h_opt_float;
    h.opt_list_size = h_opt_list_size;
    h.opt_list_item = h_opt_list_item;
    h.batch_new = h_batch_new;
    h.batch_free = h_batch_free;
    h.batch_full = h_batch_full;
    h.emit = h_emit;
    h.should_stop = h_should_stop;
    h.ack = h_ack;
    h.batch_size = h_batch_size;
    h.batch_bytes = h_batch_bytes;
    h.batch_alloc = h_batch_alloc;
    h.event_add = h_event_add;
    h.event_body = h_event_body;
    h.event_set_body = h_event_set_body;
    h.event_time = h_event_time;
    h.event_set_time = h_event_set_time;
    h.event_flags = h_event_flags;
    h.event_set_flags = h_event_set_flags;
    h.event_fields = h_event_fields;
    h.put = h_put;
    h.get = h_get;
    h.remove = h_remove;
    h.first = h_first;
    h.next = h_next;
    h.entry = h_entry;
    h.event_json = h_event_json;
    h.batch_stream = h_batch_stream;
    h.batch_set_stream = h_batch_set_stream;
    h.batch_flush = h_batch_flush;
    h.condition_compile = h_condition_compile;
    h.condition_matches = h_condition_matches;
    h.condition_drop = h_condition_drop;
    h.condition_free = h_condition_free;
    h.refuse = h_refuse;
    h.store_write = store_host_write;
    h.live_open = live_host_open;
    h.live_publish = live_host_publish;
    h.live_close = live_host_close;
    return h;
}();

}  // namespace

const weir_host_api* host_api() { return &kHostApi; }

std::string mask_secrets(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        if (secret.empty()) continue;
        for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
            text.replace(at, secret.size(), "***");
    }
    return text;
}

std::string reload_instance(Instance& inst) {
    const weir_plugin_descriptor* d = inst.descriptor;
    if (!d || !inst.self || d->struct_size < offsetof(weir_plugin_descriptor, reload) + sizeof(d->reload) ||
        !d->reload)
        return {};
    char err[512] = {};
    if (d->reload(inst.self, err, sizeof err) == WEIR_OK) return {};
    std::string why = err[0] ? err : "reload failed";
    Log::error(inst.ctx->component, "reload failed, keeping what was loaded before: " + why);
    inst.ctx->metrics->errors.add("reload_failed", 1);
    return inst.ctx->component + ": " + why;
}

}  // namespace weir::runtime
