#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <optional>
#include <vector>
#include <weir/condition/condition.hpp>
#include <weir/condition/time_range.hpp>

namespace weir::condition {

SyntaxError::SyntaxError(const std::string& what, size_t position, std::string hint)
    : std::runtime_error(what + " at position " + std::to_string(position) +
                         (hint.empty() ? "" : "; " + hint)),
      position_(position),
      hint_(std::move(hint)) {}

// ---- the compiled tree -----------------------------------------------------------------

enum class Kind {
    All,      // `*`: every event
    And,      // children
    Or,       // children
    Not,      // children[0]
    Text,     // the message contains `text` (word boundaries as left_bounded/right_bounded)
    Exists,   // the path is present (any type, null included)
    IsNull,   // the path is missing or null
    Equals,   // the value equals `text` (or `number`)
    Like,     // the value's text matches `like`
    Compare,  // the value, as a number, compares with `number`
    Time,     // the event time lies within [lo, hi]
    AnyOf,    // one of the children (Equals or Time nodes of one path)
};
enum class Op { Gt, Ge, Lt, Le };

/// A field path, split once at compile time.
struct Path {
    std::vector<std::string> parts;
    bool message = false;    // `message`: the event's message (body first, then the field)
    bool top_level = false;  // one part, not the message: a single look-up
    std::string dotted;
};

/// A LIKE pattern, compiled: per byte a literal (lower-cased), '_' (one
/// character) or '%' (any run); with a fast path for the common shapes.
struct LikePattern {
    enum class Shape { Exact, Prefix, Suffix, Contains, General };
    enum : uint8_t { kLit = 0, kOne = 1, kMany = 2 };
    Shape shape = Shape::General;
    std::string literal;         // Exact/Prefix/Suffix/Contains: the literal part
    std::string chars;           // General: the pattern bytes
    std::vector<uint8_t> kinds;  // General: kLit, kOne or kMany per byte
    std::string source;          // the pattern as LIKE text (for describe)
};

/// A time point that may follow the clock ("now-1h", "today").
struct TimeRef {
    enum class Mode { Absolute, Now, Day };
    Mode mode = Mode::Absolute;
    int64_t offset = 0;
};

struct Node {
    Kind kind;
    std::vector<std::shared_ptr<const Node>> children;
    Path path;
    std::string text;              // lower-cased text / value; Compare, Time: the value as written
    std::optional<double> number;  // the value as a number, if it reads as one
    Op op = Op::Gt;
    bool left_bounded = true;   // Text: starts at a word boundary
    bool right_bounded = true;  // Text: ends at a word boundary
    LikePattern like;
    std::optional<TimeRef> lo, hi;  // Time: inclusive bounds
    std::string time_op;            // Time: the operator as written ("=", ">=", ...)
};

namespace {

using NodePtr = std::shared_ptr<const Node>;

constexpr int64_t kDayNs = 86'400'000'000'000;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

[[gnu::always_inline]] inline bool iequals(std::string_view a, std::string_view lower_b) {
    if (a.size() != lower_b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower_b[i]) return false;
    return true;
}

bool is_word_char(char c) { return is_token_byte(c); }

/// Case-insensitive search of `needle` (lower case) in `hay`; where the
/// needle starts (ends) with a word character and `left` (`right`) is set,
/// only where it is not glued to another word character on that side.
bool contains(std::string_view hay, std::string_view needle, bool left, bool right) {
    if (needle.empty()) return true;
    if (hay.size() < needle.size()) return false;
    const char first = needle[0];
    const char upper = (first >= 'a' && first <= 'z') ? static_cast<char>(first - 32) : first;
    const bool check_left = left && is_word_char(needle.front());
    const bool check_right = right && is_word_char(needle.back());
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        const char c = hay[i];
        if (c != first && c != upper) continue;
        if (!iequals(hay.substr(i, needle.size()), needle)) continue;
        if (check_left && i > 0 && is_word_char(hay[i - 1])) continue;
        const size_t end = i + needle.size();
        if (check_right && end < hay.size() && is_word_char(hay[end])) continue;
        return true;
    }
    return false;
}

// The index's numeric keys read numbers the same way (index_hint.hpp).
std::optional<double> parse_number(std::string_view s) { return read_number(s); }

/// Bytes of the UTF-8 character starting at s[i] (1 for anything malformed).
size_t char_len(std::string_view s, size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF8 ? 4 : 1;
    return std::min(n, s.size() - i);
}

// ---- LIKE -------------------------------------------------------------------------------

/// Compiles parsed pattern bytes (kinds per byte) into a LikePattern.
LikePattern make_like(std::string chars, std::vector<uint8_t> kinds, std::string source) {
    // Collapse runs of '%'.
    std::string c2;
    std::vector<uint8_t> k2;
    for (size_t i = 0; i < chars.size(); ++i) {
        if (kinds[i] == LikePattern::kMany && !k2.empty() && k2.back() == LikePattern::kMany) continue;
        c2.push_back(chars[i]);
        k2.push_back(kinds[i]);
    }
    LikePattern p;
    p.source = std::move(source);
    const bool has_one = std::find(k2.begin(), k2.end(), LikePattern::kOne) != k2.end();
    size_t many = static_cast<size_t>(std::count(k2.begin(), k2.end(), LikePattern::kMany));
    const bool lead = !k2.empty() && k2.front() == LikePattern::kMany;
    const bool trail = k2.size() > 1 && k2.back() == LikePattern::kMany;
    if (!has_one && many == static_cast<size_t>(lead) + static_cast<size_t>(trail)) {
        p.literal = c2.substr(lead ? 1 : 0, c2.size() - (lead ? 1 : 0) - (trail ? 1 : 0));
        p.shape = lead && trail ? LikePattern::Shape::Contains
                  : lead        ? LikePattern::Shape::Suffix
                  : trail       ? LikePattern::Shape::Prefix
                                : LikePattern::Shape::Exact;
        if (k2.size() == 1 && lead) p.shape = LikePattern::Shape::Contains;  // "%"
    }
    p.chars = std::move(c2);
    p.kinds = std::move(k2);
    return p;
}

/// A LIKE pattern as written: '%' any run, '_' one character, '\' makes the
/// next character literal. Matching ignores ASCII case.
LikePattern compile_like(std::string_view text) {
    std::string chars;
    std::vector<uint8_t> kinds;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            chars.push_back(lower(text[++i]));
            kinds.push_back(LikePattern::kLit);
        } else if (text[i] == '%') {
            chars.push_back('%');
            kinds.push_back(LikePattern::kMany);
        } else if (text[i] == '_') {
            chars.push_back('_');
            kinds.push_back(LikePattern::kOne);
        } else {
            chars.push_back(lower(text[i]));
            kinds.push_back(LikePattern::kLit);
        }
    }
    return make_like(std::move(chars), std::move(kinds), to_lower(text));
}

/// A `field:glob` value: '*' any run at the start or end, everything else literal.
LikePattern glob_like(std::string_view literal, bool lead, bool trail) {
    std::string chars, source;
    std::vector<uint8_t> kinds;
    if (lead) {
        chars.push_back('%');
        kinds.push_back(LikePattern::kMany);
        source.push_back('%');
    }
    for (char c : literal) {
        chars.push_back(lower(c));
        kinds.push_back(LikePattern::kLit);
        if (c == '%' || c == '_' || c == '\\') source.push_back('\\');
        source.push_back(lower(c));
    }
    if (trail) {
        chars.push_back('%');
        kinds.push_back(LikePattern::kMany);
        source.push_back('%');
    }
    return make_like(std::move(chars), std::move(kinds), std::move(source));
}

/// Iterative wildcard matching with one backtrack point: O(|s| * |p|).
bool like_general(std::string_view s, const LikePattern& p) {
    size_t i = 0, j = 0, star_j = std::string::npos, star_i = 0;
    while (i < s.size()) {
        if (j < p.kinds.size() && p.kinds[j] == LikePattern::kLit && lower(s[i]) == p.chars[j]) {
            ++i;
            ++j;
        } else if (j < p.kinds.size() && p.kinds[j] == LikePattern::kOne) {
            i += char_len(s, i);
            ++j;
        } else if (j < p.kinds.size() && p.kinds[j] == LikePattern::kMany) {
            star_j = j++;
            star_i = i;
        } else if (star_j != std::string::npos) {
            j = star_j + 1;
            star_i += char_len(s, star_i);
            i = star_i;
        } else {
            return false;
        }
    }
    while (j < p.kinds.size() && p.kinds[j] == LikePattern::kMany) ++j;
    return j == p.kinds.size();
}

bool like_match(std::string_view s, const LikePattern& p) {
    switch (p.shape) {
        case LikePattern::Shape::Exact:
            return iequals(s, p.literal);
        case LikePattern::Shape::Prefix:
            return s.size() >= p.literal.size() && iequals(s.substr(0, p.literal.size()), p.literal);
        case LikePattern::Shape::Suffix:
            return s.size() >= p.literal.size() && iequals(s.substr(s.size() - p.literal.size()), p.literal);
        case LikePattern::Shape::Contains:
            return contains(s, p.literal, false, false);
        case LikePattern::Shape::General:
            return like_general(s, p);
    }
    return false;
}

// ---- time ---------------------------------------------------------------------------------

int64_t day_start(int64_t t) {
    int64_t d = t / kDayNs;
    if (t % kDayNs < 0) --d;
    return d * kDayNs;
}

int64_t sat_add(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/// Whether the text names a fixed instant, one that follows the clock, or
/// one that follows the calendar day; probed with three clock readings.
std::optional<TimeRef> time_ref(std::string_view text, bool end) {
    constexpr int64_t n1 = 20'000 * kDayNs + 12 * 3'600'000'000'000;  // noon of a day in 2024
    constexpr int64_t n2 = n1 + 1'000'000'000;
    constexpr int64_t n3 = n1 + kDayNs;
    const auto p1 = parse_time_point(text, n1, end);
    if (!p1) return std::nullopt;
    const auto p2 = parse_time_point(text, n2, end);
    const auto p3 = parse_time_point(text, n3, end);
    if (!p2 || !p3) return std::nullopt;
    TimeRef r;
    if (*p1 == *p2 && *p1 == *p3) {
        r.offset = *p1;
    } else if (*p2 - *p1 == n2 - n1 && *p3 - *p1 == n3 - n1) {
        r.mode = TimeRef::Mode::Now;
        r.offset = *p1 - n1;
    } else if (*p1 == *p2 && *p3 - *p1 == kDayNs) {
        r.mode = TimeRef::Mode::Day;
        r.offset = *p1 - day_start(n1);
    } else {
        return std::nullopt;
    }
    return r;
}

/// The wall clock for relative times, read per event: the coarse clock
/// (a few ms of resolution) costs a fraction of the precise one.
int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t resolve(const TimeRef& r, int64_t now) {
    switch (r.mode) {
        case TimeRef::Mode::Absolute:
            return r.offset;
        case TimeRef::Mode::Now:
            return sat_add(now, r.offset);
        case TimeRef::Mode::Day:
            return sat_add(day_start(now), r.offset);
    }
    return r.offset;
}

TimeRef shifted(TimeRef r, int64_t by) {
    r.offset = sat_add(r.offset, by);
    return r;
}

bool is_time_field(std::string_view f) { return f == "timestamp" || f == "@timestamp" || f == "_time"; }

// ---- tokens ----------------------------------------------------------------------------

enum class Tok { LParen, RParen, Comma, Colon, Op, Word, Quoted, And, Or, Not, End };

struct Token {
    Tok kind;
    std::string text;  // Word: raw text; Quoted: unescaped content; Op: the operator
    size_t pos;
};

const char* kQuoteHint = "quote text with spaces or symbols: field:\"two words\"";

/// The text of the quoted string starting at s[i] (a '"'), backslash
/// escapes undone; leaves i after the closing quote.
std::string read_quoted(std::string_view s, size_t& i) {
    const size_t start = i++;
    std::string text;
    while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            text.push_back(s[i + 1]);
            i += 2;
        } else if (s[i] == '"') {
            ++i;
            return text;
        } else {
            text.push_back(s[i++]);
        }
    }
    throw SyntaxError("unterminated quote", start,
                      "close it with '\"', or write \\\" for a quote inside the text");
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// The comparison operator starting at s[i], or 0 bytes.
size_t op_len(std::string_view s, size_t i) {
    const char c = s[i];
    const char n = i + 1 < s.size() ? s[i + 1] : '\0';
    if (c == '=') return 1;
    if (c == '!' && n == '=') return 2;
    if (c == '<') return (n == '=' || n == '>') ? 2 : 1;
    if (c == '>') return n == '=' ? 2 : 1;
    return 0;
}

bool ikeyword(std::string_view w, std::string_view lower_kw) { return iequals(w, lower_kw); }

std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    size_t i = 0;
    bool value_mode = false;  // after ':' or an operator, a value runs to a space, ',', '(' or ')'
    while (i < s.size()) {
        const char c = s[i];
        if (is_space(c)) {
            ++i;
        } else if (c == '(' || c == ')' || c == ',') {
            out.push_back({c == '('   ? Tok::LParen
                           : c == ')' ? Tok::RParen
                                      : Tok::Comma,
                           std::string(1, c), i++});
            value_mode = false;
        } else if (c == '"') {
            const size_t start = i;
            out.push_back({Tok::Quoted, read_quoted(s, i), start});
            value_mode = false;
        } else if (size_t n = op_len(s, i); n && (!value_mode || out.back().kind == Tok::Colon)) {
            out.push_back({Tok::Op, std::string(s.substr(i, n)), i});
            i += n;
            value_mode = true;
        } else if (c == ':' && !value_mode) {
            out.push_back({Tok::Colon, ":", i++});
            value_mode = true;
        } else {
            const size_t start = i;
            while (i < s.size() && !is_space(s[i]) && s[i] != '(' && s[i] != ')' && s[i] != ',') {
                if (s[i] == '"')
                    throw SyntaxError(
                        "unexpected quote inside a word", i,
                        "put a space before the quote, or ':' between a field and a quoted value");
                if (!value_mode && (s[i] == ':' || op_len(s, i))) break;
                ++i;
            }
            out.push_back({Tok::Word, std::string(s.substr(start, i - start)), start});
            value_mode = false;
        }
    }
    out.push_back({Tok::End, "", s.size()});
    // AND, OR and NOT are keywords in any case (quote them to search them), unless
    // a field name follows.
    for (size_t k = 0; k + 1 < out.size(); ++k) {
        Token& t = out[k];
        if (t.kind != Tok::Word || out[k + 1].kind == Tok::Colon || out[k + 1].kind == Tok::Op) continue;
        if (ikeyword(t.text, "and") || t.text == "&&")
            t.kind = Tok::And;
        else if (ikeyword(t.text, "or") || t.text == "||")
            t.kind = Tok::Or;
        else if (ikeyword(t.text, "not"))
            t.kind = Tok::Not;
    }
    return out;
}

// ---- parser ------------------------------------------------------------------------------

NodePtr make(Kind k) {
    auto n = std::make_shared<Node>();
    n->kind = k;
    return n;
}

NodePtr negate(NodePtr c) {
    auto n = std::make_shared<Node>();
    n->kind = Kind::Not;
    n->children.push_back(std::move(c));
    return n;
}

class Parser {
public:
    explicit Parser(std::string_view text) : toks_(tokenize(text)) {}

    NodePtr parse() {
        if (peek().kind == Tok::End)
            throw SyntaxError("empty condition", 0,
                              "write a word, a phrase or a field comparison such as level:error");
        NodePtr n = parse_or();
        if (peek().kind != Tok::End) {
            if (peek().kind == Tok::RParen)
                throw SyntaxError("unmatched ')'", peek().pos, "remove it or add the '(' it closes");
            unexpected(peek());
        }
        return n;
    }

private:
    const Token& peek(size_t ahead = 0) const { return toks_[std::min(pos_ + ahead, toks_.size() - 1)]; }
    const Token& take() { return toks_[std::min(pos_++, toks_.size() - 1)]; }

    static bool starts_operand(Tok k) {
        return k == Tok::LParen || k == Tok::Not || k == Tok::Word || k == Tok::Quoted;
    }

    [[noreturn]] static void unexpected(const Token& t) {
        switch (t.kind) {
            case Tok::End:
                throw SyntaxError("unexpected end of the condition", t.pos, "complete the expression");
            case Tok::Comma:
                throw SyntaxError("unexpected ','", t.pos,
                                  "commas separate the values of an IN list; quote text with commas");
            case Tok::Colon:
                throw SyntaxError("missing field name before ':'", t.pos, "write field:value");
            case Tok::Op:
                throw SyntaxError("missing field name before '" + t.text + "'", t.pos,
                                  "write field " + t.text + " value");
            case Tok::RParen:
                throw SyntaxError("unexpected ')'", t.pos, "remove it or add the '(' it closes");
            default:
                throw SyntaxError("unexpected '" + t.text + "'", t.pos, kQuoteHint);
        }
    }

    void enter(size_t pos) {
        if (++depth_ > kMaxConditionDepth)
            throw SyntaxError("nested more than " + std::to_string(kMaxConditionDepth) + " levels deep", pos,
                              "remove parentheses or NOTs");
    }

    NodePtr parse_or() {
        std::vector<NodePtr> parts{parse_and()};
        while (peek().kind == Tok::Or) {
            const Token& op = take();
            if (!starts_operand(peek().kind))
                throw SyntaxError("expected a term after OR", op.pos, "write a term on both sides of OR");
            parts.push_back(parse_and());
        }
        return parts.size() == 1 ? parts[0] : group(Kind::Or, std::move(parts));
    }

    NodePtr parse_and() {
        std::vector<NodePtr> parts{parse_not()};
        for (;;) {
            if (peek().kind == Tok::And) {
                const Token& op = take();
                if (!starts_operand(peek().kind))
                    throw SyntaxError("expected a term after AND", op.pos,
                                      "write a term on both sides of AND");
            } else if (!starts_operand(peek().kind)) {
                break;  // juxtaposition is AND; "a NOT b" is "a AND NOT b"
            }
            parts.push_back(parse_not());
        }
        return parts.size() == 1 ? parts[0] : group(Kind::And, std::move(parts));
    }

    NodePtr parse_not() {
        if (peek().kind == Tok::Not) {
            const Token& op = take();
            if (!starts_operand(peek().kind))
                throw SyntaxError("expected a term after NOT", op.pos,
                                  "write NOT before a term: NOT level:debug");
            enter(op.pos);
            NodePtr n = negate(parse_not());
            --depth_;
            return n;
        }
        return parse_primary();
    }

    NodePtr parse_primary() {
        const Token& t = peek();
        if (t.kind == Tok::LParen) {
            take();
            enter(t.pos);
            if (peek().kind == Tok::RParen)
                throw SyntaxError("empty parentheses", t.pos, "put a term inside them");
            NodePtr n = parse_or();
            if (peek().kind != Tok::RParen)
                throw SyntaxError("expected ')' to close the '(' at " + std::to_string(t.pos), peek().pos,
                                  "add the missing ')'");
            take();
            --depth_;
            return n;
        }
        if (t.kind == Tok::Quoted) {
            take();
            return text_node(t.text, true, true);
        }
        if (t.kind == Tok::Word) {
            take();
            return term(t);
        }
        unexpected(t);
    }

    static NodePtr text_node(std::string_view text, bool left, bool right) {
        auto n = std::make_shared<Node>();
        n->kind = Kind::Text;
        n->text = to_lower(text);
        n->left_bounded = left;
        n->right_bounded = right;
        return n;
    }

    /// A bare word of the message: `*` every event; `data*`, `*base`, `*ata*`
    /// a word's prefix, suffix or infix.
    static NodePtr word_node(std::string_view w) {
        const bool lead = !w.empty() && w.front() == '*';
        const bool trail = !w.empty() && w.back() == '*';
        while (!w.empty() && w.front() == '*') w.remove_prefix(1);
        while (!w.empty() && w.back() == '*') w.remove_suffix(1);
        if (w.empty()) return make(Kind::All);
        return text_node(w, !lead, !trail);
    }

    static bool word_is(const Token& t, std::string_view lower_kw) {
        return t.kind == Tok::Word && ikeyword(t.text, lower_kw);
    }

    /// A word, or the field of a predicate that follows it.
    NodePtr term(const Token& t) {
        const Token& next = peek();
        if (next.kind == Tok::Colon) {
            take();
            return colon_form(t, next);
        }
        if (next.kind == Tok::Op) {
            take();
            return op_form(t, next);
        }
        bool neg = false;
        size_t k = 0;
        if (next.kind == Tok::Not) {
            neg = true;
            k = 1;
        }
        const Token& kw = peek(k);
        const Token& after = peek(k + 1);
        if (word_is(kw, "in") && after.kind == Tok::LParen) {
            pos_ += k + 1;
            NodePtr n = in_list(t);
            return neg ? negate(n) : n;
        }
        if (word_is(kw, "like") && (after.kind == Tok::Quoted ||
                                    (after.kind == Tok::Word && after.text.find('%') != std::string::npos))) {
            pos_ += k + 2;
            NodePtr n = like_form(t, after);
            return neg ? negate(n) : n;
        }
        if (word_is(kw, "exists")) {
            pos_ += k + 1;
            NodePtr n = exists_form(t, kw);
            return neg ? negate(n) : n;
        }
        if (!neg && word_is(kw, "is")) {
            const bool is_not = peek(1).kind == Tok::Not;
            if (word_is(peek(is_not ? 2 : 1), "null")) {
                pos_ += is_not ? 3 : 2;
                auto n = std::make_shared<Node>();
                n->kind = Kind::IsNull;
                n->path = field_path(t, "IS NULL");
                return is_not ? negate(n) : n;
            }
        }
        if (word_is(kw, "like") && (after.kind == Tok::End || after.kind == Tok::RParen ||
                                    after.kind == Tok::And || after.kind == Tok::Or))
            throw SyntaxError("expected a pattern after LIKE", after.pos,
                              "write field LIKE \"%text%\" (% any run, _ one character)");
        return word_node(t.text);
    }

    Path field_path(const Token& t, std::string_view what) {
        Path p = split_path(t.text, t.pos);
        if (is_time_field(t.text))
            throw SyntaxError(t.text + " is the event time and cannot take " + std::string(what), t.pos,
                              "compare it: " + t.text + " >= \"2026-01-19 09:00\"");
        return p;
    }

    static Path split_path(std::string_view field, size_t pos) {
        Path path;
        size_t start = 0;
        for (;;) {
            const size_t dot = field.find('.', start);
            const std::string_view part =
                field.substr(start, dot == std::string_view::npos ? dot : dot - start);
            if (part.empty())
                throw SyntaxError("empty part in field name '" + std::string(field) + "'", pos + start,
                                  "write nested fields as a.b.c");
            if (ikeyword(part, "and") || ikeyword(part, "or") || ikeyword(part, "not") || part == "&&" ||
                part == "||")
                throw SyntaxError("'" + std::string(part) + "' is a keyword, not a field name", pos + start,
                                  "AND, OR and NOT join terms: a AND b");
            path.parts.emplace_back(part);
            if (dot == std::string_view::npos) break;
            start = dot + 1;
        }
        path.message = path.parts.size() == 1 && path.parts[0] == "message";
        path.top_level = path.parts.size() == 1 && !path.message;
        path.dotted = std::string(field);
        return path;
    }

    static NodePtr equals_node(const Path& path, std::string_view raw) {
        auto n = std::make_shared<Node>();
        n->kind = Kind::Equals;
        n->path = path;
        n->text = to_lower(raw);
        n->number = parse_number(raw);
        return n;
    }

    /// `timestamp = x`: within the calendar unit x names (a day, a minute, an instant).
    static NodePtr time_node(const Token& field, std::string_view op, const Token& v) {
        auto n = std::make_shared<Node>();
        n->kind = Kind::Time;
        n->text = v.text;
        n->time_op = std::string(op);
        const auto start = time_ref(v.text, false);
        const auto end = time_ref(v.text, true);
        if (!start || !end)
            throw SyntaxError(
                "'" + v.text + "' is not a time", v.pos,
                "write 2026-01-19, \"2026-01-19 10:00\", 2026-01-19T10:00:00Z, now-1h, 15m, \"last 24 "
                "hours\", today or yesterday (quote forms with spaces) after " +
                    field.text);
        if (op == "=" || op == ":") {
            n->lo = start;
            n->hi = end;
        } else if (op == ">") {
            n->lo = shifted(*end, 1);
        } else if (op == ">=") {
            n->lo = start;
        } else if (op == "<") {
            n->hi = shifted(*start, -1);
        } else {
            n->hi = end;
        }
        return n;
    }

    /// field:value, field:"text", field:pre*, field:*, field:(a OR b), field:>=5.
    NodePtr colon_form(const Token& f, const Token& colon) {
        if (f.text == "_exists_") {
            const Token& v = peek();
            if (v.kind != Tok::Word)
                throw SyntaxError("_exists_ needs a field name", v.pos, "write _exists_:field");
            take();
            return exists_form(v, v);
        }
        const Path path = split_path(f.text, f.pos);
        const Token& v = peek();
        if (v.kind == Tok::Op) {
            take();
            return op_form(f, v);
        }
        if (v.kind == Tok::LParen) {
            const Token& open = take();
            enter(open.pos);  // its description may need the parentheses back
            std::vector<NodePtr> alts;
            for (;;) {
                const Token& x = peek();
                if (x.kind != Tok::Word && x.kind != Tok::Quoted)
                    throw SyntaxError("expected a value in the list opened at " + std::to_string(open.pos),
                                      x.pos, "write field:(a OR b)");
                take();
                alts.push_back(colon_value(f, path, x));
                const Token& sep = take();
                if (sep.kind == Tok::RParen) break;
                if (sep.kind != Tok::Or && sep.kind != Tok::Comma)
                    throw SyntaxError("expected OR or ')' in the list opened at " + std::to_string(open.pos),
                                      sep.pos, "write field:(a OR b)");
            }
            --depth_;
            if (alts.size() == 1) return alts[0];
            const bool all_equals = std::all_of(alts.begin(), alts.end(), [](const NodePtr& a) {
                return a->kind == Kind::Equals || a->kind == Kind::Time;
            });
            return group(all_equals ? Kind::AnyOf : Kind::Or, std::move(alts));
        }
        if (v.kind != Tok::Word && v.kind != Tok::Quoted)
            throw SyntaxError("expected a value after '" + f.text + ":'",
                              v.kind == Tok::End ? colon.pos + 1 : v.pos, kQuoteHint);
        take();
        return colon_value(f, path, v);
    }

    /// One value after "field:" — a glob when unquoted; the message takes words.
    static NodePtr colon_value(const Token& f, const Path& path, const Token& v) {
        if (is_time_field(f.text)) return time_node(f, "=", v);
        const bool quoted = v.kind == Tok::Quoted;
        std::string_view raw = v.text;
        if (path.message) return quoted ? text_node(raw, true, true) : word_node(raw);
        if (!quoted && !raw.empty() && (raw.front() == '*' || raw.back() == '*')) {
            const bool lead = raw.front() == '*';
            const bool trail = raw.size() > 1 && raw.back() == '*';
            while (!raw.empty() && raw.front() == '*') raw.remove_prefix(1);
            while (!raw.empty() && raw.back() == '*') raw.remove_suffix(1);
            auto n = std::make_shared<Node>();
            n->path = path;
            if (raw.empty()) {
                n->kind = Kind::Exists;
                return n;
            }
            n->kind = Kind::Like;
            n->like = glob_like(raw, lead, trail);
            return n;
        }
        return equals_node(path, raw);
    }

    /// field = value, field != value, field <> value, field > 5, ...
    NodePtr op_form(const Token& f, const Token& op) {
        const Path path = split_path(f.text, f.pos);
        const Token& v = peek();
        if (v.kind != Tok::Word && v.kind != Tok::Quoted) {
            const bool text = op.text == "=" || op.text == "!=" || op.text == "<>";
            throw SyntaxError(
                "expected a value after '" + op.text + "'", v.pos,
                text ? "quote text with spaces: " + f.text + " " + op.text + " \"two words\""
                     : "write a number (or a time after timestamp): " + f.text + " " + op.text + " 500");
        }
        take();
        if (is_time_field(f.text)) {
            if (op.text == "!=" || op.text == "<>") return negate(time_node(f, "=", v));
            return time_node(f, op.text, v);
        }
        if (op.text == "=") return equals_node(path, v.text);
        if (op.text == "!=" || op.text == "<>") return negate(equals_node(path, v.text));
        auto n = std::make_shared<Node>();
        n->kind = Kind::Compare;
        n->path = path;
        n->op = op.text == ">" ? Op::Gt : op.text == ">=" ? Op::Ge : op.text == "<" ? Op::Lt : Op::Le;
        n->number = parse_number(v.text);
        n->text = v.text;
        if (!n->number)
            throw SyntaxError(
                "'" + v.text + "' is not a number", v.pos,
                "'" + op.text + "' compares numbers (or the event time); for text use = or LIKE");
        return n;
    }

    /// field IN (a, b, "c d") — the '(' is next.
    NodePtr in_list(const Token& f) {
        const Token& open = take();
        auto any = std::make_shared<Node>();
        any->kind = Kind::AnyOf;
        const bool time = is_time_field(f.text);
        const Path path = split_path(f.text, f.pos);
        for (;;) {
            const Token& v = peek();
            if (v.kind != Tok::Word && v.kind != Tok::Quoted)
                throw SyntaxError("expected a value in the IN list opened at " + std::to_string(open.pos),
                                  v.pos, "write field IN (\"a\", \"b\", 3)");
            take();
            any->children.push_back(time ? time_node(f, "=", v) : equals_node(path, v.text));
            const Token& sep = take();
            if (sep.kind == Tok::RParen) break;
            if (sep.kind != Tok::Comma)
                throw SyntaxError("expected ',' or ')' in the IN list opened at " + std::to_string(open.pos),
                                  sep.pos, "separate values with commas: field IN (\"a\", \"b\")");
        }
        return any;
    }

    NodePtr like_form(const Token& f, const Token& pattern) {
        auto n = std::make_shared<Node>();
        n->kind = Kind::Like;
        n->path = field_path(f, "LIKE");
        n->like = compile_like(pattern.text);
        return n;
    }

    NodePtr exists_form(const Token& f, const Token&) {
        auto n = std::make_shared<Node>();
        n->kind = Kind::Exists;
        n->path = field_path(f, "EXISTS");
        return n;
    }

    static NodePtr group(Kind k, std::vector<NodePtr> parts) {
        auto n = std::make_shared<Node>();
        n->kind = k;
        n->children = std::move(parts);
        return n;
    }

    std::vector<Token> toks_;
    size_t pos_ = 0;
    size_t depth_ = 0;
};

// ---- evaluation ----------------------------------------------------------------------------

std::string_view message_of(const event::Batch& b, size_t i) {
    const std::string_view body = b.body(i);
    if (!body.empty()) return body;
    weir_value v;
    if (b.get(b.event(i).root, "message", &v) && v.type == WEIR_VAL_STRING) return {v.as.s.data, v.as.s.size};
    return body;
}

/// The value at `path` in the event's fields; `message` is the body, or the
/// `message` field when the body is empty and that field is text.
[[gnu::noinline]] bool lookup_other(const event::Batch& b, size_t i, const Path& path, weir_value& out);

[[gnu::always_inline]] inline bool lookup(const event::Batch& b, size_t i, const Path& path,
                                          weir_value& out) {
    if (path.top_level) return b.get(b.event(i).root, path.parts[0], &out);
    return lookup_other(b, i, path, out);
}

bool lookup_other(const event::Batch& b, size_t i, const Path& path, weir_value& out) {
    if (path.message) {
        const std::string_view body = b.body(i);
        if (!body.empty()) {
            out.type = WEIR_VAL_STRING;
            out.as.s = weir_str{body.data(), body.size()};
            return true;
        }
        return b.get(b.event(i).root, "message", &out) && out.type == WEIR_VAL_STRING;
    }
    weir_node node = b.event(i).root;
    const size_t n = path.parts.size();
    for (size_t k = 0; k < n; ++k) {
        if (!b.get(node, path.parts[k], &out)) return false;
        if (k + 1 < n) {
            if (out.type != WEIR_VAL_OBJECT) return false;
            node = out.as.node;
        }
    }
    return true;
}

std::optional<double> number_of(const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_INT:
            return static_cast<double>(v.as.i);
        case WEIR_VAL_FLOAT:
            return v.as.f;
        case WEIR_VAL_STRING:
            return parse_number({v.as.s.data, v.as.s.size});
        default:
            return std::nullopt;
    }
}

/// A text field holding a number ("500.0") against a numeric value.
[[gnu::noinline]] bool equals_as_number(std::string_view s, double number) {
    const auto x = parse_number(s);
    return x && *x == number;
}

bool equals(const Node& n, const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_STRING: {
            const std::string_view s{v.as.s.data, v.as.s.size};
            return iequals(s, n.text) || (n.number && equals_as_number(s, *n.number));
        }
        case WEIR_VAL_INT:
            return n.number && static_cast<double>(v.as.i) == *n.number;
        case WEIR_VAL_FLOAT:
            return n.number && v.as.f == *n.number;
        case WEIR_VAL_BOOL:
            return n.text == (v.as.b ? "true" : "false");
        case WEIR_VAL_NULL:
            return n.text == "null";
        default:
            return false;
    }
}

[[gnu::noinline]] bool like(const Node& n, const weir_value& v) {
    char buf[64];
    switch (v.type) {
        case WEIR_VAL_STRING:
            return like_match({v.as.s.data, v.as.s.size}, n.like);
        case WEIR_VAL_INT: {
            const auto r = std::to_chars(buf, buf + sizeof buf, v.as.i);
            return like_match({buf, static_cast<size_t>(r.ptr - buf)}, n.like);
        }
        case WEIR_VAL_FLOAT: {
            const auto r = std::to_chars(buf, buf + sizeof buf, v.as.f);
            return like_match({buf, static_cast<size_t>(r.ptr - buf)}, n.like);
        }
        case WEIR_VAL_BOOL:
            return like_match(v.as.b ? "true" : "false", n.like);
        default:
            return false;
    }
}

bool eval(const Node& n, const event::Batch& b, size_t i);

/// The forms filters rarely use, out of line so that the hot evaluator stays
/// small (its frame is set up once per node and event).
[[gnu::noinline]] bool eval_cold(const Node& n, const event::Batch& b, size_t i) {
    weir_value v;
    switch (n.kind) {
        case Kind::All:
            return true;
        case Kind::Exists:
            return lookup(b, i, n.path, v);
        case Kind::IsNull:
            return !lookup(b, i, n.path, v) || v.type == WEIR_VAL_NULL;
        case Kind::Like:
            return lookup(b, i, n.path, v) && like(n, v);
        case Kind::Time: {
            const int64_t t = b.event(i).time_ns;
            const bool rel = (n.lo && n.lo->mode != TimeRef::Mode::Absolute) ||
                             (n.hi && n.hi->mode != TimeRef::Mode::Absolute);
            const int64_t now = rel ? now_ns() : 0;
            if (n.lo && t < resolve(*n.lo, now)) return false;
            if (n.hi && t > resolve(*n.hi, now)) return false;
            return true;
        }
        default:
            return false;
    }
}

bool eval(const Node& n, const event::Batch& b, size_t i) {
    switch (n.kind) {
        case Kind::And:
            for (const auto& c : n.children)
                if (!eval(*c, b, i)) return false;
            return true;
        case Kind::Or:
        case Kind::AnyOf:
            for (const auto& c : n.children)
                if (eval(*c, b, i)) return true;
            return false;
        case Kind::Not:
            return !eval(*n.children[0], b, i);
        case Kind::Text:
            return contains(message_of(b, i), n.text, n.left_bounded, n.right_bounded);
        case Kind::Equals: {
            weir_value v;
            return lookup(b, i, n.path, v) && equals(n, v);
        }
        case Kind::Compare: {
            weir_value v;
            if (!lookup(b, i, n.path, v)) return false;
            const auto x = number_of(v);
            if (!x) return false;
            switch (n.op) {
                case Op::Gt:
                    return *x > *n.number;
                case Op::Ge:
                    return *x >= *n.number;
                case Op::Lt:
                    return *x < *n.number;
                case Op::Le:
                    return *x <= *n.number;
            }
            return false;
        }
        default:
            return eval_cold(n, b, i);
    }
}

// ---- describe ------------------------------------------------------------------------------

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "\"";
}

bool is_keyword(std::string_view w) {
    for (const char* k : {"and", "or", "not", "in", "like", "is", "null", "exists"})
        if (iequals(w, k)) return true;
    return w == "&&" || w == "||";
}

/// Text that reads back as the same single word (outside value position).
bool bare_word_safe(std::string_view w) {
    if (w.empty() || is_keyword(w)) return false;
    for (char c : w)
        if (is_space(c) || c == '(' || c == ')' || c == ',' || c == '"' || c == ':' || c == '=' || c == '<' ||
            c == '>' || c == '!' || c == '*')
            return false;
    return true;
}

/// Text that reads back as the same value after "field:".
bool bare_value_safe(std::string_view w) {
    if (w.empty() || is_keyword(w)) return false;
    if (w.front() == '<' || w.front() == '>' || w.front() == '=' ||
        (w.front() == '!' && w.size() > 1 && w[1] == '='))
        return false;
    for (char c : w)
        if (is_space(c) || c == '(' || c == ')' || c == ',' || c == '"' || c == '*') return false;
    return true;
}

std::string describe(const Node& n);

/// A child of AND or NOT: parenthesised only where precedence needs it, so a
/// description never nests deeper than the text it came from.
std::string describe_operand(const Node& c, bool under_not) {
    const bool wrap = c.kind == Kind::Or || (under_not && c.kind == Kind::And);
    return wrap ? "(" + describe(c) + ")" : describe(c);
}

std::string describe(const Node& n) {
    switch (n.kind) {
        case Kind::All:
            return "*";
        case Kind::And:
        case Kind::Or: {
            std::string out;
            for (size_t k = 0; k < n.children.size(); ++k)
                out += (k ? (n.kind == Kind::And ? " AND " : " OR ") : "") +
                       (n.kind == Kind::And ? describe_operand(*n.children[k], false)
                                            : describe(*n.children[k]));
            return out;
        }
        case Kind::Not:
            return "NOT " + describe_operand(*n.children[0], true);
        case Kind::Text:
            if (n.left_bounded && n.right_bounded) return bare_word_safe(n.text) ? n.text : quote(n.text);
            return std::string("message:") + (n.left_bounded ? "" : "*") + n.text +
                   (n.right_bounded ? "" : "*");
        case Kind::Exists:
            return "_exists_:" + n.path.dotted;
        case Kind::IsNull:
            return n.path.dotted + " IS NULL";
        case Kind::Equals:
            if (n.path.message || n.path.dotted == "_exists_") return n.path.dotted + " = " + quote(n.text);
            return n.path.dotted + ":" + (bare_value_safe(n.text) ? n.text : quote(n.text));
        case Kind::Like:
            return n.path.dotted + " LIKE " + quote(n.like.source);
        case Kind::Compare: {
            static const char* ops[] = {">", ">=", "<", "<="};
            return n.path.dotted + ops[static_cast<int>(n.op)] + n.text;
        }
        case Kind::Time:
            return "timestamp " + n.time_op + " " + quote(n.text);
        case Kind::AnyOf: {
            const bool in = std::all_of(n.children.begin(), n.children.end(), [&](const NodePtr& c) {
                return c->kind == Kind::Equals && c->path.dotted == n.children[0]->path.dotted;
            });
            std::string out = in ? n.children[0]->path.dotted + " IN (" : "(";
            for (size_t k = 0; k < n.children.size(); ++k)
                out += (k ? (in ? ", " : " OR ") : "") +
                       (in ? quote(n.children[k]->text) : describe(*n.children[k]));
            return out + ")";
        }
    }
    return "?";
}

// ---- index hints -----------------------------------------------------------------------------

using Group = std::vector<IndexKey>;
using Cnf = std::vector<Group>;

constexpr size_t kMaxHintGroups = 16;

/// The keys a literal of the message guarantees: a token bounded on both
/// sides is a word, one bounded only on its left a word prefix.
void literal_keys(std::string_view lit, bool left, bool right, Cnf& out) {
    size_t i = 0;
    while (i < lit.size()) {
        while (i < lit.size() && !is_token_byte(lit[i])) ++i;
        const size_t start = i;
        while (i < lit.size() && is_token_byte(lit[i])) ++i;
        const size_t n = i - start;
        if (n == 0 || n > kMaxTokenBytes) continue;
        const bool l = start > 0 || left;
        const bool r = i < lit.size() || right;
        if (!l) continue;
        IndexKey k{
            r ? IndexKey::Kind::word : IndexKey::Kind::word_prefix, {}, to_lower(lit.substr(start, n))};
        out.push_back({std::move(k)});
    }
}

/// Keys of a LIKE pattern on the message: each literal run between
/// wildcards; a run at the start (end) of the pattern is anchored there.
void like_message_keys(const LikePattern& p, Cnf& out) {
    size_t i = 0;
    const size_t n = p.kinds.size();
    while (i < n) {
        if (p.kinds[i] != LikePattern::kLit) {
            ++i;
            continue;
        }
        const size_t start = i;
        while (i < n && p.kinds[i] == LikePattern::kLit) ++i;
        literal_keys(std::string_view(p.chars).substr(start, i - start), start == 0, i == n, out);
    }
}

bool hintable_value(std::string_view lower_text) {
    return !parse_number(lower_text) && lower_text != "true" && lower_text != "false" && lower_text != "null";
}

struct Hint {
    Cnf all;
    int64_t from = std::numeric_limits<int64_t>::min();
    int64_t to = std::numeric_limits<int64_t>::max();
};

/// The keys of one value comparison that an index holds (nothing when unsure).
/// An equality with a number matches numbers and numeric text equal to it
/// (never a bool or null), which the store indexes under one number key.
std::optional<IndexKey> field_key(const Node& n) {
    if (n.kind != Kind::Equals || n.path.message) return std::nullopt;
    if (n.number) return IndexKey{IndexKey::Kind::number, n.path.dotted, number_key_text(*n.number)};
    if (!hintable_value(n.text)) return std::nullopt;
    return IndexKey{IndexKey::Kind::field, n.path.dotted, n.text};
}

Hint hint_of(const Node& n, int64_t now) {
    Hint h;
    switch (n.kind) {
        case Kind::And:
            for (const auto& c : n.children) {
                Hint x = hint_of(*c, now);
                for (auto& g : x.all) h.all.push_back(std::move(g));
                h.from = std::max(h.from, x.from);
                h.to = std::min(h.to, x.to);
            }
            return h;
        case Kind::Or: {
            // The disjunction of CNFs, distributed while it stays small.
            Cnf acc;
            bool first = true, none = false;
            h.from = std::numeric_limits<int64_t>::max();
            h.to = std::numeric_limits<int64_t>::min();
            for (const auto& c : n.children) {
                Hint x = hint_of(*c, now);
                h.from = std::min(h.from, x.from);
                h.to = std::max(h.to, x.to);
                if (none) continue;
                if (x.all.empty()) {
                    none = true;
                    continue;
                }
                if (first) {
                    acc = std::move(x.all);
                    first = false;
                    continue;
                }
                if (acc.size() * x.all.size() > kMaxHintGroups) {
                    acc.resize(1);  // keep one group of each side: still implied
                    x.all.resize(1);
                }
                Cnf next;
                for (const auto& g : acc)
                    for (const auto& k : x.all) {
                        Group u = g;
                        u.insert(u.end(), k.begin(), k.end());
                        next.push_back(std::move(u));
                    }
                acc = std::move(next);
            }
            if (!none) h.all = std::move(acc);
            return h;
        }
        case Kind::Text: {
            literal_keys(n.text, n.left_bounded, n.right_bounded, h.all);
            return h;
        }
        case Kind::Equals:
            if (auto k = field_key(n)) h.all.push_back({std::move(*k)});
            return h;
        case Kind::AnyOf: {
            Group g;
            bool times = true;
            h.from = std::numeric_limits<int64_t>::max();
            h.to = std::numeric_limits<int64_t>::min();
            for (const auto& c : n.children) {
                if (c->kind == Kind::Time) {
                    Hint x = hint_of(*c, now);
                    h.from = std::min(h.from, x.from);
                    h.to = std::max(h.to, x.to);
                    continue;
                }
                times = false;
                auto k = field_key(*c);
                if (!k) return Hint{};
                g.push_back(std::move(*k));
            }
            if (!times) {
                h = Hint{};
                if (!g.empty()) h.all.push_back(std::move(g));
            }
            return h;
        }
        case Kind::Like:
            if (n.path.message) {
                like_message_keys(n.like, h.all);
            } else if (n.like.shape == LikePattern::Shape::Exact && hintable_value(n.like.literal) &&
                       !parse_number(n.like.literal)) {
                h.all.push_back({IndexKey{IndexKey::Kind::field, n.path.dotted, n.like.literal}});
            }
            return h;
        case Kind::Time:
            // A bound that follows the clock only ever moves later, so a lower
            // bound read now still holds when the event is checked; an upper
            // one would not.
            if (n.lo) h.from = resolve(*n.lo, now);
            if (n.hi && n.hi->mode == TimeRef::Mode::Absolute) h.to = resolve(*n.hi, now);
            return h;
        default:
            return h;  // All, Not, Exists, IsNull, Compare: nothing an index holds
    }
}

}  // namespace

Condition Condition::compile(std::string_view text) {
    if (text.size() > kMaxConditionBytes)
        throw SyntaxError("condition longer than " + std::to_string(kMaxConditionBytes) + " bytes",
                          kMaxConditionBytes, "split it into several filters or searches");
    Condition c;
    c.root_ = Parser(text).parse();
    c.text_ = std::string(text);
    return c;
}

bool Condition::matches(const event::Batch& b, size_t i) const { return root_ && eval(*root_, b, i); }

std::string Condition::describe() const { return root_ ? weir::condition::describe(*root_) : ""; }

IndexHint Condition::index_hint() const {
    if (!root_) return {};
    Hint h = hint_of(*root_, now_ns());
    IndexHint out;
    out.all = std::move(h.all);
    out.from_ns = h.from;
    out.to_ns = h.to;
    return out;
}

}  // namespace weir::condition
