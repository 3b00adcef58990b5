// apache: Apache / Nginx access logs in any LogFormat, compiled once.
#include <string>
#include <weir/sdk.hpp>

#include "apache_engine.hpp"

namespace {

using weir::apache::LogFormat;

LogFormat compile(std::string_view text) {
    std::string error;
    auto f = LogFormat::compile(text, error);
    if (!f) throw weir::ConfigError("invalid format: " + error);
    return std::move(*f);
}

// The host has checked it against the table: zero or absent.
bool dash_bytes_zero(std::string_view dash) { return dash == "zero"; }

class ApacheParser final : public weir::Parser {
public:
    ApacheParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx),
          engine_(ctx.host(), compile(opts.str("format")), opts.boolean("keep_request"),
                  dash_bytes_zero(opts.str("dash_bytes"))) {}

    // Fields set before a mismatch stay; the raw line is the body.
    void process(weir::Batch& batch) override { parse_each(batch, engine_); }

private:
    weir::apache::Engine engine_;
};

const weir::Option apache_options[] = {
    weir::option::string(
        "format", "combined",
        "A preset (common, combined, vhost_combined, nginx_combined, combined_duration) or an "
        "Apache LogFormat string."),
    weir::option::string("dash_bytes", "zero", "What a '-' byte count becomes: zero, or absent (no field).")
        .one_of("zero|absent"),
    weir::option::boolean("keep_request", "false", "Also keep the whole request line in the field request."),
};

}  // namespace

WEIR_PLUGIN(ApacheParser, WEIR_KIND_PARSER, "apache", "0.1.0",
            "Parses Apache and Nginx access logs in any LogFormat.", apache_options)
