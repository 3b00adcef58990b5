// The text format of the file output: a line template such as
//   "{@timestamp} {level} {message}"
// {@timestamp} is the event time (RFC 3339, nanoseconds, UTC), {@body} the
// raw body, {name} or {a.b} a field ({message} falls back to the body when
// the event has no field of that name). {{ and }} are literal braces. A
// missing field renders as kMissingTextValue. Newlines and carriage returns
// inside values are written as \n and \r, so one event stays one line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir::file_output {

inline constexpr std::string_view kMissingTextValue = "-";

/// Appends `time_ns` as 2026-12-01T20:15:00.123456789Z.
void append_rfc3339_ns(std::string& out, int64_t time_ns);

class TextTemplate {
public:
    /// Throws std::invalid_argument with a one-line reason (unclosed brace,
    /// empty or unknown @placeholder).
    explicit TextTemplate(std::string_view text);

    /// Appends one line (with its newline) to `out`. `field(path, out)`
    /// appends the text of the field and returns false when there is none.
    template <class FieldFn>
    void render(std::string& out, int64_t time_ns, std::string_view body, FieldFn&& field) const {
        for (const Piece& p : pieces_) {
            switch (p.kind) {
                case Piece::Literal:
                    out.append(p.text);
                    break;
                case Piece::Timestamp:
                    append_rfc3339_ns(out, time_ns);
                    break;
                case Piece::Body:
                    append_escaped(out, body);
                    break;
                case Piece::Field: {
                    const size_t start = out.size();
                    if (field(p.path, out)) {
                        escape_tail(out, start);
                    } else if (p.message && !body.empty()) {
                        append_escaped(out, body);
                    } else {
                        out.append(kMissingTextValue);
                    }
                    break;
                }
            }
        }
        out.push_back('\n');
    }

private:
    struct Piece {
        enum Kind { Literal, Timestamp, Body, Field } kind;
        std::string text;
        std::vector<std::string> path;
        bool message = false;  // {message}: falls back to the body
    };
    static void append_escaped(std::string& out, std::string_view s);
    static void escape_tail(std::string& out, size_t start);

    std::vector<Piece> pieces_;
};

}  // namespace weir::file_output
