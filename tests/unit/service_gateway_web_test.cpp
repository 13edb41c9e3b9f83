// The web UI's files: what is loaded, what a request may name, caching and the 304.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "platform/core/ids.hpp"
#include "services/gateway/web_files.hpp"

namespace ordo::services::gateway {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A built UI beside a secret that no name may reach.
class WebFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ordo-web-test-" + core::random_hex(6));
    dist_ = root_ / "dist";
    write_file(root_ / "secret.txt", "secret");
    write_file(dist_ / "index.html", "<!doctype html><title>shop</title>");
    write_file(dist_ / "admin" / "index.html", "<!doctype html><title>admin</title>");
    write_file(dist_ / "assets" / "main-AbC123.js", "console.log(1)");
    write_file(dist_ / "assets" / "main-AbC123.css", "body{}");
    write_file(dist_ / ".hidden", "hidden");
    fs::create_symlink(root_ / "secret.txt", dist_ / "assets" / "link.txt");
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  fs::path dist_;
};

TEST_F(WebFilesTest, LoadsRegularFilesByRelativePath) {
  auto web = WebFiles::load(dist_);
  ASSERT_TRUE(web.built());
  ASSERT_NE(web.find("index.html"), nullptr);
  EXPECT_EQ(web.find("index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(web.find("index.html")->immutable);
  ASSERT_NE(web.find("admin/index.html"), nullptr);
  ASSERT_NE(web.find("assets/main-AbC123.js"), nullptr);
  EXPECT_EQ(web.find("assets/main-AbC123.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(web.find("assets/main-AbC123.js")->immutable);
  EXPECT_EQ(web.find("assets/main-AbC123.css")->body, "body{}");
  EXPECT_EQ(web.size(), 4u);
}

TEST_F(WebFilesTest, NothingOutsideTheDirectoryNorHiddenNorLinked) {
  auto web = WebFiles::load(dist_);
  for (const char* name :
       {"../secret.txt", "assets/../../secret.txt", "/etc/passwd", "secret.txt", ".hidden",
        "assets/link.txt", "assets/./main-AbC123.js", "", "assets", "assets/"}) {
    EXPECT_EQ(web.find(name), nullptr) << name;
  }
}

TEST(WebFileNames, OnlyPlainSegments) {
  for (const char* name : {"main-AbC123.js", "index.html", "a_b.c-d.woff2"})
    EXPECT_TRUE(is_safe_file_name(name)) << name;
  for (const char* name :
       {"", ".", "..", "../x", "..%2Fx", "a/b", "a\\b", ".env", "a b", "a%00", "a:b", "~x"}) {
    EXPECT_FALSE(is_safe_file_name(name)) << name;
  }
  EXPECT_FALSE(is_safe_file_name(std::string("a\0b", 3)));
  EXPECT_FALSE(is_safe_file_name(std::string(300, 'a')));
}

TEST(WebFileNames, ContentTypes) {
  EXPECT_EQ(content_type_for("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("a.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("a.exe"), "application/octet-stream");
}

TEST_F(WebFilesTest, MissingOrEmptyDirectoryIsNotBuilt) {
  EXPECT_FALSE(WebFiles::load(root_ / "nowhere").built());
  EXPECT_FALSE(WebFiles::load({}).built());
  EXPECT_FALSE(WebFiles::load(root_ / "dist" / "assets").built());
}

TEST_F(WebFilesTest, FindsTheDirectory) {
  EXPECT_EQ(find_web_directory("/configured", "/usr/bin/ordo", dist_), fs::path("/configured"));
  EXPECT_EQ(find_web_directory("", root_ / "bin" / "ordo", dist_), dist_);
  write_file(root_ / "bin" / "web" / "index.html", "installed");
  EXPECT_EQ(find_web_directory("", root_ / "bin" / "ordo", dist_), root_ / "bin" / "web");
  EXPECT_EQ(find_web_directory("", "/nonexistent/ordo", root_ / "none"), fs::path());
}

TEST_F(WebFilesTest, CachingFieldsAndRevalidation) {
  auto web = WebFiles::load(dist_);
  http::Request request;
  request.method = "GET";
  const WebFile& page = *web.find("index.html");
  auto first = web_file_response(page, request);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.headers.get_or("Cache-Control", ""), "no-cache");
  EXPECT_EQ(first.headers.get_or("Content-Security-Policy", ""), web_security_policy());
  EXPECT_EQ(web_security_policy().find("unsafe-inline"), std::string::npos);
  auto etag = first.headers.get_or("ETag", "");
  ASSERT_FALSE(etag.empty());

  request.headers.set("If-None-Match", etag);
  auto again = web_file_response(page, request);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());

  auto asset = web_file_response(*web.find("assets/main-AbC123.js"), http::Request{});
  EXPECT_EQ(asset.headers.get_or("Cache-Control", ""), "public, max-age=31536000, immutable");
  EXPECT_EQ(asset.headers.get_or("Content-Type", ""), "text/javascript; charset=utf-8");
  EXPECT_FALSE(asset.headers.has("Content-Security-Policy"));
}

}  // namespace
}  // namespace ordo::services::gateway
