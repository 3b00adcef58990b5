#include "path_template.hpp"

#include <charconv>
#include <stdexcept>
#include <weir/time.hpp>

namespace weir::file_output {
namespace {

void append_number(std::string& out, int64_t v, int width) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v < 0 ? -v : v);
    if (v < 0) out.push_back('-');
    for (int pad = width - static_cast<int>(r.ptr - buf); pad > 0; --pad) out.push_back('0');
    out.append(buf, r.ptr);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::vector<std::string> split_field_path(std::string_view path) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        const size_t dot = path.find('.', start);
        const std::string_view seg =
            path.substr(start, dot == std::string_view::npos ? path.npos : dot - start);
        if (seg.empty())
            throw std::invalid_argument("empty segment in field name '" + std::string(path) + "'");
        out.emplace_back(seg);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return out;
}

PathTemplate::PathTemplate(std::string_view text) : text_(text) {
    if (text.empty() || text.front() != '/')
        throw std::invalid_argument("path must be absolute (start with '/'), found '" + std::string(text) +
                                    "'");
    std::string literal;
    auto flush_literal = [&] {
        if (!literal.empty()) pieces_.push_back(Piece{Piece::Literal, std::move(literal), 0, {}});
        literal.clear();
    };
    auto unit = [&](int64_t s) {
        if (granularity_s_ == 0 || s < granularity_s_) granularity_s_ = s;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 1 >= text.size())
                throw std::invalid_argument("path ends with a lone '%'; write %% for a percent sign");
            const char code = text[++i];
            switch (code) {
                case '%':
                    literal.push_back('%');
                    continue;
                case 'Y':
                case 'y':
                    unit(366 * 86400);
                    break;
                case 'm':
                    unit(28 * 86400);
                    break;
                case 'd':
                case 'j':
                    unit(86400);
                    break;
                case 'H':
                    unit(3600);
                    break;
                case 'M':
                    unit(60);
                    break;
                case 'S':
                case 's':
                    unit(1);
                    break;
                default:
                    throw std::invalid_argument(std::string("unknown time field '%") + code +
                                                "' in path; use %Y %m %d %H %M %S %j %y %s or %%");
            }
            flush_literal();
            pieces_.push_back(Piece{Piece::Time, {}, code, {}});
        } else if (c == '{') {
            if (i + 1 < text.size() && text[i + 1] == '{') {
                literal.push_back('{');
                ++i;
                continue;
            }
            const size_t close = text.find('}', i);
            if (close == std::string_view::npos) throw std::invalid_argument("unclosed '{' in path");
            const std::string_view name = text.substr(i + 1, close - i - 1);
            if (name.empty()) throw std::invalid_argument("empty placeholder '{}' in path");
            flush_literal();
            pieces_.push_back(Piece{Piece::Field, {}, 0, split_field_path(name)});
            has_fields_ = true;
            i = close;
        } else if (c == '}') {
            if (i + 1 < text.size() && text[i + 1] == '}') ++i;
            literal.push_back('}');
        } else {
            literal.push_back(c);
        }
    }
    flush_literal();
    // Literal ".." components are refused: the template alone decides the directory.
    size_t start = 0;
    while (start <= text.size()) {
        size_t slash = text.find('/', start);
        if (slash == std::string_view::npos) slash = text.size();
        if (text.substr(start, slash - start) == "..")
            throw std::invalid_argument("path may not contain '..'");
        start = slash + 1;
    }
    if (text.back() == '/') throw std::invalid_argument("path names a directory; end it with a file name");
}

PathTemplate::Civil PathTemplate::civil(int64_t time_ns) {
    const int64_t secs = floor_div(time_ns, 1'000'000'000);
    const int64_t days = floor_div(secs, 86400);
    const int64_t sod = secs - days * 86400;
    Civil t{};
    time::civil_from_days(days, t.year, t.month, t.day);
    t.hour = static_cast<unsigned>(sod / 3600);
    t.minute = static_cast<unsigned>(sod / 60 % 60);
    t.second = static_cast<unsigned>(sod % 60);
    static constexpr unsigned kBefore[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    t.yday = kBefore[t.month - 1] + t.day + (t.month > 2 && time::is_leap(t.year) ? 1 : 0);
    return t;
}

void PathTemplate::append_time(std::string& out, char code, const Civil& t, int64_t time_ns) {
    switch (code) {
        case 'Y':
            append_number(out, t.year, 4);
            break;
        case 'y':
            append_number(out, ((t.year % 100) + 100) % 100, 2);
            break;
        case 'm':
            append_number(out, t.month, 2);
            break;
        case 'd':
            append_number(out, t.day, 2);
            break;
        case 'j':
            append_number(out, t.yday, 3);
            break;
        case 'H':
            append_number(out, t.hour, 2);
            break;
        case 'M':
            append_number(out, t.minute, 2);
            break;
        case 'S':
            append_number(out, t.second, 2);
            break;
        case 's':
            append_number(out, floor_div(time_ns, 1'000'000'000), 1);
            break;
    }
}

void PathTemplate::sanitise(std::string& out, size_t start) {
    if (out.size() - start > kMaxPathValue) out.resize(start + kMaxPathValue);
    bool only_dots = true;
    for (size_t i = start; i < out.size(); ++i) {
        const auto c = static_cast<unsigned char>(out[i]);
        if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) out[i] = '_';
        if (out[i] != '.') only_dots = false;
    }
    if (only_dots)
        for (size_t i = start; i < out.size(); ++i) out[i] = '_';
}

}  // namespace weir::file_output
