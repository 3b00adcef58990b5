// The applog parser's work on one event, shared by the applog and auto parsers.
#pragma once

#include <string_view>
#include <weir/level.hpp>
#include <weir/sdk.hpp>

#include "applog_scan.hpp"

namespace weir::applog {

class Engine {
public:
    /// `zone`: for zone-less timestamps; a named zone's rules must outlive the engine.
    Engine(const weir_host_api* h, weir::time::LocalZone zone, bool require_level)
        : h_(h), zone_(zone), require_level_(require_level) {}

    /// Parses the body of event i. Returns nullptr on success, else the
    /// reason; on failure the event is untouched.
    const char* parse(weir_batch* b, size_t i) {
        const weir_str body = h_->event_body(b, i);
        const char* why = scan({body.data, body.size}, h_->event_time(b, i), zone_, r_);
        if (!why && require_level_ && r_.level == weir::level::Level::Unknown) why = "no level";
        if (!why) emit(b, i);
        return why;
    }

private:
    void emit(weir_batch* b, size_t i) {
        // Keys are literals and values point into the body: both live long enough.
        constexpr uint32_t kFlags = WEIR_ADD_BORROW | WEIR_PUT_APPEND;
        weir::Object root(h_, b, h_->event_fields(b, i));
        if (r_.time) h_->event_set_time(b, i, *r_.time);
        if (r_.level != weir::level::Level::Unknown) root.set("level", weir::level::name(r_.level), kFlags);
        if (!r_.logger.empty()) root.set("logger", r_.logger, kFlags);
        if (!r_.thread.empty()) root.set("thread", r_.thread, kFlags);
        if (!r_.caller.empty()) root.set("caller", r_.caller, kFlags);
        if (!r_.module.empty()) root.set("module", r_.module, kFlags);
        if (r_.pid >= 0) root.set_int("pid", r_.pid, kFlags);
        if (r_.tid >= 0) root.set_int("tid", r_.tid, kFlags);
        if (r_.connection >= 0) root.set_int("connection", r_.connection, kFlags);
        if (r_.event_id >= 0) root.set_int("event_id", r_.event_id, kFlags);
        if (r_.elapsed_ms >= 0) root.set_int("elapsed_ms", r_.elapsed_ms, kFlags);
        // Names of extras are literals or point into the body; a line may repeat one: looked up.
        for (size_t k = 0; k < r_.extra_count; ++k)
            root.set(r_.extras[k].name, r_.extras[k].value, WEIR_ADD_BORROW);
        h_->event_set_body(b, i, r_.msg.data(), r_.msg.size(), WEIR_ADD_BORROW);
    }

    const weir_host_api* h_;
    weir::time::LocalZone zone_;
    bool require_level_;
    Record r_;
};

}  // namespace weir::applog
