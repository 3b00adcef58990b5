// applog: "2026-01-19 10:30:00,123 ERROR [main] com.example.App - message" and its
// relatives (log4j, logback, Python logging, Go, Ruby/Rails, glog, Spring Boot, zap).
#include "applog_scan.hpp"

#include <weir/sdk.hpp>

#include <string>

namespace {

class ApplogParser final : public weir::Parser {
public:
    ApplogParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx), h_(ctx.host()), require_level_(opts.boolean("require_level")) {
        const auto tz = weir::time::parse_timezone(opts.str("timezone"));
        if (!tz)
            throw weir::ConfigError("timezone must be UTC or an offset like +02:00, found '" +
                                    std::string(opts.str("timezone")) + "'");
        offset_s_ = *tz;
    }

    void process(weir::Batch& batch) override {
        weir_batch* b = batch.raw();
        size_t errors = 0;
        weir::applog::Record r;
        for (size_t i = 0, n = batch.size(); i < n; ++i) {
            const weir_str body = h_->event_body(b, i);
            const std::string_view line(body.data, body.size);
            const char* why = weir::applog::scan(line, h_->event_time(b, i), offset_s_, r);
            if (!why && require_level_ && r.level == weir::level::Level::Unknown) why = "no level";
            const weir_node root = h_->event_fields(b, i);
            if (why) {
                h_->event_set_flags(b, i, h_->event_flags(b, i) | WEIR_EVENT_PARSE_ERROR);
                put(b, root, "_parse_error", why);
                ++errors;
                continue;
            }
            emit(h_, b, i, root, r);
        }
        if (errors) ctx_.count_error("parse_error", errors);
    }

    /// Fields of a scanned record; shared with the auto parser.
    static void emit(const weir_host_api* h, weir_batch* b, size_t i, weir_node root, const weir::applog::Record& r) {
        if (r.time) h->event_set_time(b, i, *r.time);
        if (r.level != weir::level::Level::Unknown) put(h, b, root, "level", weir::level::name(r.level));
        if (!r.logger.empty()) put(h, b, root, "logger", r.logger);
        if (!r.thread.empty()) put(h, b, root, "thread", r.thread);
        if (!r.caller.empty()) put(h, b, root, "caller", r.caller);
        if (r.pid >= 0) {
            weir_value v{};
            v.type = WEIR_VAL_INT;
            v.as.i = r.pid;
            h->put(b, root, "pid", 3, &v, WEIR_ADD_BORROW | WEIR_PUT_APPEND);
        }
        h->event_set_body(b, i, r.msg.data(), r.msg.size(), WEIR_ADD_BORROW);
    }

private:
    static void put(const weir_host_api* h, weir_batch* b, weir_node root, std::string_view key, std::string_view v) {
        weir_value val{};
        val.type = WEIR_VAL_STRING;
        val.as.s = weir_str{v.data(), v.size()};
        h->put(b, root, key.data(), key.size(), &val, WEIR_ADD_BORROW | WEIR_PUT_APPEND);
    }
    void put(weir_batch* b, weir_node root, std::string_view key, std::string_view v) { put(h_, b, root, key, v); }

    const weir_host_api* h_;
    bool require_level_;
    int64_t offset_s_ = 0;
};

const weir_option_def applog_options[] = {
    weir::option::string("timezone", "UTC", "Offset for timestamps without a zone (UTC, or like +02:00)."),
    weir::option::boolean("require_level", "false",
                          "A line without a recognisable level is a parse error (else level is absent)."),
};

}  // namespace

WEIR_PLUGIN(ApplogParser, WEIR_KIND_PARSER, "applog", "0.1.0",
            "Parses application log lines: log4j/logback, Python logging, Go, Ruby/Rails, glog, Spring Boot.",
            applog_options)
