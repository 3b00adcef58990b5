// syslog: RFC 5424 and RFC 3164 messages into fields.
#include <string>
#include <weir/sdk.hpp>
#include <weir/time.hpp>
#include <weir/zone.hpp>

#include "syslog_engine.hpp"

namespace {

weir::syslog::Mode mode_option(std::string_view mode) {
    if (mode == "auto") return weir::syslog::Mode::Auto;
    if (mode == "rfc5424") return weir::syslog::Mode::Rfc5424;
    return weir::syslog::Mode::Rfc3164;  // the host has checked it against the table
}

weir::syslog::Options scan_options(const weir::Options& opts, const weir::time::Zone& zone) {
    weir::syslog::Options o;
    o.strict = opts.boolean("strict");
    o.zone = zone;
    return o;
}

class SyslogParser final : public weir::Parser {
public:
    SyslogParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx),
          zone_(opts.timezone("timezone")),
          engine_(ctx.host(), mode_option(opts.str("mode")), scan_options(opts, zone_)) {}

    void process(weir::Batch& batch) override {
        size_t errors = 0, warnings = 0;
        for (size_t i = 0, n = batch.size(); i < n; ++i) {
            if (const char* why = engine_.parse(batch.raw(), i)) {
                batch[i].mark_parse_error(why);
                ++errors;
            } else if (const char* warning = engine_.warning()) {
                batch[i].fields().set("_parse_warning", warning, WEIR_ADD_BORROW | WEIR_PUT_APPEND);
                ++warnings;
            }
        }
        if (errors) ctx_.count_error("parse_error", errors);
        if (warnings) ctx_.count_error("parse_warning", warnings);
    }

private:
    weir::time::Zone zone_;  // before engine_, which reads with its rules
    weir::syslog::Engine engine_;
};

const weir::Option syslog_options[] = {
    weir::option::string("mode", "auto", "auto (by the line's shape), rfc5424 or rfc3164.")
        .one_of("auto|rfc5424|rfc3164"),
    weir::option::boolean(
        "strict", "false",
        "Reject what the RFCs reject; otherwise keep what can be read and say what could not."),
    weir::option::string(
        "timezone", "UTC",
        "Zone of timestamps without one: UTC, an offset like +02:00 or -0530, or a name like "
        "Europe/Berlin."),
};

}  // namespace

WEIR_PLUGIN(SyslogParser, WEIR_KIND_PARSER, "syslog", "0.1.0",
            "Parses RFC 5424 and RFC 3164 syslog messages.", syslog_options)
