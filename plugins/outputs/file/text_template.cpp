#include "text_template.hpp"

#include <cstring>
#include <stdexcept>
#include <weir/time.hpp>

#include "path_template.hpp"

namespace weir::file_output {
namespace {

void two(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

bool needs_escape(char c) { return c == '\n' || c == '\r'; }

}  // namespace

void append_rfc3339_ns(std::string& out, int64_t time_ns) {
    int64_t secs = time_ns / time::kNsPerSec;
    int64_t ns = time_ns % time::kNsPerSec;
    if (ns < 0) {
        ns += time::kNsPerSec;
        --secs;
    }
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        --days;
    }
    int64_t y;
    unsigned m, d;
    time::civil_from_days(days, y, m, d);
    char buf[32];
    if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999;
    const auto yy = static_cast<unsigned>(y);
    two(buf, yy / 100);
    two(buf + 2, yy % 100);
    buf[4] = '-';
    two(buf + 5, m);
    buf[7] = '-';
    two(buf + 8, d);
    buf[10] = 'T';
    two(buf + 11, static_cast<unsigned>(sod / 3600));
    buf[13] = ':';
    two(buf + 14, static_cast<unsigned>(sod / 60 % 60));
    buf[16] = ':';
    two(buf + 17, static_cast<unsigned>(sod % 60));
    buf[19] = '.';
    auto frac = static_cast<uint64_t>(ns);
    for (int i = 28; i >= 20; --i) {
        buf[i] = static_cast<char>('0' + frac % 10);
        frac /= 10;
    }
    buf[29] = 'Z';
    out.append(buf, 30);
}

TextTemplate::TextTemplate(std::string_view text) {
    std::string literal;
    auto flush_literal = [&] {
        if (!literal.empty()) pieces_.push_back(Piece{Piece::Literal, std::move(literal), {}, false});
        literal.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '{') {
            if (i + 1 < text.size() && text[i + 1] == '{') {
                literal.push_back('{');
                ++i;
                continue;
            }
            const size_t close = text.find('}', i);
            if (close == std::string_view::npos) throw std::invalid_argument("unclosed '{' in template");
            const std::string_view name = text.substr(i + 1, close - i - 1);
            if (name.empty()) throw std::invalid_argument("empty placeholder '{}' in template");
            flush_literal();
            if (name == "@timestamp") {
                pieces_.push_back(Piece{Piece::Timestamp, {}, {}, false});
            } else if (name == "@body") {
                pieces_.push_back(Piece{Piece::Body, {}, {}, false});
            } else if (name.front() == '@') {
                throw std::invalid_argument("unknown placeholder '{" + std::string(name) +
                                            "}' in template; use {@timestamp}, {@body} or a field name");
            } else {
                pieces_.push_back(Piece{Piece::Field, {}, split_field_path(name), name == "message"});
            }
            i = close;
        } else if (c == '}') {
            if (i + 1 < text.size() && text[i + 1] == '}') ++i;
            literal.push_back('}');
        } else {
            literal.push_back(c);
        }
    }
    flush_literal();
}

void TextTemplate::append_escaped(std::string& out, std::string_view s) {
    const size_t start = out.size();
    out.append(s);
    escape_tail(out, start);
}

void TextTemplate::escape_tail(std::string& out, size_t start) {
    size_t extra = 0;
    for (size_t i = start; i < out.size(); ++i) extra += needs_escape(out[i]);
    if (extra == 0) return;
    const size_t old = out.size();
    out.resize(old + extra);
    // Expand from the end so each byte moves once.
    size_t w = out.size();
    for (size_t r = old; r-- > start;) {
        const char c = out[r];
        if (needs_escape(c)) {
            out[--w] = c == '\n' ? 'n' : 'r';
            out[--w] = '\\';
        } else {
            out[--w] = c;
        }
    }
}

}  // namespace weir::file_output
