// The path template of the file output: literal text, strftime-style time
// fields taken from the event's time in UTC (%Y %m %d %H %M %S %j %y %s %%)
// and {field} / {a.b} placeholders filled from the event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir::file_output {

/// What a placeholder renders when the event has no such field (or it is null
/// or empty).
inline constexpr std::string_view kMissingPathValue = "_";
/// The longest a single field value may be inside a path (NAME_MAX).
inline constexpr size_t kMaxPathValue = 255;

class PathTemplate {
public:
    /// Throws std::invalid_argument with a one-line reason for a bad template:
    /// not absolute, a ".." component, an unknown % code, an unclosed brace.
    explicit PathTemplate(std::string_view text);

    bool has_fields() const { return has_fields_; }
    bool has_time() const { return granularity_s_ != 0; }
    /// The shortest time unit the template names, in seconds (0: no time
    /// fields). Two events whose times fall in the same unit render the same
    /// time parts.
    int64_t granularity_s() const { return granularity_s_; }
    const std::string& text() const { return text_; }

    /// Renders the path of one event into `out` (cleared first). `field(path,
    /// out)` appends the text of the field at `path` (its segments) and
    /// returns false when there is none. Field values are sanitised so that
    /// they never leave their path component: '/', NUL and control bytes
    /// become '_', a value of only dots becomes underscores, long values are
    /// cut at kMaxPathValue bytes, and a missing value is kMissingPathValue.
    template <class FieldFn>
    void render(std::string& out, int64_t time_ns, FieldFn&& field) const {
        out.clear();
        Civil t{};
        bool have_time = false;
        for (const Piece& p : pieces_) {
            switch (p.kind) {
                case Piece::Literal:
                    out.append(p.text);
                    break;
                case Piece::Time:
                    if (!have_time) {
                        t = civil(time_ns);
                        have_time = true;
                    }
                    append_time(out, p.code, t, time_ns);
                    break;
                case Piece::Field: {
                    const size_t start = out.size();
                    if (!field(p.path, out) || out.size() == start) {
                        out.resize(start);
                        out.append(kMissingPathValue);
                    }
                    sanitise(out, start);
                    break;
                }
            }
        }
    }

private:
    struct Piece {
        enum Kind { Literal, Time, Field } kind;
        std::string text;               // Literal
        char code = 0;                  // Time
        std::vector<std::string> path;  // Field: its segments
    };
    struct Civil {
        int64_t year;
        unsigned month, day, hour, minute, second, yday;
    };
    static Civil civil(int64_t time_ns);
    static void append_time(std::string& out, char code, const Civil& t, int64_t time_ns);
    static void sanitise(std::string& out, size_t start);

    std::string text_;
    std::vector<Piece> pieces_;
    bool has_fields_ = false;
    int64_t granularity_s_ = 0;
};

/// Splits "a.b.c" into its segments; a segment may not be empty.
std::vector<std::string> split_field_path(std::string_view path);

}  // namespace weir::file_output
