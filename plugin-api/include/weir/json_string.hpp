// JSON string escaping, shared by the host's event renderer and plugins that
// write JSON themselves: quotes, backslashes and control characters escaped,
// invalid UTF-8 replaced by U+FFFD so the output is always valid JSON. Plain
// runs are found 16 bytes at a time (SSE2) or 8 at a time.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace weir::json {
namespace detail {

// 0: copy as is; 1: needs escaping; 2: start of a multi-byte UTF-8 sequence.
inline constexpr unsigned char kClass[256] = {
#define R1 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
#define R0 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define R2 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
    R1, R1,                                                 // 0x00-0x1f
    0,  0,  1,  0,  0,  0,  0,  0, 0, 0, 0, 0, 0, 0, 0, 0,  // 0x20-0x2f ('"')
    R0, R0, R0,                                             // 0x30-0x5f except '\\'
    R0, R0,                                                 // 0x60-0x7f
    R2, R2, R2, R2, R2, R2, R2, R2                          // 0x80-0xff
#undef R1
#undef R0
#undef R2
};

// Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid.
inline size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
    const unsigned char c = p[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (static_cast<size_t>(end - p) < n) return 0;
    for (size_t i = 1; i < n; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

inline uint64_t load8(const unsigned char* p) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

// Non-zero if any byte of w is a control character, '"', '\\' or not ASCII
// (the bytes kClass does not copy as they are). Exact for "any byte", which
// is all the caller asks.
inline constexpr uint64_t kOnes = 0x0101010101010101ull;
inline constexpr uint64_t kHigh = 0x8080808080808080ull;
inline uint64_t has_zero(uint64_t v) { return (v - kOnes) & ~v & kHigh; }
inline uint64_t needs_look(uint64_t w) {
    const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
    return below_space | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | (w & kHigh);
}

// The first byte at or after p that kClass does not copy as it is (or end),
// 16 bytes at a time with SSE2, else 8 at a time.
inline const unsigned char* skip_plain(const unsigned char* p, const unsigned char* end) {
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        // Signed: below 0x20 means a control byte or one of 0x80-0xff.
        const __m128i look = _mm_or_si128(
            _mm_cmplt_epi8(v, space), _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        const int mask = _mm_movemask_epi8(look);
        if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
        p += 16;
    }
#endif
    while (end - p >= 8 && !needs_look(load8(p))) p += 8;
    return p;
}

}  // namespace detail

/// Appends `s` as a JSON string, quotes included.
inline void append_string(std::string& out, std::string_view s) {
    using namespace detail;
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    const auto* run = p;  // start of bytes to copy verbatim
    while (p < end) {
        p = skip_plain(p, end);
        if (p >= end) break;
        const unsigned char cls = (*p == '\\') ? 1 : kClass[*p];
        if (cls == 0) {
            ++p;
            continue;
        }
        if (cls == 2) {
            const size_t n = utf8_sequence(p, end);
            if (n != 0) {
                p += n;
                continue;
            }
        }
        out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
        const unsigned char c = *p;
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            case '\b':
                out.append("\\b");
                break;
            case '\f':
                out.append("\\f");
                break;
            default:
                if (c < 0x20) {
                    const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
                    out.append(esc, 6);
                } else {
                    out.append("\xEF\xBF\xBD");  // invalid UTF-8 byte -> U+FFFD
                }
        }
        ++p;
        run = p;
    }
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    out.push_back('"');
}

}  // namespace weir::json
