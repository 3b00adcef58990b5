// applog: "2026-01-19 10:30:00,123 ERROR [main] com.example.App - message" and its
// relatives (log4j, logback, Python logging, Go, Ruby/Rails, glog, Spring Boot, zap).
#include <string>
#include <weir/sdk.hpp>
#include <weir/time.hpp>
#include <weir/zone.hpp>

#include "applog_engine.hpp"

namespace {

class ApplogParser final : public weir::Parser {
public:
    ApplogParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx),
          zone_(opts.timezone("timezone")),
          engine_(ctx.host(), zone_, opts.boolean("require_level")) {}

    void process(weir::Batch& batch) override {
        size_t errors = 0;
        for (size_t i = 0, n = batch.size(); i < n; ++i) {
            if (const char* why = engine_.parse(batch.raw(), i)) {
                batch[i].mark_parse_error(why);
                ++errors;
            }
        }
        if (errors) ctx_.count_error("parse_error", errors);
    }

private:
    weir::time::Zone zone_;  // before engine_, which reads with its rules
    weir::applog::Engine engine_;
};

const weir_option_def applog_options[] = {
    weir::option::string(
        "timezone", "UTC",
        "Zone of timestamps without one: UTC, an offset like +02:00 or a name like Europe/Berlin."),
    weir::option::boolean("require_level", "false",
                          "A line without a recognisable level is a parse error (else level is absent)."),
};

}  // namespace

WEIR_PLUGIN(ApplogParser, WEIR_KIND_PARSER, "applog", "0.1.0",
            "Parses application log lines: log4j/logback, Python logging, Go, Ruby/Rails, glog, Spring Boot.",
            applog_options)
