#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <weir/http/static_files.hpp>

using namespace weir::http;

namespace {

struct Site {
    std::string root;
    Site() {
        char tmpl[] = "/tmp/weir-static-XXXXXX";
        root = ::mkdtemp(tmpl);
        ::mkdir((root + "/assets").c_str(), 0755);
        ::mkdir((root + "/docs").c_str(), 0755);
        std::ofstream(root + "/index.html") << "<html>app</html>";
        std::ofstream(root + "/assets/app.js") << "console.log(1)";
        std::ofstream(root + "/docs/index.html") << "docs";
        std::ofstream(root + "/.secret") << "no";
        std::ofstream(root + "/../weir-static-outside.txt") << "outside";
    }
    ~Site() { std::system(("rm -rf " + root).c_str()); }
};

}  // namespace

TEST(StaticFiles, MimeTypes) {
    EXPECT_EQ(mime_type("a.html"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type("x/app.JS"), "text/javascript; charset=utf-8");
    EXPECT_EQ(mime_type("s.css"), "text/css; charset=utf-8");
    EXPECT_EQ(mime_type("i.svg"), "image/svg+xml");
    EXPECT_EQ(mime_type("f.woff2"), "font/woff2");
    EXPECT_EQ(mime_type("noext"), "application/octet-stream");
    EXPECT_EQ(mime_type("dir.d/noext"), "application/octet-stream");
}

TEST(StaticFiles, FilesIndexAndAppFallback) {
    Site s;
    auto f = resolve_static(s.root, "/assets/app.js");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->content_type, "text/javascript; charset=utf-8");
    EXPECT_FALSE(f->fallback);
    EXPECT_EQ(f->size, 14u);
    EXPECT_EQ(f->etag.front(), '"');
    f = resolve_static(s.root, "/");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->path, s.root + "/index.html");
    f = resolve_static(s.root, "/docs/");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->path, s.root + "/docs/index.html");
    f = resolve_static(s.root, "/pipelines/web/stages");  // an app route
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->fallback);
    EXPECT_EQ(f->path, s.root + "/index.html");
    EXPECT_FALSE(resolve_static(s.root, "/assets/missing.js"));  // a missing asset is a 404, not the app
}

TEST(StaticFiles, NoTraversalNoDotFiles) {
    Site s;
    for (const char* p : {"/../weir-static-outside.txt", "/assets/../../weir-static-outside.txt",
                          "/%2e%2e/weir-static-outside.txt", "/assets/%2E%2E/%2e%2e/weir-static-outside.txt",
                          "/.secret", "/a\\..\\b.txt", "/x%00.html", "/%zz", "relative.html"})
        EXPECT_FALSE(resolve_static(s.root, p)) << p;
}

TEST(StaticFiles, EtagMatching) {
    EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_matches("\"x\", \"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_matches("W/\"abc\"", "\"abc\""));
    EXPECT_TRUE(etag_matches("*", "\"abc\""));
    EXPECT_FALSE(etag_matches("\"abd\"", "\"abc\""));
    EXPECT_FALSE(etag_matches("", "\"abc\""));
}
