#include <gtest/gtest.h>

#include <weir/http/router.hpp>

using namespace weir::http;

namespace {
Response ok(const Request&) { return Response::json(200, "{}"); }
}  // namespace

TEST(Router, PatternsWithParameters) {
    std::map<std::string, std::string> p;
    EXPECT_TRUE(match_pattern("/api/v1/logs/{id}", "/api/v1/logs/42", p));
    EXPECT_EQ(p["id"], "42");
    EXPECT_FALSE(match_pattern("/api/v1/logs/{id}", "/api/v1/logs", p));
    EXPECT_FALSE(match_pattern("/api/v1/logs/{id}", "/api/v1/logs/42/x", p));
    EXPECT_TRUE(match_pattern("/a/{x}/b/{y}", "/a/1/b/2", p));
    EXPECT_EQ(p["x"], "1");
    EXPECT_EQ(p["y"], "2");
    EXPECT_TRUE(match_pattern("/files/{rest*}", "/files/a/b/c", p));
    EXPECT_EQ(p["rest"], "a/b/c");
    EXPECT_TRUE(match_pattern("/health", "/health/", p));
    EXPECT_FALSE(match_pattern("/health", "/healthz", p));
    EXPECT_FALSE(match_pattern("/health", "health", p));
}

TEST(Router, MethodsLiteralsFirstAnd405) {
    Router r;
    r.get("/api/v1/logs/{id}", "one", Scope::Read, ok);
    r.get("/api/v1/logs/latest", "latest", Scope::Read, ok);
    r.post("/api/v1/reload", "reload", Scope::Admin, ok);
    auto m = r.match("GET", "/api/v1/logs/latest");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->help, "latest");
    m = r.match("GET", "/api/v1/logs/7");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params["id"], "7");
    m = r.match("GET", "/api/v1/reload");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allowed, std::vector<std::string>{"POST"});
    m = r.match("GET", "/nope");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_TRUE(m.allowed.empty());
    EXPECT_NE(r.match("HEAD", "/api/v1/logs/7").route, nullptr);
    EXPECT_TRUE(r.match("POST", "/api/v1/reload").route->mutates);
}

TEST(Router, DuplicatesAndBadPatternsAreRefused) {
    Router r;
    r.get("/a", "a", Scope::Read, ok);
    EXPECT_THROW(r.get("/a", "again", Scope::Read, ok), std::logic_error);
    EXPECT_THROW(r.get("a", "no slash", Scope::Read, ok), std::logic_error);
    r.post("/a", "post is another route", Scope::Admin, ok);
}

TEST(Router, DescribeListsEveryRouteWithScopeAndHelp) {
    Router r;
    r.post("/api/v1/reload", "Reloads \"everything\"", Scope::Admin, ok);
    r.get("/health", "Liveness", Scope::None, ok);
    const std::string j = r.describe_json();
    EXPECT_NE(
        j.find(R"({"method":"GET","path":"/health","scope":"none","websocket":false,"help":"Liveness"})"),
        std::string::npos)
        << j;
    EXPECT_NE(j.find(R"("scope":"admin","websocket":false,"help":"Reloads \"everything\"")"),
              std::string::npos)
        << j;
    EXPECT_LT(j.find("/api/v1/reload"), j.find("/health"));  // sorted by path
}

TEST(Request, HeadersAndQueryParameters) {
    Request q;
    q.headers = {{"Content-Type", "a"}, {"X-Two", "b"}};
    q.query = "pipeline=web%20one&x=1&y=a+b";
    EXPECT_EQ(q.header("content-type"), "a");
    EXPECT_EQ(q.header("missing"), "");
    EXPECT_EQ(q.query_param("pipeline"), "web one");
    EXPECT_EQ(q.query_param("y"), "a b");
    EXPECT_EQ(q.query_param("z"), "");
}
