// libFuzzer target for the condition language: any text either compiles or
// is refused with a SyntaxError whose position lies inside the text and that
// carries a hint. What compiles evaluates on realistic events without harm,
// describes itself as text that compiles to the same condition, and has an
// index hint that every event it matches satisfies. The text is also tried
// as a time point.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include <weir/condition/condition.hpp>
#include <weir/condition/time_range.hpp>

namespace {

using weir::condition::IndexKey;

void str(weir::event::Batch& b, weir_node n, const char* k, const char* s) {
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{s, std::strlen(s)};
    b.put(n, k, v, 0);
}

void num(weir::event::Batch& b, weir_node n, const char* k, int64_t x) {
    weir_value v{};
    v.type = WEIR_VAL_INT;
    v.as.i = x;
    b.put(n, k, v, 0);
}

weir_node container(weir::event::Batch& b, weir_node n, const char* k, int32_t type) {
    weir_value v{};
    v.type = type;
    return b.put(n, k, v, 0);
}

weir::event::Batch& sample() {
    static weir::event::Batch b;
    if (b.size() == 0) {
        constexpr int64_t t = 1768818600LL * 1'000'000'000;  // 2026-01-19T10:30:00Z
        b.add("GET /api/v1/orders failed: upstream timeout after 3000 ms", t);
        weir_node root = b.event(0).root;
        str(b, root, "level", "ERROR");
        str(b, root, "path", "/api/v1/orders");
        str(b, root, "code", "500");
        num(b, root, "status", 504);
        str(b, container(b, container(b, root, "request", WEIR_VAL_OBJECT), "headers", WEIR_VAL_OBJECT),
            "host", "shop.example.com");
        const weir_node tags = container(b, root, "tags", WEIR_VAL_ARRAY);
        str(b, tags, "", "prod");

        b.add("", t - 86'400'000'000'000);  // no body: the message field is the message
        root = b.event(1).root;
        str(b, root, "message", "Database connection TIMEOUT on db-primary");
        str(b, root, "user_email", "Jane@GMail.com");
        weir_value n{};
        n.type = WEIR_VAL_NULL;
        b.put(root, "parent_id", n, 0);

        b.add("caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac level=warn", t + 3'600'000'000'000);
        str(b, b.event(2).root, "level", "Warn");
    }
    return b;
}

std::string_view message_of(const weir::event::Batch& b, size_t i) {
    if (!b.body(i).empty()) return b.body(i);
    weir_value v;
    if (b.get(b.event(i).root, "message", &v) && v.type == WEIR_VAL_STRING) return {v.as.s.data, v.as.s.size};
    return {};
}

bool has_key(const weir::event::Batch& b, size_t i, const std::set<std::string>& tokens, const IndexKey& k) {
    switch (k.kind) {
        case IndexKey::Kind::word:
            return tokens.count(k.text) > 0;
        case IndexKey::Kind::word_prefix:
            return std::any_of(tokens.begin(), tokens.end(),
                               [&](const std::string& t) { return t.rfind(k.text, 0) == 0; });
        case IndexKey::Kind::number:
        case IndexKey::Kind::field: {
            weir_node node = b.event(i).root;
            weir_value v;
            std::string_view path = k.field;
            for (;;) {
                const size_t dot = path.find('.');
                if (!b.get(node, path.substr(0, dot), &v)) return false;
                if (dot == std::string_view::npos) break;
                if (v.type != WEIR_VAL_OBJECT) return false;
                node = v.as.node;
                path.remove_prefix(dot + 1);
            }
            if (k.kind == IndexKey::Kind::number) {
                std::optional<double> x;
                if (v.type == WEIR_VAL_INT) x = static_cast<double>(v.as.i);
                if (v.type == WEIR_VAL_FLOAT && std::isfinite(v.as.f)) x = v.as.f;
                if (v.type == WEIR_VAL_STRING) x = weir::condition::read_number({v.as.s.data, v.as.s.size});
                return x && weir::condition::number_key_text(*x) == k.text;
            }
            if (v.type != WEIR_VAL_STRING) return false;
            std::string s(v.as.s.data, v.as.s.size);
            for (char& c : s)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
            return s == k.text;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)weir::condition::parse_time_point(text, 1768818600LL * 1'000'000'000, size % 2 == 0);
    weir::event::Batch& b = sample();
    try {
        const auto c = weir::condition::Condition::compile(text);
        const auto back =
            weir::condition::Condition::compile(c.describe());  // throws: a bug, not a SyntaxError
        const auto hint = c.index_hint();
        std::string scratch;
        for (size_t i = 0; i < b.size(); ++i) {
            const bool m = c.matches(b, i);
            if (m != back.matches(b, i)) std::abort();  // describe() changed the meaning
            if (!m) continue;
            std::set<std::string> tokens;
            weir::condition::for_each_token(message_of(b, i), scratch,
                                            [&](std::string_view t) { tokens.emplace(t); });
            const int64_t t = b.event(i).time_ns;
            if (t < hint.from_ns || t > hint.to_ns) std::abort();
            for (const auto& group : hint.all)
                if (std::none_of(group.begin(), group.end(),
                                 [&](const IndexKey& k) { return has_key(b, i, tokens, k); }))
                    std::abort();  // the hint would prune a matching event
        }
    } catch (const weir::condition::SyntaxError& e) {
        if (e.position() > size) std::abort();  // a position outside the text
        if (e.hint().empty()) std::abort();     // every refusal says what to write instead
    }
    return 0;
}
