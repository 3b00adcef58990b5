// Apache LogFormat strings compiled into a scanner: literals are matched
// exactly, fields end at the next literal's first character (or, quoted, at
// the closing unescaped quote). No regex, no allocation per line.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <weir/time.hpp>

namespace weir::apache {

/// What a directive becomes.
enum class Field {
    ClientIp,       // %h %a
    ServerIp,       // %A
    Ident,          // %l
    User,           // %u
    Time,           // %t  [10/Oct/2000:13:55:36 -0700]
    TimeFormat,     // %{strftime}t
    Request,        // %r  "GET /x?y HTTP/1.1"
    Method,         // %m
    Path,           // %U
    Query,          // %q
    Protocol,       // %H
    Status,         // %s %>s
    Bytes,          // %b %B
    BytesSent,      // %O
    BytesReceived,  // %I
    DurationUs,     // %D            -> duration_ms
    DurationS,      // %T            -> duration_ms
    DurationMs,     // %{ms}T        -> duration_ms
    VHost,          // %v %V
    Port,           // %p
    Pid,            // %P
    Header,         // %{Name}i      -> referrer, user_agent, or the name in snake_case
    Env,            // %{NAME}e %{NAME}n %{NAME}o %{NAME}C
    ConnStatus,     // %X
    Ignored,        // %k %L %R ... (matched, not stored)
};

struct Step {
    bool literal = false;
    std::string text;  // literal text
    Field field = Field::Ignored;
    std::string name;  // output field name
    char stop = 0;     // first character after the field (0: end of line)
    bool quoted = false;
    bool query_follows = false;  // %U directly followed by %q
    std::optional<weir::time::Format> time_format;
};

/// One parsed field, before conversion. `value` points into the line.
struct Raw {
    const Step* step;
    std::string_view value;
    bool escaped;  // contained backslash escapes (\" \\ \xhh)
};

inline std::string snake_case(std::string_view header) {
    std::string out;
    for (char c : header) {
        if (c >= 'A' && c <= 'Z')
            out.push_back(static_cast<char>(c + 32));
        else if (c == '-' || c == ' ')
            out.push_back('_');
        else
            out.push_back(c);
    }
    return out;
}

/// The well-known formats, by name.
inline std::string_view preset(std::string_view name) {
    if (name == "common") return "%h %l %u %t \"%r\" %>s %b";
    if (name == "combined" || name == "nginx_combined" || name == "nginx")
        return "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"";
    if (name == "vhost_combined") return "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"";
    if (name == "combined_duration") return "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\" %D";
    return {};
}

class LogFormat {
public:
    /// Compiles a LogFormat string (or a preset name). nullopt + `error` if invalid.
    static std::optional<LogFormat> compile(std::string_view format, std::string& error) {
        if (auto p = preset(format); !p.empty()) format = p;
        LogFormat f;
        std::string literal;
        auto flush_literal = [&] {
            if (literal.empty()) return;
            Step s;
            s.literal = true;
            s.text = literal;
            f.steps_.push_back(std::move(s));
            literal.clear();
        };
        for (size_t i = 0; i < format.size(); ++i) {
            const char c = format[i];
            if (c == '\\' && i + 1 < format.size()) {  // \" \t \n in a config string
                const char n = format[++i];
                literal.push_back(n == 't' ? '\t' : n == 'n' ? '\n' : n);
                continue;
            }
            if (c != '%') {
                literal.push_back(c);
                continue;
            }
            if (++i >= format.size()) {
                error = "the format ends with a lone '%'";
                return std::nullopt;
            }
            if (format[i] == '%') {
                literal.push_back('%');
                continue;
            }
            // Modifiers: status conditions (%400,501{..}i, %!200u) and </> (original/final).
            while (i < format.size() && (format[i] == '<' || format[i] == '>' || format[i] == '!' ||
                                         format[i] == ',' || (format[i] >= '0' && format[i] <= '9')))
                ++i;
            std::string arg;
            if (i < format.size() && format[i] == '{') {
                const size_t close = format.find('}', i);
                if (close == std::string_view::npos) {
                    error = "unterminated '%{' in the format";
                    return std::nullopt;
                }
                arg = std::string(format.substr(i + 1, close - i - 1));
                i = close + 1;
            }
            if (i >= format.size()) {
                error = "the format ends inside a directive";
                return std::nullopt;
            }
            Step s;
            const char d = format[i];
            if (!directive(d, arg, s, error)) return std::nullopt;
            flush_literal();
            if (!f.steps_.empty() && !f.steps_.back().literal) {
                // Apache's own "%U%q": the query string starts with its '?'.
                if (f.steps_.back().field == Field::Path && s.field == Field::Query) {
                    f.steps_.back().query_follows = true;
                } else {
                    error = std::string("directive '%") + d +
                            "' follows another directive with nothing between them";
                    return std::nullopt;
                }
            }
            f.steps_.push_back(std::move(s));
        }
        flush_literal();
        for (size_t k = 0; k < f.steps_.size(); ++k) {
            Step& s = f.steps_[k];
            if (s.literal) continue;
            const bool before_quote = k > 0 && f.steps_[k - 1].literal && f.steps_[k - 1].text.back() == '"';
            size_t next = k + 1;
            if (s.query_follows) ++next;  // %U ends at the '?' of %q or where %q ends
            const bool after_quote =
                next < f.steps_.size() && f.steps_[next].literal && f.steps_[next].text.front() == '"';
            s.quoted = before_quote && after_quote && !s.query_follows;
            s.stop = next < f.steps_.size() ? f.steps_[next].text.front() : 0;
        }
        if (f.steps_.empty()) {
            error = "the format is empty";
            return std::nullopt;
        }
        return f;
    }

    /// Scans one line. Calls out(const Raw&) per field. Returns nullptr or the
    /// reason the line does not match.
    template <class Out>
    const char* scan(std::string_view line, Out&& out) const {
        size_t pos = 0;
        const size_t n = line.size();
        for (const Step& s : steps_) {
            if (s.literal) {
                if (n - pos < s.text.size() ||
                    std::memcmp(line.data() + pos, s.text.data(), s.text.size()) != 0)
                    return pos >= n ? "line cut short" : "line does not match the format";
                pos += s.text.size();
                continue;
            }
            size_t end;
            bool escaped = false;
            if (s.field == Field::Time) {
                // %t carries its own brackets.
                if (pos >= n || line[pos] != '[')
                    return pos >= n ? "line cut short" : "timestamp is not in [brackets]";
                const void* close = std::memchr(line.data() + pos, ']', n - pos);
                if (!close) return "line cut short";
                end = static_cast<size_t>(static_cast<const char*>(close) - line.data());
                out(Raw{&s, line.substr(pos + 1, end - pos - 1), false});
                pos = end + 1;
                continue;
            }
            if (s.quoted) {
                end = pos;
                while (end < n) {
                    const char c = line[end];
                    if (c == '\\' && end + 1 < n) {
                        escaped = true;
                        end += 2;
                        continue;
                    }
                    if (c == '"') break;
                    ++end;
                }
                if (end >= n) return "line cut short inside a quoted field";
            } else if (s.field == Field::Query && (pos >= n || line[pos] != '?')) {
                end = pos;  // after %U: no query string
            } else if (s.stop == 0) {
                end = n;
            } else if (s.query_follows) {
                end = pos;
                while (end < n && line[end] != '?' && line[end] != s.stop) ++end;
                if (end >= n && s.stop != 0) return "line cut short";
            } else {
                if (pos >= n) return "line cut short";
                const void* stop = std::memchr(line.data() + pos, s.stop, n - pos);
                if (!stop) return "line cut short";
                end = static_cast<size_t>(static_cast<const char*>(stop) - line.data());
            }
            out(Raw{&s, line.substr(pos, end - pos), escaped});
            pos = end;
        }
        return nullptr;  // trailing text after the format is allowed (formats are often extended)
    }

    const std::vector<Step>& steps() const { return steps_; }

private:
    static bool directive(char d, const std::string& arg, Step& s, std::string& error) {
        switch (d) {
            case 'h':
            case 'a':
                s.field = Field::ClientIp;
                s.name = "client_ip";
                return true;
            case 'A':
                s.field = Field::ServerIp;
                s.name = "server_ip";
                return true;
            case 'l':
                s.field = Field::Ident;
                s.name = "ident";
                return true;
            case 'u':
                s.field = Field::User;
                s.name = "user";
                return true;
            case 't':
                if (arg.empty() || arg == "%d/%b/%Y:%H:%M:%S %z") {
                    s.field = Field::Time;
                } else {
                    std::string why;
                    s.time_format = weir::time::Format::compile(arg, &why);
                    if (!s.time_format) {
                        error = "in %{" + arg + "}t: " + why;
                        return false;
                    }
                    s.field = Field::TimeFormat;
                }
                s.name = "time";
                return true;
            case 'r':
                s.field = Field::Request;
                s.name = "request";
                return true;
            case 'm':
                s.field = Field::Method;
                s.name = "method";
                return true;
            case 'U':
                s.field = Field::Path;
                s.name = "path";
                return true;
            case 'q':
                s.field = Field::Query;
                s.name = "query";
                return true;
            case 'H':
                s.field = Field::Protocol;
                s.name = "protocol";
                return true;
            case 's':
                s.field = Field::Status;
                s.name = "status";
                return true;
            case 'b':
            case 'B':
                s.field = Field::Bytes;
                s.name = "bytes";
                return true;
            case 'O':
                s.field = Field::BytesSent;
                s.name = "bytes_sent";
                return true;
            case 'I':
                s.field = Field::BytesReceived;
                s.name = "bytes_received";
                return true;
            case 'D':
                s.field = Field::DurationUs;
                s.name = "duration_ms";
                return true;
            case 'T':
                s.field = arg == "ms"   ? Field::DurationMs
                          : arg == "us" ? Field::DurationUs
                                        : Field::DurationS;
                s.name = "duration_ms";
                return true;
            case 'v':
            case 'V':
                s.field = Field::VHost;
                s.name = "vhost";
                return true;
            case 'p':
                s.field = Field::Port;
                s.name = "port";
                return true;
            case 'P':
                s.field = Field::Pid;
                s.name = "pid";
                return true;
            case 'X':
                s.field = Field::ConnStatus;
                s.name = "connection_status";
                return true;
            case 'i': {
                if (arg.empty()) break;
                s.field = Field::Header;
                const std::string n = snake_case(arg);
                s.name = n == "referer" ? "referrer" : n;
                return true;
            }
            case 'e':
            case 'n':
            case 'o':
            case 'C':
                if (arg.empty()) break;
                s.field = Field::Env;
                s.name = snake_case(arg);
                return true;
            case 'k':
            case 'L':
            case 'R':
            case 'f':
                s.field = Field::Ignored;
                return true;
            default:
                break;
        }
        error = std::string("unknown or incomplete directive '%") + (arg.empty() ? "" : "{" + arg + "}") + d +
                "'";
        return false;
    }

    std::vector<Step> steps_;
};

}  // namespace weir::apache
