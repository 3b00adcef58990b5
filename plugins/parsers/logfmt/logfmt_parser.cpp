// logfmt: key=value pairs (Heroku / Go logfmt) into typed fields.
#include "logfmt_scanner.hpp"

#include <weir/sdk.hpp>
#include <weir/time.hpp>

#include <charconv>
#include <string>

namespace {

class LogfmtParser final : public weir::Parser {
public:
    LogfmtParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx),
          h_(ctx.host()),
          message_key_(opts.str("message_key")),
          time_key_(opts.str("time_key")),
          infer_types_(opts.boolean("infer_types")) {}

    void process(weir::Batch& batch) override {
        weir_batch* b = batch.raw();
        size_t errors = 0, bad_time = 0;
        for (size_t i = 0, n = batch.size(); i < n; ++i) {
            const weir_str body = h_->event_body(b, i);
            const std::string_view line(body.data, body.size);
            // Scan once to validate, so a bad line gets no half set of fields.
            const char* why = weir::logfmt::scan(line, [](const weir::logfmt::Pair&) {});
            if (why) {
                h_->event_set_flags(b, i, h_->event_flags(b, i) | WEIR_EVENT_PARSE_ERROR);
                put_str(b, h_->event_fields(b, i), "_parse_error", why, WEIR_ADD_BORROW);
                ++errors;
                continue;
            }
            const weir_node root = h_->event_fields(b, i);
            weir::logfmt::scan(line, [&](const weir::logfmt::Pair& p) {
                if (p.bare) {
                    weir_value v{};
                    v.type = WEIR_VAL_BOOL;
                    v.as.b = 1;
                    h_->put(b, root, p.key.data(), p.key.size(), &v, WEIR_ADD_BORROW);
                    return;
                }
                std::string_view value = p.escaped ? unescape(b, p.value) : p.value;
                if (p.key == message_key_) {
                    h_->event_set_body(b, i, value.data(), value.size(), WEIR_ADD_BORROW);
                    return;
                }
                if (p.key == time_key_) {
                    auto t = weir::time::parse_iso8601(value);
                    if (!t) t = weir::time::parse_epoch(value);
                    if (t) {
                        h_->event_set_time(b, i, *t);
                        return;
                    }
                    ++bad_time;
                }
                if (infer_types_ && !p.quoted && put_typed(b, root, p.key, value)) return;
                put_str(b, root, p.key, value, WEIR_ADD_BORROW);
            });
        }
        if (errors) ctx_.count_error("parse_error", errors);
        if (bad_time) ctx_.count_error("bad_time", bad_time);
    }

private:
    void put_str(weir_batch* b, weir_node root, std::string_view key, std::string_view v, uint32_t flags) {
        weir_value val{};
        val.type = WEIR_VAL_STRING;
        val.as.s = weir_str{v.data(), v.size()};
        h_->put(b, root, key.data(), key.size(), &val, flags);
    }

    /// Unquoted numbers and booleans become typed values.
    bool put_typed(weir_batch* b, weir_node root, std::string_view key, std::string_view v) {
        if (v.empty()) return false;
        weir_value val{};
        if (v == "true" || v == "false") {
            val.type = WEIR_VAL_BOOL;
            val.as.b = v == "true";
        } else if ((v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v.size() > 1)) {
            const char* end = v.data() + v.size();
            auto [p, ec] = std::from_chars(v.data(), end, val.as.i);
            if (ec == std::errc() && p == end) {
                val.type = WEIR_VAL_INT;
            } else {
                auto [p2, ec2] = std::from_chars(v.data(), end, val.as.f);
                if (ec2 != std::errc() || p2 != end) return false;
                val.type = WEIR_VAL_FLOAT;
            }
        } else {
            return false;
        }
        h_->put(b, root, key.data(), key.size(), &val, WEIR_ADD_BORROW);
        return true;
    }

    /// \" \\ \n \t \r inside quoted values.
    std::string_view unescape(weir_batch* b, std::string_view v) {
        char* out = h_->batch_alloc(b, v.size());
        size_t o = 0;
        for (size_t k = 0; k < v.size(); ++k) {
            if (v[k] == '\\' && k + 1 < v.size()) {
                const char c = v[++k];
                out[o++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            } else {
                out[o++] = v[k];
            }
        }
        return {out, o};
    }

    const weir_host_api* h_;
    std::string message_key_;
    std::string time_key_;
    bool infer_types_;
};

const weir_option_def logfmt_options[] = {
    weir::option::string("message_key", "msg", "The value of this key becomes the event body."),
    weir::option::string("time_key", "time",
                         "The value of this key (RFC 3339 or epoch) becomes the event time."),
    weir::option::boolean("infer_types", "true",
                          "Unquoted integers, floats and true/false become typed values (else all strings)."),
};

}  // namespace

WEIR_PLUGIN(LogfmtParser, WEIR_KIND_PARSER, "logfmt", "0.1.0", "Parses logfmt key=value lines into fields.",
            logfmt_options)
