// The web UI's files through the real gateway: pages, assets, caching, the CSP, no way out of the
// web directory, and a binary without a built UI that still answers its API.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(WebUi, ServesPagesAndAssetsAndNothingElse) {
  fs::path root = temp_dir("ordo-web-ui");
  fs::path dist = root / "dist";
  write_file(root / "secret.txt", "the-secret-content");
  write_file(dist / "index.html", "<!doctype html><title>shop</title>");
  write_file(dist / "admin" / "index.html", "<!doctype html><title>admin</title>");
  write_file(dist / "assets" / "store-Ab12.js", "console.log('shop')");
  OrdoProcess ordo(Settings{{"gateway.web_dir", dist.string()}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());

  auto shop = session.request("GET", "/");
  EXPECT_EQ(shop.status, 200);
  EXPECT_EQ(shop.body, "<!doctype html><title>shop</title>");
  EXPECT_EQ(shop.headers.get_or("Content-Type", ""), "text/html; charset=utf-8");
  EXPECT_EQ(shop.headers.get_or("Cache-Control", ""), "no-cache");
  auto policy = shop.headers.get_or("Content-Security-Policy", "");
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
  auto again =
      session.request("GET", "/", {}, {{"If-None-Match", shop.headers.get_or("ETag", "")}});
  EXPECT_EQ(again.status, 304);

  auto admin = session.request("GET", "/admin");
  EXPECT_EQ(admin.status, 200);
  EXPECT_EQ(admin.body, "<!doctype html><title>admin</title>");
  EXPECT_EQ(session.request("GET", "/admin/").status, 200);

  auto script = session.request("GET", "/assets/store-Ab12.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.headers.get_or("Content-Type", ""), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.headers.get_or("Cache-Control", ""), "public, max-age=31536000, immutable");
  EXPECT_EQ(session.request("HEAD", "/assets/store-Ab12.js").status, 200);

  for (const char* target :
       {"/assets/..%2Fsecret.txt", "/assets/..%2F..%2Fsecret.txt", "/assets/%2E%2E%2Fsecret.txt",
        "/assets/..%5Csecret.txt", "/assets/missing.js", "/assets/..", "/assets/.%2E",
        "/assets/store-Ab12.js%00.png", "/secret.txt", "/admin/index.html", "/index.html"}) {
    auto answer = session.request("GET", target);
    // 404, or 400 where the server refuses the target itself (a NUL).
    EXPECT_TRUE(answer.status == 404 || answer.status == 400) << target << " " << answer.body;
    EXPECT_EQ(answer.body.find("the-secret-content"), std::string::npos) << target;
  }
  // The API is as before.
  EXPECT_EQ(session.request("GET", "/products").status, 200);
  EXPECT_EQ(session.request("GET", "/orders").status, 401);
  fs::remove_all(root);
}

TEST(WebUi, NotBuiltIsA503AndTheApiStillWorks) {
  OrdoProcess ordo(Settings{{"gateway.web_dir", "/nonexistent/ordo-web"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  auto shop = session.request("GET", "/");
  expect_problem(shop, 503, "not built");
  EXPECT_NE(shop.body.find("not built"), std::string::npos) << shop.body;
  expect_problem(session.request("GET", "/admin"), 503, "not built");
  EXPECT_EQ(session.request("GET", "/assets/app.js").status, 404);
  EXPECT_EQ(session.request("GET", "/products").status, 200);
}

}  // namespace
}  // namespace ordo::e2e
