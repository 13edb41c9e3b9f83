// The users domain: account rules, refresh-token rotation decisions and login throttling. No I/O;
// reading the requests is requests.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ordo::services::users {

inline constexpr std::string_view kRoleAdmin = "admin";
inline constexpr std::string_view kRoleUser = "user";

// Trimmed and lower-cased when it looks like an address (local@domain.tld, at most 254 chars).
std::optional<std::string> normalize_email(std::string_view email);
// Why the password is unacceptable, or nullopt: 10 to 128 characters, not all whitespace, not
// one character repeated, not one of the most common passwords.
std::optional<std::string> password_problem(std::string_view password);
// One of the passwords guessing tries first (common_passwords.cpp), whatever its case.
bool is_common_password(std::string_view password);
bool is_role(std::string_view role);

// What the requests ask for, once read and validated (requests.hpp). A registration: the e-mail
// normalized, the password acceptable.
struct Registration {
  std::string email;
  std::string password;
  std::string name;
};
// A login: the e-mail normalized when it looks like an address, else as given.
struct Credentials {
  std::string email;
  std::string password;
};
// An admin's change of an account: role and/or active, at least one of them.
struct UserPatch {
  std::optional<std::string> role;
  std::optional<bool> active;
};
// An E.164 telephone number: "+" then 8 to 15 digits, the first not 0.
bool is_e164_phone(std::string_view text);
// The caller's own name and/or phone, at least one; a phone of nullopt clears it.
struct ProfilePatch {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> phone;  // outer: given; inner: nullopt clears
};
// A browser's push subscription: its endpoint and keys, base64url without padding.
struct NewPushSubscription {
  std::string endpoint;
  std::string p256dh;
  std::string auth;
};
// How many browsers one user may subscribe.
inline constexpr std::size_t kMaxPushSubscriptions = 10;

// A refresh token is "<token id>.<secret>"; only a hash of the secret is stored, so a database
// leak does not hand out sessions.
struct RefreshTokenParts {
  std::string id;
  std::string secret;
};
RefreshTokenParts new_refresh_token();
std::string refresh_token_text(const RefreshTokenParts& parts);
std::optional<RefreshTokenParts> parse_refresh_token(std::string_view text);
std::string secret_hash(std::string_view secret);  // hex SHA-256

enum class RefreshStatus { active, used, revoked };
std::optional<RefreshStatus> parse_refresh_status(std::string_view text);

struct StoredRefreshToken {
  std::string id;
  std::string family_id;
  std::string user_id;
  std::string secret_hash;
  RefreshStatus status = RefreshStatus::active;
  std::int64_t expires_at_ms = 0;
};

enum class RefreshDecision {
  rotate,         // valid: mark used, issue the next token of the family
  revoke_family,  // a used or revoked token came back: someone replayed it
  reject,         // wrong secret or expired: 401, nothing changes
};
RefreshDecision decide_refresh(const StoredRefreshToken& stored, std::string_view presented_secret,
                               std::int64_t now_ms);

// Counts failed logins in a sliding window under three keys, and refuses further attempts under a
// key whose budget is spent until its lockout has passed:
//   - an account from one client address: a small budget, then lockouts that double each time
//     (progressive delays for whoever keeps guessing from there);
//   - an account from anywhere: a ceiling high enough that guesses from one address cannot lock
//     the owner out, low enough to stop guessing spread over many addresses;
//   - a client address across accounts: one address spraying many accounts.
// In memory: an instance protects itself; several instances each apply the budgets.
//
// An attempt is counted *before* its password is checked (reserve) and given back only when it
// succeeds (release): a check made before hashing and a count made after it would let any number
// of simultaneous guesses through, since none of them has failed yet when the others are checked.
// So no budget is ever exceeded by passwords actually verified, however many arrive at once.
class LoginThrottle {
 public:
  struct Policy {
    int max_failures_per_account_address = 5;
    int max_failures_per_account = 100;
    int max_failures_per_address = 20;
    std::chrono::seconds window{300};
    std::chrono::seconds lockout{60};        // the first; each further one doubles
    std::chrono::seconds max_lockout{900};   // up to this
    std::size_t max_tracked_keys = 100'000;  // per key kind: bounds memory under a spray
  };
  explicit LoginThrottle(Policy policy) : policy_(policy) {}

  // Takes one attempt from every budget. Seconds to wait before trying again when one is spent
  // (nothing is taken then), or nullopt when the password may be checked.
  std::optional<std::int64_t> reserve(const std::string& account, const std::string& address,
                                      std::int64_t now_s);
  // The reserved attempt succeeded: it no longer counts as a failure.
  void release(const std::string& account, const std::string& address, std::int64_t now_s);

 private:
  struct Window {
    std::int64_t started_s = 0;
    int attempts = 0;  // failed and still pending attempts in this window
    std::int64_t locked_until_s = 0;
    int lockouts = 0;  // in a row, for the doubling
  };
  using Windows = std::map<std::string, Window>;
  // Seconds left in the key's lockout, locking it now when its budget is spent.
  std::optional<std::int64_t> refusal(Windows& windows, const std::string& key, int max_attempts,
                                      std::int64_t now_s);
  Window& window_of(Windows& windows, const std::string& key, std::int64_t now_s);
  void give_back(Windows& windows, const std::string& key, std::int64_t now_s);
  std::int64_t lockout_after(int lockouts) const;

  Policy policy_;
  Windows pairs_;  // account + "|" + address
  Windows accounts_;
  Windows addresses_;
};

// Registrations per client address in a fixed window, counted before the password is hashed:
// a flood of sign-ups from one address would otherwise occupy the hashing threads that logins
// need, and probe which e-mails have accounts (a duplicate answers 409; see docs/security.md).
class RegistrationBudget {
 public:
  struct Policy {
    int max_per_address = 20;
    std::chrono::seconds window{3600};
    std::size_t max_tracked_keys = 100'000;
  };
  explicit RegistrationBudget(Policy policy) : policy_(policy) {}
  // Seconds until the address may register again when its budget is spent; nullopt (and one
  // taken) when it may go on.
  std::optional<std::int64_t> take(const std::string& address, std::int64_t now_s);

 private:
  struct Window {
    std::int64_t started_s = 0;
    int used = 0;
  };
  Policy policy_;
  std::map<std::string, Window> addresses_;
};

}  // namespace ordo::services::users
