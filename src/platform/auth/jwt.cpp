// Why hand-written: see DEPENDENCIES.md (no maintained C++ JWT library does EdDSA). Every branch
// of verify() is a rejection reason with a test in tests/unit/auth_jwt_test.cpp.
#include "platform/auth/jwt.hpp"

#include <array>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include <sodium.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/encoding.hpp"
#include "platform/core/sodium.hpp"
#include "platform/core/time.hpp"

namespace ordo::auth {
namespace json = boost::json;

namespace {
constexpr std::string_view kAlg = "EdDSA";
// Our tokens are a few hundred bytes; a cap keeps a hostile header from costing parse time.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;

struct Parts {
  std::string_view signed_input;  // "<header>.<payload>"
  std::string header;             // decoded
  std::string payload;            // decoded
  std::string signature;          // decoded
};

VerifyResult fail(JwtError error) {
  return VerifyResult{std::nullopt, error};
}

std::optional<Parts> split_token(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const auto header = token.substr(0, first);
  const auto payload = token.substr(first + 1, second - first - 1);
  const auto signature = token.substr(second + 1);
  if (header.empty() || payload.empty() || signature.empty()) {
    return std::nullopt;
  }
  auto header_bytes = core::base64url_decode(header);
  auto payload_bytes = core::base64url_decode(payload);
  auto signature_bytes = core::base64url_decode(signature);
  if (!header_bytes || !payload_bytes || !signature_bytes) {
    return std::nullopt;
  }
  return Parts{token.substr(0, second), std::move(*header_bytes), std::move(*payload_bytes),
               std::move(*signature_bytes)};
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    return std::nullopt;
  }
  return std::move(value.as_object());
}

// NumericDate must be an integer (RFC 7519 allows fractions; we never issue them).
std::optional<std::int64_t> as_int(const json::value& value) {
  if (value.is_int64()) {
    return value.get_int64();
  }
  if (value.is_uint64() &&
      value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(value.get_uint64());
  }
  return std::nullopt;
}

const json::string* string_field(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value ? value->if_string() : nullptr;
}

std::optional<std::int64_t> int_field(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value ? as_int(*value) : std::nullopt;
}

// aud is a string or an array of strings; returns them, or nullopt when it has another shape.
std::optional<std::vector<std::string>> audiences(const json::value& value) {
  if (const auto* text = value.if_string()) {
    return std::vector<std::string>{std::string(*text)};
  }
  const auto* array = value.if_array();
  if (!array) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : *array) {
    const auto* text = item.if_string();
    if (!text) {
      return std::nullopt;
    }
    out.emplace_back(*text);
  }
  return out;
}

// The claims with their types checked; nullopt when anything required is missing or mistyped.
struct ParsedClaims {
  Claims claims;
  bool has_iss = false;
  std::vector<std::string> audiences;
};

std::optional<ParsedClaims> read_claims(const json::object& payload) {
  ParsedClaims out;
  const auto* sub = string_field(payload, "sub");
  const auto* role = string_field(payload, "role");
  const auto* jti = string_field(payload, "jti");
  const auto* sid = string_field(payload, "sid");
  const auto ver = int_field(payload, "ver");
  const auto iat = int_field(payload, "iat");
  const auto exp = int_field(payload, "exp");
  if (!sub || sub->empty() || !role || !jti || !sid || sid->empty() || !ver || *ver < 0 || !iat ||
      !exp) {
    return std::nullopt;
  }
  out.claims.sub = std::string(*sub);
  out.claims.role = std::string(*role);
  out.claims.jti = std::string(*jti);
  out.claims.sid = std::string(*sid);
  out.claims.ver = *ver;
  out.claims.iat = *iat;
  out.claims.exp = *exp;
  if (payload.contains("nbf")) {
    const auto nbf = int_field(payload, "nbf");
    if (!nbf) {
      return std::nullopt;
    }
    out.claims.nbf = *nbf;
  }
  if (payload.contains("iss")) {
    const auto* iss = string_field(payload, "iss");
    if (!iss) {
      return std::nullopt;
    }
    out.claims.iss = std::string(*iss);
    out.has_iss = true;
  }
  if (const auto* aud = payload.if_contains("aud")) {
    auto list = audiences(*aud);
    if (!list) {
      return std::nullopt;
    }
    out.audiences = std::move(*list);
  }
  return out;
}

std::optional<JwtError> check_times(const Claims& claims, std::int64_t now, std::int64_t leeway) {
  // Written as now - leeway so a hostile exp near INT64_MAX cannot overflow.
  if (now - leeway >= claims.exp) {
    return JwtError::expired;
  }
  if (claims.nbf > now + leeway || claims.iat > now + leeway) {
    return JwtError::not_yet_valid;
  }
  return std::nullopt;
}

std::optional<JwtError> check_header(const json::object& header) {
  const auto* alg = string_field(header, "alg");
  if (!alg || *alg != kAlg) {
    return JwtError::unsupported_alg;
  }
  // RFC 7515 4.1.11: a "crit" we do not understand must be rejected; we understand none.
  if (header.contains("crit")) {
    return JwtError::malformed;
  }
  return std::nullopt;
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}
}  // namespace

std::string sign_jwt(const Claims& claims, const SigningKey& key) {
  core::ensure_sodium();
  if (key.secret_key.size() != crypto_sign_SECRETKEYBYTES) {
    throw std::invalid_argument("signing key is not an Ed25519 secret key");
  }
  json::object header;
  header["alg"] = kAlg;
  header["typ"] = "JWT";
  header["kid"] = key.kid;
  json::object payload;
  payload["sub"] = claims.sub;
  payload["role"] = claims.role;
  payload["jti"] = claims.jti;
  payload["sid"] = claims.sid;
  payload["ver"] = claims.ver;
  if (!claims.iss.empty()) {
    payload["iss"] = claims.iss;
  }
  if (!claims.aud.empty()) {
    payload["aud"] = claims.aud;
  }
  payload["iat"] = claims.iat;
  if (claims.nbf != 0) {
    payload["nbf"] = claims.nbf;
  }
  payload["exp"] = claims.exp;
  const std::string signed_input = core::base64url_encode(json::serialize(header)) + '.' +
                                   core::base64url_encode(json::serialize(payload));
  std::array<unsigned char, crypto_sign_BYTES> signature{};
  crypto_sign_detached(signature.data(), nullptr, bytes_of(signed_input), signed_input.size(),
                       bytes_of(key.secret_key));
  return signed_input + '.' +
         core::base64url_encode(
             std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size()));
}

std::string_view to_string(JwtError error) {
  switch (error) {
    case JwtError::malformed:
      return "malformed";
    case JwtError::unsupported_alg:
      return "unsupported_alg";
    case JwtError::unknown_key:
      return "unknown_key";
    case JwtError::bad_signature:
      return "bad_signature";
    case JwtError::expired:
      return "expired";
    case JwtError::not_yet_valid:
      return "not_yet_valid";
    case JwtError::wrong_issuer:
      return "wrong_issuer";
    case JwtError::wrong_audience:
      return "wrong_audience";
  }
  return "unknown";
}

struct JwtVerifier::VerifiedCache {
  static constexpr std::size_t kMaxEntries = 4096;
  std::mutex mutex;
  std::unordered_map<std::string, Claims> claims;
};

JwtVerifier::JwtVerifier(std::map<std::string, VerificationKey> keys, VerifyPolicy policy)
    : keys_(std::move(keys)),
      policy_(std::move(policy)),
      cache_(std::make_shared<VerifiedCache>()) {
  core::ensure_sodium();
}

VerifyResult JwtVerifier::verify(std::string_view token) const {
  return verify(token, core::unix_seconds());
}

VerifyResult JwtVerifier::verify(std::string_view token, std::int64_t now_unix_seconds) const {
  {
    std::lock_guard lock(cache_->mutex);
    if (auto hit = cache_->claims.find(std::string(token)); hit != cache_->claims.end()) {
      if (auto error = check_times(hit->second, now_unix_seconds, policy_.leeway.count())) {
        return fail(*error);
      }
      return VerifyResult{hit->second, std::nullopt};
    }
  }
  auto result = verify_uncached(token, now_unix_seconds);
  if (result.ok()) {
    std::lock_guard lock(cache_->mutex);
    // Forgetting everything at the bound is crude but cheap, and only costs re-verifications.
    if (cache_->claims.size() >= VerifiedCache::kMaxEntries)
      cache_->claims.clear();
    cache_->claims.emplace(std::string(token), *result.claims);
  }
  return result;
}

VerifyResult JwtVerifier::verify_uncached(std::string_view token,
                                          std::int64_t now_unix_seconds) const {
  try {
    if (token.size() > kMaxTokenBytes) {
      return fail(JwtError::malformed);
    }
    auto parts = split_token(token);
    if (!parts) {
      return fail(JwtError::malformed);
    }
    const auto header = parse_object(parts->header);
    if (!header) {
      return fail(JwtError::malformed);
    }
    if (auto error = check_header(*header)) {
      return fail(*error);
    }

    const VerificationKey* key = nullptr;
    if (const auto* kid_value = header->if_contains("kid")) {
      const auto* kid = kid_value->if_string();
      if (!kid) {
        return fail(JwtError::malformed);
      }
      if (auto found = keys_.find(std::string(*kid)); found != keys_.end()) {
        key = &found->second;
      }
    } else if (keys_.size() == 1) {
      key = &keys_.begin()->second;
    }
    if (!key) {
      return fail(JwtError::unknown_key);
    }

    if (parts->signature.size() != crypto_sign_BYTES ||
        key->public_key.size() != crypto_sign_PUBLICKEYBYTES ||
        crypto_sign_verify_detached(bytes_of(parts->signature), bytes_of(parts->signed_input),
                                    parts->signed_input.size(), bytes_of(key->public_key)) != 0) {
      return fail(JwtError::bad_signature);
    }

    const auto payload = parse_object(parts->payload);
    if (!payload) {
      return fail(JwtError::malformed);
    }
    auto parsed = read_claims(*payload);
    if (!parsed) {
      return fail(JwtError::malformed);
    }
    if (auto error = check_times(parsed->claims, now_unix_seconds, policy_.leeway.count())) {
      return fail(*error);
    }
    if (!policy_.issuer.empty() && (!parsed->has_iss || parsed->claims.iss != policy_.issuer)) {
      return fail(JwtError::wrong_issuer);
    }
    if (!policy_.audience.empty()) {
      bool found = false;
      for (const auto& audience : parsed->audiences) {
        found = found || audience == policy_.audience;
      }
      if (!found) {
        return fail(JwtError::wrong_audience);
      }
      parsed->claims.aud = policy_.audience;
    } else if (!parsed->audiences.empty()) {
      parsed->claims.aud = parsed->audiences.front();
    }
    return VerifyResult{std::move(parsed->claims), std::nullopt};
  } catch (const std::exception&) {
    // Only allocation failure can get here; a token we cannot check is a token we refuse.
    return fail(JwtError::malformed);
  }
}

json::value jwks(const std::map<std::string, VerificationKey>& keys) {
  json::array list;
  for (const auto& [kid, key] : keys) {
    json::object entry;
    entry["kty"] = "OKP";
    entry["crv"] = "Ed25519";
    entry["x"] = core::base64url_encode(key.public_key);
    entry["kid"] = kid;
    entry["alg"] = kAlg;
    entry["use"] = "sig";
    list.push_back(std::move(entry));
  }
  json::object document;
  document["keys"] = std::move(list);
  return document;
}

std::map<std::string, VerificationKey> parse_jwks(const json::value& document) {
  std::map<std::string, VerificationKey> keys;
  const auto* object = document.if_object();
  const auto* list = object ? object->if_contains("keys") : nullptr;
  if (!list || !list->is_array()) {
    return keys;
  }
  for (const auto& item : list->get_array()) {
    const auto* entry = item.if_object();
    if (!entry) {
      continue;
    }
    const auto* kty = string_field(*entry, "kty");
    const auto* crv = string_field(*entry, "crv");
    const auto* x = string_field(*entry, "x");
    const auto* kid = string_field(*entry, "kid");
    if (!kty || *kty != "OKP" || !crv || *crv != "Ed25519" || !x || !kid || kid->empty()) {
      continue;
    }
    // A key published for another algorithm or for encryption is not ours to verify with.
    const auto* alg = entry->if_contains("alg");
    const auto* use = entry->if_contains("use");
    if ((alg && (!alg->is_string() || alg->get_string() != kAlg)) ||
        (use && (!use->is_string() || use->get_string() != "sig"))) {
      continue;
    }
    auto public_key = core::base64url_decode(*x);
    if (!public_key || public_key->size() != crypto_sign_PUBLICKEYBYTES) {
      continue;
    }
    keys[std::string(*kid)] = VerificationKey{std::string(*kid), std::move(*public_key)};
  }
  return keys;
}

}  // namespace ordo::auth
