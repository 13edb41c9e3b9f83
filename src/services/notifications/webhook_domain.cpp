#include "services/notifications/webhook_domain.hpp"

#include <algorithm>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "contracts/events.hpp"
#include "platform/core/encoding.hpp"

namespace ordo::services::notifications {
namespace {
namespace json = boost::json;
namespace events = contracts::events;
namespace ip = boost::asio::ip;

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::size_t kSecretBytes = 32;

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0)
    return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(text.data()),
                               static_cast<int>(text.size()));
  if (length < 0)
    return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  auto padding = static_cast<std::size_t>(std::count(text.end() - 2, text.end(), '='));
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

bool in_v4_block(const ip::address_v4& address, std::uint32_t network, int prefix) {
  std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (address.to_uint() & mask) == (network & mask);
}

constexpr std::uint32_t v4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

bool is_forbidden_v4(const ip::address_v4& a) {
  return in_v4_block(a, v4(0, 0, 0, 0), 8)          // "this network", unspecified
         || in_v4_block(a, v4(10, 0, 0, 0), 8)      // RFC 1918
         || in_v4_block(a, v4(100, 64, 0, 0), 10)   // CGNAT (RFC 6598)
         || in_v4_block(a, v4(127, 0, 0, 0), 8)     // loopback
         || in_v4_block(a, v4(169, 254, 0, 0), 16)  // link-local, cloud metadata
         || in_v4_block(a, v4(172, 16, 0, 0), 12)   // RFC 1918
         || in_v4_block(a, v4(192, 168, 0, 0), 16)  // RFC 1918
         || in_v4_block(a, v4(224, 0, 0, 0), 4)     // multicast
         || in_v4_block(a, v4(240, 0, 0, 0), 4);    // reserved, broadcast
}

bool is_forbidden_v6(const ip::address_v6& a) {
  if (a.is_v4_mapped())
    return is_forbidden_v4(ip::make_address_v4(ip::v4_mapped, a));
  auto bytes = a.to_bytes();
  return a.is_unspecified() || a.is_loopback() || a.is_multicast() ||
         (bytes[0] & 0xfe) == 0xfc                            // unique local fc00::/7
         || (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80);  // link-local fe80::/10
}

}  // namespace

const std::vector<std::string>& webhook_event_types() {
  static const std::vector<std::string> types{std::string(events::kUserRegistered),
                                              std::string(events::kUserUpdated),
                                              std::string(events::kOrderCreated),
                                              std::string(events::kOrderConfirmed),
                                              std::string(events::kOrderRejected),
                                              std::string(events::kOrderCancelled),
                                              "stock.low"};
  return types;
}

std::optional<std::string> webhook_event_type(std::string_view bus_type) {
  if (bus_type == events::kInventoryLowStock)
    return "stock.low";
  // The other public types are the bus's own names.
  if (bus_type != "stock.low" && std::ranges::count(webhook_event_types(), bus_type) == 1)
    return std::string(bus_type);
  return std::nullopt;
}

bool subscribes_to(const std::vector<std::string>& events, std::string_view type) {
  return std::ranges::any_of(events,
                             [&](const std::string& e) { return e == kAllEvents || e == type; });
}

std::optional<WebhookUrl> parse_webhook_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->scheme() != "http" || !parsed->has_authority() || parsed->has_userinfo() ||
      parsed->encoded_host().empty()) {
    return std::nullopt;
  }
  WebhookUrl out;
  out.host = parsed->host_address();  // IPv6 without its brackets
  if (parsed->has_port()) {
    if (parsed->port_number() == 0)
      return std::nullopt;
    out.port = parsed->port_number();
  }
  out.authority = std::string(parsed->encoded_authority());
  out.target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query())
    out.target += "?" + std::string(parsed->encoded_query());
  return out;
}

bool is_forbidden_webhook_address(const ip::address& address) {
  return address.is_v4() ? is_forbidden_v4(address.to_v4()) : is_forbidden_v6(address.to_v6());
}

std::string make_webhook_secret() {
  std::string bytes(kSecretBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) !=
      1) {
    throw std::runtime_error("the random generator failed");
  }
  return std::string(kSecretPrefix) + core::base64_encode(bytes);
}

std::string sign_webhook(std::string_view secret, std::string_view message_id,
                         std::int64_t timestamp_s, std::string_view body) {
  if (!secret.starts_with(kSecretPrefix))
    throw std::invalid_argument("a webhook secret starts with whsec_");
  auto key = base64_decode(secret.substr(kSecretPrefix.size()));
  if (!key || key->empty())
    throw std::invalid_argument("a webhook secret is whsec_ and base64");
  std::string content;
  content.append(message_id).append(".").append(std::to_string(timestamp_s)).append(".");
  content.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
           reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac,
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return "v1," + core::base64_encode(std::string_view(reinterpret_cast<char*>(mac), length));
}

std::string webhook_body(std::string_view type, std::string_view timestamp,
                         const json::value& data) {
  json::object body;
  body["type"] = type;
  body["timestamp"] = timestamp;
  body["data"] = data;
  return json::serialize(body);
}

std::chrono::milliseconds webhook_retry_delay(std::chrono::milliseconds base,
                                              std::chrono::milliseconds max, int failed_attempts,
                                              double jitter) {
  auto delay = std::max(base, std::chrono::milliseconds(1));
  for (int i = 1; i < failed_attempts && delay < max; ++i)
    delay *= 2;
  delay = std::min(delay, max);
  auto half = delay / 2;
  auto spread = static_cast<double>((delay - half).count()) * std::clamp(jitter, 0.0, 1.0);
  return half + std::chrono::milliseconds(static_cast<std::int64_t>(spread));
}

}  // namespace ordo::services::notifications
