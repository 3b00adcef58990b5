// syslog: RFC 5424 and RFC 3164 messages into fields.
#include "syslog_scan.hpp"

#include <weir/level.hpp>
#include <weir/sdk.hpp>
#include <weir/time.hpp>

#include <string>

namespace {

using weir::syslog::Message;

class SyslogParser final : public weir::Parser {
public:
    SyslogParser(weir::Context& ctx, const weir::Options& opts) : weir::Parser(ctx), h_(ctx.host()) {
        const std::string_view mode = opts.str("mode");
        if (mode == "auto") mode_ = Mode::Auto;
        else if (mode == "rfc5424") mode_ = Mode::Rfc5424;
        else if (mode == "rfc3164") mode_ = Mode::Rfc3164;
        else throw weir::ConfigError("mode must be auto, rfc5424 or rfc3164, found '" + std::string(mode) + "'");
        options_.strict = opts.boolean("strict");
        const std::string_view tz = opts.str("timezone");
        const auto offset = weir::time::parse_timezone(tz);
        if (!offset)
            throw weir::ConfigError("timezone must be UTC or an offset like +02:00, found '" + std::string(tz) + "'");
        options_.offset_s = *offset;
    }

    void process(weir::Batch& batch) override {
        weir_batch* b = batch.raw();
        size_t errors = 0, warnings = 0;
        for (size_t i = 0, n = batch.size(); i < n; ++i) {
            const weir_str body = h_->event_body(b, i);
            const std::string_view line(body.data, body.size);
            weir::syslog::Options o = options_;
            o.now_ns = h_->event_time(b, i);  // arrival time: the reference for the year of "Mmm dd"
            m_.clear();
            const char* why;
            const bool looks_5424 = line.size() > 4 && line[0] == '<' && line.find(">1 ") != std::string_view::npos &&
                                    line.find(">1 ") <= 4;
            if (mode_ == Mode::Rfc5424 || (mode_ == Mode::Auto && looks_5424)) {
                why = weir::syslog::parse_5424(line, o, m_);
                if (why && mode_ == Mode::Auto && !o.strict) {
                    m_.clear();
                    if (!weir::syslog::parse_3164(line, o, m_)) why = nullptr;
                }
            } else {
                why = weir::syslog::parse_3164(line, o, m_);
            }
            const weir_node root = h_->event_fields(b, i);
            if (why) {
                h_->event_set_flags(b, i, h_->event_flags(b, i) | WEIR_EVENT_PARSE_ERROR);
                put_str(b, root, "_parse_error", why);
                ++errors;
                continue;
            }
            emit(b, i, root);
            if (m_.warning) {
                put_str(b, root, "_parse_warning", m_.warning);
                ++warnings;
            }
        }
        if (errors) ctx_.count_error("parse_error", errors);
        if (warnings) ctx_.count_error("parse_warning", warnings);
    }

private:
    enum class Mode { Auto, Rfc5424, Rfc3164 };

    void put_str(weir_batch* b, weir_node parent, std::string_view key, std::string_view v) {
        weir_value val{};
        val.type = WEIR_VAL_STRING;
        val.as.s = weir_str{v.data(), v.size()};
        // Keys are literals and values point into the body: both live long enough.
        h_->put(b, parent, key.data(), key.size(), &val, WEIR_ADD_BORROW | WEIR_PUT_APPEND);
    }
    void put_int(weir_batch* b, weir_node parent, std::string_view key, int64_t v) {
        weir_value val{};
        val.type = WEIR_VAL_INT;
        val.as.i = v;
        h_->put(b, parent, key.data(), key.size(), &val, WEIR_ADD_BORROW | WEIR_PUT_APPEND);
    }

    void emit(weir_batch* b, size_t i, weir_node root) {
        if (m_.pri >= 0) {
            const int facility = m_.pri / 8, severity = m_.pri % 8;
            put_int(b, root, "facility", facility);
            put_str(b, root, "facility_name", weir::syslog::kFacilities[facility]);
            put_int(b, root, "severity", severity);
            put_str(b, root, "severity_name", weir::syslog::kSeverities[severity]);
            put_str(b, root, "level", weir::level::name(weir::level::from_syslog_severity(severity)));
        }
        if (m_.time) h_->event_set_time(b, i, *m_.time);
        if (!m_.hostname.empty()) put_str(b, root, "hostname", m_.hostname);
        if (!m_.app_name.empty()) put_str(b, root, "app_name", m_.app_name);
        if (!m_.procid.empty()) put_str(b, root, "procid", m_.procid);
        if (!m_.msgid.empty()) put_str(b, root, "msgid", m_.msgid);
        if (!m_.sd.empty()) {
            weir_value obj{};
            obj.type = WEIR_VAL_OBJECT;
            const weir_node sd = h_->put(b, root, "structured_data", 15, &obj, WEIR_ADD_BORROW);
            for (const auto& el : m_.sd) {
                const weir_node e = h_->put(b, sd, el.id.data(), el.id.size(), &obj, WEIR_ADD_BORROW);
                for (size_t k = el.first_param; k < el.first_param + el.param_count; ++k) {
                    const auto& p = m_.params[k];
                    weir_value val{};
                    val.type = WEIR_VAL_STRING;
                    std::string_view v = p.escaped ? unescape(b, p.value) : p.value;
                    val.as.s = weir_str{v.data(), v.size()};
                    h_->put(b, e, p.name.data(), p.name.size(), &val, WEIR_ADD_BORROW);
                }
            }
        }
        h_->event_set_body(b, i, m_.msg.data(), m_.msg.size(), WEIR_ADD_BORROW);
    }

    /// RFC 5424 escapes '"', '\' and ']' in parameter values.
    std::string_view unescape(weir_batch* b, std::string_view v) {
        char* out = h_->batch_alloc(b, v.size());
        size_t o = 0;
        for (size_t k = 0; k < v.size(); ++k) {
            if (v[k] == '\\' && k + 1 < v.size() && (v[k + 1] == '"' || v[k + 1] == '\\' || v[k + 1] == ']')) ++k;
            out[o++] = v[k];
        }
        return {out, o};
    }

    const weir_host_api* h_;
    Mode mode_ = Mode::Auto;
    weir::syslog::Options options_;
    Message m_;  // reused: no allocation per event once warm
};

const weir_option_def syslog_options[] = {
    weir::option::string("mode", "auto", "auto (by the line's shape), rfc5424 or rfc3164."),
    weir::option::boolean("strict", "false",
                          "Reject what the RFCs reject; otherwise keep what can be read and say what could not."),
    weir::option::string("timezone", "UTC",
                         "Offset for timestamps without a zone (UTC, or like +02:00 or -0530)."),
};

}  // namespace

WEIR_PLUGIN(SyslogParser, WEIR_KIND_PARSER, "syslog", "0.1.0", "Parses RFC 5424 and RFC 3164 syslog messages.",
            syslog_options)
