// The published OpenAPI document describes every route the gateway serves, and is valid JSON.
#include <gtest/gtest.h>

#include <boost/json.hpp>

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
    // Webhooks are routed ahead of their service (a later issue): not published yet.
    if (route.pattern.rfind("/webhooks", 0) == 0)
      continue;
    ASSERT_TRUE(paths.contains(route.pattern)) << route.pattern;
    EXPECT_TRUE(paths.at(route.pattern).as_object().contains(lower(route.method)))
        << route.method << " " << route.pattern;
  }
}

TEST(GatewayOpenApi, ProtectedRoutesDeclareTheBearerScheme) {
  auto document = boost::json::parse(openapi_document());
  const auto& paths = document.at("paths").as_object();
  for (const auto& route : route_table()) {
    if (route.pattern.rfind("/webhooks", 0) == 0 || route.access != Access::token_required) {
      continue;
    }
    const auto& operation = paths.at(route.pattern).at(lower(route.method)).as_object();
    EXPECT_TRUE(operation.contains("security")) << route.method << " " << route.pattern;
  }
}

}  // namespace
}  // namespace ordo::services::gateway
