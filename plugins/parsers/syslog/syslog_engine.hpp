// The syslog parser's work on one event, shared by the syslog and auto parsers.
#pragma once

#include <string_view>
#include <weir/level.hpp>
#include <weir/sdk.hpp>

#include "syslog_scan.hpp"

namespace weir::syslog {

enum class Mode { Auto, Rfc5424, Rfc3164 };

class Engine {
public:
    Engine(const weir_host_api* h, Mode mode, Options options) : h_(h), mode_(mode), options_(options) {}

    /// Parses the body of event i. Returns nullptr on success, else the
    /// reason; on failure the event is untouched. In lenient mode what could
    /// not be read is in `warning()` afterwards (nullptr when all was read).
    const char* parse(weir_batch* b, size_t i) {
        const weir_str body = h_->event_body(b, i);
        const std::string_view line(body.data, body.size);
        Options o = options_;
        o.now_ns = h_->event_time(b, i);  // arrival time: the reference for the year of "Mmm dd"
        m_.clear();
        const char* why;
        if (mode_ == Mode::Rfc5424 || (mode_ == Mode::Auto && looks_5424(line))) {
            why = parse_5424(line, o, m_);
            if (why && mode_ == Mode::Auto && !o.strict) {
                // "<PRI>1 " that is not RFC 5424 may still be a BSD message,
                // but only one that reads cleanly: a cut-short RFC 5424 line
                // read as RFC 3164 would be all wrong fields.
                m_.clear();
                if (!parse_3164(line, o, m_) && !m_.warning) why = nullptr;
            }
        } else {
            why = parse_3164(line, o, m_);
        }
        if (!why) emit(b, i, h_->event_fields(b, i));
        return why;
    }

    const char* warning() const { return m_.warning; }
    /// Whether the last message parsed was RFC 5424 (else RFC 3164).
    bool last_was_5424() const { return m_.version >= 1; }

    static bool looks_5424(std::string_view line) {
        const size_t v = line.find(">1 ");
        return line.size() > 4 && line[0] == '<' && v != std::string_view::npos && v <= 4;
    }

private:
    void emit(weir_batch* b, size_t i, weir_node fields) {
        // Keys are literals and values point into the body: both live long enough.
        constexpr uint32_t kFlags = WEIR_ADD_BORROW | WEIR_PUT_APPEND;
        weir::Object root(h_, b, fields);
        if (m_.pri >= 0) {
            const int facility = m_.pri / 8, severity = m_.pri % 8;
            root.set_int("facility", facility, kFlags);
            root.set("facility_name", kFacilities[facility], kFlags);
            root.set_int("severity", severity, kFlags);
            root.set("severity_name", kSeverities[severity], kFlags);
            root.set("level", weir::level::name(weir::level::from_syslog_severity(severity)), kFlags);
        }
        if (m_.time) h_->event_set_time(b, i, *m_.time);
        if (!m_.hostname.empty()) root.set("hostname", m_.hostname, kFlags);
        if (!m_.app_name.empty()) root.set("app_name", m_.app_name, kFlags);
        if (!m_.procid.empty()) root.set("procid", m_.procid, kFlags);
        if (!m_.msgid.empty()) root.set("msgid", m_.msgid, kFlags);
        if (!m_.sd.empty()) {
            weir::Object sd = root.add_object("structured_data", WEIR_ADD_BORROW);
            for (size_t n = 0; n < m_.sd.size(); ++n) {
                if (m_.sd[n].repeat_of >= 0) continue;  // lenient: merged into the first with its SD-ID
                weir::Object e = sd.add_object(m_.sd[n].id, WEIR_ADD_BORROW);
                for (size_t r = n; r < m_.sd.size(); ++r) {
                    const auto& el = m_.sd[r];
                    if (r != n && el.repeat_of != static_cast<int>(n)) continue;
                    for (size_t k = el.first_param; k < el.first_param + el.param_count; ++k) {
                        const auto& p = m_.params[k];
                        e.set(p.name, p.escaped ? unescape(b, p.value) : p.value, WEIR_ADD_BORROW);
                    }
                }
            }
        }
        h_->event_set_body(b, i, m_.msg.data(), m_.msg.size(), WEIR_ADD_BORROW);
    }

    /// RFC 5424 escapes '"', '\' and ']' in parameter values.
    std::string_view unescape(weir_batch* b, std::string_view v) {
        char* out = h_->batch_alloc(b, v.size());
        size_t o = 0;
        for (size_t k = 0; k < v.size(); ++k) {
            if (v[k] == '\\' && k + 1 < v.size() && (v[k + 1] == '"' || v[k + 1] == '\\' || v[k + 1] == ']'))
                ++k;
            out[o++] = v[k];
        }
        return {out, o};
    }

    const weir_host_api* h_;
    Mode mode_;
    Options options_;
    Message m_;  // reused: no allocation per event once warm
};

}  // namespace weir::syslog
