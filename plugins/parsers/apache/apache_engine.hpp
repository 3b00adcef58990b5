// The apache parser's work on one event, shared by the apache and auto parsers.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <weir/sdk.hpp>
#include <weir/time.hpp>

#include "log_format.hpp"

namespace weir::apache {

class Engine {
public:
    Engine(const weir_host_api* h, LogFormat format, bool keep_request, bool dash_bytes_zero)
        : h_(h), format_(std::move(format)), keep_request_(keep_request), dash_bytes_zero_(dash_bytes_zero) {}

    /// Parses the body of event i into its fields, setting them as the scan
    /// goes. Returns nullptr on success, else the reason; fields read before
    /// the mismatch stay. A time that is not a time stays a field and counts
    /// in `bad_time`.
    const char* parse(weir_batch* b, size_t i, size_t& bad_time) {
        const weir_str body = h_->event_body(b, i);
        const weir::Object root(h_, b, h_->event_fields(b, i));
        bool ok = true;
        const char* why = format_.scan({body.data, body.size}, [&](const Raw& r) {
            if (ok) ok = emit(b, i, root, r, bad_time);
        });
        if (!why && !ok) why = "a numeric field is not a number";
        return why;
    }

    /// What parse() would say about this line (nullptr: it would succeed),
    /// without touching any event.
    const char* check(std::string_view line) const {
        bool ok = true;
        const char* why = format_.scan(line, [&](const Raw& r) {
            if (!ok || r.value == "-") return;
            switch (r.step->field) {
                case Field::Status:
                case Field::Port:
                case Field::Pid:
                case Field::Bytes:
                case Field::BytesSent:
                case Field::BytesReceived:
                case Field::DurationUs:
                case Field::DurationS:
                case Field::DurationMs: {
                    int64_t n;
                    ok = to_int(r.value, n);
                    break;
                }
                default:
                    break;
            }
        });
        return why ? why : ok ? nullptr : "a numeric field is not a number";
    }

private:
    static bool to_int(std::string_view s, int64_t& out) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc() && p == s.data() + s.size() && !s.empty();
    }

    /// Apache escapes '"' and '\' with a backslash and other bytes as \xhh.
    std::string_view unescape(weir_batch* b, std::string_view v) {
        char* out = h_->batch_alloc(b, v.size());
        size_t o = 0;
        for (size_t k = 0; k < v.size(); ++k) {
            if (v[k] == '\\' && k + 1 < v.size()) {
                const char c = v[k + 1];
                if (c == 'x' && k + 3 < v.size()) {
                    unsigned x = 0;
                    auto [p, ec] = std::from_chars(v.data() + k + 2, v.data() + k + 4, x, 16);
                    if (ec == std::errc() && p == v.data() + k + 4) {
                        out[o++] = static_cast<char>(x);
                        k += 3;
                        continue;
                    }
                }
                out[o++] = c == 'n' ? '\n' : c == 't' ? '\t' : c;
                ++k;
                continue;
            }
            out[o++] = v[k];
        }
        return {out, o};
    }

    // Returns false for a number field that is not a number.
    bool emit(weir_batch* b, size_t i, weir::Object root, const Raw& r, size_t& bad_time) {
        std::string_view v = r.value;
        const std::string& name = r.step->name;
        // Values point into the body, which lives in the batch: borrow them.
        constexpr uint32_t kBorrow = WEIR_ADD_BORROW;
        switch (r.step->field) {
            case Field::Time: {
                if (auto t = weir::time::parse_apache(v)) {
                    h_->event_set_time(b, i, *t);
                } else {
                    ++bad_time;
                    root.set("time", v, kBorrow);
                }
                return true;
            }
            case Field::TimeFormat: {
                if (auto t = r.step->time_format->parse(v)) {
                    h_->event_set_time(b, i, *t);
                } else {
                    ++bad_time;
                    root.set("time", v, kBorrow);
                }
                return true;
            }
            case Field::Request: {
                if (r.escaped) v = unescape(b, v);
                const size_t sp1 = v.find(' ');
                const size_t sp2 = sp1 == std::string_view::npos ? sp1 : v.find(' ', sp1 + 1);
                if (sp2 == std::string_view::npos || v.find(' ', sp2 + 1) != std::string_view::npos) {
                    // Not "METHOD target PROTOCOL" (a probe, a TLS handshake on a plain port): keep it whole.
                    if (v != "-") root.set("request", v, kBorrow);
                    return true;
                }
                if (keep_request_) root.set("request", v, kBorrow);
                root.set("method", v.substr(0, sp1), kBorrow);
                std::string_view target = v.substr(sp1 + 1, sp2 - sp1 - 1);
                const size_t q = target.find('?');
                if (q != std::string_view::npos) {
                    root.set("path", target.substr(0, q), kBorrow);
                    root.set("query", target.substr(q + 1), kBorrow);
                } else {
                    root.set("path", target, kBorrow);
                }
                root.set("protocol", v.substr(sp2 + 1), kBorrow);
                return true;
            }
            case Field::Status:
            case Field::Port:
            case Field::Pid: {
                if (v == "-") return true;
                int64_t n;
                if (!to_int(v, n)) return false;
                root.set_int(name, n);
                return true;
            }
            case Field::Bytes:
            case Field::BytesSent:
            case Field::BytesReceived: {
                if (v == "-") {
                    if (dash_bytes_zero_) root.set_int(name, 0);
                    return true;
                }
                int64_t n;
                if (!to_int(v, n)) return false;
                root.set_int(name, n);
                return true;
            }
            case Field::DurationUs:
            case Field::DurationS:
            case Field::DurationMs: {
                if (v == "-") return true;
                int64_t n;
                if (!to_int(v, n)) return false;
                const double ms = r.step->field == Field::DurationUs  ? static_cast<double>(n) / 1000.0
                                  : r.step->field == Field::DurationS ? static_cast<double>(n) * 1000.0
                                                                      : static_cast<double>(n);
                root.set_float(name, ms);
                return true;
            }
            case Field::Query:
                if (!v.empty() && v.front() == '?') v.remove_prefix(1);
                if (!v.empty()) root.set(name, v, kBorrow);
                return true;
            case Field::Ignored:
                return true;
            default:
                // Strings; "-" means "not there", an empty quoted field ("") is an empty string.
                if (v == "-" || (v.empty() && !r.step->quoted)) return true;
                if (r.escaped) v = unescape(b, v);
                root.set(name, v, kBorrow);
                return true;
        }
    }

    const weir_host_api* h_;
    LogFormat format_;
    bool keep_request_;
    bool dash_bytes_zero_;
};

}  // namespace weir::apache
