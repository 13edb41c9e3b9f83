#include "exchange_recorder.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "platform/http/compression.hpp"

namespace ordo::e2e {
namespace {

std::mutex& lock() {
  static std::mutex mutex;
  return mutex;
}

std::set<std::string>& gateways() {
  static std::set<std::string> origins;
  return origins;
}

// Where lines go, or "" when recording is off.
const std::string& record_path() {
  static const std::string path = [] {
    const char* setting = std::getenv("ORDO_E2E_RECORD");
    if (setting == nullptr || *setting == '\0')
      return std::string();
    std::string value = setting;
    if (value.ends_with(".jsonl"))
      return value;
    std::filesystem::create_directories(value);
    return value + "/exchanges-" + std::to_string(::getpid()) + ".jsonl";
  }();
  return path;
}

// Far above any answer of the suite (the contract document itself is ~140 KB).
constexpr std::size_t kMaxDecodedBytes = 16 * 1024 * 1024;

std::string lowercase(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A credential never lands in the recording: only whether one was sent.
boost::json::object request_fields(const HeaderFields& headers) {
  boost::json::object fields;
  for (const auto& [name, value] : headers) {
    auto key = lowercase(name);
    fields[key] = key == "authorization" || key == "cookie" ? "<redacted>" : value;
  }
  return fields;
}

boost::json::object response_fields(const HeaderFields& headers) {
  boost::json::object fields;
  for (const auto& [name, value] : headers) {
    auto key = lowercase(name);
    if (auto* existing = fields.if_contains(key))
      *existing = std::string(existing->as_string()) + ", " + value;
    else
      fields[key] = value;
  }
  return fields;
}

// An event stream's token may ride in the query (?access_token=): kept out as well.
std::string without_token(std::string target) {
  constexpr std::string_view kName = "access_token=";
  for (auto at = target.find(kName); at != std::string::npos; at = target.find(kName, at + 1)) {
    if (at == 0 || (target[at - 1] != '?' && target[at - 1] != '&'))
      continue;
    auto start = at + kName.size();
    auto end = target.find('&', start);
    target.replace(start, end == std::string::npos ? std::string::npos : end - start, "redacted");
  }
  return target;
}

std::string current_test() {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return test == nullptr ? std::string()
                         : std::string(test->test_suite_name()) + "." + test->name();
}

}  // namespace

void note_gateway_origin(const std::string& origin) {
  std::lock_guard guard(lock());
  gateways().insert(origin);
}

void forget_gateway_origin(const std::string& origin) {
  std::lock_guard guard(lock());
  gateways().erase(origin);
}

void record_exchange(const Exchange& exchange) {
  if (record_path().empty())
    return;
  std::lock_guard guard(lock());
  if (!gateways().contains(exchange.origin))
    return;
  boost::json::object line{{"test", current_test()},
                           {"method", exchange.method},
                           {"target", without_token(exchange.target)},
                           {"requestHeaders", request_fields(exchange.request_headers)},
                           {"status", exchange.status},
                           {"headers", response_fields(exchange.response_headers)}};
  if (exchange.body) {
    // A gzip answer is recorded decoded: the contract describes the representation, and the
    // coding is checked by the HttpDetails tests. An undecodable one is recorded as it came,
    // so that the check fails on it.
    const auto* coding = line["headers"].as_object().if_contains("content-encoding");
    std::optional<std::string> decoded;
    if (coding != nullptr && coding->as_string() == "gzip")
      decoded = http::gunzip(*exchange.body, kMaxDecodedBytes);
    line["body"] = decoded ? *decoded : *exchange.body;
  } else
    line["body"] = nullptr;
  std::ofstream out(record_path(), std::ios::app | std::ios::binary);
  out << boost::json::serialize(line) << '\n';
}

}  // namespace ordo::e2e
