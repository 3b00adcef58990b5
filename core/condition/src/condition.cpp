#include <weir/condition/condition.hpp>

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

namespace weir::condition {

SyntaxError::SyntaxError(const std::string& what, size_t position)
    : std::runtime_error(what + " at position " + std::to_string(position)), position_(position) {}

// ---- the compiled tree -----------------------------------------------------------------

enum class Kind { And, Or, Not, Word, Phrase, Equals, Prefix, Compare, Exists, AnyOf };
enum class Op { Gt, Ge, Lt, Le };

struct Node {
    Kind kind;
    std::vector<std::shared_ptr<const Node>> children;  // And, Or, Not, AnyOf (alternatives)
    std::vector<std::string> path;                      // field path (dotted, split)
    std::string text;                                   // lower-cased word/phrase/value/prefix
    std::optional<double> number;                       // the value as a number, if it is one
    Op op = Op::Gt;
};

namespace {

using NodePtr = std::shared_ptr<const Node>;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

bool iequals(std::string_view a, std::string_view lower_b) {
    if (a.size() != lower_b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower_b[i]) return false;
    return true;
}

bool istarts_with(std::string_view a, std::string_view lower_prefix) {
    return a.size() >= lower_prefix.size() && iequals(a.substr(0, lower_prefix.size()), lower_prefix);
}

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

/// Case-insensitive search of `needle` (lower case) in `hay`; with `whole`,
/// only where it is not glued to other word characters.
bool contains(std::string_view hay, std::string_view needle, bool whole) {
    if (needle.empty()) return true;
    if (hay.size() < needle.size()) return false;
    const char first = needle[0];
    const char upper = (first >= 'a' && first <= 'z') ? static_cast<char>(first - 32) : first;
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        const char c = hay[i];
        if (c != first && c != upper) continue;
        if (!iequals(hay.substr(i, needle.size()), needle)) continue;
        if (!whole) return true;
        const bool left_ok = i == 0 || !is_word_char(hay[i - 1]) || !is_word_char(needle.front());
        const size_t end = i + needle.size();
        const bool right_ok = end == hay.size() || !is_word_char(hay[end]) || !is_word_char(needle.back());
        if (left_ok && right_ok) return true;
    }
    return false;
}

std::optional<double> parse_number(std::string_view s) {
    if (s.empty()) return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

// ---- tokens ----------------------------------------------------------------------------

enum class Tok { LParen, RParen, And, Or, Not, Word, Quoted, End };

struct Token {
    Tok kind;
    std::string text;  // Word: raw text; Quoted: unescaped content
    size_t pos;
};

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
    throw SyntaxError("unterminated quote", start);
}

std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
        } else if (c == '(') {
            out.push_back({Tok::LParen, "(", i++});
        } else if (c == ')') {
            out.push_back({Tok::RParen, ")", i++});
        } else if (c == '"') {
            const size_t start = i;
            out.push_back({Tok::Quoted, read_quoted(s, i), start});
        } else {
            // A word runs to whitespace or a parenthesis; a quote right after
            // "field:" belongs to it (field:"two words").
            const size_t start = i;
            std::string text;
            while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '(' &&
                   s[i] != ')') {
                if (s[i] == '"') {
                    if (text.empty() || text.back() != ':') throw SyntaxError("unexpected quote inside a word", i);
                    text.push_back('\0');  // marks "the rest was quoted" for the term parser
                    text += read_quoted(s, i);
                    break;
                }
                text.push_back(s[i++]);
            }
            Tok kind = Tok::Word;
            if (text == "AND" || text == "&&") kind = Tok::And;
            else if (text == "OR" || text == "||") kind = Tok::Or;
            else if (text == "NOT") kind = Tok::Not;
            out.push_back({kind, std::move(text), start});
        }
    }
    out.push_back({Tok::End, "", s.size()});
    return out;
}

// ---- parser ------------------------------------------------------------------------------

class Parser {
public:
    explicit Parser(std::string_view text) : toks_(tokenize(text)) {}

    NodePtr parse() {
        if (peek().kind == Tok::End) throw SyntaxError("empty condition", 0);
        NodePtr n = parse_or();
        if (peek().kind != Tok::End) {
            if (peek().kind == Tok::RParen) throw SyntaxError("unmatched ')'", peek().pos);
            throw SyntaxError("unexpected '" + peek().text + "'", peek().pos);
        }
        return n;
    }

private:
    const Token& peek() const { return toks_[pos_]; }
    const Token& take() { return toks_[pos_++]; }

    static bool starts_operand(Tok k) { return k == Tok::LParen || k == Tok::Not || k == Tok::Word || k == Tok::Quoted; }

    NodePtr parse_or() {
        std::vector<NodePtr> parts{parse_and()};
        while (peek().kind == Tok::Or) {
            const Token& op = take();
            if (!starts_operand(peek().kind)) throw SyntaxError("expected a term after OR", op.pos);
            parts.push_back(parse_and());
        }
        return parts.size() == 1 ? parts[0] : group(Kind::Or, std::move(parts));
    }

    NodePtr parse_and() {
        std::vector<NodePtr> parts{parse_not()};
        for (;;) {
            if (peek().kind == Tok::And) {
                const Token& op = take();
                if (!starts_operand(peek().kind)) throw SyntaxError("expected a term after AND", op.pos);
            } else if (!starts_operand(peek().kind)) {
                break;  // juxtaposition is AND
            }
            parts.push_back(parse_not());
        }
        return parts.size() == 1 ? parts[0] : group(Kind::And, std::move(parts));
    }

    NodePtr parse_not() {
        if (peek().kind == Tok::Not) {
            const Token& op = take();
            if (!starts_operand(peek().kind)) throw SyntaxError("expected a term after NOT", op.pos);
            auto n = std::make_shared<Node>();
            n->kind = Kind::Not;
            n->children.push_back(parse_not());
            return n;
        }
        return parse_primary();
    }

    NodePtr parse_primary() {
        const Token& t = peek();
        if (t.kind == Tok::LParen) {
            take();
            if (peek().kind == Tok::RParen) throw SyntaxError("empty parentheses", t.pos);
            NodePtr n = parse_or();
            if (peek().kind != Tok::RParen) throw SyntaxError("expected ')' to close the '(' at " + std::to_string(t.pos), peek().pos);
            take();
            return n;
        }
        if (t.kind == Tok::Quoted) {
            take();
            auto n = std::make_shared<Node>();
            n->kind = Kind::Phrase;
            n->text = to_lower(t.text);
            return n;
        }
        if (t.kind == Tok::Word) {
            take();
            return term(t);
        }
        if (t.kind == Tok::End) throw SyntaxError("unexpected end of the condition", t.pos);
        throw SyntaxError("unexpected '" + t.text + "'", t.pos);
    }

    static std::vector<std::string> split_path(std::string_view field, size_t pos) {
        std::vector<std::string> path;
        size_t start = 0;
        for (;;) {
            const size_t dot = field.find('.', start);
            const std::string_view part = field.substr(start, dot == std::string_view::npos ? dot : dot - start);
            if (part.empty()) throw SyntaxError("empty part in field name '" + std::string(field) + "'", pos + start);
            path.emplace_back(part);
            if (dot == std::string_view::npos) break;
            start = dot + 1;
        }
        return path;
    }

    /// A value after "field:" — text (maybe quoted), a prefix, or a number.
    static NodePtr value_node(const std::vector<std::string>& path, std::string_view raw, bool quoted, size_t pos) {
        auto n = std::make_shared<Node>();
        n->path = path;
        if (!quoted && raw == "*") {
            n->kind = Kind::Exists;
            return n;
        }
        if (!quoted && raw.size() > 1 && raw.back() == '*') {
            n->kind = Kind::Prefix;
            n->text = to_lower(raw.substr(0, raw.size() - 1));
            return n;
        }
        if (raw.empty() && !quoted) throw SyntaxError("missing value", pos);
        n->kind = Kind::Equals;
        n->text = to_lower(raw);
        if (!quoted) n->number = parse_number(raw);
        return n;
    }

    NodePtr term(const Token& t) {
        const std::string& w = t.text;
        // Comparison written without a colon: status>=500.
        const size_t opat = w.find_first_of("<>");
        const size_t colon = w.find(':');
        if (opat != std::string::npos && (colon == std::string::npos || opat < colon)) {
            return comparison(w.substr(0, opat), std::string_view(w).substr(opat), t.pos, t.pos + opat);
        }
        if (colon == std::string::npos) {
            if (w.find('\0') != std::string::npos) throw SyntaxError("unexpected quote", t.pos);
            auto n = std::make_shared<Node>();
            n->kind = Kind::Word;
            n->text = to_lower(w);
            return n;
        }
        const std::string field = w.substr(0, colon);
        if (field.empty()) throw SyntaxError("missing field name before ':'", t.pos);
        std::string_view rest = std::string_view(w).substr(colon + 1);
        const size_t vpos = t.pos + colon + 1;
        if (field == "_exists_") {
            if (rest.empty()) throw SyntaxError("_exists_ needs a field name", vpos);
            auto n = std::make_shared<Node>();
            n->kind = Kind::Exists;
            n->path = split_path(rest, vpos);
            return n;
        }
        const auto path = split_path(field, t.pos);
        if (!rest.empty() && rest.front() == '\0') return value_node(path, rest.substr(1), true, vpos);
        if (!rest.empty() && (rest.front() == '>' || rest.front() == '<')) return comparison(field, rest, t.pos, vpos);
        if (rest.empty()) {
            // field:(a OR b) — the group follows as separate tokens.
            if (peek().kind != Tok::LParen) throw SyntaxError("missing value after '" + field + ":'", vpos);
            const Token& open = take();
            auto any = std::make_shared<Node>();
            any->kind = Kind::AnyOf;
            for (;;) {
                const Token& v = take();
                if (v.kind == Tok::Word) {
                    any->children.push_back(value_node(path, v.text, false, v.pos));
                } else if (v.kind == Tok::Quoted) {
                    any->children.push_back(value_node(path, v.text, true, v.pos));
                } else {
                    throw SyntaxError("expected a value in the list opened at " + std::to_string(open.pos), v.pos);
                }
                const Token& sep = take();
                if (sep.kind == Tok::RParen) break;
                if (sep.kind != Tok::Or) throw SyntaxError("expected OR or ')' in the list opened at " + std::to_string(open.pos), sep.pos);
            }
            return any;
        }
        return value_node(path, rest, false, vpos);
    }

    NodePtr comparison(std::string_view field, std::string_view rest, size_t fpos, size_t opos) {
        if (field.empty()) throw SyntaxError("missing field name before the comparison", fpos);
        auto n = std::make_shared<Node>();
        n->kind = Kind::Compare;
        n->path = split_path(field, fpos);
        size_t len = 1;
        if (rest.size() >= 2 && rest[1] == '=') {
            n->op = rest[0] == '>' ? Op::Ge : Op::Le;
            len = 2;
        } else {
            n->op = rest[0] == '>' ? Op::Gt : Op::Lt;
        }
        const std::string_view value = rest.substr(len);
        if (value.empty()) throw SyntaxError("missing number after the comparison", opos + len);
        n->number = parse_number(value);
        if (!n->number) throw SyntaxError("'" + std::string(value) + "' is not a number", opos + len);
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
};

// ---- evaluation ----------------------------------------------------------------------------

/// The value at `path` in the event's fields; "message" falls back to the body.
bool lookup(const event::Batch& b, size_t i, const std::vector<std::string>& path, weir_value& out) {
    weir_node node = b.event(i).root;
    for (size_t k = 0; k < path.size(); ++k) {
        if (!b.get(node, path[k], &out)) {
            if (path.size() == 1 && path[0] == "message") {
                const std::string_view body = b.body(i);
                out.type = WEIR_VAL_STRING;
                out.as.s = weir_str{body.data(), body.size()};
                return true;
            }
            return false;
        }
        if (k + 1 < path.size()) {
            if (out.type != WEIR_VAL_OBJECT) return false;
            node = out.as.node;
        }
    }
    return true;
}

std::string_view message_of(const event::Batch& b, size_t i) {
    const std::string_view body = b.body(i);
    if (!body.empty()) return body;
    weir_value v;
    if (b.get(b.event(i).root, "message", &v) && v.type == WEIR_VAL_STRING) return {v.as.s.data, v.as.s.size};
    return body;
}

std::optional<double> number_of(const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_INT: return static_cast<double>(v.as.i);
        case WEIR_VAL_FLOAT: return v.as.f;
        case WEIR_VAL_STRING: return parse_number({v.as.s.data, v.as.s.size});
        default: return std::nullopt;
    }
}

bool equals(const Node& n, const weir_value& v) {
    switch (v.type) {
        case WEIR_VAL_STRING: return iequals({v.as.s.data, v.as.s.size}, n.text);
        case WEIR_VAL_INT:
        case WEIR_VAL_FLOAT: return n.number && *number_of(v) == *n.number;
        case WEIR_VAL_BOOL: return n.text == (v.as.b ? "true" : "false");
        case WEIR_VAL_NULL: return n.text == "null";
        default: return false;
    }
}

bool eval(const Node& n, const event::Batch& b, size_t i) {
    switch (n.kind) {
        case Kind::And:
            for (const auto& c : n.children)
                if (!eval(*c, b, i)) return false;
            return true;
        case Kind::Or:
            for (const auto& c : n.children)
                if (eval(*c, b, i)) return true;
            return false;
        case Kind::Not: return !eval(*n.children[0], b, i);
        case Kind::Word: return contains(message_of(b, i), n.text, true);
        case Kind::Phrase: return contains(message_of(b, i), n.text, false);
        case Kind::Exists: {
            weir_value v;
            return lookup(b, i, n.path, v);
        }
        case Kind::Equals: {
            weir_value v;
            return lookup(b, i, n.path, v) && equals(n, v);
        }
        case Kind::Prefix: {
            weir_value v;
            return lookup(b, i, n.path, v) && v.type == WEIR_VAL_STRING &&
                   istarts_with({v.as.s.data, v.as.s.size}, n.text);
        }
        case Kind::Compare: {
            weir_value v;
            if (!lookup(b, i, n.path, v)) return false;
            const auto x = number_of(v);
            if (!x) return false;
            switch (n.op) {
                case Op::Gt: return *x > *n.number;
                case Op::Ge: return *x >= *n.number;
                case Op::Lt: return *x < *n.number;
                case Op::Le: return *x <= *n.number;
            }
            return false;
        }
        case Kind::AnyOf:
            for (const auto& c : n.children)
                if (eval(*c, b, i)) return true;
            return false;
    }
    return false;
}

std::string join_path(const std::vector<std::string>& p) {
    std::string out;
    for (const auto& s : p) out += (out.empty() ? "" : ".") + s;
    return out;
}

std::string describe(const Node& n) {
    switch (n.kind) {
        case Kind::And:
        case Kind::Or: {
            std::string out = "(";
            for (size_t k = 0; k < n.children.size(); ++k)
                out += (k ? (n.kind == Kind::And ? " AND " : " OR ") : "") + describe(*n.children[k]);
            return out + ")";
        }
        case Kind::Not: return "NOT " + describe(*n.children[0]);
        case Kind::Word: return n.text;
        case Kind::Phrase: return "\"" + n.text + "\"";
        case Kind::Exists: return "_exists_:" + join_path(n.path);
        case Kind::Equals: return join_path(n.path) + ":" + n.text;
        case Kind::Prefix: return join_path(n.path) + ":" + n.text + "*";
        case Kind::Compare: {
            static const char* ops[] = {">", ">=", "<", "<="};
            char num[64];
            std::snprintf(num, sizeof num, "%g", *n.number);
            return join_path(n.path) + ops[static_cast<int>(n.op)] + num;
        }
        case Kind::AnyOf: {
            std::string out = "(";
            for (size_t k = 0; k < n.children.size(); ++k) out += (k ? " OR " : "") + describe(*n.children[k]);
            return out + ")";
        }
    }
    return "?";
}

}  // namespace

Condition Condition::compile(std::string_view text) {
    Condition c;
    c.root_ = Parser(text).parse();
    c.text_ = std::string(text);
    return c;
}

bool Condition::matches(const event::Batch& b, size_t i) const { return root_ && eval(*root_, b, i); }

std::string Condition::describe() const { return root_ ? weir::condition::describe(*root_) : ""; }

// Words and field values the tree requires; for now nothing, so nothing is pruned.
IndexHint Condition::index_hint() const { return {}; }

}  // namespace weir::condition
