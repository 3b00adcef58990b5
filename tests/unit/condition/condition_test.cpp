#include <gtest/gtest.h>

#include <cstring>
#include <weir/condition/condition.hpp>

using weir::condition::Condition;
using weir::condition::SyntaxError;
using weir::event::Batch;

namespace {

/// A realistic access-log event with nested fields.
class ConditionTest : public ::testing::Test {
protected:
    void SetUp() override {
        b.add("GET /api/v1/orders failed: upstream timeout after 3000 ms", 0);
        auto root = b.event(0).root;
        put_str(root, "level", "ERROR");
        put_str(root, "service", "checkout");
        put_int(root, "status", 504);
        put_float(root, "latency_ms", 3000.5);
        put_str(root, "path", "/api/v1/orders");
        put_str(root, "code", "500");  // a number written as text
        weir_value v{};
        v.type = WEIR_VAL_BOOL;
        v.as.b = 1;
        b.put(root, "retried", v, 0);
        weir_value o{};
        o.type = WEIR_VAL_OBJECT;
        const weir_node req = b.put(root, "request", o, 0);
        const weir_node headers = b.put(req, "headers", o, 0);
        put_str(headers, "host", "shop.example.com");
    }
    void put_str(weir_node n, const char* k, const char* s) {
        weir_value v{};
        v.type = WEIR_VAL_STRING;
        v.as.s = weir_str{s, std::strlen(s)};
        b.put(n, k, v, 0);
    }
    void put_int(weir_node n, const char* k, int64_t x) {
        weir_value v{};
        v.type = WEIR_VAL_INT;
        v.as.i = x;
        b.put(n, k, v, 0);
    }
    void put_float(weir_node n, const char* k, double x) {
        weir_value v{};
        v.type = WEIR_VAL_FLOAT;
        v.as.f = x;
        b.put(n, k, v, 0);
    }
    bool m(const char* expr) { return Condition::compile(expr).matches(b, 0); }
    Batch b;
};

size_t error_position(const char* expr) {
    try {
        Condition::compile(expr);
    } catch (const SyntaxError& e) {
        return e.position();
    }
    return std::string::npos;
}

}  // namespace

TEST_F(ConditionTest, WordsAndPhrasesOfTheMessage) {
    EXPECT_TRUE(m("timeout"));
    EXPECT_TRUE(m("TIMEOUT upstream"));
    EXPECT_FALSE(m("time"));  // whole words only
    EXPECT_TRUE(m("\"upstream timeout\""));
    EXPECT_FALSE(m("\"timeout upstream\""));
    // Phrases match at word boundaries, like words (an index finds them by
    // their tokens); infixes are written *ata* or with LIKE.
    EXPECT_FALSE(m("\"out after 30\""));
    EXPECT_TRUE(m("\"timeout after 3000\""));
}

TEST_F(ConditionTest, FieldValuesPrefixesAndNumbers) {
    EXPECT_TRUE(m("level:error"));  // text is compared without case
    EXPECT_TRUE(m("service:checkout"));
    EXPECT_FALSE(m("service:check"));
    EXPECT_TRUE(m("service:check*"));
    EXPECT_TRUE(m("path:/api/*"));
    EXPECT_TRUE(m("status:504"));
    EXPECT_FALSE(m("status:500"));
    EXPECT_TRUE(m("retried:true"));
    EXPECT_TRUE(m("path:\"/api/v1/orders\""));
    // message:... searches the message like a bare term; = compares all of it.
    EXPECT_TRUE(m("message:\"upstream timeout after 3000 ms\""));
    EXPECT_FALSE(m("message = \"upstream timeout after 3000 ms\""));
    EXPECT_TRUE(m("message:GET*"));
}

TEST_F(ConditionTest, Comparisons) {
    EXPECT_TRUE(m("status>=500"));
    EXPECT_TRUE(m("status:>=500"));
    EXPECT_FALSE(m("status<500"));
    EXPECT_TRUE(m("latency_ms>1000"));
    EXPECT_TRUE(m("latency_ms<=3000.5"));
    EXPECT_TRUE(m("code>=500"));   // numbers written as text compare as numbers
    EXPECT_FALSE(m("service>1"));  // not a number: no match
    EXPECT_FALSE(m("missing>1"));
}

TEST_F(ConditionTest, ListsExistenceAndNesting) {
    EXPECT_TRUE(m("level:(warn OR error)"));
    EXPECT_FALSE(m("level:(warn OR info)"));
    EXPECT_TRUE(m("status:(404 OR 504)"));
    EXPECT_TRUE(m("_exists_:latency_ms"));
    EXPECT_FALSE(m("_exists_:user_id"));
    EXPECT_TRUE(m("_exists_:request.headers.host"));
    EXPECT_TRUE(m("request.headers.host:shop.example.com"));
    EXPECT_FALSE(m("request.headers.agent:x"));
    EXPECT_FALSE(m("level.sub:x"));  // not an object
    EXPECT_TRUE(m("service:*"));
}

TEST_F(ConditionTest, BooleanLogicAndPrecedence) {
    EXPECT_TRUE(m("level:error AND status>=500"));
    EXPECT_TRUE(m("level:error status>=500"));  // juxtaposition is AND
    EXPECT_FALSE(m("level:error AND status<500"));
    EXPECT_TRUE(m("level:info OR status>=500"));
    EXPECT_TRUE(m("NOT level:info"));
    EXPECT_FALSE(m("NOT level:error"));
    // AND binds tighter than OR: (info AND 504) OR checkout
    EXPECT_TRUE(m("level:info AND status:504 OR service:checkout"));
    EXPECT_FALSE(m("level:info AND (status:504 OR service:checkout)"));
    EXPECT_TRUE(m("NOT (level:info OR level:debug) AND _exists_:status"));
    // describe() writes parentheses only where precedence needs them.
    EXPECT_EQ(Condition::compile("a b OR NOT c:d").describe(), "a AND b OR NOT c:d");
}

TEST_F(ConditionTest, SyntaxErrorsNameThePosition) {
    EXPECT_EQ(error_position(""), 0u);
    EXPECT_EQ(error_position("level:error AND"), 12u);
    EXPECT_EQ(error_position("(level:error"), 12u);
    EXPECT_EQ(error_position("level:error)"), 11u);
    EXPECT_EQ(error_position("status>=abc"), 8u);
    EXPECT_EQ(error_position("\"unclosed"), 0u);
    EXPECT_EQ(error_position("level:(warn error)"), 12u);
    EXPECT_EQ(error_position(":x"), 0u);
    EXPECT_EQ(error_position("a..b:x"), 2u);
    EXPECT_EQ(error_position("()"), 0u);
    try {
        Condition::compile("status>=");
        FAIL();
    } catch (const SyntaxError& e) {
        EXPECT_STREQ(e.what(),
                     "expected a value after '>=' at position 8; write a number (or a time after timestamp): "
                     "status >= "
                     "500");
    }
}
