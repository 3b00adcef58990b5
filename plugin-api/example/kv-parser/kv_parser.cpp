// kv: a complete custom parser for `key=value key2="quoted value"` lines.
// Every pair becomes a field; integers become numbers. The key named by the
// `message_key` option (default "msg") becomes the event body.
#include <charconv>
#include <string>
#include <string_view>
#include <weir/sdk.hpp>

namespace {

class KvParser final : public weir::Parser {
public:
    KvParser(weir::Context& ctx, const weir::Options& opts)
        : weir::Parser(ctx), message_key_(opts.str("message_key")), separator_(opts.str("separator")) {
        if (separator_.size() != 1) throw weir::ConfigError("separator must be exactly one character");
    }

    void process(weir::Batch& batch) override {
        for (weir::Event ev : batch) {
            if (!parse(ev)) {
                ev.mark_parse_error("no key=value pair");
                context().count_error("parse_error");
            }
        }
    }

private:
    bool parse(weir::Event& ev) {
        const std::string_view line = ev.body();
        weir::Object fields = ev.fields();
        std::string_view message;
        bool any = false;
        size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && line[i] == ' ') ++i;
            const size_t key_start = i;
            while (i < line.size() && line[i] != separator_[0] && line[i] != ' ') ++i;
            if (i >= line.size() || line[i] != separator_[0] || i == key_start) {
                while (i < line.size() && line[i] != ' ') ++i;  // not a pair: skip the word
                continue;
            }
            const std::string_view key = line.substr(key_start, i - key_start);
            ++i;
            std::string_view value;
            if (i < line.size() && line[i] == '"') {
                const size_t end = line.find('"', i + 1);
                const size_t stop = end == std::string_view::npos ? line.size() : end;
                value = line.substr(i + 1, stop - i - 1);
                i = end == std::string_view::npos ? line.size() : end + 1;
            } else {
                const size_t start = i;
                while (i < line.size() && line[i] != ' ') ++i;
                value = line.substr(start, i - start);
            }
            any = true;
            if (key == message_key_) {
                message = value;
                continue;
            }
            int64_t n = 0;
            auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (ec == std::errc() && ptr == value.data() + value.size() && !value.empty()) {
                fields.set_int(key, n);
            } else {
                fields.set(key, value);
            }
        }
        if (!message.empty()) ev.set_body(std::string(message));
        return any;
    }

    std::string message_key_;
    std::string separator_;
};

const weir::Option kv_options[] = {
    weir::option::string("message_key", "msg", "Key whose value becomes the event body."),
    weir::option::string("separator", "=", "Character between a key and its value."),
};

}  // namespace

WEIR_PLUGIN(KvParser, WEIR_KIND_PARSER, "kv", "1.0.0", "Parses key=value pairs into fields.", kv_options)
