// logfmt: key=value pairs (Heroku / Go logfmt) into typed fields.
#include <string>
#include <weir/sdk.hpp>

#include "logfmt_engine.hpp"

namespace {

class LogfmtParser final : public weir::Parser {
public:
    LogfmtParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx),
          engine_(ctx.host(), std::string(opts.str("message_key")), std::string(opts.str("time_key")),
                  opts.boolean("infer_types")) {}

    void process(weir::Batch& batch) override { parse_each(batch, engine_); }

private:
    weir::logfmt::Engine engine_;
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
