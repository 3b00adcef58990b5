// json: each body is one JSON object; its keys become typed fields.
#include <weir/sdk.hpp>

#include "json_engine.hpp"

namespace {

class JsonParser final : public weir::Parser {
public:
    JsonParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx),
          engine_(ctx.host(), std::string(opts.str("message_key")), std::string(opts.str("time_key")),
                  opts.boolean("keep_raw")) {}

    void process(weir::Batch& batch) override { parse_each(batch, engine_); }

private:
    weir::json::Engine engine_;
};

const weir_option_def json_options[] = {
    weir::option::string("message_key", "message", "A string field of this name becomes the event body."),
    weir::option::string(
        "time_key", "timestamp",
        "A field of this name (RFC 3339 text or epoch seconds/milliseconds) becomes the event time."),
    weir::option::boolean("keep_raw", "false", "Keep the original line in the field _raw."),
};

}  // namespace

WEIR_PLUGIN(JsonParser, WEIR_KIND_PARSER, "json", "0.1.0",
            "Parses each line as a JSON object into typed fields.", json_options)
