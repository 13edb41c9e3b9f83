// The published OpenAPI document describes every route the gateway serves, and is valid JSON.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "platform/core/encoding.hpp"
#include "services/gateway/domain.hpp"
#include "services/gateway/gateway.hpp"

namespace ordo::services::gateway {
namespace {

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

TEST(GatewayOpenApi, DocumentsEveryRoute) {
  auto document = boost::json::parse(openapi_document());
  EXPECT_EQ(document.at("openapi").as_string(), "3.1.0");
  const auto& paths = document.at("paths").as_object();
  for (const auto& route : route_table()) {
    ASSERT_TRUE(paths.contains(route.pattern)) << route.pattern;
    EXPECT_TRUE(paths.at(route.pattern).as_object().contains(lower(route.method)))
        << route.method << " " << route.pattern;
  }
}

// And the other way: every operation of the document is a route of the gateway's table or one
// of the gateway's own answers (api.cpp: add_routes). The web UI's pages and files (/, /admin,
// /assets/{file}, /docs/{file}) are deliberately not operations.
TEST(GatewayOpenApi, EveryOperationIsARoute) {
  std::set<std::string> routes{"GET /health", "GET /ready", "GET /metrics", "GET /openapi.json",
                               "GET /docs"};
  for (const auto& route : route_table())
    routes.insert(route.method + " " + route.pattern);
  auto document = boost::json::parse(openapi_document());
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      if (method == "parameters" || method == "summary" || method == "description")
        continue;
      std::string name(method);
      for (auto& c : name)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      EXPECT_TRUE(routes.contains(name + " " + std::string(path))) << name << " " << path;
    }
  }
}

TEST(GatewayOpenApi, ProtectedRoutesDeclareTheBearerScheme) {
  auto document = boost::json::parse(openapi_document());
  const auto& paths = document.at("paths").as_object();
  for (const auto& route : route_table()) {
    if (route.access != Access::token_required)
      continue;
    const auto& operation = paths.at(route.pattern).at(lower(route.method)).as_object();
    EXPECT_TRUE(operation.contains("security")) << route.method << " " << route.pattern;
  }
}

// The page's inline script and style must match the hashes its policy allows, or browsers refuse
// to run them (security issue, finding 8: the CSP must still let the page work).
std::string between(std::string_view text, std::string_view open, std::string_view close) {
  auto start = text.find(open);
  auto end = text.find(close);
  if (start == std::string_view::npos || end == std::string_view::npos)
    return {};
  start += open.size();
  return std::string(text.substr(start, end - start));
}

TEST(GatewayDocsPage, PolicyAllowsItsOwnScriptAndStyleOnly) {
  const auto& policy = docs_page_security_policy();
  auto script = between(docs_page(), "<script>", "</script>");
  auto style = between(docs_page(), "<style>", "</style>");
  ASSERT_FALSE(script.empty());
  ASSERT_FALSE(style.empty());
  auto hash = [](const std::string& text) {
    return "'sha256-" + core::base64_encode(core::sha256(text)) + "'";
  };
  EXPECT_NE(policy.find("script-src " + hash(script) + ";"), std::string::npos) << policy;
  EXPECT_NE(policy.find("style-src " + hash(style) + ";"), std::string::npos) << policy;
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos) << policy;  // /openapi.json
  EXPECT_EQ(policy.find("unsafe"), std::string::npos) << policy;
  // One script and one style element, no inline handlers: the hashes cover everything it runs.
  EXPECT_EQ(docs_page().find("<script", docs_page().find("<script") + 1), std::string::npos);
  EXPECT_EQ(docs_page().find(" onclick="), std::string::npos);
  EXPECT_EQ(docs_page().find(" style="), std::string::npos);
  EXPECT_EQ(docs_page().find("src="), std::string::npos);  // nothing loaded from elsewhere
}

}  // namespace
}  // namespace ordo::services::gateway
