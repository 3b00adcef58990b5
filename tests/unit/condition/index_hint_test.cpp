// Condition::index_hint: exact hints for the common forms, and a randomized
// proof that a hint never excludes an event the condition matches (the
// store skips events by it). Also: describe() reads back as the same condition.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>
#include <weir/condition/condition.hpp>
#include <weir/condition/index_hint.hpp>

#include "event_builder.hpp"

using weir::condition::Condition;
using weir::condition::IndexHint;
using weir::condition::IndexKey;
using weir::condition::testing::EventBuilder;
using weir::event::Batch;

namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kDay = 1768780800 * kS;  // 2026-01-19T00:00:00Z

std::string show(const IndexHint& h) {
    std::string out;
    for (const auto& g : h.all) {
        out += "[";
        for (size_t k = 0; k < g.size(); ++k) {
            const auto& key = g[k];
            if (k) out += " ";
            out += key.kind == IndexKey::Kind::word          ? "w:" + key.text
                   : key.kind == IndexKey::Kind::word_prefix ? "p:" + key.text
                   : key.kind == IndexKey::Kind::number      ? "n:" + key.field + "=" + key.text
                                                             : "f:" + key.field + "=" + key.text;
        }
        out += "]";
    }
    return out;
}

std::string hint(const char* expr) { return show(Condition::compile(expr).index_hint()); }

}  // namespace

TEST(IndexHint, KeysOfTheCommonForms) {
    EXPECT_EQ(hint("database"), "[w:database]");
    EXPECT_EQ(hint("Database AND Timeout"), "[w:database][w:timeout]");
    EXPECT_EQ(hint("\"connection timeout\""), "[w:connection][w:timeout]");
    EXPECT_EQ(hint("\"db-primary: down\""), "[w:db][w:primary][w:down]");
    EXPECT_EQ(hint("web-api"), "[w:web][w:api]");
    EXPECT_EQ(hint("data*"), "[p:data]");
    EXPECT_EQ(hint("web-a*"), "[w:web][p:a]");
    EXPECT_EQ(hint("*base"), "");
    EXPECT_EQ(hint("*ata*"), "");
    EXPECT_EQ(hint("*x-ata*"), "[p:ata]");  // x may end a longer word; ata starts one
    EXPECT_EQ(hint("*x-y-ata*"), "[w:y][p:ata]");
    EXPECT_EQ(hint("error OR warning"), "[w:error w:warning]");
    EXPECT_EQ(hint("database NOT timeout"), "[w:database]");
    EXPECT_EQ(hint("NOT database"), "");
    EXPECT_EQ(hint("level:ERROR"), "[f:level=error]");
    EXPECT_EQ(hint("level = \"ERROR\" source:web-api"), "[f:level=error][f:source=web-api]");
    EXPECT_EQ(hint("request.headers.host:Shop.Example.com"), "[f:request.headers.host=shop.example.com]");
    EXPECT_EQ(hint("level IN (\"ERROR\", \"FATAL\")"), "[f:level=error f:level=fatal]");
    EXPECT_EQ(hint("level:(warn OR error)"), "[f:level=warn f:level=error]");
    // Numbers match numbers and numeric text: one number key, canonical.
    EXPECT_EQ(hint("status_code IN (500, 502)"), "[n:status_code=500 n:status_code=502]");
    EXPECT_EQ(hint("code:500"), "[n:code=500]");
    EXPECT_EQ(hint("code:\"500\""), "[n:code=500]");
    EXPECT_EQ(hint("code:500.0"), "[n:code=500]");
    EXPECT_EQ(hint("code:5e2"), "[n:code=500]");
    EXPECT_EQ(hint("code:-0"), "[n:code=0]");
    EXPECT_EQ(hint("ratio:0.25"), "[n:ratio=0.25]");
    EXPECT_EQ(hint("level IN (error, 5)"), "[f:level=error n:level=5]");
    EXPECT_EQ(hint("retried:true"), "");
    EXPECT_EQ(hint("level != error"), "");
    EXPECT_EQ(hint("database OR level:err*"), "");  // an unhintable branch
    EXPECT_EQ(hint("message:timeout source:web"), "[w:timeout][f:source=web]");
    EXPECT_EQ(hint("message LIKE \"%timeout%\""), "");
    EXPECT_EQ(hint("message LIKE \"timeout%\""), "[p:timeout]");
    EXPECT_EQ(hint("message LIKE \"%a connection timeout%\""), "[w:connection][p:timeout]");
    EXPECT_EQ(hint("message LIKE \"%db_%\""), "");
    EXPECT_EQ(hint("level LIKE \"error\""), "[f:level=error]");
    EXPECT_EQ(hint("level LIKE \"err%\""), "");
    EXPECT_EQ(hint("user_id EXISTS response_time > 5 x IS NOT NULL"), "");
    EXPECT_EQ(hint("x:abc OR (y:def AND z:ghi)"), "[f:x=abc f:y=def][f:x=abc f:z=ghi]");
    EXPECT_EQ(hint("(a AND b) OR (c AND d)"), "[w:a w:c][w:a w:d][w:b w:c][w:b w:d]");
    // Words longer than the index keeps are not named.
    EXPECT_EQ(hint(std::string(weir::condition::kMaxTokenBytes + 1, 'x').c_str()), "");
}

TEST(IndexHint, TimeBounds) {
    const auto h =
        Condition::compile("timestamp >= \"2026-01-19 09:00\" AND timestamp <= \"2026-01-19 17:00\"")
            .index_hint();
    EXPECT_EQ(h.from_ns, kDay + 9 * 3600 * kS);
    EXPECT_EQ(h.to_ns, kDay + 17 * 3600 * kS + 60 * kS - 1);
    const auto d = Condition::compile("@timestamp:2026-01-19 error").index_hint();
    EXPECT_EQ(d.from_ns, kDay);
    EXPECT_EQ(d.to_ns, kDay + 86400 * kS - 1);
    EXPECT_EQ(show(d), "[w:error]");
    const auto o = Condition::compile("_time < 2026-01-19 OR _time > 2026-01-20").index_hint();
    EXPECT_EQ(o.from_ns, std::numeric_limits<int64_t>::min());
    const auto u = Condition::compile("timestamp = 2026-01-18 OR timestamp = 2026-01-19").index_hint();
    EXPECT_EQ(u.from_ns, kDay - 86400 * kS);
    EXPECT_EQ(u.to_ns, kDay + 86400 * kS - 1);
    const auto n = Condition::compile("NOT timestamp > 2026-01-19").index_hint();
    EXPECT_EQ(n.from_ns, std::numeric_limits<int64_t>::min());
    EXPECT_EQ(n.to_ns, std::numeric_limits<int64_t>::max());
    // A relative lower bound is read at hint time; a relative upper bound is
    // not used (the clock moves it while events are checked).
    const int64_t before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    const auto r = Condition::compile("timestamp > now-1h AND timestamp < now").index_hint();
    EXPECT_GE(r.from_ns, before - 3600 * kS - kS);  // the clock for relative times is coarse (ms)
    EXPECT_LE(r.from_ns, before - 3600 * kS + 600 * kS);
    EXPECT_EQ(r.to_ns, std::numeric_limits<int64_t>::max());
}

// ---- randomized -------------------------------------------------------------------------------

namespace {

class Gen {
public:
    explicit Gen(uint32_t seed) : rng_(seed) {}

    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
    bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }
    template <class T>
    const T& one(const std::vector<T>& v) {
        return v[pick(v.size())];
    }

    std::string cased(std::string s) {
        const size_t mode = pick(3);
        for (char& c : s) {
            if (c < 'a' || c > 'z') continue;
            if (mode == 1 || (mode == 2 && chance(50))) c = static_cast<char>(c - 32);
        }
        return s;
    }
    std::string word() { return cased(one(words_)); }
    std::string sep() { return one(seps_); }

    std::string message() {
        std::string m;
        const size_t n = pick(7);
        for (size_t k = 0; k < n; ++k) m += (k ? sep() : (chance(20) ? sep() : "")) + word();
        if (chance(20)) m += sep();
        return m;
    }

    std::string scalar_text() {
        switch (pick(5)) {
            case 0:
                return std::to_string(static_cast<int>(pick(1200)) - 100);
            case 1:
                return std::to_string(pick(100)) + "." + std::to_string(pick(10));
            case 2:
                return word() + sep() + word();
            default:
                return word();
        }
    }

    void value(EventBuilder& e, const std::string& key, int depth) {
        switch (pick(depth > 1 ? 8 : 10)) {
            case 0:
                e.num(key, static_cast<int64_t>(pick(1200)) - 100);
                break;
            case 1:
                e.real(key, static_cast<double>(pick(2000)) / 4.0);
                break;
            case 2:
                e.boolean(key, chance(50));
                break;
            case 3:
                e.null(key);
                break;
            case 4:
                e.str(key, std::to_string(pick(1200)));
                break;  // a number as text
            case 5: {
                EventBuilder a = e.array(key);
                for (size_t k = pick(3); k > 0; --k) a.str("", word());
                break;
            }
            case 6:
            case 7:
                e.str(key, scalar_text());
                break;
            default: {
                EventBuilder o = e.object(key);
                for (const auto& f : fields_)
                    if (chance(50)) value(o, f, depth + 1);
                break;
            }
        }
    }

    void event(Batch& b) {
        const int64_t t = kDay + static_cast<int64_t>(pick(3 * 86400)) * kS - 86400 * kS;
        const size_t i = b.add(chance(10) ? "" : message(), t);
        EventBuilder e(b, i);
        for (const auto& f : fields_)
            if (chance(55)) value(e, f, 0);
        if (chance(15)) e.str("message", message());
    }

    std::string field() {
        std::string f = one(fields_);
        while (chance(25)) f += "." + one(fields_);
        return f;
    }

    std::string quoted(const std::string& s) {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return out + "\"";
    }

    std::string value_text() {
        std::string v = scalar_text();
        if (chance(15)) v = one(std::vector<std::string>{"true", "false", "null"});
        return v;
    }
    /// A value written either bare (when it reads back as one word) or quoted.
    std::string written_value() {
        std::string v = value_text();
        const bool bare = v.find_first_of(" :,()\"=<>!*") == std::string::npos && !v.empty() && v != "and" &&
                          v != "or" && v != "not" && chance(60);
        return bare ? v : quoted(v);
    }

    std::string like_pattern() {
        std::string p;
        if (chance(50)) p += "%";
        p += word();
        if (chance(30)) p += one(std::vector<std::string>{"_", "%", " ", "-"}) + word();
        if (chance(50)) p += chance(50) ? "%" : "_";
        return quoted(p);
    }

    std::string time_text() {
        const int day = 18 + static_cast<int>(pick(3));
        std::string d = "2026-01-" + std::to_string(day);
        switch (pick(4)) {
            case 0:
                return d;
            case 1:
                return quoted(d + " " + (pick(2) ? "09" : "17") + ":" + (pick(2) ? "00" : "30"));
            case 2:
                return d + "T12:00:00Z";
            default:
                return quoted(one(std::vector<std::string>{"now-1h", "15m", "last 24 hours", "today"}));
        }
    }

    std::string leaf() {
        switch (pick(19)) {
            case 0:
            case 1:
                return word();
            case 2: {
                std::string w = word();
                return pick(3) == 0 ? "*" + w : pick(2) ? w + "*" : "*" + w + "*";
            }
            case 3:
                return quoted(word() + sep() + word());
            case 4:
                return field() + ":" + written_value();
            case 5:
                return field() + ":" + word() + "*";
            case 6:
                return field() + " " + one(std::vector<std::string>{"=", "!=", "<>"}) + " " + written_value();
            case 7:
                return field() + " " + one(std::vector<std::string>{">", ">=", "<", "<="}) + " " +
                       std::to_string(static_cast<int>(pick(1200)) - 100);
            case 8: {
                std::string s = field() + (chance(30) ? " NOT IN (" : " IN (");
                for (size_t k = 0, n = 1 + pick(3); k < n; ++k) s += (k ? ", " : "") + written_value();
                return s + ")";
            }
            case 9:
                return field() + (chance(30) ? " NOT LIKE " : " LIKE ") + like_pattern();
            case 10:
                return field() + (chance(50) ? " IS NULL" : " IS NOT NULL");
            case 11:
                return field() + (chance(30) ? " NOT EXISTS" : " EXISTS");
            case 12:
                return "message:" + (chance(50) ? word() : quoted(word() + sep() + word()));
            case 13:
                return "message LIKE " + like_pattern();
            case 14:
                return one(std::vector<std::string>{"timestamp", "@timestamp", "_time"}) + " " +
                       one(std::vector<std::string>{">", ">=", "<", "<=", "=", "!="}) + " " + time_text();
            case 15:
                return field() + ":(" + written_value() + " OR " + written_value() + ")";
            case 16:
                return "_exists_:" + field();
            case 17:
                return field() + ":*";
            default:
                return "message = " + quoted(message());
        }
    }

    std::string condition(int depth = 0) {
        if (depth > 3 || chance(35)) return leaf();
        switch (pick(6)) {
            case 0:
                return condition(depth + 1) + " AND " + condition(depth + 1);
            case 1:
                return condition(depth + 1) + " or " + condition(depth + 1);
            case 2:
                return "NOT " + condition(depth + 1);
            case 3:
                return condition(depth + 1) + " " + condition(depth + 1);
            case 4:
                return condition(depth + 1) + " NOT " + condition(depth + 1);
            default:
                return "(" + condition(depth + 1) + ")";
        }
    }

private:
    std::mt19937 rng_;
    std::vector<std::string> words_{"error", "timeout", "database", "data",  "base", "db",
                                    "café",  "naïve",   "日本語",   "x_1",   "a",    "api",
                                    "web",   "conn",    "500",      "retry", "ÉTÉ"};
    std::vector<std::string> seps_{" ", " ", " ", "-", ".", ": ", ",", "  ", "/", "="};
    std::vector<std::string> fields_{"level", "code", "user", "req", "tags", "n", "message"};
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string_view message_of(const Batch& b, size_t i) {
    if (!b.body(i).empty()) return b.body(i);
    weir_value v;
    if (b.get(b.event(i).root, "message", &v) && v.type == WEIR_VAL_STRING) return {v.as.s.data, v.as.s.size};
    return {};
}

/// What an index built as index_hint.hpp describes holds for event i.
struct Indexed {
    std::set<std::string> tokens;
    bool has(const IndexKey& k, const Batch& b, size_t i) const {
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
                    // What the store indexes: numbers, and strings that read as one.
                    std::optional<double> x;
                    if (v.type == WEIR_VAL_INT) x = static_cast<double>(v.as.i);
                    if (v.type == WEIR_VAL_FLOAT && std::isfinite(v.as.f)) x = v.as.f;
                    if (v.type == WEIR_VAL_STRING)
                        x = weir::condition::read_number({v.as.s.data, v.as.s.size});
                    return x && weir::condition::number_key_text(*x) == k.text;
                }
                if (v.type != WEIR_VAL_STRING) return false;
                std::string s(v.as.s.data, v.as.s.size);
                for (char& c : s) c = lower(c);
                return s == k.text;
            }
        }
        return false;
    }
};

}  // namespace

TEST(IndexHintProperty, EveryMatchingEventSatisfiesTheHint) {
    size_t conditions = 0, matches = 0, hinted_matches = 0, pruned = 0, time_bounded = 0;
    for (uint32_t seed = 1; seed <= 4; ++seed) {
        Gen g(seed);
        Batch b;
        for (int k = 0; k < 60; ++k) g.event(b);
        std::vector<Indexed> idx(b.size());
        std::string scratch;
        for (size_t i = 0; i < b.size(); ++i)
            weir::condition::for_each_token(message_of(b, i), scratch,
                                            [&](std::string_view t) { idx[i].tokens.emplace(t); });
        for (int n = 0; n < 1500; ++n) {
            const std::string text = g.condition();
            Condition c;
            try {
                c = Condition::compile(text);
            } catch (const weir::condition::SyntaxError& e) {
                ADD_FAILURE() << "generated text does not compile: " << text << ": " << e.what();
                continue;
            }
            ++conditions;
            const IndexHint h = c.index_hint();
            if (h.from_ns != std::numeric_limits<int64_t>::min() ||
                h.to_ns != std::numeric_limits<int64_t>::max())
                ++time_bounded;
            for (size_t i = 0; i < b.size(); ++i) {
                bool admitted = b.event(i).time_ns >= h.from_ns && b.event(i).time_ns <= h.to_ns;
                for (const auto& group : h.all)
                    admitted = admitted && std::any_of(group.begin(), group.end(), [&](const IndexKey& k) {
                                   return idx[i].has(k, b, i);
                               });
                if (!admitted) ++pruned;
                if (!c.matches(b, i)) continue;
                ++matches;
                if (!h.all.empty()) ++hinted_matches;
                ASSERT_TRUE(admitted) << "seed " << seed << ": '" << text << "' (hint " << show(h) << " from "
                                      << h.from_ns << " to " << h.to_ns << ") matches but the hint excludes "
                                      << b.to_json(i) << " at " << b.event(i).time_ns;
            }
        }
    }
    // The test means something only if hints were often non-trivial.
    EXPECT_EQ(conditions, 6000u);
    EXPECT_GT(matches, 20000u);
    EXPECT_GT(hinted_matches, 2000u);
    EXPECT_GT(pruned, 50000u);
    EXPECT_GT(time_bounded, 100u);
}

TEST(DescribeProperty, DescribeReadsBackAsTheSameCondition) {
    size_t checked = 0;
    for (uint32_t seed = 11; seed <= 13; ++seed) {
        Gen g(seed);
        Batch b;
        for (int k = 0; k < 50; ++k) g.event(b);
        for (int n = 0; n < 1500; ++n) {
            const std::string text = g.condition();
            const Condition c = Condition::compile(text);
            const std::string d = c.describe();
            Condition back;
            try {
                back = Condition::compile(d);
            } catch (const weir::condition::SyntaxError& e) {
                FAIL() << "'" << text << "' describes as '" << d << "', which does not compile: " << e.what();
            }
            EXPECT_EQ(back.describe(), d) << text;
            for (size_t i = 0; i < b.size(); ++i)
                ASSERT_EQ(c.matches(b, i), back.matches(b, i))
                    << "'" << text << "' and its description '" << d << "' differ on " << b.to_json(i);
            ++checked;
        }
    }
    EXPECT_EQ(checked, 4500u);
}
