#include <charconv>
#include <cmath>
#include <cstring>
#include <weir/event/batch.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/json_string.hpp>

namespace weir::event {
namespace {

void append_value(std::string& out, const Batch& b, const weir_value& v);

void append_container(std::string& out, const Batch& b, weir_node n) {
    const Container& c = b.container(n);
    const bool obj = c.type == WEIR_VAL_OBJECT;
    out.push_back(obj ? '{' : '[');
    bool first = true;
    for (weir_entry e = c.first; e != 0; e = b.next(e)) {
        const Entry& x = b.entry(e);
        if (!first) out.push_back(',');
        first = false;
        if (obj) {
            append_json_string(out, {x.key.data, x.key.size});
            out.push_back(':');
        }
        append_value(out, b, x.value);
    }
    out.push_back(obj ? '}' : ']');
}

void append_value(std::string& out, const Batch& b, const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_BOOL:
            out.append(v.as.b ? "true" : "false");
            return;
        case WEIR_VAL_INT: {
            char buf[24];
            auto r = std::to_chars(buf, buf + sizeof buf, v.as.i);
            out.append(buf, r.ptr);
            return;
        }
        case WEIR_VAL_FLOAT: {
            if (!std::isfinite(v.as.f)) {
                out.append("null");
                return;
            }
            char buf[32];
            auto r = std::to_chars(buf, buf + sizeof buf, v.as.f);
            out.append(buf, r.ptr);
            return;
        }
        case WEIR_VAL_STRING:
            append_json_string(out, {v.as.s.data ? v.as.s.data : "", v.as.s.size});
            return;
        case WEIR_VAL_OBJECT:
        case WEIR_VAL_ARRAY:
            if (v.as.node) {
                append_container(out, b, v.as.node);
            } else {
                out.append(v.type == WEIR_VAL_OBJECT ? "{}" : "[]");
            }
            return;
        default:
            out.append("null");
    }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) { json::append_string(out, s); }

void write_event_json(const Batch& b, size_t i, std::string& out) {
    const EventRecord& ev = b.event(i);
    char ts[kRfc3339NsLength];
    format_rfc3339_ns(ev.time_ns, ts);
    out.append("{\"@timestamp\":\"");
    out.append(ts, kRfc3339NsLength);
    out.push_back('"');
    if (ev.body.size > 0 && !b.get(ev.root, "message", nullptr)) {
        out.append(",\"message\":");
        append_json_string(out, {ev.body.data, ev.body.size});
    }
    for (weir_entry e = b.first(ev.root); e != 0; e = b.next(e)) {
        const Entry& x = b.entry(e);
        out.push_back(',');
        append_json_string(out, {x.key.data, x.key.size});
        out.push_back(':');
        append_value(out, b, x.value);
    }
    out.push_back('}');
}

}  // namespace weir::event
