#include "app/jwks_source.hpp"

#include <memory>
#include <stdexcept>

#include <boost/json/parse.hpp>

#include "platform/http/client.hpp"

namespace ordo::app {
namespace {

constexpr std::string_view kJwksPath = "/.well-known/jwks.json";
constexpr std::chrono::milliseconds kFetchTimeout{3'000};
// A JWKS of a few keys is a few hundred bytes.
constexpr std::size_t kMaxJwksBytes = 256 * 1024;

struct JwksUrl {
  std::string origin;  // http://host:port
  std::string target;  // /path
};

JwksUrl split_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0 || url.size() == kScheme.size())
    throw std::invalid_argument("auth.jwks_url: not an http:// URL: '" + url + "'");
  auto slash = url.find('/', kScheme.size());
  if (slash == std::string::npos)
    return {url, std::string(kJwksPath)};
  return {url.substr(0, slash), url.substr(slash)};
}

boost::asio::awaitable<auth::KeySet> fetch_jwks(std::shared_ptr<http::Client> client,
                                                std::vector<JwksUrl> urls) {
  std::string failures;
  for (const auto& url : urls) {
    std::string failure;
    try {
      http::OutgoingRequest request;
      request.target = url.target;
      request.headers.set("Accept", "application/json");
      auto response = co_await client->send(url.origin, std::move(request), kFetchTimeout);
      if (response.status != 200) {
        failure = "status " + std::to_string(response.status);
      } else {
        boost::system::error_code ec;
        auto document = boost::json::parse(response.body, ec);
        auto keys = ec ? auth::KeySet{} : auth::parse_jwks(document);
        if (!keys.empty())
          co_return keys;
        failure = "no Ed25519 key in the answer";
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
    failures += (failures.empty() ? "" : "; ") + url.origin + url.target + ": " + failure;
  }
  throw std::runtime_error(failures.empty() ? "no JWKS URL" : failures);
}

}  // namespace

std::vector<std::string> jwks_urls(const config::Config& config, const std::string& signer) {
  std::vector<std::string> urls;
  if (!config.jwks_url.empty()) {
    std::string list = config.jwks_url;
    std::size_t start = 0;
    while (start <= list.size()) {
      auto comma = list.find(',', start);
      auto item =
          list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      while (!item.empty() && item.front() == ' ')
        item.erase(0, 1);
      while (!item.empty() && item.back() == ' ')
        item.pop_back();
      if (!item.empty())
        urls.push_back(item);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    return urls;
  }
  for (const auto& origin : config.upstream_origins(signer))
    urls.push_back(origin + std::string(kJwksPath));
  return urls;
}

auth::KeyFetch jwks_over_http(boost::asio::any_io_executor executor,
                              std::vector<std::string> urls) {
  std::vector<JwksUrl> parsed;
  for (const auto& url : urls)
    parsed.push_back(split_url(url));
  http::ClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(2'000);
  options.request_timeout = kFetchTimeout;
  options.max_idle_per_origin = 1;
  options.max_response_bytes = kMaxJwksBytes;
  auto client = std::make_shared<http::Client>(std::move(executor), options);
  // Not a coroutine lambda (g++ 12 and by-value captures): it hands its captures to one.
  return [client, parsed] { return fetch_jwks(client, parsed); };
}

}  // namespace ordo::app
