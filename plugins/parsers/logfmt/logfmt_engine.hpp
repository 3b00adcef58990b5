// The logfmt parser's work on one event, shared by the logfmt and auto parsers.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <weir/sdk.hpp>
#include <weir/time.hpp>

#include "logfmt_scanner.hpp"

namespace weir::logfmt {

class Engine {
public:
    Engine(const weir_host_api* h, std::string message_key, std::string time_key, bool infer_types)
        : h_(h),
          message_key_(std::move(message_key)),
          time_key_(std::move(time_key)),
          infer_types_(infer_types) {}

    /// Whether the line is logfmt: nullptr, else the reason it is not.
    static const char* check(std::string_view line) {
        return scan(line, [](const Pair&) {});
    }

    /// Parses the body of event i. Returns nullptr on success, else the
    /// reason; on failure the event is untouched (the line is validated
    /// before any field is set). A time value that is not a time stays a
    /// field and counts in `bad_time`.
    const char* parse(weir_batch* b, size_t i, size_t& bad_time) {
        const weir_str body = h_->event_body(b, i);
        const std::string_view line(body.data, body.size);
        if (const char* why = check(line)) return why;
        emit(b, i, line, bad_time);
        return nullptr;
    }

    /// Sets the fields of a line check() accepted.
    void emit(weir_batch* b, size_t i, std::string_view line, size_t& bad_time) {
        const weir_node root = h_->event_fields(b, i);
        scan(line, [&](const Pair& p) {
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
            weir_value val{};
            val.type = WEIR_VAL_STRING;
            val.as.s = weir_str{value.data(), value.size()};
            h_->put(b, root, p.key.data(), p.key.size(), &val, WEIR_ADD_BORROW);
        });
    }

private:
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
            } else if (ec == std::errc::result_out_of_range && p == end) {
                return false;  // an integer beyond int64 (a serial number): kept exactly, as text
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

    /// \" \\ \n \t \r inside quoted values; any other backslash stays as written (C:\dir, \d).
    std::string_view unescape(weir_batch* b, std::string_view v) {
        char* out = h_->batch_alloc(b, v.size());
        size_t o = 0;
        for (size_t k = 0; k < v.size(); ++k) {
            if (v[k] == '\\' && k + 1 < v.size()) {
                const char c = v[++k];
                if (c != 'n' && c != 't' && c != 'r' && c != '"' && c != '\\') out[o++] = '\\';
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

}  // namespace weir::logfmt
