#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <weir/event/batch.hpp>
#include <weir/event/json_writer.hpp>
#include <weir/event/time_format.hpp>
#include <weir/json_string.hpp>

namespace weir::event {
namespace {

// True when no byte of s needs escaping or a UTF-8 check: the common case of
// keys and values, answered without a loop over the bytes. Strings of 16
// bytes and more go 16 at a time (SSE2), the last block overlapping the ones
// before; shorter ones are read as one or two (overlapping) 8- or 4-byte
// words, and 1 to 3 bytes are packed into a word padded with plain bytes.
bool all_plain(std::string_view s) {
    using namespace json::detail;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
#if defined(__SSE2__)
    if (n >= 16) {
        const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'),
                      backslash = _mm_set1_epi8('\\');
        const auto look = [&](const unsigned char* at) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
            return _mm_movemask_epi8(
                _mm_or_si128(_mm_cmplt_epi8(v, space),
                             _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
        };
        const unsigned char* end = p + n;
        for (; end - p > 16; p += 16)
            if (look(p) != 0) return false;
        return look(end - 16) == 0;
    }
#else
    if (n >= 16) {
        const unsigned char* end = p + n;
        for (; end - p > 8; p += 8)
            if (needs_look(load8(p))) return false;
        return !needs_look(load8(end - 8));
    }
#endif
    if (n >= 8) return !(needs_look(load8(p)) | needs_look(load8(p + n - 8)));
    if (n >= 4) {
        uint32_t lo, hi;
        std::memcpy(&lo, p, 4);
        std::memcpy(&hi, p + n - 4, 4);
        return !needs_look(static_cast<uint64_t>(lo) | static_cast<uint64_t>(hi) << 32);
    }
    if (n == 0) return true;
    const uint64_t w = uint64_t{p[0]} | uint64_t{p[n >> 1]} << 8 | uint64_t{p[n - 1]} << 16;
    return !needs_look(w | 0x6161616161000000ull);  // 'a' in the five unused bytes
}

void put2(char* p, unsigned v) {
    static constexpr char kDigits[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    std::memcpy(p, kDigits + 2 * v, 2);
}

// Events mostly come in time order, so consecutive ones share their second:
// each thread keeps the text of the last second it rendered and writes only
// the nanoseconds anew.
struct SecondText {
    int64_t second = INT64_MIN;
    char text[kRfc3339NsLength];
};

void append_timestamp(std::string& out, int64_t t) {
    thread_local SecondText last;
    constexpr int64_t kNsPerSec = 1'000'000'000;
    int64_t second = t / kNsPerSec;
    int64_t frac = t % kNsPerSec;
    if (frac < 0) {
        frac += kNsPerSec;
        --second;
    }
    if (second != last.second) {
        format_rfc3339_ns(t, last.text);
        last.second = second;
    } else {
        auto f = static_cast<unsigned>(frac);  // "SS.nnnnnnnnnZ": the 9 digits at 20..28
        last.text[28] = static_cast<char>('0' + f % 10);
        f /= 10;
        put2(last.text + 26, f % 100);
        f /= 100;
        put2(last.text + 24, f % 100);
        f /= 100;
        put2(last.text + 22, f % 100);
        put2(last.text + 20, f / 100);
    }
    out.append(last.text, kRfc3339NsLength);
}

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

void append_json_string(std::string& out, std::string_view s) {
    if (all_plain(s)) {
        out.push_back('"');
        out.append(s);
        out.push_back('"');
        return;
    }
    json::append_string(out, s);
}

void write_event_json(const Batch& b, size_t i, std::string& out) {
    const EventRecord& ev = b.event(i);
    out.append("{\"@timestamp\":\"");
    append_timestamp(out, ev.time_ns);
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
