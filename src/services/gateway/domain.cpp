#include "services/gateway/domain.hpp"

#include <algorithm>
#include <cmath>

namespace ordo::services::gateway {

const std::vector<RouteEntry>& route_table() {
  using enum Access;
  static const std::vector<RouteEntry> table{
      {"POST", "/users/register", "users", public_route},
      {"POST", "/users/login", "users", public_route},
      {"POST", "/users/refresh", "users", public_route},
      {"POST", "/users/logout", "users", token_required},
      {"GET", "/users/me", "users", token_required},
      {"PATCH", "/users/me", "users", token_required},
      {"GET", "/users/me/notification-preferences", "users", token_required},
      {"PUT", "/users/me/notification-preferences", "users", token_required},
      {"GET", "/users/me/push-subscriptions", "users", token_required},
      {"POST", "/users/me/push-subscriptions", "users", token_required},
      {"DELETE", "/users/me/push-subscriptions/{id}", "users", token_required},
      {"GET", "/users", "users", token_required},
      {"GET", "/users/{id}", "users", token_required},
      {"PATCH", "/users/{id}", "users", token_required},
      {"GET", "/.well-known/jwks.json", "users", public_route},
      {"GET", "/products", "products", public_route},
      {"POST", "/products", "products", token_required},
      {"GET", "/products/{id}", "products", public_route},
      {"PATCH", "/products/{id}", "products", token_required},
      {"DELETE", "/products/{id}", "products", token_required},
      {"GET", "/products/{id}/stock", "inventory", public_route},
      {"PUT", "/products/{id}/stock", "inventory", token_required},
      {"PATCH", "/products/{id}/replenish", "inventory", token_required},
      {"GET", "/products/{id}/stock/movements", "inventory", token_required},
      {"GET", "/inventory/low-stock", "inventory", token_required},
      {"POST", "/orders", "orders", token_required},
      {"GET", "/orders", "orders", token_required},
      {"GET", "/orders/{id}", "orders", token_required},
      {"POST", "/orders/{id}/cancel", "orders", token_required},
      {"GET", "/notifications", "notifications", token_required},
      {"GET", "/notifications/vapid-public-key", "notifications", public_route},
      {"GET", "/notifications/{id}", "notifications", token_required},
      {"GET", "/webhooks", "notifications", token_required},
      {"POST", "/webhooks", "notifications", token_required},
      {"GET", "/webhooks/{id}", "notifications", token_required},
      {"PATCH", "/webhooks/{id}", "notifications", token_required},
      {"DELETE", "/webhooks/{id}", "notifications", token_required},
      {"GET", "/webhooks/{id}/deliveries", "notifications", token_required},
      {"POST", "/webhooks/{id}/deliveries/{deliveryId}/retry", "notifications", token_required},
  };
  return table;
}

RateLimiter::RateLimiter(double rate_per_s, double burst, std::size_t max_keys)
    : rate_(rate_per_s), burst_(burst), max_keys_(max_keys) {}

std::optional<int> RateLimiter::take(const std::string& key,
                                     std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_)
      prune(now);
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  auto& bucket = it->second;
  double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, elapsed) * rate_);
  bucket.updated = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - bucket.tokens) / rate_)));
}

void RateLimiter::prune(std::chrono::steady_clock::time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
    return entry.second.tokens + elapsed * rate_ >= burst_;
  });
  // Still full of active clients: drop the oldest entry rather than grow without bound.
  if (buckets_.size() >= max_keys_)
    buckets_.erase(buckets_.begin());
}

std::optional<std::string> allowed_origin(const std::vector<std::string>& allowed,
                                          const std::string& origin) {
  if (origin.empty())
    return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end())
    return "*";
  if (std::find(allowed.begin(), allowed.end(), origin) != allowed.end())
    return origin;
  return std::nullopt;
}

}  // namespace ordo::services::gateway
