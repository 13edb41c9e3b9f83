#include "services/notifications/sms_channel.hpp"

#include <stdexcept>

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

#include "platform/core/encoding.hpp"
#include "services/notifications/webhook_domain.hpp"

namespace ordo::services::notifications {
namespace {

// Providers split longer texts into many billed parts or refuse them (Twilio: 1600 characters).
constexpr std::size_t kMaxBodyBytes = 1600;
constexpr std::chrono::milliseconds kSendTimeout{10'000};

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '*';
}

void append_encoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
}

// Cut at a UTF-8 character boundary so the provider is not sent half a character.
std::string truncated(std::string text) {
  if (text.size() <= kMaxBodyBytes)
    return text;
  std::size_t end = kMaxBodyBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  text.resize(end);
  return text;
}

}  // namespace

std::optional<SmsEndpoint> sms_endpoint(std::string_view base_url, std::string_view account) {
  auto url = parse_webhook_url(base_url);
  if (!url || account.empty() || url->target.find('?') != std::string::npos)
    return std::nullopt;
  std::string host = url->host.find(':') == std::string::npos ? url->host : "[" + url->host + "]";
  std::string path = url->target;
  if (path.ends_with('/'))
    path.pop_back();
  std::string account_segment;
  append_encoded(account_segment, account);
  return SmsEndpoint{"http://" + host + ":" + std::to_string(url->port), url->authority,
                     path + "/Accounts/" + account_segment + "/Messages.json"};
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty())
      out += '&';
    append_encoded(out, name);
    out += '=';
    append_encoded(out, value);
  }
  return out;
}

std::string provider_error(int status, std::string_view body) {
  std::string detail;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const auto& o = parsed.as_object();
    if (auto it = o.find("message"); it != o.end() && it->value().is_string())
      detail = std::string(it->value().as_string());
  }
  if (detail.empty())
    detail = std::string(body.substr(0, 200));
  std::string out = "the SMS provider answered " + std::to_string(status);
  if (!detail.empty())
    out += ": " + detail;
  return out;
}

SmsChannel::SmsChannel(SmsSettings settings) : settings_(std::move(settings)) {
  auto endpoint = sms_endpoint(settings_.base_url, settings_.account);
  if (!endpoint) {
    throw std::invalid_argument(
        "notifications.sms_url must be an http:// URL and notifications.sms_account set");
  }
  endpoint_ = std::move(*endpoint);
}

SmsChannel::~SmsChannel() = default;

boost::asio::awaitable<void> SmsChannel::deliver(const Notification& notification,
                                                 const Recipient& recipient) {
  // Retrying cannot conjure a number: the user has to set one (PATCH /users/me) first.
  if (recipient.phone.empty())
    throw PermanentDeliveryError("the recipient has no phone number");
  if (!client_) {
    auto executor = co_await boost::asio::this_coro::executor;
    client_ = std::make_unique<http::Client>(executor);
  }
  http::OutgoingRequest request;
  request.method = "POST";
  request.target = endpoint_.target;
  request.headers.set("Host", endpoint_.authority);
  request.headers.set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.set("Accept", "application/json");
  request.headers.set("Authorization",
                      "Basic " + core::base64_encode(settings_.account + ":" + settings_.token));
  request.body = form_encode(
      {{"To", recipient.phone}, {"From", settings_.from}, {"Body", truncated(notification.body)}});
  auto response = co_await client_->send(endpoint_.origin, std::move(request), kSendTimeout);
  if (response.status >= 200 && response.status < 300)
    co_return;
  auto error = provider_error(response.status, response.body);
  if (response.status >= 400 && response.status < 500 && response.status != 429)
    throw PermanentDeliveryError(error);
  throw std::runtime_error(error);
}

}  // namespace ordo::services::notifications
