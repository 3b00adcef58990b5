// auto: each line goes to the parser its first bytes point at — JSON, syslog
// (RFC 5424 / 3164), Apache/Nginx access logs, logfmt, application logs — or
// stays raw. The chosen parser is recorded in a field.
#include <optional>
#include <string>
#include <vector>
#include <weir/sdk.hpp>
#include <weir/time.hpp>
#include <weir/zone.hpp>

#include "apache_engine.hpp"
#include "applog_engine.hpp"
#include "detect.hpp"
#include "json_engine.hpp"
#include "logfmt_engine.hpp"
#include "syslog_engine.hpp"

namespace {

using weir::autodetect::Shape;

weir::apache::LogFormat preset(const char* name) {
    std::string error;
    auto f = weir::apache::LogFormat::compile(name, error);
    if (!f) throw weir::ConfigError(std::string("internal: apache preset ") + name + ": " + error);
    return std::move(*f);
}

weir::syslog::Options syslog_options(weir::time::LocalZone zone) {
    weir::syslog::Options o;
    o.zone = zone;
    return o;
}

class AutoParser final : public weir::Parser {
public:
    AutoParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx),
          h_(ctx.host()),
          field_(opts.str("parser_field")),
          zone_(opts.timezone("timezone")),
          json_(h_, "message", "timestamp", false),
          syslog_(h_, weir::syslog::Mode::Auto, syslog_options(zone_)),
          combined_(h_, preset("combined"), false, true),
          common_(h_, preset("common"), false, true),
          vhost_(h_, preset("vhost_combined"), false, true),
          logfmt_(h_, "msg", "time", true),
          applog_(h_, zone_, false) {
        const auto formats = opts.list("formats");
        if (!formats.empty()) {
            enabled_ = 0;
            for (const auto& f : formats) {
                if (f == "json")
                    enabled_ |= kJson;
                else if (f == "syslog")
                    enabled_ |= kSyslog;
                else if (f == "apache")
                    enabled_ |= kApache;
                else if (f == "logfmt")
                    enabled_ |= kLogfmt;
                else  // applog: the host checked each item against the table
                    enabled_ |= kApplog;
            }
        }
    }

    void process(weir::Batch& batch) override {
        weir_batch* b = batch.raw();
        size_t errors = 0, bad_time = 0, warnings = 0;
        for (size_t i = 0, n = batch.size(); i < n; ++i) {
            const weir_str body = h_->event_body(b, i);
            const std::string_view line(body.data, body.size);
            const char* name = "raw";
            const char* why = nullptr;  // a format was recognised but its parser refused the line
            switch (weir::autodetect::detect(line)) {
                case Shape::Json:
                    if (!(enabled_ & kJson)) break;
                    why = json_.parse(b, i, bad_time);
                    if (!why) name = "json";
                    break;
                case Shape::Syslog:
                    if (!(enabled_ & kSyslog)) break;
                    why = syslog_.parse(b, i);
                    if (!why) {
                        name = syslog_.last_was_5424() ? "rfc5424" : "rfc3164";
                        if (const char* w = syslog_.warning()) {
                            batch[i].fields().set("_parse_warning", w, WEIR_ADD_BORROW);
                            ++warnings;
                        }
                    }
                    break;
                case Shape::Apache:
                    if (!(enabled_ & kApache)) break;
                    // Check before parsing: the apache engine sets fields as it scans.
                    if (!(why = combined_.check(line))) {
                        combined_.parse(b, i, bad_time);
                        name = "apache_combined";
                    } else if (!common_.check(line)) {
                        common_.parse(b, i, bad_time);
                        name = "apache_common";
                        why = nullptr;
                    } else if (!vhost_.check(line)) {
                        vhost_.parse(b, i, bad_time);
                        name = "apache_vhost_combined";
                        why = nullptr;
                    }
                    break;
                case Shape::Logfmt:
                    if (!(enabled_ & kLogfmt)) break;
                    why = logfmt_.parse(b, i, bad_time);
                    if (!why) name = "logfmt";
                    break;
                case Shape::Other:
                    // The applog scanner fails within a few bytes on text that
                    // has no timestamp or level header: no match is plain raw.
                    if ((enabled_ & kApplog) && !applog_.parse(b, i)) name = "applog";
                    break;
            }
            weir::Event ev = batch[i];
            if (why) {
                ev.mark_parse_error(why);
                ++errors;
            }
            if (!field_.empty()) ev.fields().set(field_, name);
        }
        if (errors) ctx_.count_error("parse_error", errors);
        if (bad_time) ctx_.count_error("bad_time", bad_time);
        if (warnings) ctx_.count_error("parse_warning", warnings);
    }

private:
    enum : unsigned { kJson = 1, kSyslog = 2, kApache = 4, kLogfmt = 8, kApplog = 16 };

    const weir_host_api* h_;
    std::string field_;
    weir::time::Zone zone_;  // before the engines, which read with its rules
    unsigned enabled_ = kJson | kSyslog | kApache | kLogfmt | kApplog;
    weir::json::Engine json_;
    weir::syslog::Engine syslog_;
    weir::apache::Engine combined_, common_, vhost_;
    weir::logfmt::Engine logfmt_;
    weir::applog::Engine applog_;
};

const weir::Option auto_options[] = {
    weir::option::string(
        "parser_field", "_parser",
        "Field that records which parser read the line (json, rfc5424, rfc3164, apache_combined, "
        "apache_common, apache_vhost_combined, logfmt, applog, raw); empty: none."),
    weir::option::string_list(
        "formats", "",
        "Formats to detect, from json, syslog, apache, logfmt, applog (empty: all). Lines of "
        "the others stay raw.")
        .one_of("json|syslog|apache|logfmt|applog")
        .empty_means("all of them"),
    weir::option::string(
        "timezone", "UTC",
        "Zone of syslog and application log timestamps without one: UTC, an offset like +02:00 "
        "or a name like Europe/Berlin."),
};

}  // namespace

WEIR_PLUGIN(
    AutoParser, WEIR_KIND_PARSER, "auto", "0.1.0",
    "Detects JSON, syslog, Apache/Nginx, logfmt and application log lines per line, or keeps them raw.",
    auto_options)
