// regex: RE2 patterns with named captures into typed fields.
#include <re2/re2.h>

#include <memory>
#include <string>
#include <vector>
#include <weir/sdk.hpp>
#include <weir/time.hpp>
#include <weir/zone.hpp>

#include "regex_spec.hpp"

namespace {

using weir::regex::Capture;
using weir::regex::Type;

struct Pattern {
    std::unique_ptr<re2::RE2> re;
    std::vector<Capture> captures;  // indexed by group number - 1
};

class RegexParser final : public weir::Parser {
public:
    RegexParser(weir::Context& ctx, const weir::Options& opts) : weir::Parser(ctx), h_(ctx.host()) {
        const auto types = weir::regex::parse_types(opts.list("types"));
        time_key_ = opts.str("time_key");
        message_key_ = opts.str("message_key");
        keep_time_ = opts.boolean("keep_time_key");
        pattern_field_ = opts.str("pattern_field");

        drop_unmatched_ = opts.str("unmatched") == "drop";  // keep or drop: the host checked the table

        zone_ = opts.timezone("timezone");
        const std::string_view layout = opts.str("time_format");
        if (!layout.empty()) {
            std::string err;
            time_format_ = weir::time::Format::compile(layout, &err);
            if (!time_format_) throw weir::ConfigError("time_format: " + err);
        }

        re2::RE2::Options ro;
        ro.set_log_errors(false);
        const auto sources = opts.list("patterns");
        if (sources.empty()) throw weir::ConfigError("patterns must list at least one pattern");
        bool time_key_found = time_key_.empty();
        for (size_t p = 0; p < sources.size(); ++p) {
            Pattern pat;
            pat.re = std::make_unique<re2::RE2>(weir::regex::normalise_named_groups(sources[p]), ro);
            if (!pat.re->ok()) {
                // RE2 quotes the faulty part; quote the whole pattern only when it shows less.
                std::string msg = "patterns[" + std::to_string(p) + "]: " + pat.re->error();
                if (pat.re->error().find(sources[p]) == std::string::npos) msg += " in '" + sources[p] + "'";
                throw weir::ConfigError(msg);
            }
            const auto& names = pat.re->CapturingGroupNames();  // group number -> name
            pat.captures.resize(static_cast<size_t>(pat.re->NumberOfCapturingGroups()));
            if (names.empty())
                throw weir::ConfigError("patterns[" + std::to_string(p) +
                                        "] has no named capture (?P<name>...): it would add no field");
            for (const auto& [group, name] : names) {
                Capture& c = pat.captures[static_cast<size_t>(group - 1)];
                c.name = name;
                c.role = name == time_key_      ? Capture::Role::Time
                         : name == message_key_ ? Capture::Role::Message
                                                : Capture::Role::Field;
                if (c.role == Capture::Role::Time) time_key_found = true;
                if (auto it = types.find(name); it != types.end()) c.type = it->second;
            }
            patterns_.push_back(std::move(pat));
        }
        for (const auto& [name, type] : types) {
            bool used = false;
            for (const auto& pat : patterns_)
                for (const auto& c : pat.captures) used = used || c.name == name;
            if (!used) throw weir::ConfigError("types names '" + name + "', which no pattern captures");
        }
        if (!time_key_found)
            throw weir::ConfigError("time_key '" + time_key_ + "' is not a capture of any pattern");
        size_t most = 0;
        for (const auto& pat : patterns_) most = std::max(most, pat.captures.size());
        groups_.resize(most + 1);
    }

    void process(weir::Batch& batch) override {
        weir_batch* b = batch.raw();
        size_t unmatched = 0, bad_time = 0, bad_type = 0;
        for (size_t i = 0, n = batch.size(); i < n; ++i) {
            const weir_str body = h_->event_body(b, i);
            const std::string_view line(body.data, body.size);
            size_t which = 0;
            for (; which < patterns_.size(); ++which) {
                const Pattern& pat = patterns_[which];
                if (pat.re->Match(line, 0, line.size(), re2::RE2::UNANCHORED, groups_.data(),
                                  static_cast<int>(pat.captures.size() + 1)))
                    break;
            }
            if (which == patterns_.size()) {
                ++unmatched;
                if (drop_unmatched_) {
                    h_->event_set_flags(b, i, h_->event_flags(b, i) | WEIR_EVENT_DROPPED);
                } else {
                    h_->event_set_flags(b, i, h_->event_flags(b, i) | WEIR_EVENT_PARSE_ERROR);
                    put_string(b, h_->event_fields(b, i), "_parse_error", "no pattern matched");
                }
                continue;
            }
            const weir_node root = h_->event_fields(b, i);
            const Pattern& pat = patterns_[which];
            if (!pattern_field_.empty()) {
                weir_value v{};
                v.type = WEIR_VAL_INT;
                v.as.i = static_cast<int64_t>(which);
                h_->put(b, root, pattern_field_.data(), pattern_field_.size(), &v, WEIR_ADD_BORROW);
            }
            for (size_t g = 0; g < pat.captures.size(); ++g) {
                const Capture& c = pat.captures[g];
                const re2::StringPiece sp = groups_[g + 1];
                if (c.name.empty() || sp.data() == nullptr) continue;  // unnamed, or did not take part
                const std::string_view text(sp.data(), sp.size());
                switch (c.role) {
                    case Capture::Role::Message:
                        h_->event_set_body(b, i, text.data(), text.size(), WEIR_ADD_BORROW);
                        continue;
                    case Capture::Role::Time:
                        if (auto t = parse_time(text, h_->event_time(b, i))) {
                            h_->event_set_time(b, i, *t);
                            if (!keep_time_) continue;
                        } else {
                            ++bad_time;
                        }
                        break;
                    case Capture::Role::Field:
                        break;
                }
                weir_value v{};
                if (!weir::regex::convert(c.type, text, v)) {
                    if (c.type != Type::String) ++bad_type;
                    v.type = WEIR_VAL_STRING;
                    v.as.s = weir_str{text.data(), text.size()};
                }
                h_->put(b, root, c.name.data(), c.name.size(), &v, WEIR_ADD_BORROW);
            }
        }
        if (unmatched) {
            if (drop_unmatched_)
                ctx_.count_dropped("unmatched", unmatched);
            else
                ctx_.count_error("parse_error", unmatched);
        }
        if (bad_time) ctx_.count_error("bad_time", bad_time);
        if (bad_type) ctx_.count_error("bad_type", bad_type);
    }

private:
    /// `arrival`: the reference for layouts without a year.
    std::optional<int64_t> parse_time(std::string_view s, int64_t arrival) const {
        if (time_format_) return time_format_->parse(s, zone_, arrival);
        if (auto t = weir::time::parse_iso8601(s, zone_)) return t;
        if (auto t = weir::time::parse_apache(s)) return t;
        return weir::time::parse_epoch(s);
    }

    void put_string(weir_batch* b, weir_node root, std::string_view key, std::string_view v) {
        weir_value val{};
        val.type = WEIR_VAL_STRING;
        val.as.s = weir_str{v.data(), v.size()};
        h_->put(b, root, key.data(), key.size(), &val, WEIR_ADD_BORROW);
    }

    const weir_host_api* h_;
    std::vector<Pattern> patterns_;
    std::vector<re2::StringPiece> groups_;  // scratch: one instance runs on one thread at a time
    std::string time_key_, message_key_, pattern_field_;
    bool keep_time_ = false;
    bool drop_unmatched_ = false;
    weir::time::Zone zone_;
    std::optional<weir::time::Format> time_format_;
};

const weir::Option regex_options[] = {
    weir::option::required_string_list(
        "patterns",
        "RE2 patterns with named captures ((?P<name>...) or (?<name>...)), tried in order; "
        "the first that matches a line wins."),
    weir::option::string_list("types", "",
                              "Capture types as name:type, type one of string, int, float, bool "
                              "(e.g. [status:int, bytes:int, secure:bool])."),
    weir::option::string("time_key", "",
                         "This capture becomes the event time (RFC 3339, Apache, epoch, or time_format)."),
    weir::option::string("time_format", "",
                         "strftime-style layout for time_key (e.g. %d/%b/%Y:%H:%M:%S %z); empty: detect."),
    weir::option::string(
        "timezone", "UTC",
        "Zone of times without one: UTC, an offset like +02:00 or a name like Europe/Berlin."),
    weir::option::boolean("keep_time_key", "false", "Keep the time_key capture as a field as well."),
    weir::option::string("message_key", "message",
                         "This capture becomes the event body; without it the body stays the whole line."),
    weir::option::string("unmatched", "keep",
                         "keep: a line no pattern matches stays whole, marked _parse_error; drop: drop it "
                         "(counted as dropped, reason unmatched).")
        .one_of("keep|drop"),
    weir::option::string("pattern_field", "",
                         "If set, this field records which pattern matched (0 = the first)."),
};

}  // namespace

WEIR_PLUGIN(RegexParser, WEIR_KIND_PARSER, "regex", "0.1.0",
            "Parses lines with RE2 regular expressions and named captures.", regex_options)
