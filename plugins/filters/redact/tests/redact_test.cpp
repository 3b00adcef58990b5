#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <weir/runtime/testing.hpp>

using weir::event::Batch;
using weir::runtime::testing::StageHarness;

namespace {

std::string run(StageHarness& h, const std::string& line) {
    Batch b;
    b.add(line, 0);
    h.process(b);
    return std::string(b.body(0));
}

}  // namespace

TEST(RedactFilter, CardsWithSpacesAndDashesKeepTheLastFour) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    EXPECT_EQ(run(h, "paid with 4111-1111-1111-1111 today"), "paid with ****-****-****-1111 today");
    EXPECT_EQ(run(h, "card 4111 1111 1111 1111."), "card **** **** **** 1111.");
    EXPECT_EQ(run(h, "card=5500005555555559"), "card=************5559");
    EXPECT_EQ(run(h, "amex 3782 822463 10005"), "amex **** ****** *0005");
    // Counted as outcomes, not errors: redacting is the filter working.
    EXPECT_EQ(h.metrics().outcomes.get("redacted_message"), 4u);
    EXPECT_TRUE(h.metrics().errors.snapshot().empty());
}

TEST(RedactFilter, LookalikesThatFailLuhnAreLeftAlone) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    const std::string order = "order 4111-1111-1111-1112 shipped";  // Luhn fails
    EXPECT_EQ(run(h, order), order);
    const std::string ts = "took 1700000000123 ns";  // 13 digits, fails Luhn
    EXPECT_EQ(run(h, ts), ts);
    const std::string phone = "call +1 555 0100";
    EXPECT_EQ(run(h, phone), phone);
}

TEST(RedactFilter, SecretsInEveryCaseAndQuoting) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    EXPECT_EQ(run(h, "login user=bob password=hunter2 ok"), "login user=bob password=[REDACTED] ok");
    EXPECT_EQ(run(h, "PASSWORD: Hunter2"), "PASSWORD: [REDACTED]");
    EXPECT_EQ(run(h, "Api_Key=abc123&x=1"), "Api_Key=[REDACTED]&x=1");
    EXPECT_EQ(run(h, R"(body {"password":"two words","user":"bob"})"),
              R"(body {"password":"[REDACTED]","user":"bob"})");
    // JSON inside a JSON string: escaped quotes.
    EXPECT_EQ(run(h, R"({\"token\":\"s3cr\\\"et\",\"n\":1})"), R"({\"token\":\"[REDACTED]\",\"n\":1})");
    EXPECT_EQ(run(h, "Authorization: Bearer eyJhbGciOi.eyJzdWIi.SflKxw"), "Authorization: Bearer [REDACTED]");
    EXPECT_EQ(run(h, "key AKIAIOSFODNN7EXAMPLE used"), "key [AWS_ACCESS_KEY] used");
    EXPECT_EQ(run(h, "mail Jane.Doe+logs@mail.example.co.uk now"), "mail [EMAIL] now");
}

TEST(RedactFilter, NeverLeaksWhatItCatches) {
    StageHarness h(WEIR_TEST_PLUGIN, "{detectors: [credit_card, email, key_value, bearer, aws_key, ipv4]}");
    const char* secrets[] = {"hunter2",  "4111111111111111", "jane@example.com", "AKIAIOSFODNN7EXAMPLE",
                             "eyJtoken", "10.1.2.3"};
    const std::string line =
        "password=hunter2 card=4111111111111111 mail=jane@example.com key=AKIAIOSFODNN7EXAMPLE "
        "Authorization: bearer eyJtoken from 10.1.2.3";
    const std::string out = run(h, line);
    for (const char* s : secrets) {
        if (std::string(s) == "4111111111111111") {
            EXPECT_EQ(out.find("411111111111"), std::string::npos) << out;
        } else {
            EXPECT_EQ(out.find(s), std::string::npos) << s << " leaked: " << out;
        }
    }
}

TEST(RedactFilter, FieldsSecretFieldsCustomPatternsAndHashedIps) {
    StageHarness h(WEIR_TEST_PLUGIN,
                   "{detectors: [email, ipv4], fields: [note], ip_action: hash, hash_key: k1, "
                   "patterns: ['\\bSSN (\\d{3})-\\d{2}-\\d{4}=>SSN \\1-**-****']}");
    Batch b;
    const size_t i = b.add("from 192.168.1.20 SSN 123-45-6789", 0);
    weir_value v{};
    v.type = WEIR_VAL_STRING;
    v.as.s = weir_str{"ask bob@example.org", 19};
    b.put(b.event(i).root, "note", v, 0);
    v.as.s = weir_str{"topsecret", 9};
    b.put(b.event(i).root, "Password", v, 0);
    h.process(b);
    const std::string body(b.body(0));
    EXPECT_EQ(body.find("192.168.1.20"), std::string::npos);
    EXPECT_NE(body.find("from ip:"), std::string::npos) << body;
    EXPECT_NE(body.find("SSN 123-**-****"), std::string::npos) << body;
    EXPECT_EQ(run(h, "from 192.168.1.20"), "from " + body.substr(5, 19));  // the same address, the same token
    const std::string json(b.to_json(0));
    EXPECT_NE(json.find(R"("note":"ask [EMAIL]")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("Password":"[REDACTED]")"), std::string::npos) << json;
}

TEST(RedactFilter, SecretFieldsInNestedObjectsAndArrays) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    Batch b;
    const size_t i = b.add("login", 0);
    weir_value o{};
    o.type = WEIR_VAL_OBJECT;
    weir_value a{};
    a.type = WEIR_VAL_ARRAY;
    weir_value s{};
    s.type = WEIR_VAL_STRING;
    const weir_node req = b.put(b.event(i).root, "request", o, 0);
    const weir_node headers = b.put(req, "headers", o, 0);
    s.as.s = weir_str{"abc123", 6};
    b.put(headers, "X-Api-Key", s, 0);
    s.as.s = weir_str{"shop.example.com", 16};
    b.put(headers, "host", s, 0);
    const weir_node creds = b.put(req, "users", a, 0);
    const weir_node first = b.put(creds, "", o, 0);
    s.as.s = weir_str{"hunter2", 7};
    b.put(first, "password", s, 0);
    h.process(b);
    const std::string json(b.to_json(0));
    EXPECT_EQ(json.find("abc123"), std::string::npos) << json;
    EXPECT_EQ(json.find("hunter2"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("X-Api-Key":"[REDACTED]","host":"shop.example.com")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"([{"password":"[REDACTED]"}])"), std::string::npos) << json;
}

TEST(RedactFilter, SecretFieldsCanBeLeftToTheDetectors) {
    StageHarness h(WEIR_TEST_PLUGIN, "{redact_secret_fields: false}");
    Batch b;
    const size_t i = b.add("login", 0);
    weir_value s{};
    s.type = WEIR_VAL_STRING;
    s.as.s = weir_str{"not-a-secret-here", 17};
    b.put(b.event(i).root, "token", s, 0);
    h.process(b);
    EXPECT_NE(std::string(b.to_json(0)).find(R"("token":"not-a-secret-here")"), std::string::npos)
        << b.to_json(0);
}

TEST(RedactFilter, BadOptions) {
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{detectors: [dna]}"), std::runtime_error);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{patterns: ['(unclosed=>x']}"), std::runtime_error);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{ip_action: hash, detectors: [ipv4]}"), std::runtime_error);
    EXPECT_THROW(StageHarness(WEIR_TEST_PLUGIN, "{patterns: ['no arrow']}"), std::runtime_error);
}

// tests/data/secrets.txt: secrets in every shape the corpus has, and
// lookalikes that must come out as they went in.
TEST(RedactFilter, SecretsCorpus) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    std::ifstream in(WEIR_TEST_DATA "/secrets.txt");
    ASSERT_TRUE(in) << WEIR_TEST_DATA "/secrets.txt";
    std::string line, input;
    int cases = 0, lineno = 0, input_line = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.size() < 2 || line[1] != ' ') continue;
        const std::string text = line.substr(2);
        if (line[0] == '>') {
            input = text;
            input_line = lineno;
        } else if (line[0] == '<') {
            EXPECT_EQ(run(h, input), text) << "secrets.txt:" << input_line;
            ++cases;
        } else if (line[0] == '=') {
            EXPECT_EQ(run(h, text), text) << "secrets.txt:" << lineno << " is a lookalike";
            ++cases;
        }
    }
    EXPECT_GT(cases, 50);
}

TEST(RedactFilter, SecretFieldNamesInEverySeparatorStyle) {
    StageHarness h(WEIR_TEST_PLUGIN, "");
    const char* secret[] = {
        "db_password",           "DB_PASSWORD", "dbPassword", "DbPassword", "db-password", "db.password",
        "aws_secret_access_key", "X-Api-Key",   "APIKey",     "apikey",     "privateKey",  "client_secret",
        "X-Auth-Token",          "authToken",   "passwd",     "pwd",        "credentials", "Authorization"};
    const char* plain[] = {"password_policy", "token_type", "max_tokens",  "author",    "compass",
                           "secretary",       "cache_key",  "secret_name", "tokenizer", "user"};
    Batch b;
    const size_t i = b.add("x", 0);
    weir_value s{};
    s.type = WEIR_VAL_STRING;
    s.as.s = weir_str{"v4lue", 5};
    for (const char* k : secret) b.put(b.event(i).root, k, s, 0);
    for (const char* k : plain) b.put(b.event(i).root, k, s, 0);
    h.process(b);
    const std::string json(b.to_json(0));
    for (const char* k : secret)
        EXPECT_NE(json.find("\"" + std::string(k) + "\":\"[REDACTED]\""), std::string::npos)
            << k << ": " << json;
    for (const char* k : plain)
        EXPECT_NE(json.find("\"" + std::string(k) + "\":\"v4lue\""), std::string::npos) << k << ": " << json;
}
