// The users service's HTTP routes: parse, authorize, call domain and store, answer.
#include <mutex>

#include <boost/json.hpp>

#include "host/registry.hpp"
#include "platform/auth/keys.hpp"
#include "platform/auth/password.hpp"
#include "platform/core/blocking.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/http/forwarded.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/log_context.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/pagination.hpp"
#include "platform/http/problem.hpp"
#include "platform/log/log.hpp"
#include "services/users/domain.hpp"
#include "services/users/requests.hpp"
#include "services/users/service.hpp"
#include "services/users/settings.hpp"
#include "services/users/signing_keys.hpp"
#include "services/users/store.hpp"

namespace ordo::services::users {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace json = boost::json;

constexpr std::string_view kService = "users";

auth::PasswordCost password_cost(const config::Config& config) {
  return {config.section<Settings>().argon2_ops,
          config.section<Settings>().argon2_memory_kib * 1024};
}

LoginThrottle::Policy login_policy(const config::Config& config) {
  LoginThrottle::Policy policy;
  policy.max_failures_per_account_address =
      config.section<Settings>().login_max_failures_per_account_address;
  policy.max_failures_per_account = config.section<Settings>().login_max_failures_per_account;
  policy.max_failures_per_address = config.section<Settings>().login_max_failures_per_address;
  policy.window = std::chrono::seconds(config.section<Settings>().login_failure_window_s);
  policy.lockout = std::chrono::seconds(config.section<Settings>().login_lockout_s);
  policy.max_lockout = std::chrono::seconds(std::max(config.section<Settings>().login_max_lockout_s,
                                                     config.section<Settings>().login_lockout_s));
  return policy;
}

class UsersApi final : public host::Service {
 public:
  explicit UsersApi(host::ServiceResources& resources)
      : resources_(resources),
        store_(resources.db),
        signing_keys_(resources.db),
        cost_(password_cost(resources.config)),
        proxies_(resources.config.trusted_proxies),
        throttle_(login_policy(resources.config)),
        registrations_(RegistrationBudget::Policy{
            resources.config.section<Settings>().register_max_per_address,
            std::chrono::seconds(resources.config.section<Settings>().register_window_s)}),
        login_failures_(resources.metrics.counter(
            "ordo_login_failures_total",
            "Logins refused for a wrong e-mail or password or an inactive account.", {})),
        login_throttled_(resources.metrics.counter(
            "ordo_login_throttled_total",
            "Logins refused (429) after too many failures for an account or address.", {})) {
    // The dummy hash is computed once up front so the first unknown-email login is not faster.
    auth::dummy_hash(cost_);
  }

  // The signing keys are made or read before the first login, and followed from then on; the
  // configured admin (admin.email, admin.password) is made before the service answers.
  awaitable<void> start() override {
    co_await signing_keys_.load(resources_.config.data_dir);
    signing_keys_.start_reloading(resources_.executor);
    const auto& config = resources_.config;
    if (!config.section<Settings>().bootstrap_admin_email.empty()) {
      co_await ensure_admin(resources_.db, resources_.cpu_pool, config,
                            config.section<Settings>().bootstrap_admin_email,
                            config.section<Settings>().bootstrap_admin_password);
    }
  }

  awaitable<auth::KeySet> token_keys() override {
    co_return co_await published_keys(resources_.db, core::unix_seconds());
  }

  std::vector<std::string> password_routes() const override {
    return {"POST /users/register", "POST /users/login"};
  }

  void add_routes(http::Router& router) override {
    router.post("/users/register", [this](Request& r) { return register_user(r); });
    router.post("/users/login", [this](Request& r) { return login(r); });
    router.post("/users/refresh", [this](Request& r) { return refresh(r); });
    router.post("/users/logout", [this](Request& r) { return logout(r); });
    router.get("/users/me", [this](Request& r) { return me(r); });
    router.patch("/users/me", [this](Request& r) { return patch_me(r); });
    router.get("/users/me/notification-preferences",
               [this](Request& r) { return get_preferences(r); });
    router.put("/users/me/notification-preferences",
               [this](Request& r) { return put_preferences(r); });
    router.get("/users/me/push-subscriptions",
               [this](Request& r) { return list_push_subscriptions(r); });
    router.post("/users/me/push-subscriptions",
                [this](Request& r) { return add_push_subscription(r); });
    router.del("/users/me/push-subscriptions/{id}",
               [this](Request& r) { return remove_push_subscription(r); });
    router.get("/users", [this](Request& r) { return list(r); });
    router.get("/users/{id}", [this](Request& r) { return get_user(r); });
    router.patch("/users/{id}", [this](Request& r) { return patch_user(r); });
    router.get("/.well-known/jwks.json", [this](Request& r) { return jwks(r); });
  }

 private:
  awaitable<Response> register_user(Request& request) {
    auto registration = parse_registration(http::parse_json_object(request));
    {
      std::lock_guard lock(throttle_mutex_);
      auto address = http::client_address(request, proxies_);
      if (auto wait = registrations_.take(address, core::unix_seconds())) {
        errors::raise(errors::too_many_requests(
            "too many sign-ups from this address; try again later", static_cast<int>(*wait)));
      }
    }
    // The body's "role", if any, is ignored on purpose: only an admin grants roles.
    // Named values, not temporaries, inside co_await: g++ 12 can destroy those twice.
    auto hash_it = [pw = registration.password, cost = cost_] {
      return auth::hash_password(pw, cost);
    };
    auto hash = co_await core::run_blocking(resources_.cpu_pool, std::move(hash_it));
    NewUser new_user{registration.email, registration.name, hash, std::string(kRoleUser)};
    auto user = co_await store_.create(new_user, request.context.traceparent);
    if (!user)
      errors::raise(errors::conflict("an account with this e-mail already exists"));
    log::info(kService, "user registered", {{"userId", user->id}}, http::log_context(request));
    auto response = Response::json(201, contracts::to_json(*user));
    response.headers.set("Location", "/users/" + user->id);
    co_return response;
  }

  awaitable<Response> login(Request& request) {
    auto credentials = parse_credentials(http::parse_json_object(request));
    std::string email = credentials.email;
    std::string address = http::client_address(request, proxies_);
    auto now = core::unix_seconds();
    {
      // Counted before the hash is checked, given back on success (LoginThrottle says why).
      std::lock_guard lock(throttle_mutex_);
      if (auto wait = throttle_.reserve(email, address, now)) {
        login_throttled_.add();
        errors::raise(errors::too_many_requests("too many failed logins; try again later",
                                                static_cast<int>(*wait)));
      }
    }
    auto record = co_await store_.find_by_email(email);
    // An unknown e-mail is checked against a dummy hash: the same work, the same time.
    std::string hash = record ? record->password_hash : auth::dummy_hash(cost_);
    auto verify_it = [hash = std::move(hash), pw = credentials.password] {
      return auth::verify_password(hash, pw);
    };
    bool verified = co_await core::run_blocking(resources_.cpu_pool, std::move(verify_it));
    if (!record || !verified || !record->user.active) {
      login_failures_.add();
      log::info(kService, "login failed", {{"client", address}}, http::log_context(request));
      errors::raise(errors::unauthorized("invalid e-mail or password"));
    }
    {
      std::lock_guard lock(throttle_mutex_);
      throttle_.release(email, address, core::unix_seconds());
    }
    auto refresh_token = new_refresh_token();
    auto session_id = core::uuid_v7();  // the refresh-token family: one per login
    co_await store_.insert_refresh_token(refresh_token, session_id, record->user.id,
                                         refresh_expiry_ms());
    auto tokens = issue_tokens(*record, session_id, refresh_token);
    co_return token_response(tokens);
  }

  awaitable<Response> refresh(Request& request) {
    auto token_text = parse_refresh_token_field(http::parse_json_object(request));
    auto presented = parse_refresh_token(token_text);
    if (!presented)
      errors::raise(errors::unauthorized("the refresh token is not valid"));
    auto next = new_refresh_token();
    auto end = session_end(request);
    auto outcome = co_await store_.rotate_refresh_token(*presented, next, core::unix_millis(),
                                                        refresh_expiry_ms(), end);
    using Kind = UserStore::RotateOutcome::Kind;
    if (outcome.kind == Kind::family_revoked) {
      log::warn(kService, "refresh token reused; session revoked", {}, http::log_context(request));
      errors::raise(errors::unauthorized(
          "this refresh token was already used; the session has been revoked"));
    }
    if (outcome.kind != Kind::rotated) {
      errors::raise(errors::unauthorized("the refresh token is not valid"));
    }
    auto tokens = issue_tokens(*outcome.user, outcome.session_id, next);
    co_return token_response(tokens);
  }

  awaitable<Response> logout(Request& request) {
    const auto& principal = http::require_user(request);
    auto token_text = parse_refresh_token_field(http::parse_json_object(request));
    // The caller's own session ends whatever the body holds; an unknown or foreign refresh token
    // is not an error: logout is idempotent and reveals nothing.
    auto token = parse_refresh_token(token_text);
    auto end = session_end(request);
    co_await store_.end_sessions(principal.user_id, principal.session_id, token, end);
    co_return Response::empty(204);
  }

  awaitable<Response> me(Request& request) {
    const auto& principal = http::require_user(request);
    auto user = co_await store_.find_by_id(principal.user_id);
    if (!user || !user->active)
      errors::raise(errors::unauthorized("the account is not active"));
    co_return Response::json(200, contracts::to_json(*user));
  }

  // The caller's own name and phone; role and active stay an admin's (PATCH /users/{id}).
  awaitable<Response> patch_me(Request& request) {
    const auto& principal = http::require_user(request);
    auto patch = parse_profile_patch(http::parse_json_object(request));
    auto user =
        co_await store_.update_profile(principal.user_id, patch, request.context.traceparent);
    if (!user)
      errors::raise(errors::unauthorized("the account is not active"));
    co_return Response::json(200, contracts::to_json(*user));
  }

  awaitable<Response> get_preferences(Request& request) {
    const auto& principal = http::require_user(request);
    auto preferences = co_await store_.preferences(principal.user_id);
    if (!preferences)
      errors::raise(errors::unauthorized("the account is not active"));
    co_return Response::json(200, contracts::to_json(*preferences));
  }

  // Replaces every preference: kinds left out of the body go back to the defaults.
  awaitable<Response> put_preferences(Request& request) {
    const auto& principal = http::require_user(request);
    auto preferences = parse_notification_preferences(http::parse_json_object(request));
    bool found = co_await store_.set_preferences(principal.user_id, preferences,
                                                 request.context.traceparent);
    if (!found)
      errors::raise(errors::unauthorized("the account is not active"));
    co_return Response::json(200, contracts::to_json(preferences));
  }

  // A browser's PushSubscription.toJSON(); the same endpoint again answers the subscription it
  // already is (200), so a page may subscribe on every visit.
  awaitable<Response> add_push_subscription(Request& request) {
    const auto& principal = http::require_user(request);
    auto input = parse_push_subscription(http::parse_json_object(request));
    auto added = co_await store_.add_push_subscription(
        principal.user_id, input, kMaxPushSubscriptions, request.context.traceparent);
    using Outcome = UserStore::AddedSubscription::Outcome;
    if (added.outcome == Outcome::no_user)
      errors::raise(errors::unauthorized("the account is not active"));
    if (added.outcome == Outcome::over_limit) {
      errors::raise(errors::conflict("at most " + std::to_string(kMaxPushSubscriptions) +
                                     " push subscriptions per user; delete one first"));
    }
    int status = added.outcome == Outcome::created ? 201 : 200;
    auto response = Response::json(status, contracts::to_public_json(added.subscription));
    response.headers.set("Location", "/users/me/push-subscriptions/" + added.subscription.id);
    co_return response;
  }

  awaitable<Response> list_push_subscriptions(Request& request) {
    const auto& principal = http::require_user(request);
    auto subscriptions = co_await store_.push_subscriptions(principal.user_id);
    json::array items;
    for (const auto& subscription : subscriptions)
      items.push_back(contracts::to_public_json(subscription));
    co_return Response::json(200, json::object{{"items", std::move(items)}});
  }

  // Someone else's subscription is "not found", like one that never was.
  awaitable<Response> remove_push_subscription(Request& request) {
    const auto& principal = http::require_user(request);
    std::string id(request.path_param("id"));
    bool removed = false;
    if (core::is_uuid(id)) {
      removed = co_await store_.remove_push_subscription(principal.user_id, id,
                                                         request.context.traceparent);
    }
    if (!removed)
      errors::raise(errors::not_found("no such push subscription"));
    co_return Response::empty(204);
  }

  awaitable<Response> list(Request& request) {
    http::require_admin(request);
    auto page_request = http::page_request(request);
    auto page = co_await store_.list(page_request.after, page_request.limit);
    json::array items;
    for (const auto& user : page.items)
      items.push_back(contracts::to_json(user));
    co_return http::page_response(request, std::move(items), page.next_after_id);
  }

  awaitable<Response> get_user(Request& request) {
    const auto& principal = http::require_user(request);
    std::string id(request.path_param("id"));
    // Someone else's account is "not found", not "forbidden": existence is not disclosed.
    if (!principal.is_admin() && principal.user_id != id)
      raise_user_not_found();
    // No co_await inside ?: (g++ 12 miscompiles it).
    std::optional<contracts::User> user;
    if (core::is_uuid(id))
      user = co_await store_.find_by_id(id);
    if (!user)
      raise_user_not_found();
    co_return Response::json(200, contracts::to_json(*user));
  }

  awaitable<Response> patch_user(Request& request) {
    const auto& principal = http::require_admin(request);
    std::string id(request.path_param("id"));
    auto patch = parse_user_patch(http::parse_json_object(request));
    // Another admin must do it: an admin who could restore their own role or account would undo
    // a demotion or deactivation with the very token it was meant to stop.
    if (principal.user_id == id)
      errors::raise(errors::forbidden("an admin cannot change their own role or active flag"));
    std::optional<contracts::User> user;
    if (core::is_uuid(id)) {
      user = co_await store_.update(id, patch.role, patch.active, request.context.traceparent);
    }
    if (!user)
      raise_user_not_found();
    log::info(kService, "user changed by admin",
              {{"userId", id}, {"by", request.context.principal->user_id}},
              http::log_context(request));
    co_return Response::json(200, contracts::to_json(*user));
  }

  // Read from the database each time, not from this instance's copy: a verifier that meets a
  // new kid asks any instance, and must find the key whichever one answers.
  awaitable<Response> jwks(Request&) {
    auto keys = co_await published_keys(resources_.db, core::unix_seconds());
    auto response = Response::json(200, auth::jwks(keys));
    response.headers.set("Cache-Control", "public, max-age=300");
    co_return response;
  }

  [[noreturn]] static void raise_user_not_found() {
    errors::raise(errors::not_found("no such user"));
  }

  std::int64_t refresh_expiry_ms() const {
    return core::unix_millis() +
           static_cast<std::int64_t>(resources_.config.section<Settings>().refresh_token_ttl_s) *
               1000;
  }

  contracts::TokenPair issue_tokens(const UserRecord& record, const std::string& session_id,
                                    const RefreshTokenParts& refresh_token) const {
    const auto& config = resources_.config;
    auto now = core::unix_seconds();
    auth::Claims claims;
    claims.sub = record.user.id;
    claims.role = record.user.role;
    claims.jti = core::uuid_v7();
    claims.sid = session_id;
    claims.ver = record.token_version;
    claims.iss = config.jwt_issuer;
    claims.aud = config.jwt_audience;
    claims.iat = now;
    claims.nbf = now;
    claims.exp = now + config.section<Settings>().access_token_ttl_s;
    auto key = signing_keys_.current();
    if (!key)
      throw std::logic_error("tokens asked for before the signing keys were loaded");
    return contracts::TokenPair{auth::sign_jwt(claims, *key), "Bearer",
                                config.section<Settings>().access_token_ttl_s,
                                refresh_token_text(refresh_token)};
  }

  static Response token_response(const contracts::TokenPair& tokens) {
    auto response = Response::json(200, contracts::to_json(tokens));
    response.headers.set("Cache-Control", "no-store");  // RFC 6749 5.1
    return response;
  }

  // Until when an ended session's access tokens must be refused: the longest any of them lives,
  // plus the verifiers' clock leeway.
  UserStore::SessionEnd session_end(const Request& request) const {
    constexpr std::int64_t kLeewayS = 60;
    return {
        core::unix_seconds() + resources_.config.section<Settings>().access_token_ttl_s + kLeewayS,
        request.context.traceparent};
  }

  host::ServiceResources& resources_;
  UserStore store_;
  SigningKeyRing signing_keys_;
  auth::PasswordCost cost_;
  http::TrustedProxies proxies_;
  std::mutex throttle_mutex_;
  LoginThrottle throttle_;
  RegistrationBudget registrations_;  // under throttle_mutex_ too
  metrics::Counter& login_failures_;
  metrics::Counter& login_throttled_;
};

}  // namespace

const auto kRegistration =
    host::register_service<UsersApi>({.name = "users",
                                      .port = 3001,
                                      .start_order = 1,
                                      .migrations = &migrations,
                                      .signs_tokens = true,
                                      .commands_description = "manage accounts",
                                      .commands = commands(),
                                      .settings = settings_section()});

boost::asio::awaitable<std::string> ensure_admin(sql::Database& db,
                                                 boost::asio::thread_pool& cpu_pool,
                                                 const config::Config& config, std::string email,
                                                 std::string password) {
  auto normalized = normalize_email(email);
  if (!normalized)
    throw std::invalid_argument("not an e-mail address: " + email);
  if (auto problem = password_problem(password)) {
    throw std::invalid_argument("the password " + *problem);
  }
  auto hash_it = [&] { return auth::hash_password(password, password_cost(config)); };
  auto hash = co_await core::run_blocking(cpu_pool, std::move(hash_it));
  UserStore store(db);
  std::string no_trace;
  if (auto existing = co_await store.find_by_email(*normalized)) {
    std::optional<std::string> admin_role(kRoleAdmin);
    std::optional<bool> active(true);
    co_await store.update(existing->user.id, admin_role, active, no_trace);
    co_await store.set_password(existing->user.id, hash, no_trace);
    co_return existing->user.id;
  }
  auto name = normalized->substr(0, normalized->find('@'));
  NewUser admin{*normalized, name, hash, std::string(kRoleAdmin)};
  auto user = co_await store.create(admin, no_trace);
  if (!user)
    throw std::runtime_error("the account was created concurrently; try again");
  co_return user->id;
}

}  // namespace ordo::services::users
